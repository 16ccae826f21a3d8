"""Reading OCPP 2.0.1 NotifyEvent (and NotifyReport) data as faults raised or cleared.

What counts as a fault (OCPP 2.0.1 Part 2 Appendices, standardized components and variables;
names checked against the generated appendix list in hupe1980/ocpp-kit
src/standard/components.rs):

- a problem flag with a true/false value, whatever the trigger: ``Problem`` (most physical
  components), ``Tripped`` (EVSE, ChargingStation, Connector, RCD, PowerContactor,
  EmergencyStopSensor, ...), ``Overload`` (ChargingStation, EVSE, AcDcConverter),
  ``Fallback`` (DataLink, ELVSupply, RealTimeClock), and ``Operated`` on the protection
  devices only (RCD, OverCurrentProtection: "operated" = tripped). Never ``Enabled`` (a
  setting: TokenReader.Enabled=true is a working reader), never ``Active`` on its own (a
  component in use), never TokenReader/UIInput ``Operated`` (someone used it).
- any other variable only on trigger ``Alerting``: a monitor's threshold crossing (e.g.
  ElectricalFeed.ACVoltage 264.8), cleared by the same event with ``cleared`` true. ``Delta``
  and ``Periodic`` only report a value (EventTriggerEnumType).

EVerest's OCPP201 module reports every error as ``Problem`` on ChargingStation, EVSE or
Connector, trigger Alerting, actualValue "true" ("false" when cleared), techCode = the ChargeX
code (CXnnn) or the EVerest error type, techInfo = the message. Several may be open on one EVSE
at once, told apart by techCode.

No code table here: the fault-code catalogue classifies (component, variable, techCode,
direction). ``error_code`` is only the 1.6 errorCode the catalogue gives the fault.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.fault_codes import load_catalogue

PROBLEM_FLAGS = frozenset({"Problem", "Tripped", "Overload", "Fallback"})
PROTECTION_DEVICES = frozenset({"RCD", "OverCurrentProtection"})
# Settings, never faults whatever the trigger (a monitor on them only reports a change).
NEVER_FAULTS = frozenset({"Enabled"})
_TRUE = {"true", "1", "yes", "active", "faulted", "tripped", "on"}
_FALSE = {"false", "0", "no", "inactive", "normal", "ok", "off", ""}
VOLTAGE_VARIABLES = frozenset({"ACVoltage", "Voltage", "DCVoltage"})
# A crossing within this share of the nominal voltage names no direction (a threshold set
# next to nominal, or a rounding of the reported value).
NOMINAL_DEAD_BAND = 0.01


@dataclass(frozen=True)
class FaultEvent:
    raised: bool
    evse_id: int
    connector_id: int | None
    component: str
    variable: str
    error_code: str
    trigger: str | None
    actual_value: str | None
    direction: str | None
    tech_code: str | None
    info: str | None


def is_problem_flag(component: str, variable: str) -> bool:
    return variable in PROBLEM_FLAGS or (variable == "Operated" and component in PROTECTION_DEVICES)


def voltage_direction(
    actual: str | None, monitor_direction: str | None = None, nominal_v: float | None = None
) -> str | None:
    """'over' or 'under' for a voltage monitor crossing, never guessed:

    1. the monitor that fired: OCPP 2.0.1 N07 (NotifyEvent) carries the variableMonitoringId
       of the monitor that triggered the event; ChargeFix set that monitor itself (N04
       SetVariableMonitoring) as an UpperThreshold ("over") or LowerThreshold ("under");
    2. else the actual value against the station's nominal voltage, when the station told it;
    3. else None: "voltage out of range", whose catalogue class is the safer of the two.
    """
    if monitor_direction in ("over", "under"):
        return monitor_direction
    if nominal_v is None or nominal_v <= 0:
        return None
    try:
        value = float(str(actual))
    except (TypeError, ValueError):
        return None
    if value > nominal_v * (1 + NOMINAL_DEAD_BAND):
        return "over"
    if value < nominal_v * (1 - NOMINAL_DEAD_BAND):
        return "under"
    return None


def error_code_for(
    component: str, variable: str, tech_code: str | None = None, direction: str | None = None
) -> str:
    """The 1.6 errorCode the catalogue gives this 2.0.1 fault (OtherError when it says none):
    by the techCode when the catalogue knows it, else by the component / variable alone."""
    catalogue = load_catalogue()
    for code in (tech_code, None) if tech_code else (None,):
        found = catalogue.classify(
            ocpp_version="2.0.1",
            component=component,
            variable=variable,
            tech_code=code,
            direction=direction,
        )
        if found.ocpp16_code not in ("NoError", "OtherError"):
            return found.ocpp16_code
    return "OtherError"


def read_fault_event(
    event: dict[str, Any],
    voltage_monitors: Mapping[int, str] | None = None,
    nominal_v: float | None = None,
) -> FaultEvent | None:
    """A fault raised or cleared, or None when the event is not about a problem.

    ``voltage_monitors``: the station's monitor ids ChargeFix set on the supply voltage
    (id -> "over"/"under"); ``nominal_v``: its nominal voltage if known."""
    component = event.get("component") or {}
    variable = event.get("variable") or {}
    comp_name = str(component.get("name", ""))[:50]
    var_name = str(variable.get("name", ""))[:50]
    trigger = event.get("trigger")
    if var_name in NEVER_FAULTS:
        return None
    flag = is_problem_flag(comp_name, var_name)
    if not flag and trigger != "Alerting":
        return None
    actual = str(event.get("actual_value", "")).strip()
    lowered = actual.lower()
    if flag:
        cleared = bool(event.get("cleared")) or lowered in _FALSE
        if not cleared and lowered not in _TRUE:
            return None
    else:
        cleared = bool(event.get("cleared"))
    evse = component.get("evse") or {}
    tech_code = _short(event.get("tech_code"))
    tech_info = _short(event.get("tech_info"))
    direction = None
    if var_name in VOLTAGE_VARIABLES and not flag:
        monitor_id = _monitor_id(event.get("variable_monitoring_id"))
        monitor = (voltage_monitors or {}).get(monitor_id) if monitor_id is not None else None
        direction = voltage_direction(actual, monitor, nominal_v)
    connector = evse.get("connector_id")
    return FaultEvent(
        raised=not cleared,
        evse_id=_int(evse.get("id")),
        connector_id=_int(connector) if connector is not None else None,
        component=comp_name,
        variable=var_name,
        error_code=error_code_for(comp_name, var_name, tech_code, direction),
        trigger=str(trigger)[:20] if trigger else None,
        actual_value=actual[:50] or None,
        direction=direction,
        tech_code=tech_code,
        info=tech_info,
    )


def read_report_problems(report_data: list[dict[str, Any]] | None) -> list[FaultEvent]:
    """Standing problems in a NotifyReport (GetBaseReport answer): problem flags whose Actual
    value is true. Each is read as a NotifyEvent with that value would be."""
    found: list[FaultEvent] = []
    for item in report_data or []:
        attributes = item.get("variable_attribute") or []
        actual = next(
            (a.get("value") for a in attributes if a.get("type", "Actual") == "Actual"), None
        )
        if actual is None:
            continue
        event = {
            "component": item.get("component") or {},
            "variable": item.get("variable") or {},
            "actual_value": actual,
            "trigger": "Delta",
        }
        fault = read_fault_event(event)
        if fault is not None and fault.raised:
            found.append(fault)
    return found


def _int(value: Any) -> int:
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError):
        return 0


def _monitor_id(value: Any) -> int | None:
    """A variableMonitoringId as sent (an integer), None when absent or not one."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    try:
        return int(value)
    except ValueError:
        return None


def report_nominal_voltage(report_data: list[dict[str, Any]] | None) -> float | None:
    """The supply's nominal voltage a NotifyReport names: the Target attribute
    (AttributeEnumType) of ElectricalFeed ACVoltage / Voltage; None when not reported."""
    for item in report_data or []:
        component = (item.get("component") or {}).get("name")
        variable = (item.get("variable") or {}).get("name")
        if component != "ElectricalFeed" or variable not in ("ACVoltage", "Voltage"):
            continue
        for attribute in item.get("variable_attribute") or []:
            if attribute.get("type") == "Target":
                try:
                    volts = float(str(attribute.get("value")))
                except (TypeError, ValueError):
                    continue
                if 50.0 <= volts <= 1500.0:  # a supply voltage, bounded where it enters
                    return volts
    return None


def _short(value: Any) -> str | None:
    return str(value)[:50] if value not in (None, "") else None
