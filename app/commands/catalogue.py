"""The one command catalogue: every remote command's name, parameters (validated, bounded),
what it does to a charge and to a faulted charger, and the OCPP call it becomes per version.

The API, procedures, self-diagnosis and the gateway read it; nothing else lists commands.
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, is_dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from ocpp.charge_point import remove_nones, snake_to_camel_case
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

# OCPP 1.6 MessageTrigger (§5.17): what TriggerMessage may ask a 1.6 charge point for.
TRIGGERABLE = (
    "BootNotification",
    "DiagnosticsStatusNotification",
    "FirmwareStatusNotification",
    "Heartbeat",
    "MeterValues",
    "StatusNotification",
)
# OCPP 1.6 security whitepaper MessageTriggerEnumType of ExtendedTriggerMessage: the security
# extension's messages are triggered with ExtendedTriggerMessage, not TriggerMessage.
TRIGGERABLE_EXTENDED_16 = ("LogStatusNotification", "SignChargePointCertificate")
# OCPP 2.0.1 MessageTriggerEnumType (F06 TriggerMessage): every message the protocol allows.
TRIGGERABLE_201 = (
    "BootNotification",
    "LogStatusNotification",
    "FirmwareStatusNotification",
    "Heartbeat",
    "MeterValues",
    "SignChargingStationCertificate",
    "SignV2GCertificate",
    "StatusNotification",
    "TransactionEvent",
    "SignCombinedCertificate",
    "PublishFirmwareStatusNotification",
)
# The same request under the other version's name (1.6 diagnostics are 2.0.1 logs; the charger
# certificate is SignChargePointCertificate in 1.6, SignChargingStationCertificate in 2.0.1).
_TRIGGER_201_NAME = {
    "DiagnosticsStatusNotification": "LogStatusNotification",
    "SignChargePointCertificate": "SignChargingStationCertificate",
}
_TRIGGER_16_NAME = {"SignChargingStationCertificate": "SignChargePointCertificate"}
# A trigger that makes the charger generate a key and ask for a new certificate (A02)
CERTIFICATE_TRIGGERS = frozenset(
    {"SignChargePointCertificate", "SignChargingStationCertificate", "SignV2GCertificate",
     "SignCombinedCertificate"}
)  # fmt: skip
TRIGGER_MESSAGES = tuple(dict.fromkeys((*TRIGGERABLE, *TRIGGERABLE_EXTENDED_16, *TRIGGERABLE_201)))


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ResetParams(_Params):
    type: Literal["soft", "hard"] = "soft"
    evse_id: int | None = Field(None, ge=1, description="2.0.1 only: reset one EVSE.")


class UnlockParams(_Params):
    """OCPP 1.6 §5.18 UnlockConnector (connectorId); OCPP 2.0.1 F05 UnlockConnectorRequest,
    whose schema requires both ``evseId`` and ``connectorId`` (UnlockConnectorRequest: the
    connector within the EVSE). As everywhere in this catalogue, a lone
    ``connector_id`` names the 2.0.1 EVSE (its connector 1, the only one of most EVSEs); with
    ``evse_id`` it is the connector of that EVSE, so connector 2 of a two-connector EVSE can be
    unlocked. The no-interruption guard looks at the EVSE (``affected_connector``): a charge on
    that EVSE blocks the unlock of any of its connectors."""

    connector_id: int = Field(
        1, ge=1, description="1.6 connectorId; 2.0.1 the EVSE, or with evse_id its connector."
    )
    evse_id: int | None = Field(
        None, ge=1, description="2.0.1 only: the EVSE (connector_id is then a connector of it)."
    )


class AvailabilityParams(_Params):
    """OCPP 1.6 §5.2 ChangeAvailability (connectorId 0 = the charge point); OCPP 2.0.1 G03
    (one EVSE: evse.id; one connector: evse.id + evse.connectorId) and G04 (the station: no
    evse). On 2.0.1 a lone ``connector_id`` names the EVSE, as everywhere in this catalogue."""

    connector_id: int = Field(0, ge=0, description="0 = the whole charger.")
    evse_id: int | None = Field(
        None, ge=1, description="2.0.1: the EVSE (with connector_id: one connector of it)."
    )
    type: Literal["operative", "inoperative"]

    @field_validator("type", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value


class TriggerParams(_Params):
    """OCPP 1.6 §5.17 TriggerMessage (connectorId), 1.6 security ExtendedTriggerMessage, OCPP
    2.0.1 F06 TriggerMessage (evse.id, evse.connectorId); the message must be one the charger's
    version allows (checked when the call is built)."""

    message: Literal[TRIGGER_MESSAGES] = "StatusNotification"  # type: ignore[valid-type]
    connector_id: int | None = Field(None, ge=0)
    evse_id: int | None = Field(None, ge=1, description="2.0.1 only: evse.id.")


class DiagnosticsParams(_Params):
    """1.6 §5.9 GetDiagnostics (DiagnosticsLog) or the 1.6 security whitepaper's GetLog
    (SecurityLog); OCPP 2.0.1 N01 GetLog with LogEnumType DiagnosticsLog or SecurityLog and
    LogParametersType {remoteLocation, oldestTimestamp, latestTimestamp}. The upload location
    is a one-time slot of this backend; the charger reports progress with
    LogStatusNotification (1.6: DiagnosticsStatusNotification for GetDiagnostics)."""

    log_type: Literal["DiagnosticsLog", "SecurityLog"] = "DiagnosticsLog"
    oldest: AwareDatetime | None = Field(None, description="oldestTimestamp / startTime")
    latest: AwareDatetime | None = Field(None, description="latestTimestamp / stopTime")
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


class RestartPeripheralParams(_Params):
    """Restart the peripheral whose failure is ``fault`` (a payment terminal, an RFID reader)
    alone, without a reboot: the gateway looks up the charger's vendor key in the fault-code
    catalogue (``restarts:`` of its vendor table, for its model and OCPP version) and sends it
    as 1.6 ChangeConfiguration or 2.0.1 SetVariables. No key known: the command is refused."""

    fault: str = Field(
        pattern=r"^[a-z][a-z0-9_]{0,63}$",
        description="The fault key of the failed part, e.g. payment_terminal_failure.",
    )


class RemoteStopParams(_Params):
    transaction_id: str | None = Field(None, max_length=36)
    connector_id: int | None = Field(None, ge=1)
    id_token: str | None = Field(
        None,
        min_length=1,
        max_length=36,
        description="Stop only a charge started with this id token (a procedure's test "
        "charge, $test_token): a charge started with another token is refused, never ended.",
    )


class RemoteStartParams(_Params):
    """OCPP 1.6 §5.11 RemoteStartTransaction (idTag, connectorId); OCPP 2.0.1 F01/F02
    RequestStartTransaction (idToken, remoteStartId, evseId). The token must be one the
    backend's id-token store accepts (the charger authorizes it unless AuthorizeRemoteStart
    is false): a procedure's test charge registers its test token there."""

    id_token: str = Field(min_length=1, max_length=36, pattern=r"^[\x20-\x7e]+$")
    id_token_type: Literal[
        "Central", "eMAID", "ISO14443", "ISO15693", "KeyCode", "Local", "MacAddress"
    ] = "Central"
    connector_id: int | None = Field(None, ge=1, description="1.6 connectorId; 2.0.1 evseId.")


