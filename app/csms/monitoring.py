"""A charging station's monitors as its NotifyMonitoringReport parts report them.

OCPP 2.0.1 N02 (Get Monitoring Report): the CSMS sends GetMonitoringReportRequest (requestId,
optional monitoringCriteria 1..3 of ThresholdMonitoring/DeltaMonitoring/PeriodicMonitoring,
optional componentVariable); the station answers Accepted (or EmptyResultSet) and sends the
monitors in NotifyMonitoringReportRequest parts: requestId, seqNo from 0, tbc true on every part
but the last, and ``monitor``: MonitoringDataType {component, variable, variableMonitoring
1..n of VariableMonitoringType {id, transaction, value, type, severity}}.

Gathered per connection with the inventory's assembler (same seqNo/tbc rules) and stored per
charger, one row per monitor, replaced by the next complete report of the same selection
("All" for an unfiltered report, "Custom" for a filtered one).
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.csms.faults_v201 import VOLTAGE_VARIABLES
from app.csms.inventory import ENUM_CHARS, NAME_CHARS, bounded, int_or_none, number_or_none
from app.db.models import MonitorRow

Selection = Literal["All", "Custom", "Unrequested"]
SELECTIONS: tuple[str, ...] = ("All", "Custom", "Unrequested")
MAX_MONITORS_PER_REPORT = 5_000
MONITORS_PER_VARIABLE = 50  # variableMonitoring has no maxItems; a variable rarely has 5
# Which way a threshold monitor looks (MonitorEnumType): an UpperThreshold fires above its
# value, a LowerThreshold below it.
THRESHOLD_DIRECTIONS = {"UpperThreshold": "over", "LowerThreshold": "under"}


def read_monitors(data: dict[str, Any]) -> list[dict[str, Any]]:
    """One MonitoringDataType (snake_case keys, as the ``ocpp`` package hands it) as bounded
    rows, one per monitor; none when it names no component, variable or monitor."""
    component = data.get("component") or {}
    variable = data.get("variable") or {}
    if not isinstance(component, dict) or not isinstance(variable, dict):
        return []
    if not component.get("name") or not variable.get("name"):
        return []
    evse = component.get("evse") if isinstance(component.get("evse"), dict) else {}
    where = {
        "component": bounded(component["name"], NAME_CHARS),
        "component_instance": bounded(component.get("instance"), NAME_CHARS),
        "evse_id": int_or_none(evse.get("id")),
        "connector_id": int_or_none(evse.get("connector_id")),
        "variable": bounded(variable["name"], NAME_CHARS),
        "variable_instance": bounded(variable.get("instance"), NAME_CHARS),
    }
    rows = []
    for monitor in (data.get("variable_monitoring") or [])[:MONITORS_PER_VARIABLE]:
        if not isinstance(monitor, dict) or int_or_none(monitor.get("id")) is None:
            continue
        rows.append(
            {
                **where,
                "monitor_id": monitor["id"],
                "transaction": bool(monitor.get("transaction", False)),
                "value": number_or_none(monitor.get("value")),
                "type": bounded(monitor.get("type"), ENUM_CHARS),
                "severity": int_or_none(monitor.get("severity")),
            }
        )
    return rows


def voltage_threshold_direction(monitor_type: Any, variable: Any) -> str | None:
    """ "over" or "under" for a threshold monitor on the supply voltage, else None."""
    if variable not in VOLTAGE_VARIABLES:
        return None
    return THRESHOLD_DIRECTIONS.get(str(monitor_type))


def voltage_thresholds(rows: list[dict[str, Any]]) -> dict[int, str]:
    """The supply voltage threshold monitors among a report's rows (``read_monitors``), by
    the id the station gave each: "over" or "under". Whoever set a monitor (ChargeFix at an
    earlier boot, the station's own preconfigured ones), an event that names its id (N07
    variableMonitoringId) crossed it in that direction."""
    found: dict[int, str] = {}
    for row in rows:
        direction = voltage_threshold_direction(row.get("type"), row.get("variable"))
        monitor_id = int_or_none(row.get("monitor_id"))
        if direction and monitor_id is not None:
            found[monitor_id] = direction
    return found


def selection_of(payload: dict[str, Any]) -> str:
    """What a GetMonitoringReport we send asks for: everything, or a selection."""
    filtered = payload.get("monitoringCriteria") or payload.get("componentVariable")
    return "Custom" if filtered else "All"


def stored_monitors(db: Session, charger_id: str) -> list[MonitorRow]:
    return list(
        db.scalars(
            select(MonitorRow)
            .where(MonitorRow.charger_id == charger_id)
            .order_by(MonitorRow.selection, MonitorRow.position)
        )
    )
