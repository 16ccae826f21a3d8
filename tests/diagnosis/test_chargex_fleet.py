"""Self-diagnosis of simulated chargers whose firmware reports ChargeX codes as EVerest does
(``app/simulator/chargex_faces.py``), on a real backend over real websockets: the faces reach
the backend as the real stack sends them, safety codes get no reset or unlock, and a
reset-safe code gets its remote action."""

from __future__ import annotations

from typing import Any

import pytest

from app.simulator.chargex_faces import namespace
from tests.chargers import eventually
from tests.diagnosis.conftest import plan
from tests.diagnosis.test_service import actions, wait_diagnosis

CHARGEX = ("voltara_wb22", "kestrel_kx300")


async def chargex_charger(
    make_backend: Any, make_fleet: Any, model: str, version: str, **settings: Any
) -> tuple[Any, Any, Any]:
    """A backend (with these settings) and one simulated charger of a ChargeX-reporting model."""
    backend = await make_backend(**settings)
    p = plan(model, version)
    fleet = await make_fleet(backend, [p], chargex_models=CHARGEX)
    return backend, fleet, p


def received(fleet: Any, charger_id: str) -> list[str]:
    return [c["action"] for c in fleet.truth.tail(0, charger_id, "command")]


async def test_a_16_chargex_charger_sends_the_code_then_the_inoperative_follow_up(
    make_backend, make_fleet
) -> None:
    backend, fleet, p = await chargex_charger(
        make_backend, make_fleet, "voltara_wb22", "1.6", diagnosis_enabled=False
    )
    charger = fleet.charger(p.charger_id)
    charger.inject_now("ground_fault", 1)
    live = backend.state.live

    def faces() -> list[tuple[Any, ...]]:
        return [
            (f.error_code, f.vendor_id, f.vendor_error_code, f.info, f.classification.fault_key)
            for f in live.get(p.charger_id).open_faults
        ]

    both = await eventually(lambda: len(faces()) == 2 and faces(), timeout=10)
    # the ChargeX code is kept beside the follow-up: faults as a set, not the last message
    assert ("GroundFailure", namespace(), "CX002", "GroundFailure", "ground_fault") in both
    follow_up = [f for f in both if f[0] == "OtherError"]
    assert follow_up == [("OtherError", None, None, "caused_by:GroundFailure", follow_up[0][4])]
    assert live.get(p.charger_id).connectors[1].status == "Faulted"
    assert charger.clear_fault("ground_fault", 1)
    await eventually(lambda: live.get(p.charger_id).open_faults == [], timeout=10)


async def test_a_201_chargex_charger_reports_problem_on_the_evse(make_backend, make_fleet) -> None:
    backend, fleet, p = await chargex_charger(
        make_backend, make_fleet, "kestrel_kx300", "2.0.1", diagnosis_enabled=False
    )
    charger = fleet.charger(p.charger_id)
    charger.inject_now("welded_contactor", 2)
    live = backend.state.live
    # the NotifyEvent names the fault; the Faulted status beside it opens a generic one
    faults = await eventually(
        lambda: len(live.get(p.charger_id).open_faults) == 2 and live.get(p.charger_id).open_faults,
        timeout=10,
    )
    (fault,) = [f for f in faults if f.source == "NotifyEvent"]
    assert (fault.component, fault.variable, fault.evse_id, fault.tech_code) == (
        "EVSE",
        "Problem",
        2,
        "CX017",
    )
    assert (fault.classification.fault_key, fault.classification.standard_code) == (
        "welded_contactor",
        "CX017",
    )
    assert charger.clear_fault("welded_contactor", 2)
    await eventually(lambda: live.get(p.charger_id).open_faults == [], timeout=10)


@pytest.mark.parametrize(
    ("model", "version", "fault", "code"),
    [
        ("voltara_wb22", "1.6", "ground_fault", "CX002"),
        ("voltara_wb22", "1.6", "over_voltage", "CX005"),
        ("kestrel_kx300", "2.0.1", "welded_contactor", "CX017"),
        ("kestrel_kx300", "2.0.1", "insulation_fault", "CX011"),
    ],
)
async def test_a_safety_chargex_fault_is_never_reset(
    make_backend, make_fleet, model: str, version: str, fault: str, code: str
) -> None:
    backend, fleet, p = await chargex_charger(make_backend, make_fleet, model, version)
    fleet.charger(p.charger_id).inject_now(fault, 1)
    # over-voltage passes by itself in ideal mode (a grid fault): closed self_cleared
    row = await wait_diagnosis(
        backend, p.charger_id, ("escalated", "site_visit", "self_cleared"), timeout=30
    )
    assert (row.standard_code, row.safety_class) == (code, "never_reset")
    steps = [s for s, _ in actions(backend, row.id)]
    assert not {"soft_reset", "hard_reset", "unlock"} & set(steps), steps
    assert not {"Reset", "UnlockConnector"} & set(received(fleet, p.charger_id))


async def test_a_reset_safe_chargex_fault_gets_its_remote_action(make_backend, make_fleet) -> None:
    """CX001, a connector lock failure (reset_safe): the logs are read, then the one unlock
    that re-homes the actuator clears it."""
    backend, fleet, p = await chargex_charger(make_backend, make_fleet, "voltara_wb22", "1.6")
    fleet.charger(p.charger_id).inject_now("connector_lock_failure", 1)
    row = await wait_diagnosis(backend, p.charger_id, ("resolved",), timeout=30)
    assert (row.standard_code, row.safety_class) == ("CX001", "reset_safe")
    assert received(fleet, p.charger_id).count("UnlockConnector") == 1
    assert "Reset" not in received(fleet, p.charger_id)
