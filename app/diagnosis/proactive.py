"""Proactive on OCPP 2.0.1: at boot, ask the station for its standing problems (GetBaseReport
SummaryInventory, answered with NotifyReport) and set monitors on the fault variables the
fault-code catalogue lists (SetVariableMonitoring), both through the command gateway with an
automatic actor. OCPP 1.6 has neither (the catalogue refuses them: BadCommand).
"""

from __future__ import annotations

import logging
from typing import Any

from websockets.exceptions import ConnectionClosed

from app.commands.gateway import Actor, CommandRequest, CommandResult
from app.csms.faults_v201 import is_problem_flag
from app.csms.monitoring import voltage_threshold_direction
from app.diagnosis.remediation import SYSTEM
from app.errors import CommandError
from app.fault_codes import FaultCatalogue, load_catalogue

log = logging.getLogger(__name__)

# Supply voltage limits for the ACVoltage monitors: 230 V +-10 % (EN 50160 / IEC 60038).
UPPER_VOLTAGE_V = 253.0
LOWER_VOLTAGE_V = 207.0
# Components addressed per EVSE (they need an evse id); EVerest reports them as hard-wired
# notifications anyway, so no monitor is set on them.
PER_EVSE = frozenset({"EVSE", "Connector"})


def monitors(catalogue: FaultCatalogue) -> list[dict[str, Any]]:
    """One monitor per catalogue fault variable: a Delta monitor on each problem flag (any
    change of a boolean is reported), threshold monitors on the supply voltage. Severity 1
    (hardware failure) for never_reset entries, 4 (error) otherwise (OCPP 2.0.1 severity
    levels, 0 = danger ... 9 = debug)."""
    out: dict[tuple[str, str, str], dict[str, Any]] = {}
    for entry in catalogue.ocpp201.values():
        if entry.component in PER_EVSE or not (entry.fault or entry.safety_class):
            continue
        severity = 1 if entry.safety_class == "never_reset" else 4
        if is_problem_flag(entry.component, entry.variable):
            key = (entry.component, entry.variable, "Delta")
            out[key] = {
                "component": entry.component,
                "variable": entry.variable,
                "type": "Delta",
                "value": 1,
                "severity": severity,
            }
        elif entry.variable == "ACVoltage" and entry.direction in ("over", "under"):
            kind = "UpperThreshold" if entry.direction == "over" else "LowerThreshold"
            value = UPPER_VOLTAGE_V if entry.direction == "over" else LOWER_VOLTAGE_V
            out[(entry.component, entry.variable, kind)] = {
                "component": entry.component,
                "variable": entry.variable,
                "type": kind,
                "value": value,
                "severity": severity,
            }
    return list(out.values())


def voltage_monitor_ids(result: CommandResult) -> dict[int, str]:
    """Which monitor id the station gave each of our supply voltage monitors: "over" for an
    UpperThreshold, "under" for a LowerThreshold (OCPP 2.0.1 N04 SetVariableMonitoring:
    setMonitoringResult[].id of each Accepted monitor). A NotifyEvent that names the id
    (variableMonitoringId, N07) then says for sure which threshold was crossed."""
    found: dict[int, str] = {}
    for item in result.response.get("setMonitoringResult") or []:
        variable = (item.get("variable") or {}).get("name")
        kind = voltage_threshold_direction(item.get("type"), variable)
        if item.get("status") == "Accepted" and kind is not None and item.get("id") is not None:
            found[int(item["id"])] = kind
    return found


def voltage_thresholds_of(wanted: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The supply voltage threshold monitors among those we set."""
    return [m for m in wanted if voltage_threshold_direction(m["type"], m["variable"])]


def report_selection(thresholds: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Their component/variable pairs, as a filtered GetMonitoringReport's selection (N02
    componentVariable)."""
    pairs = {(m["component"], m["variable"]) for m in thresholds}
    return [{"component": c, "variable": v} for c, v in sorted(pairs)]


async def on_boot(service: Any, charger_id: str) -> None:
    """Send the base report request and the monitors. A refusal, or the socket closing while
    we ask (the station rebooted or dropped), is logged, never raised: this runs as a
    background task that nobody awaits.

    A station keeps the monitors it was given across reboots (EVerest's libocpp stores them in
    its device model database) and answers the same monitor set again with ``Duplicate`` and
    no id (libocpp ``set_monitors``: a monitor of that type and severity exists on the
    variable); a CALL that timed out tells nothing either. When a voltage threshold monitor
    got no id, the station is asked for its threshold monitors on the supply voltage (N02
    GetMonitoringReport); its NotifyMonitoringReport names their ids (``voltage_thresholds``,
    read by the 2.0.1 handlers)."""
    actor = Actor(SYSTEM, "diagnosis", "proactive 2.0.1 at boot")
    wanted = monitors(load_catalogue())
    thresholds = voltage_thresholds_of(wanted)
    requests = [
        CommandRequest(charger_id=charger_id, command="get_base_report", params={}),
        CommandRequest(
            charger_id=charger_id,
            command="set_variable_monitoring",
            params={"monitors": wanted},
        ),
    ]
    given: dict[int, str] = {}
    for request in requests:
        try:
            result = await service.state.gateway.execute(request, actor)
        except (CommandError, ConnectionClosed, OSError) as error:
            log.info("diagnosis: %s on %s: %s", request.command, charger_id, error)
            if isinstance(error, ConnectionClosed | OSError):
                return  # the station is gone: the next boot asks again
            continue
        if request.command == "set_variable_monitoring":
            given = voltage_monitor_ids(result)
            if given:
                service.state.live.set_voltage_monitors(charger_id, given)
    if len(given) < len(thresholds):
        report = CommandRequest(
            charger_id=charger_id,
            command="get_monitoring_report",
            params={
                "monitoring_criteria": ["ThresholdMonitoring"],
                "component_variables": report_selection(thresholds),
            },
        )
        try:
            await service.state.gateway.execute(report, actor)
        except (CommandError, ConnectionClosed, OSError) as error:
            log.info("diagnosis: get_monitoring_report on %s: %s", charger_id, error)
