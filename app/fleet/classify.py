"""Faults named by the fault-code catalogue: the bridge from the fleet model to
``app/fault_codes`` (the store calls this when a fault is raised)."""

from __future__ import annotations

from collections.abc import Callable

from app.fault_codes import FaultCatalogue
from app.fleet.model import ChargerLiveState, FaultClassification, OpenFault
from app.fleet.store import Classifier


def catalogue_classifier(catalogue: Callable[[], FaultCatalogue]) -> Classifier:
    """Classify by the catalogue in force when the fault is raised (editors may publish a
    new vendor table while the backend runs)."""

    def classify(state: ChargerLiveState, fault: OpenFault) -> FaultClassification:
        found = catalogue().classify(
            ocpp_version=state.ocpp_version,
            error_code=fault.raw_error_code or fault.error_code,
            vendor_id=fault.vendor_id,
            vendor_error_code=fault.vendor_error_code if fault.source != "NotifyEvent" else None,
            info=fault.info,
            vendor=state.vendor,
            model=state.model,
            component=fault.component,
            variable=fault.variable,
            tech_code=fault.tech_code,
            direction=fault.direction,
        )
        return FaultClassification(
            entry_id=found.entry_id,
            fault_key=found.fault_key,
            standard_code=found.standard_code,
            safety_class=found.safety_class or "unknown",
            responsible=found.responsible,
            meaning=found.meaning,
            procedure=found.procedure,
            known=found.known,
        )

    return classify
