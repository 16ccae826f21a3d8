"""The one command catalogue: every remote command's name, parameters (validated, bounded),
what it does to a charge and to a faulted charger, and the OCPP call it becomes per version.

The API, procedures, self-diagnosis and the gateway read it; nothing else lists commands.
"""

from __future__ import annotations

import random
from dataclasses import asdict, is_dataclass
from typing import Annotated, Any, Literal

from ocpp.charge_point import remove_nones, snake_to_camel_case
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

TRIGGERABLE = (
    "BootNotification",
    "DiagnosticsStatusNotification",
    "FirmwareStatusNotification",
    "Heartbeat",
    "MeterValues",
    "StatusNotification",
)


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ResetParams(_Params):
    type: Literal["soft", "hard"] = "soft"
    evse_id: int | None = Field(None, ge=1, description="2.0.1 only: reset one EVSE.")


class UnlockParams(_Params):
    connector_id: int = Field(1, ge=1)


class AvailabilityParams(_Params):
    connector_id: int = Field(0, ge=0, description="0 = the whole charger.")
    type: Literal["operative", "inoperative"]

    @field_validator("type", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value


class TriggerParams(_Params):
    message: Literal[TRIGGERABLE] = "StatusNotification"  # type: ignore[valid-type]
    connector_id: int | None = Field(None, ge=0)


class DiagnosticsParams(_Params):
    retries: int | None = Field(None, ge=0, le=10)
    retry_interval: int | None = Field(None, ge=0)


class GetConfigurationParams(_Params):
    keys: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list,
        max_length=50,
        description="1.6: configuration keys; 2.0.1: Component.Variable names.",
    )


class ChangeConfigurationParams(_Params):
    key: str = Field(min_length=1, max_length=100)
    value: str = Field(max_length=500)


class NoParams(_Params):
    pass


class RemoteStopParams(_Params):
    transaction_id: str | None = Field(None, max_length=36)
    connector_id: int | None = Field(None, ge=1)


# -- OCPP 2.0.1 only (1.6 has no device model: BadCommand) -----------------------------------
class GetBaseReportParams(_Params):
    """OCPP 2.0.1 B07 GetBaseReport. SummaryInventory lists the components that have a
    problem or are not available: the station's standing problems."""

    report_base: Literal["ConfigurationInventory", "FullInventory", "SummaryInventory"] = (
        "SummaryInventory"
    )


class MonitorSpec(_Params):
    """One monitor of OCPP 2.0.1 N04 SetVariableMonitoring (SetMonitoringDataType)."""

    component: str = Field(min_length=1, max_length=50)
    variable: str = Field(min_length=1, max_length=50)
    evse_id: int | None = Field(None, ge=0)
    type: Literal["UpperThreshold", "LowerThreshold", "Delta", "Periodic", "PeriodicClockAligned"]
    value: float = Field(ge=-1e9, le=1e9)
    severity: int = Field(ge=0, le=9)


class SetMonitoringParams(_Params):
    monitors: list[MonitorSpec] = Field(min_length=1, max_length=100)


PARAMS: dict[str, type[_Params]] = {
    "reset": ResetParams,
    "unlock_connector": UnlockParams,
    "change_availability": AvailabilityParams,
    "trigger_message": TriggerParams,
    "get_diagnostics": DiagnosticsParams,
    "get_configuration": GetConfigurationParams,
    "change_configuration": ChangeConfigurationParams,
    "clear_cache": NoParams,
    "remote_stop": RemoteStopParams,
    "get_base_report": GetBaseReportParams,
    "set_variable_monitoring": SetMonitoringParams,
}
V201_ONLY = frozenset({"get_base_report", "set_variable_monitoring"})
COMMANDS: tuple[str, ...] = tuple(PARAMS)

# Configuration that is the charger's security: its Basic-auth secret (1.6 security
# whitepaper AuthorizationKey; 2.0.1 SecurityCtrlr.BasicAuthPassword), its security profile,
# network profiles (where and how it connects) and certificates. Admins only.
SECURITY_KEYS = frozenset(
    {
        "authorizationkey",
        "basicauthpassword",
        "securityprofile",
        "identity",
        "networkconfigurationpriority",
        "networkconnectionprofiles",
        "networkprofileconnectionattempts",
        "cponame",
        "organizationname",
    }
)


def is_security_key(key: str) -> bool:
    """A 1.6 key or a 2.0.1 ``Component.Variable`` that belongs to the charger's security."""
    variable = key.rsplit(".", 1)[-1].strip().lower()
    return variable in SECURITY_KEYS or "certificate" in key.lower()


def interrupts_charge(command: str, params: _Params, ocpp_version: str | None) -> bool:
    """Would this end or disturb a running charge? A reset reboots the whole charger (1.6
    Soft and Hard stop transactions; 2.0.1 Immediate ends them, OnIdle waits for them: OCPP
    2.0.1 B11/B12); an unlock or an availability change to Inoperative acts on the cable."""
    if isinstance(params, ResetParams):
        return not (ocpp_version == "2.0.1" and params.type == "soft")
    if isinstance(params, UnlockParams):
        return True
    if isinstance(params, AvailabilityParams):
        return params.type == "inoperative"
    return False


def stops_the_charge(params: _Params) -> bool:
    """A remote stop ends a charge by design: it is the request itself, so the gateway does
    not refuse it for the running transaction (scope still applies), but a procedure asks."""
    return isinstance(params, RemoteStopParams)


def affected_connector(params: _Params) -> int | None:
    """The connector a command acts on; None (or 0) is the whole charger."""
    if isinstance(params, ResetParams):
        return None
    return getattr(params, "connector_id", None)