class UpdateFirmwareParams(_Params):
    """OCPP 1.6 §5.19 UpdateFirmware (location, retrieveDate, retries, retryInterval); 1.6
    security whitepaper SignedUpdateFirmware and OCPP 2.0.1 L01 Secure Firmware Update
    (requestId, FirmwareType {location string[0..512], retrieveDateTime, installDateTime,
    signingCertificate string[0..5500], signature string[0..800]}, retries, retryInterval).
    L01.FR.11: for a secure update the CSMS SHALL include the firmware signing certificate,
    so a certificate and a signature travel together; without them it is 2.0.1 L02 (non-secure
    update) or 1.6 plain UpdateFirmware. The station reports every state it enters with a
    FirmwareStatusNotification (L01.FR.01), tracked in the fleet model."""

    location: str = Field(min_length=1, max_length=512, pattern=r"^(https?|ftps?|sftp)://\S+$")
    retrieve_date: AwareDatetime | None = Field(
        None, description="When to download (default: now)."
    )
    install_date: AwareDatetime | None = Field(
        None, description="2.0.1 / 1.6 signed: when to install (scheduling)."
    )
    signing_certificate: str | None = Field(None, min_length=1, max_length=5500)
    signature: str | None = Field(None, min_length=1, max_length=800)
    retries: int | None = Field(None, ge=0, le=10)
    retry_interval: int | None = Field(None, ge=0, le=86_400)

    @model_validator(mode="after")
    def _signed_together(self) -> UpdateFirmwareParams:
        if (self.signing_certificate is None) != (self.signature is None):
            raise ValueError("signing_certificate and signature go together (L01.FR.11)")
        if self.signing_certificate is not None and "BEGIN CERTIFICATE" not in (
            self.signing_certificate
        ):
            raise ValueError("signing_certificate must be a PEM certificate")
        return self

    @property
    def signed(self) -> bool:
        return self.signature is not None


class DataTransferParams(_Params):
    """OCPP 2.0.1 P01 / 1.6 §5.6 DataTransfer from the CSMS: vendorId string[0..255],
    messageId string[0..50], data (1.6: a string; 2.0.1: any JSON). The charger answers
    Accepted, Rejected, UnknownMessageId or UnknownVendorId."""

    vendor_id: str = Field(min_length=1, max_length=255)
    message_id: str | None = Field(None, min_length=1, max_length=50)
    data: str | int | float | bool | dict[str, Any] | list[Any] | None = None


# -- OCPP 2.0.1 only (1.6 has no device model: BadCommand) -----------------------------------
MAX_REPORT_SELECTION = 100  # componentVariable entries one GetReport asks for


class GetBaseReportParams(_Params):
    """OCPP 2.0.1 B07 GetBaseReport. SummaryInventory lists the components that have a
    problem or are not available: the station's standing problems."""

    report_base: Literal["ConfigurationInventory", "FullInventory", "SummaryInventory"] = (
        "SummaryInventory"
    )


class ComponentVariableRef(_Params):
    """OCPP 2.0.1 ComponentVariableType: a component (name, instance, evse {id, connectorId})
    and optionally one of its variables (name, instance); strings string[0..50]."""

    component: str = Field(min_length=1, max_length=50)
    component_instance: str | None = Field(None, min_length=1, max_length=50)
    evse_id: int | None = Field(None, ge=0)
    connector_id: int | None = Field(None, ge=1, description="with evse_id: one connector")
    variable: str | None = Field(None, min_length=1, max_length=50)
    instance: str | None = Field(None, min_length=1, max_length=50)

    @model_validator(mode="after")
    def _consistent(self) -> ComponentVariableRef:
        if self.connector_id is not None and self.evse_id is None:
            raise ValueError("connector_id needs evse_id (EVSEType.connectorId)")
        if self.instance is not None and self.variable is None:
            raise ValueError("instance is the variable's: it needs variable")
        return self

    def as_ocpp(self) -> dict[str, Any]:
        component: dict[str, Any] = {"name": self.component}
        if self.component_instance:
            component["instance"] = self.component_instance
        if self.evse_id is not None:
            component["evse"] = {"id": self.evse_id}
            if self.connector_id is not None:
                component["evse"]["connector_id"] = self.connector_id
        data: dict[str, Any] = {"component": component}
        if self.variable:
            data["variable"] = {"name": self.variable}
            if self.instance:
                data["variable"]["instance"] = self.instance
        return data


