"""Reading OCPP 2.0.1 NotifyEvent data as faults raised or cleared."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PROBLEM_VARIABLES = frozenset(
    {
        "Problem",
        "Tripped",
        "Fault",
        "Overheating",
        "OverVoltage",
        "UnderVoltage",
        "OverCurrent",
        "LockFailure",
        "CommunicationError",
        "Enabled",
    }
)
_TRUE = {"true", "1", "yes", "active", "faulted", "tripped", "on"}
_FALSE = {"false", "0", "no", "inactive", "normal", "ok", "off", ""}

# (component, variable) -> OCPP 1.6 error code; "*" matches any.
_CODE_MAP: list[tuple[str, str, str]] = [
    ("*", "OverVoltage", "OverVoltage"),
    ("*", "UnderVoltage", "UnderVoltage"),
    ("*", "Overheating", "HighTemperature"),
    ("*", "OverCurrent", "OverCurrentFailure"),
    ("*", "LockFailure", "ConnectorLockFailure"),
    ("RCD", "*", "GroundFailure"),
    ("OverCurrentProtection", "*", "OverCurrentFailure"),
    ("PowerContactor", "*", "PowerSwitchFailure"),
    ("TokenReader", "*", "ReaderFailure"),
    ("TemperatureSensor", "*", "HighTemperature"),
    ("ConnectedEV", "*", "EVCommunicationError"),
    ("FiscalMetering", "*", "PowerMeterFailure"),
    ("LocalEnergyMeter", "*", "PowerMeterFailure"),
    ("ElectricalFeed", "*", "OverVoltage"),
    ("ConnectorHolsterRelease", "*", "ConnectorLockFailure"),
    ("Connector", "*", "OtherError"),
    ("Controller", "*", "InternalError"),
    ("ChargingStation", "*", "InternalError"),
    ("NetworkConfiguration", "*", "WeakSignal"),
    ("*", "SignalStrength", "WeakSignal"),
]


@dataclass(frozen=True)
class FaultEvent:
    raised: bool
    evse_id: int
    component: str
    variable: str
    error_code: str
    tech_code: str | None
    info: str | None


def error_code_for(component: str, variable: str) -> str:
    for comp, var, code in _CODE_MAP:
        if comp in ("*", component) and var in ("*", variable):
            return code
    return "OtherError"


def read_fault_event(event: dict[str, Any]) -> FaultEvent | None:
    """A fault raised or cleared, or None when the event is not about a problem.

    A problem variable (Problem, Tripped, ...) with a true/false value is a fault whatever
    the trigger. Any other variable is a fault only on trigger ``Alerting``: a monitor's
    threshold crossing (e.g. ElectricalFeed.Voltage 264.8, TemperatureSensor.Temperature
    92.5), cleared by the same event with ``cleared`` true. ``Delta`` and ``Periodic`` only
    report a value (OCPP 2.0.1 EventTriggerEnumType) and are not faults."""
    component = event.get("component") or {}
    variable = event.get("variable") or {}
    comp_name = str(component.get("name", ""))
    var_name = str(variable.get("name", ""))
    trigger = event.get("trigger")
    if var_name not in PROBLEM_VARIABLES and trigger != "Alerting":
        return None
    actual = str(event.get("actual_value", "")).strip().lower()
    cleared = bool(event.get("cleared")) or actual in _FALSE
    if not cleared and actual not in _TRUE and trigger != "Alerting":
        return None
    evse = component.get("evse") or {}
    return FaultEvent(
        raised=not cleared,
        evse_id=int(evse.get("id", 0) or 0),
        component=comp_name,
        variable=var_name,
        error_code=error_code_for(comp_name, var_name),
        tech_code=_short(event.get("tech_code")),
        info=_short(event.get("tech_info")),
    )


def _short(value: Any) -> str | None:
    return str(value)[:50] if value not in (None, "") else None