def re_energises(command: str, params: _Params) -> bool:
    """Could this put power back on, or move the cable, of a charger with a safety fault?
    Reset, unlock and availability to Operative are held by the safety interlock."""
    if isinstance(params, ResetParams | UnlockParams):
        return True
    return isinstance(params, AvailabilityParams) and params.type == "operative"


def needs_admin(command: str, params: _Params) -> bool:
    return isinstance(params, ChangeConfigurationParams) and is_security_key(params.key)


DEFAULT_201_VARIABLES = (
    "OCPPCommCtrlr.HeartbeatInterval",
    "OCPPCommCtrlr.OfflineThreshold",
    "SecurityCtrlr.SecurityProfile",
    "AuthCtrlr.AuthorizeRemoteStart",
)


class InvalidCommand(ValueError):
    """Unknown command or parameters that do not fit it."""


CommandParams = _Params


def parse_params(command: str, params: dict[str, Any] | None) -> _Params:
    model = PARAMS.get(command)
    if model is None:
        raise InvalidCommand(f"unknown command {command!r}; known: {', '.join(COMMANDS)}")
    try:
        return model.model_validate(params or {})
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'params'}: {e['msg']}" for e in error.errors()
        )
        raise InvalidCommand(f"bad parameters for {command}: {problems}") from error


def _component_variable(name: str) -> dict[str, Any]:
    component, _, variable = name.partition(".")
    if not variable:
        raise InvalidCommand(f"2.0.1 keys are Component.Variable, got {name!r}")
    return {"component": {"name": component}, "variable": {"name": variable}}


def build_call(
    command: str,
    params: _Params,
    ocpp_version: str,
    *,
    transaction_id: str | None = None,
    upload_location: str | None = None,
) -> Any:
    """The ``ocpp`` call payload for a command on a charger of this OCPP version."""
    v16 = ocpp_version == "1.6"
    if isinstance(params, ResetParams):
        if v16:
            return call16.Reset(type="Soft" if params.type == "soft" else "Hard")
        kind = "OnIdle" if params.type == "soft" else "Immediate"
        return call201.Reset(type=kind, evse_id=params.evse_id)
    if isinstance(params, UnlockParams):
        if v16:
            return call16.UnlockConnector(connector_id=params.connector_id)
        return call201.UnlockConnector(evse_id=params.connector_id, connector_id=1)
    if isinstance(params, AvailabilityParams):
        kind = "Operative" if params.type == "operative" else "Inoperative"
        if v16:
            return call16.ChangeAvailability(connector_id=params.connector_id, type=kind)
        evse = {"id": params.connector_id} if params.connector_id else None
        return call201.ChangeAvailability(operational_status=kind, evse=evse)
    if isinstance(params, TriggerParams):
        if v16:
            return call16.TriggerMessage(
                requested_message=params.message, connector_id=params.connector_id
            )
        message = (
            "LogStatusNotification"
            if params.message == "DiagnosticsStatusNotification"
            else params.message
        )
        evse = {"id": params.connector_id} if params.connector_id else None
        return call201.TriggerMessage(requested_message=message, evse=evse)
    if isinstance(params, DiagnosticsParams):
        if not upload_location:
            raise InvalidCommand("no upload location for diagnostics")
        if v16:
            return call16.GetDiagnostics(
                location=upload_location,
                retries=params.retries,
                retry_interval=params.retry_interval,
            )
        return call201.GetLog(
            log={"remote_location": upload_location},
            log_type="DiagnosticsLog",
            request_id=random.randint(1, 2_000_000_000),
            retries=params.retries,
            retry_interval=params.retry_interval,
        )
    if isinstance(params, GetConfigurationParams):
        if v16:
            return call16.GetConfiguration(key=params.keys or None)
        names = params.keys or list(DEFAULT_201_VARIABLES)
        return call201.GetVariables(get_variable_data=[_component_variable(n) for n in names])
    if isinstance(params, ChangeConfigurationParams):
        if v16:
            return call16.ChangeConfiguration(key=params.key, value=params.value)
        return call201.SetVariables(
            set_variable_data=[{"attribute_value": params.value, **_component_variable(params.key)}]
        )
    if isinstance(params, NoParams) and command == "clear_cache":
        return call16.ClearCache() if v16 else call201.ClearCache()
    if isinstance(params, GetBaseReportParams | SetMonitoringParams) and v16:
        raise InvalidCommand(f"{command} is OCPP 2.0.1 only (1.6 has no device model)")
    if isinstance(params, GetBaseReportParams):
        return call201.GetBaseReport(
            request_id=random.randint(1, 2_000_000_000), report_base=params.report_base
        )
    if isinstance(params, SetMonitoringParams):
        data = []
        for m in params.monitors:
            component: dict[str, Any] = {"name": m.component}
            if m.evse_id:
                component["evse"] = {"id": m.evse_id}
            data.append(
                {
                    "value": m.value,
                    "type": m.type,
                    "severity": m.severity,
                    "component": component,
                    "variable": {"name": m.variable},
                }
            )
        return call201.SetVariableMonitoring(set_monitoring_data=data)
    if isinstance(params, RemoteStopParams):
        if transaction_id is None:
            raise InvalidCommand("no active transaction to stop")
        if v16:
            return call16.RemoteStopTransaction(transaction_id=int(transaction_id))
        return call201.RequestStopTransaction(transaction_id=transaction_id)
    raise InvalidCommand(f"unknown command {command!r}")


def response_as_dict(response: Any) -> dict[str, Any]:
    """A call_result dataclass as the camelCase JSON the charger sent."""
    if response is None:
        return {}
    data = asdict(response) if is_dataclass(response) else dict(response)
    return snake_to_camel_case(remove_nones(data))