class GetReportParams(_Params):
    """OCPP 2.0.1 B08 GetReport: the variables of the components named (componentVariable,
    minItems 1 when given) and/or of the components that meet the criteria (componentCriteria:
    Active, Available, Enabled, Problem; 1..4 of them). Answered like GetBaseReport with
    NotifyReport parts, stored as the charger's "Custom" report."""

    component_criteria: list[Literal["Active", "Available", "Enabled", "Problem"]] | None = Field(
        None, min_length=1, max_length=4
    )
    component_variables: list[ComponentVariableRef] | None = Field(
        None, min_length=1, max_length=MAX_REPORT_SELECTION
    )

    @field_validator("component_criteria")
    @classmethod
    def _distinct(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and len(set(value)) != len(value):
            raise ValueError("each criterion once")
        return value


MONITOR_TYPES = ("UpperThreshold", "LowerThreshold", "Delta", "Periodic", "PeriodicClockAligned")
MAX_MONITORS = 100  # monitors one request sets, clears or reports on


class MonitorSpec(_Params):
    """One monitor of OCPP 2.0.1 N04 SetVariableMonitoring (SetMonitoringDataType: id to
    replace an existing monitor, transaction, value, type MonitorEnumType, severity, component
    {name, instance, evse}, variable {name, instance}). Severity is the 2.0.1 level 0
    (Danger) .. 9 (Debug)."""

    id: int | None = Field(None, ge=0, description="replace this existing monitor")
    component: str = Field(min_length=1, max_length=50)
    component_instance: str | None = Field(None, min_length=1, max_length=50)
    evse_id: int | None = Field(None, ge=0)
    connector_id: int | None = Field(None, ge=1, description="with evse_id: one connector")
    variable: str = Field(min_length=1, max_length=50)
    variable_instance: str | None = Field(None, min_length=1, max_length=50)
    type: Literal[MONITOR_TYPES]  # type: ignore[valid-type]
    value: float = Field(ge=-1e9, le=1e9)
    severity: int = Field(ge=0, le=9)
    transaction: bool = Field(False, description="only while a transaction runs")

    @model_validator(mode="after")
    def _connector_needs_evse(self) -> MonitorSpec:
        if self.connector_id is not None and not self.evse_id:
            raise ValueError("connector_id needs evse_id (EVSEType.connectorId)")
        return self

    def as_ocpp(self) -> dict[str, Any]:
        ref = ComponentVariableRef(
            component=self.component,
            component_instance=self.component_instance,
            evse_id=self.evse_id or None,
            connector_id=self.connector_id,
            variable=self.variable,
            instance=self.variable_instance,
        ).as_ocpp()
        data: dict[str, Any] = {
            "value": self.value,
            "type": self.type,
            "severity": self.severity,
            **ref,
        }
        if self.id is not None:
            data["id"] = self.id
        if self.transaction:
            data["transaction"] = True
        return data


class SetMonitoringParams(_Params):
    monitors: list[MonitorSpec] = Field(min_length=1, max_length=MAX_MONITORS)


class ClearMonitoringParams(_Params):
    """OCPP 2.0.1 N06 ClearVariableMonitoring: the ids of the monitors to clear (id, minItems
    1). The station answers each with Accepted, Rejected (a hard-wired monitor) or NotFound."""

    ids: list[Annotated[int, Field(ge=0)]] = Field(min_length=1, max_length=MAX_MONITORS)

    @field_validator("ids")
    @classmethod
    def _distinct(cls, value: list[int]) -> list[int]:
        if len(set(value)) != len(value):
            raise ValueError("each monitor id once")
        return value


class MonitoringBaseParams(_Params):
    """OCPP 2.0.1 N03 SetMonitoringBase: All (pre-configured and custom monitors active),
    FactoryDefault (custom monitors removed, pre-configured ones back to their defaults) or
    HardWiredOnly (only the monitors that cannot be changed)."""

    monitoring_base: Literal["All", "FactoryDefault", "HardWiredOnly"]


class MonitoringLevelParams(_Params):
    """OCPP 2.0.1 N05 SetMonitoringLevel: the station reports monitor events of this severity
    and more severe (lower numbers) only; severity levels run 0 (Danger) .. 9 (Debug)."""

    severity: int = Field(ge=0, le=9)


class GetMonitoringReportParams(_Params):
    """OCPP 2.0.1 N02 GetMonitoringReport: every monitor, or those of the named components
    (componentVariable) and/or of the criteria (monitoringCriteria: ThresholdMonitoring,
    DeltaMonitoring, PeriodicMonitoring; 1..3 of them). Answered with NotifyMonitoringReport
    parts, stored as the charger's monitors."""

    monitoring_criteria: (
        list[Literal["ThresholdMonitoring", "DeltaMonitoring", "PeriodicMonitoring"]] | None
    ) = Field(None, min_length=1, max_length=3)
    component_variables: list[ComponentVariableRef] | None = Field(
        None, min_length=1, max_length=MAX_REPORT_SELECTION
    )

    @field_validator("monitoring_criteria")
    @classmethod
    def _distinct(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and len(set(value)) != len(value):
            raise ValueError("each criterion once")
        return value


class VariableRef(_Params):
    """One variable of the 2.0.1 device model (B06 GetVariableDataType / B05
    SetVariableDataType): ComponentType {name string[0..50], instance, evse {id, connectorId}}
    and VariableType {name string[0..50], instance string[0..50]}."""

    component: str = Field(min_length=1, max_length=50)
    component_instance: str | None = Field(None, min_length=1, max_length=50)
    evse_id: int | None = Field(None, ge=0)
    connector_id: int | None = Field(None, ge=1, description="with evse_id: one connector")
    variable: str = Field(min_length=1, max_length=50)
    instance: str | None = Field(None, min_length=1, max_length=50)
    attribute_type: Literal["Actual", "Target", "MinSet", "MaxSet"] = "Actual"

    @model_validator(mode="after")
    def _connector_needs_evse(self) -> VariableRef:
        if self.connector_id is not None and self.evse_id is None:
            raise ValueError("connector_id needs evse_id (EVSEType.connectorId)")
        return self

    @property
    def key(self) -> str:
        return f"{self.component}.{self.variable}"

    def as_ocpp(self) -> dict[str, Any]:
        component: dict[str, Any] = {"name": self.component}
        if self.component_instance:
            component["instance"] = self.component_instance
        if self.evse_id is not None:
            component["evse"] = {"id": self.evse_id}
            if self.connector_id is not None:
                component["evse"]["connector_id"] = self.connector_id
        variable: dict[str, Any] = {"name": self.variable}
        if self.instance:
            variable["instance"] = self.instance
        data: dict[str, Any] = {"component": component, "variable": variable}
        if self.attribute_type != "Actual":
            data["attribute_type"] = self.attribute_type
        return data


class VariableValue(VariableRef):
    value: str = Field(max_length=1000, description="attributeValue string[0..1000]")


# The most variables one API call takes; the gateway's caller splits them into requests of
# the charger's own ItemsPerMessage (app/commands/batches.py).
MAX_VARIABLES = 200


class GetVariablesParams(_Params):
    """OCPP 2.0.1 B06 GetVariables: several variables per request."""

    variables: list[VariableRef] = Field(min_length=1, max_length=MAX_VARIABLES)


class SetVariablesParams(_Params):
    """OCPP 2.0.1 B05 SetVariables: several variables per request."""

    variables: list[VariableValue] = Field(min_length=1, max_length=MAX_VARIABLES)


class CustomerCertificate(_Params):
    """CertificateHashDataType: the customer's contract certificate (ISO 15118)."""

    hash_algorithm: Literal["SHA256", "SHA384", "SHA512"]
    issuer_name_hash: str = Field(min_length=1, max_length=128)
    issuer_key_hash: str = Field(min_length=1, max_length=128)
    serial_number: str = Field(min_length=1, max_length=40)


class CustomerInformationParams(_Params):
    """OCPP 2.0.1 N09 (report and/or clear) / N10 (clear) CustomerInformation: the station
    reports the customer's data with NotifyCustomerInformation parts and/or deletes it. The
    customer is named by one reference: customerIdentifier string[0..64], idToken {idToken
    string[0..36], type} or customerCertificate. Personal data: admins only."""

    report: bool = False
    clear: bool = False
    customer_identifier: str | None = Field(None, min_length=1, max_length=64)
    id_token: str | None = Field(None, min_length=1, max_length=36)
    id_token_type: Literal[
        "Central", "eMAID", "ISO14443", "ISO15693", "KeyCode", "Local", "MacAddress"
    ] = "ISO14443"
    customer_certificate: CustomerCertificate | None = None

    @model_validator(mode="after")
    def _one_customer(self) -> CustomerInformationParams:
        if not (self.report or self.clear):
            raise ValueError("ask for report, clear or both")
        named = [
            self.customer_identifier is not None,
            self.id_token is not None,
            self.customer_certificate is not None,
        ]
        if sum(named) != 1:
            raise ValueError(
                "name the customer once: customer_identifier, id_token or customer_certificate"
            )
        return self


class VpnParams(_Params):
    """OCPP 2.0.1 VPNType (SetNetworkProfileRequest schema): server string[0..512], user,
    group and password string[0..20], key string[0..255], type IKEv2/IPSec/L2TP/PPTP."""

    server: str = Field(min_length=1, max_length=512)
    user: str = Field(min_length=1, max_length=20)
    group: str | None = Field(None, min_length=1, max_length=20)
    password: str = Field(min_length=1, max_length=20)
    key: str = Field(min_length=1, max_length=255)
    type: Literal["IKEv2", "IPSec", "L2TP", "PPTP"]


class ApnParams(_Params):
    """OCPP 2.0.1 APNType: apn string[0..512], apnUserName and apnPassword string[0..20],
    simPin integer, preferredNetwork (MCC+MNC) string[0..6], apnAuthentication."""

    apn: str = Field(min_length=1, max_length=512)
    apn_user_name: str | None = Field(None, min_length=1, max_length=20)
    apn_password: str | None = Field(None, min_length=1, max_length=20)
    sim_pin: int | None = Field(None, ge=0, le=99_999_999)  # a SIM PIN has 4 to 8 digits
    preferred_network: str | None = Field(None, pattern=r"^[0-9]{5,6}$")
    use_only_preferred_network: bool = False
    apn_authentication: Literal["CHAP", "NONE", "PAP", "AUTO"]


class SetNetworkProfileParams(_Params):
    """OCPP 2.0.1 B09 SetNetworkProfile: a NetworkConnectionProfile stored in one
    configuration slot (a slot the station's OCPPCommCtrlr.NetworkConfigurationPriority may
    then name, B10). 1.6 has no such operation. Bounds from the 2.0.1 schema: ocppCsmsUrl
    string[0..512], messageTimeout and securityProfile integers (A00 defines profiles 0-3:
    none, Basic auth, TLS + Basic auth, TLS with client certificates), ocppVersion,
    ocppTransport and ocppInterface enumerations; vpn and apn optional."""

    configuration_slot: int = Field(ge=0, le=255)
    ocpp_version: Literal["OCPP12", "OCPP15", "OCPP16", "OCPP20"] = "OCPP20"
    ocpp_transport: Literal["JSON", "SOAP"] = "JSON"
    ocpp_csms_url: str = Field(min_length=1, max_length=512)
    message_timeout: int = Field(30, ge=1, le=3600)  # seconds; 30 is the usual start
    security_profile: int = Field(ge=0, le=3)
    ocpp_interface: Literal[
        "Wired0", "Wired1", "Wired2", "Wired3", "Wireless0", "Wireless1", "Wireless2", "Wireless3"
    ]
    vpn: VpnParams | None = None
    apn: ApnParams | None = None

    @model_validator(mode="after")
    def _url_fits_profile(self) -> SetNetworkProfileParams:
        url = self.ocpp_csms_url.lower()
        if not url.startswith(("ws://", "wss://")):
            raise ValueError("ocpp_csms_url must be a ws:// or wss:// URL")
        # Security profiles 2 and 3 run OCPP over TLS (2.0.1 Part 2 A00): a wss:// URL.
        if self.security_profile >= 2 and not url.startswith("wss://"):
            raise ValueError(
                f"security_profile {self.security_profile} needs TLS: ocpp_csms_url must be wss://"
            )
        return self

    def as_ocpp(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "ocpp_version": self.ocpp_version,
            "ocpp_transport": self.ocpp_transport,
            "ocpp_csms_url": self.ocpp_csms_url,
            "message_timeout": self.message_timeout,
            "security_profile": self.security_profile,
            "ocpp_interface": self.ocpp_interface,
        }
        if self.vpn is not None:
            data["vpn"] = self.vpn.model_dump(exclude_none=True)
        if self.apn is not None:
            data["apn"] = self.apn.model_dump(exclude_none=True)
        return data


class TransactionStatusParams(_Params):
    """OCPP 2.0.1 E14 GetTransactionStatus: one transaction (is it ongoing, are messages of
    it still queued?) or, without an id, whether any transaction message is queued."""

    transaction_id: str | None = Field(None, min_length=1, max_length=36)


CertificateUse201 = Literal[
    "V2GRootCertificate",
    "MORootCertificate",
    "CSMSRootCertificate",
    "V2GCertificateChain",
    "ManufacturerRootCertificate",
]
# 1.6 security whitepaper CertificateUseEnumType: only these two; one per request
_CERTIFICATE_USE_16 = {
    "CSMSRootCertificate": "CentralSystemRootCertificate",
    "ManufacturerRootCertificate": "ManufacturerRootCertificate",
}


class InstalledCertificatesParams(_Params):
    """OCPP 2.0.1 M03 GetInstalledCertificateIds (certificateType: a list, none = all) and
    the 1.6 security whitepaper's GetInstalledCertificateIds (one certificateType, required:
    CentralSystemRootCertificate or ManufacturerRootCertificate)."""

    certificate_types: list[CertificateUse201] = Field(default_factory=list, max_length=5)


def _one_pem_certificate(text: str, *, ca: bool) -> str:
    """The text is one PEM X.509 certificate (A00.FR.507); ``ca``: a CA certificate."""
    from cryptography import x509  # only where certificates are checked

    try:
        certificates = x509.load_pem_x509_certificates(text.encode())
    except ValueError as error:
        raise ValueError(f"not a PEM X.509 certificate ({error})") from error
    if ca:
        if len(certificates) != 1:
            raise ValueError("one certificate per InstallCertificate")
        try:
            constraints = certificates[0].extensions.get_extension_for_class(x509.BasicConstraints)
        except x509.ExtensionNotFound:
            raise ValueError("not a CA certificate (no BasicConstraints)") from None
        if not constraints.value.ca:
            raise ValueError("not a CA certificate (BasicConstraints CA is false)")
    return text


class CertificateSignedParams(_Params):
    """OCPP 2.0.1 A02/A03 CertificateSigned (certificateChain string[0..10000]: the signed
    PEM certificate, then any sub-CA certificates; certificateType ChargingStationCertificate
    or V2GCertificate) and the 1.6 security whitepaper's CertificateSigned (certificateChain
    only). Sent by the CSMS after a SignCertificate it accepted (``app/security/csr_signing``),
    or by an admin with a chain an external CA signed."""

    certificate_chain: str = Field(min_length=1, max_length=10_000)
    certificate_type: Literal["ChargingStationCertificate", "V2GCertificate"] | None = None

    @field_validator("certificate_chain")
    @classmethod
    def _pem(cls, value: str) -> str:
        return _one_pem_certificate(value, ca=False)


InstallCertificateUse201 = Literal[
    "V2GRootCertificate", "MORootCertificate", "CSMSRootCertificate", "ManufacturerRootCertificate"
]


class InstallCertificateParams(_Params):
    """OCPP 2.0.1 M05 InstallCertificate (certificateType InstallCertificateUseEnumType,
    certificate string[0..5500], PEM) and the 1.6 security whitepaper's InstallCertificate
    (CentralSystemRootCertificate or ManufacturerRootCertificate). A root (CA) certificate."""

    certificate_type: InstallCertificateUse201
    certificate: str = Field(min_length=1, max_length=5500)

    @field_validator("certificate")
    @classmethod
    def _pem(cls, value: str) -> str:
        return _one_pem_certificate(value, ca=True)


class DeleteCertificateParams(_Params):
    """OCPP 2.0.1 M04 DeleteCertificate / the 1.6 security whitepaper's DeleteCertificate:
    the certificate is named by its CertificateHashDataType, as GetInstalledCertificateIds
    reports it (issuerNameHash and issuerKeyHash string[0..128] hex, serialNumber
    string[0..40] hex without leading zeros)."""

    hash_algorithm: Literal["SHA256", "SHA384", "SHA512"] = "SHA256"
    issuer_name_hash: str = Field(min_length=1, max_length=128, pattern=r"^[0-9a-fA-F]+$")
    issuer_key_hash: str = Field(min_length=1, max_length=128, pattern=r"^[0-9a-fA-F]+$")
    serial_number: str = Field(min_length=1, max_length=40, pattern=r"^[0-9a-fA-F]+$")

    def as_ocpp(self) -> dict[str, str]:
        return {
            "hash_algorithm": self.hash_algorithm,
            "issuer_name_hash": self.issuer_name_hash.lower(),
            "issuer_key_hash": self.issuer_key_hash.lower(),
            "serial_number": self.serial_number.lower().lstrip("0") or "0",
        }


def authorization_key(password: str) -> str:
    """The OCPP 1.6 security whitepaper's AuthorizationKey value: the Basic-auth password's
    bytes hex encoded (its example: key 0001020304050607FFFFFFFFFFFFFFFFFFFFFFFF is the
    password of the Authorization header), 16 to 20 bytes, so at most 40 hex characters."""
    key = password.encode("utf-8").hex().upper()
    if not 32 <= len(key) <= 40:
        raise InvalidCommand("a 1.6 AuthorizationKey is a password of 16 to 20 bytes")
    return key


class RotatePasswordParams(_Params):
    """OCPP 2.0.1 A01 Update Charging Station Password for HTTP Basic Authentication
    (A01.FR.02: SetVariables with SecurityCtrlr.BasicAuthPassword) and the 1.6 security
    whitepaper's ChangeConfiguration AuthorizationKey. No parameters: the new password is
    generated by the gateway, never given, logged or audited (``app/commands/redact.py``)."""


PARAMS: dict[str, type[_Params]] = {
    "reset": ResetParams,
    "unlock_connector": UnlockParams,
    "change_availability": AvailabilityParams,
    "trigger_message": TriggerParams,
    "get_diagnostics": DiagnosticsParams,
    "get_configuration": GetConfigurationParams,
    "change_configuration": ChangeConfigurationParams,
    "restart_peripheral": RestartPeripheralParams,
    "clear_cache": NoParams,
    "remote_stop": RemoteStopParams,
    "remote_start": RemoteStartParams,
    "data_transfer": DataTransferParams,
    "update_firmware": UpdateFirmwareParams,
    "get_base_report": GetBaseReportParams,
    "get_report": GetReportParams,
    "set_variable_monitoring": SetMonitoringParams,
    "clear_variable_monitoring": ClearMonitoringParams,
    "set_monitoring_base": MonitoringBaseParams,
    "set_monitoring_level": MonitoringLevelParams,
    "get_monitoring_report": GetMonitoringReportParams,
    "get_transaction_status": TransactionStatusParams,
    "customer_information": CustomerInformationParams,
    "set_network_profile": SetNetworkProfileParams,
    "get_variables": GetVariablesParams,
    "set_variables": SetVariablesParams,
    "rotate_basic_auth_password": RotatePasswordParams,
    "get_installed_certificate_ids": InstalledCertificatesParams,
    "certificate_signed": CertificateSignedParams,
    "install_certificate": InstallCertificateParams,
    "delete_certificate": DeleteCertificateParams,
}
V201_ONLY = frozenset(
    {
        "get_base_report",
        "get_report",
        "set_variable_monitoring",
        "clear_variable_monitoring",
        "set_monitoring_base",
        "set_monitoring_level",
        "get_monitoring_report",
        "get_transaction_status",
        "customer_information",
        "set_network_profile",
        "get_variables",
        "set_variables",
    }
)
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


def reset_kind_201(params: ResetParams, forced: bool) -> Literal["OnIdle", "Immediate"]:
    """The 2.0.1 ResetEnumType for a reset. OnIdle unless a consultant or admin forces a hard
    reset: the station holds an OnIdle reset while a transaction runs (B12.FR.01: it "SHALL
    respond with a ResetResponse(Scheduled)"), so no charge that starts between our check and
    the reset is cut; Immediate ends transactions and is only an override."""
    return "Immediate" if params.type == "hard" and forced else "OnIdle"


def interrupts_charge(
    command: str, params: _Params, ocpp_version: str | None, forced: bool = False
) -> bool:
    """Would this end or disturb a running charge? A reset reboots the whole charger (1.6
    Soft and Hard stop transactions; 2.0.1 Immediate ends them, OnIdle waits for them: OCPP
    2.0.1 B11/B12; Immediate only when forced, ``reset_kind_201``); an unlock or an
    availability change to Inoperative acts on the cable."""
    if isinstance(params, ResetParams):
        return ocpp_version != "2.0.1" or reset_kind_201(params, forced) == "Immediate"
    if isinstance(params, UnlockParams):
        return True
    if isinstance(params, AvailabilityParams):
        return params.type == "inoperative"
    # A firmware update ends in a reboot (InstallRebooting): treated like a reset. Stations
    # may hold the install until transactions end, but not every one does (2.0.1
    # AllowNewSessionsPendingFirmwareUpdate; 1.6 leaves it to the charge point).
    return isinstance(params, UpdateFirmwareParams)


def stops_the_charge(params: _Params) -> bool:
    """A remote stop ends a charge by design: it is the request itself, so the gateway does
    not refuse it for the running transaction (scope still applies), but a procedure asks."""
    return isinstance(params, RemoteStopParams)


def affected_connector(params: _Params) -> int | None:
    """The connector a command acts on; None (or 0) is the whole charger."""
    if isinstance(params, ResetParams):
        return None
    # a 2.0.1 EVSE is what a transaction runs on (ActiveTransaction.connector_id is its evseId)
    return getattr(params, "evse_id", None) or getattr(params, "connector_id", None)


def re_energises(command: str, params: _Params) -> bool:
    """Could this put power back on, or move the cable, of a charger with a safety fault?
    Reset, unlock and availability to Operative are held by the safety interlock."""
    if isinstance(params, ResetParams | UnlockParams | UpdateFirmwareParams):
        return True  # a firmware update reboots the charger: the reset's interlock holds
    # A remote start closes the contactor on a connector: never with a safety fault open.
    # (It does not interrupt a charge: it starts one, so interrupts_charge stays False.)
    if isinstance(params, RemoteStartParams):
        return True
    return isinstance(params, AvailabilityParams) and params.type == "operative"


def needs_admin(command: str, params: _Params) -> bool:
    """Security configuration, and firmware: installing code on a charger from a URL is the
    strongest change there is (the reason 2.0.1 L01 signs firmware), so admins only."""
    if isinstance(params, UpdateFirmwareParams | RotatePasswordParams):
        return True
    # Certificates are the charger's trust: what it accepts as the CSMS (a root installed or
    # deleted), and who it is (its own certificate, or a renewal triggered). Admins only.
    if isinstance(
        params, CertificateSignedParams | InstallCertificateParams | DeleteCertificateParams
    ):
        return True
    if isinstance(params, TriggerParams) and params.message in CERTIFICATE_TRIGGERS:
        return True
    # A vendor-specific message may do anything its vendor defined (reboot, reconfigure,
    # unlock): nothing here can classify it, so only admins send it.
    if isinstance(params, DataTransferParams):
        return True
    # A customer's personal data, reported or deleted (N09/N10): admins only.
    if isinstance(params, CustomerInformationParams):
        return True
    # A network profile says where and how the charger connects: a wrong one, once the
    # station switches to it (B10), takes it off the network. Admins only.
    if isinstance(params, SetNetworkProfileParams):
        return True
    if isinstance(params, SetVariablesParams):  # one security variable makes it admin-only
        return any(is_security_key(v.key) for v in params.variables)
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
    request_id: int | None = None,
    secret: str | None = None,
    forced: bool = False,
    setting: tuple[str, str] | None = None,
) -> Any:
    """The ``ocpp`` call payload for a command on a charger of this OCPP version (``forced``:
    a consultant or admin overrode the guards, the only way to an Immediate 2.0.1 reset;
    ``setting``: the key and value a ``restart_peripheral`` writes, from the catalogue)."""
    v16 = ocpp_version == "1.6"
    if isinstance(params, RestartPeripheralParams):
        if setting is None:
            raise InvalidCommand(f"no restart key known for {params.fault}")
        params = ChangeConfigurationParams(key=setting[0], value=setting[1])
    if isinstance(params, InstalledCertificatesParams):
        if not v16:
            return call201.GetInstalledCertificateIds(
                certificate_type=params.certificate_types or None
            )
        kinds = params.certificate_types or ["CSMSRootCertificate"]
        if len(kinds) > 1 or kinds[0] not in _CERTIFICATE_USE_16:
            raise InvalidCommand(
                "a 1.6 charger takes one certificate type: CSMSRootCertificate or "
                "ManufacturerRootCertificate"
            )
        return call16.GetInstalledCertificateIds(certificate_type=_CERTIFICATE_USE_16[kinds[0]])
    if isinstance(params, CertificateSignedParams):
        if v16:  # 1.6 security whitepaper: a charge point certificate, no type
            if params.certificate_type == "V2GCertificate":
                raise InvalidCommand("a 1.6 charger takes no V2G certificate")
            return call16.CertificateSigned(certificate_chain=params.certificate_chain)
        return call201.CertificateSigned(
            certificate_chain=params.certificate_chain, certificate_type=params.certificate_type
        )
    if isinstance(params, InstallCertificateParams):
        if not v16:
            return call201.InstallCertificate(
                certificate_type=params.certificate_type, certificate=params.certificate
            )
        if params.certificate_type not in _CERTIFICATE_USE_16:
            raise InvalidCommand(
                "a 1.6 charger installs CSMSRootCertificate or ManufacturerRootCertificate"
            )
        return call16.InstallCertificate(
            certificate_type=_CERTIFICATE_USE_16[params.certificate_type],
            certificate=params.certificate,
        )
    if isinstance(params, DeleteCertificateParams):
        payload = call16.DeleteCertificate if v16 else call201.DeleteCertificate
        return payload(certificate_hash_data=params.as_ocpp())
    if isinstance(params, RotatePasswordParams):
        if not secret:
            raise InvalidCommand("no new password generated")
        if v16:  # 1.6 security whitepaper: AuthorizationKey is the password, hex encoded
            return call16.ChangeConfiguration(
                key="AuthorizationKey", value=authorization_key(secret)
            )
        return call201.SetVariables(
            set_variable_data=[
                {
                    "attribute_value": secret,
                    "component": {"name": "SecurityCtrlr"},
                    "variable": {"name": "BasicAuthPassword"},
                }
            ]
        )
    if isinstance(params, ResetParams):
        if v16:
            return call16.Reset(type="Soft" if params.type == "soft" else "Hard")
        return call201.Reset(type=reset_kind_201(params, forced), evse_id=params.evse_id)
    if isinstance(params, UnlockParams):
        if v16:
            if params.evse_id is not None:
                raise InvalidCommand("evse_id is OCPP 2.0.1; a 1.6 charger takes connector_id")
            return call16.UnlockConnector(connector_id=params.connector_id)
        if params.evse_id is not None:  # F05: evseId + the connector within it
            return call201.UnlockConnector(evse_id=params.evse_id, connector_id=params.connector_id)
        return call201.UnlockConnector(evse_id=params.connector_id, connector_id=1)
    if isinstance(params, AvailabilityParams):
        kind = "Operative" if params.type == "operative" else "Inoperative"
        if v16:
            if params.evse_id is not None:
                raise InvalidCommand("evse_id is OCPP 2.0.1; a 1.6 charger takes connector_id")
            return call16.ChangeAvailability(connector_id=params.connector_id, type=kind)
        return call201.ChangeAvailability(
            operational_status=kind, evse=_evse(params.evse_id, params.connector_id)
        )
    if isinstance(params, TriggerParams):
        return _trigger(params, v16)
    if isinstance(params, UpdateFirmwareParams):
        return _update_firmware(params, v16)
    if isinstance(params, DataTransferParams):
        data = params.data
        if v16 and data is not None and not isinstance(data, str):
            data = json.dumps(data)  # 1.6 data is a string of any format
        payload = call16.DataTransfer if v16 else call201.DataTransfer
        return payload(vendor_id=params.vendor_id, message_id=params.message_id, data=data)
    if isinstance(params, RemoteStartParams):
        if v16:
            if len(params.id_token) > 20:  # 1.6 IdToken is CiString20Type
                raise InvalidCommand("a 1.6 idTag has at most 20 characters")
            return call16.RemoteStartTransaction(
                id_tag=params.id_token, connector_id=params.connector_id
            )
        # F01/F02: remoteStartId is the CSMS's id for this request; the station echoes
        # it in the TransactionEvent it sends when the transaction starts.
        return call201.RequestStartTransaction(
            id_token={"id_token": params.id_token, "type": params.id_token_type},
            remote_start_id=random.randint(1, 2_000_000_000),
            evse_id=params.connector_id,
        )
    if isinstance(params, DiagnosticsParams):
        if not upload_location:
            raise InvalidCommand("no upload location for diagnostics")
        oldest = _iso(params.oldest) if params.oldest else None
        latest = _iso(params.latest) if params.latest else None
        if v16 and params.log_type == "DiagnosticsLog":
            return call16.GetDiagnostics(
                location=upload_location,
                retries=params.retries,
                retry_interval=params.retry_interval,
                start_time=oldest,
                stop_time=latest,
            )
        log: dict[str, Any] = {"remote_location": upload_location}
        if oldest:
            log["oldest_timestamp"] = oldest
        if latest:
            log["latest_timestamp"] = latest
        get_log = call16.GetLog if v16 else call201.GetLog  # 1.6: the security extension's
        return get_log(
            log=log,
            log_type=params.log_type,
            # the upload slot's id, so LogStatusNotification(requestId) finds its upload
            request_id=request_id or random.randint(1, 2_000_000_000),
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
    if isinstance(params, GetVariablesParams | SetVariablesParams) and v16:
        raise InvalidCommand(
            f"{command} is OCPP 2.0.1 only: use get_configuration/change_configuration on 1.6"
        )
    if isinstance(params, GetVariablesParams):
        return call201.GetVariables(get_variable_data=[v.as_ocpp() for v in params.variables])
    if isinstance(params, SetVariablesParams):
        return call201.SetVariables(
            set_variable_data=[
                {"attribute_value": v.value, **v.as_ocpp()} for v in params.variables
            ]
        )
    if (
        isinstance(
            params,
            GetBaseReportParams
            | GetReportParams
            | SetMonitoringParams
            | ClearMonitoringParams
            | MonitoringBaseParams
            | MonitoringLevelParams
            | GetMonitoringReportParams
            | CustomerInformationParams
            | TransactionStatusParams,
        )
        and v16
    ):
        raise InvalidCommand(f"{command} is OCPP 2.0.1 only (1.6 has no device model)")
    if isinstance(params, SetNetworkProfileParams):
        if v16:  # 1.6 (and its security whitepaper) has no network profile operation
            raise InvalidCommand(
                "set_network_profile is OCPP 2.0.1 only (B09): OCPP 1.6 has no SetNetworkProfile"
            )
        return call201.SetNetworkProfile(
            configuration_slot=params.configuration_slot, connection_data=params.as_ocpp()
        )
    if isinstance(params, GetBaseReportParams):
        return call201.GetBaseReport(
            request_id=random.randint(1, 2_000_000_000), report_base=params.report_base
        )
    if isinstance(params, GetReportParams):
        return call201.GetReport(
            request_id=random.randint(1, 2_000_000_000),
            component_criteria=params.component_criteria,
            component_variable=[c.as_ocpp() for c in params.component_variables]
            if params.component_variables
            else None,
        )
    if isinstance(params, CustomerInformationParams):
        return call201.CustomerInformation(
            request_id=random.randint(1, 2_000_000_000),
            report=params.report,
            clear=params.clear,
            customer_identifier=params.customer_identifier,
            id_token={"id_token": params.id_token, "type": params.id_token_type}
            if params.id_token
            else None,
            customer_certificate=params.customer_certificate.model_dump()
            if params.customer_certificate
            else None,
        )
    if isinstance(params, TransactionStatusParams):
        return call201.GetTransactionStatus(transaction_id=params.transaction_id)
    if isinstance(params, SetMonitoringParams):
        return call201.SetVariableMonitoring(
            set_monitoring_data=[m.as_ocpp() for m in params.monitors]
        )
    if isinstance(params, ClearMonitoringParams):
        return call201.ClearVariableMonitoring(id=params.ids)
    if isinstance(params, MonitoringBaseParams):
        return call201.SetMonitoringBase(monitoring_base=params.monitoring_base)
    if isinstance(params, MonitoringLevelParams):
        return call201.SetMonitoringLevel(severity=params.severity)
    if isinstance(params, GetMonitoringReportParams):
        return call201.GetMonitoringReport(
            request_id=random.randint(1, 2_000_000_000),
            monitoring_criteria=params.monitoring_criteria,
            component_variable=[c.as_ocpp() for c in params.component_variables]
            if params.component_variables
            else None,
        )
    if isinstance(params, RemoteStopParams):
        if transaction_id is None:
            raise InvalidCommand("no active transaction to stop")
        if v16:
            return call16.RemoteStopTransaction(transaction_id=int(transaction_id))
        return call201.RequestStopTransaction(transaction_id=transaction_id)
    raise InvalidCommand(f"unknown command {command!r}")


def _evse(evse_id: int | None, connector_id: int | None) -> dict[str, Any] | None:
    """2.0.1 EVSEType: evse_id (+ connector_id: one connector of it); a lone connector_id is
    the EVSE (this catalogue's convention); neither, or 0: the whole station."""
    if evse_id:
        evse: dict[str, Any] = {"id": evse_id}
        if connector_id:
            evse["connector_id"] = connector_id
        return evse
    return {"id": connector_id} if connector_id else None


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _update_firmware(params: UpdateFirmwareParams, v16: bool) -> Any:
    retrieve = _iso(params.retrieve_date or datetime.now(UTC))
    if v16 and not params.signed:
        if params.install_date is not None:
            raise InvalidCommand("a 1.6 UpdateFirmware has no install date (sign it, or omit)")
        return call16.UpdateFirmware(
            location=params.location,
            retrieve_date=retrieve,
            retries=params.retries,
            retry_interval=params.retry_interval,
        )
    firmware: dict[str, Any] = {"location": params.location, "retrieve_date_time": retrieve}
    if params.install_date is not None:
        firmware["install_date_time"] = _iso(params.install_date)
    if params.signed:
        firmware["signing_certificate"] = params.signing_certificate
        firmware["signature"] = params.signature
    request_id = random.randint(1, 2_000_000_000)
    payload = call16.SignedUpdateFirmware if v16 else call201.UpdateFirmware
    return payload(
        request_id=request_id,
        firmware=firmware,
        retries=params.retries,
        retry_interval=params.retry_interval,
    )


def _trigger(params: TriggerParams, v16: bool) -> Any:
    if v16:
        if params.evse_id is not None:
            raise InvalidCommand("evse_id is OCPP 2.0.1; a 1.6 charger takes connector_id")
        message = _TRIGGER_16_NAME.get(params.message, params.message)
        if message in TRIGGERABLE:
            return call16.TriggerMessage(
                requested_message=message, connector_id=params.connector_id
            )
        if message in TRIGGERABLE_EXTENDED_16:  # 1.6 security whitepaper ExtendedTriggerMessage
            return call16.ExtendedTriggerMessage(
                requested_message=message, connector_id=params.connector_id
            )
        raise InvalidCommand(
            f"a 1.6 charger cannot be triggered to send {params.message}; it can send: "
            f"{', '.join(TRIGGERABLE + TRIGGERABLE_EXTENDED_16)}"
        )
    message = _TRIGGER_201_NAME.get(params.message, params.message)
    if message not in TRIGGERABLE_201:
        raise InvalidCommand(
            f"a 2.0.1 station cannot be triggered to send {params.message}; it can send: "
            f"{', '.join(TRIGGERABLE_201)}"
        )
    return call201.TriggerMessage(
        requested_message=message, evse=_evse(params.evse_id, params.connector_id)
    )


def response_as_dict(response: Any) -> dict[str, Any]:
    """A call_result dataclass as the camelCase JSON the charger sent."""
    if response is None:
        return {}
    data = asdict(response) if is_dataclass(response) else dict(response)
    return snake_to_camel_case(remove_nones(data))
