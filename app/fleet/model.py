"""The live model of one charger: connectors (EVSEs on 2.0.1), open faults, transactions.

Plain pydantic models with no protocol types in them: the OCPP edge translates frames into
calls on :class:`app.fleet.store.FleetStore`, which owns these objects.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

# The safety classes of the fault-code catalogue (knowledge_base/fault_codes/README.md):
# reset_safe: a remote reset may clear it; never_reset: a safety fault, no reset, unlock or
# re-enable while it is open; outside_charger: the cause is outside the charger; unknown: the
# catalogue does not know the code (never treated as reset_safe).
SafetyClass = Literal["reset_safe", "never_reset", "outside_charger", "unknown"]


class ConnectorState(BaseModel):
    connector_id: int = Field(description="0 is the whole charger (1.6); EVSE id on 2.0.1.")
    status: str = "Unknown"
    error_code: str = "NoError"
    raw_error_code: str | None = None
    vendor_error_code: str | None = None
    info: str | None = None
    since: datetime | None = None
    updated_at: datetime | None = None


class MeterReading(BaseModel):
    at: datetime
    energy_wh: float | None = None
    power_w: float | None = None
    current_a: float | None = None
    voltage_v: float | None = None
    soc_percent: float | None = None


class ActiveTransaction(BaseModel):
    transaction_id: str
    connector_id: int
    id_tag: str | None = None
    started_at: datetime
    meter_start_wh: float | None = None
    last_meter: MeterReading | None = None
    unconfirmed_since: datetime | None = Field(
        None,
        description="The charger booted (1.6, or 2.0.1 PowerUp) while ChargeFix believed this "
        "transaction active, and has said nothing of it since: a status Available on its "
        "connector closes it as stale (app/fleet/store.py).",
    )


class FaultClassification(BaseModel):
    """What the fault-code catalogue says a fault is (``app/fault_codes``)."""

    entry_id: str | None = None
    fault_key: str | None = None
    standard_code: str | None = None
    safety_class: SafetyClass = "unknown"
    responsible: str | None = None
    meaning: str | None = None
    procedure: str | None = None
    known: bool = False


class OpenFault(BaseModel):
    """One open fault with the faces the charger reported it with.

    1.6 StatusNotification: ``raw_error_code`` (errorCode as sent), ``vendor_id``,
    ``vendor_error_code``, ``info``. 2.0.1 NotifyEvent: ``component``, ``evse_id`` /
    ``connector_id``, ``variable``, ``trigger``, ``tech_code``, ``tech_info``,
    ``actual_value`` (and ``direction`` over/under for a voltage monitor). ``id_token``: the
    token of the transaction running on the connector when it was raised (a fault that follows
    one vehicle across chargers is the vehicle's). ``classification``: the catalogue entry.
    """

    uid: str = Field(default_factory=lambda: str(uuid.uuid4()))
    connector_id: int = 0
    source: str
    error_code: str
    raw_error_code: str | None = None
    vendor_id: str | None = None
    vendor_error_code: str | None = None
    info: str | None = None
    component: str | None = None
    variable: str | None = None
    evse_id: int | None = None
    trigger: str | None = None
    tech_code: str | None = None
    tech_info: str | None = None
    actual_value: str | None = None
    direction: str | None = None
    id_token: str | None = None
    raised_at: datetime
    classification: FaultClassification = Field(default_factory=FaultClassification)

    @property
    def safety_class(self) -> SafetyClass:
        return self.classification.safety_class

    def same_origin(self, other: OpenFault) -> bool:
        """The same fault reported again (not a second fault): same source and place, and
        the same code (1.6 errorCode + vendorErrorCode; 2.0.1 component, variable, techCode)."""
        if self.source != other.source or self.connector_id != other.connector_id:
            return False
        if self.source == "StatusNotification":
            return (
                self.error_code == other.error_code
                and self.vendor_error_code == other.vendor_error_code
            )
        return (
            self.component == other.component
            and self.variable == other.variable
            and self.tech_code == other.tech_code
        )


MAX_ENDED_REMEMBERED = 64


class ChargerLiveState(BaseModel):
    charger_id: str
    site_id: str | None = None
    vendor: str | None = None
    model: str | None = None
    serial_number: str | None = None
    firmware_version: str | None = None
    ocpp_version: str | None = None
    online: bool = False
    connected_since: datetime | None = None
    disconnected_at: datetime | None = None
    last_seen: datetime | None = None
    last_action: str | None = None
    last_boot_at: datetime | None = None
    boot_count: int = 0
    boot_reason: str | None = None
    registration_status: str | None = None
    heartbeat_interval: int | None = None
    firmware_status: str | None = None
    diagnostics_status: str | None = None
    last_security_event: str | None = None
    connectors: dict[int, ConnectorState] = Field(default_factory=dict)
    transactions: dict[str, ActiveTransaction] = Field(default_factory=dict)
    # The last transactions the charger ended (newest last, at most MAX_ENDED_REMEMBERED): a
    # queued TransactionEvent that arrives after its Ended must not make it active again.
    ended_transactions: list[str] = Field(default_factory=list)
    open_faults: list[OpenFault] = Field(default_factory=list)
    node_id: str | None = None
    # 2.0.1 voltage monitors ChargeFix set on this station (SetVariableMonitoring result id ->
    # "over" for an UpperThreshold, "under" for a LowerThreshold monitor, OCPP 2.0.1 N04), so
    # a NotifyEvent carrying that variableMonitoringId (N07) names its direction for sure.
    voltage_monitors: dict[int, str] = Field(default_factory=dict)
    # The supply's nominal voltage when the station told it (base report, Target attribute
    # of ElectricalFeed ACVoltage/Voltage); None when unknown.
    nominal_voltage_v: float | None = None

    def connector(self, connector_id: int) -> ConnectorState:
        if connector_id not in self.connectors:
            self.connectors[connector_id] = ConnectorState(connector_id=connector_id)
        return self.connectors[connector_id]

    def transaction_on(self, connector_id: int | None = None) -> ActiveTransaction | None:
        """The active transaction on a connector (any connector when ``None`` or 0)."""
        for tx in self.transactions.values():
            if connector_id in (None, 0) or tx.connector_id == connector_id:
                return tx
        return None

    def safety_faults(self) -> list[OpenFault]:
        """Open faults of the never-reset class: the safety interlock's concern."""
        return [f for f in self.open_faults if f.safety_class == "never_reset"]
