"""The live model of one charger: connectors (EVSEs on 2.0.1), open faults, transactions.

Plain pydantic models with no protocol types in them: the OCPP edge translates frames into
calls on :class:`app.fleet.store.FleetStore`, which owns these objects.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# The safety classes of the fault-code catalogue (knowledge_base/fault_codes/README.md):
# reset_safe: a remote reset may clear it; never_reset: a safety fault, no reset, unlock or
# re-enable while it is open; outside_charger: the cause is outside the charger; unknown: the
# catalogue does not know the code (never treated as reset_safe).
SafetyClass = Literal["reset_safe", "never_reset", "outside_charger", "unknown"]


class EvseConnector(BaseModel):
    """One connector within a 2.0.1 EVSE, as its StatusNotification reported it (G01: the
    request names ``evseId`` and ``connectorId``, "the id of the connector within the EVSE")."""

    model_config = ConfigDict(extra="forbid")

    connector_id: int
    status: str = "Unknown"
    since: datetime | None = None
    updated_at: datetime | None = None


# The EVSE-level status of a 2.0.1 EVSE from its connectors' ConnectorStatusEnumType values,
# the first that any connector has wins. Why: an EVSE "can deliver energy to one EV at a time"
# (OCPP 2.0.1 Part 1, 3.2 EVSE), so one Occupied connector means the EVSE is in use; Faulted
# comes first so a sibling's Available never hides (or clears) a connector's fault; an
# Unavailable connector makes the EVSE count as not fully available (ChangeAvailability can
# take one connector out, G03), which is the safe side for the guards and diagnosis; Reserved
# (H01 reserves an EVSE, all its connectors report it) before Available.
EVSE_STATUS_ORDER = ("Faulted", "Occupied", "Unavailable", "Reserved", "Available")


def evse_status(connectors: Iterable[EvseConnector]) -> str:
    """The EVSE's status from its connectors' (``EVSE_STATUS_ORDER``); Unknown if none."""
    seen = {c.status for c in connectors}
    for status in EVSE_STATUS_ORDER:
        if status in seen:
            return status
    return next(iter(sorted(seen)), "Unknown")


class ConnectorState(BaseModel):
    connector_id: int = Field(description="0 is the whole charger (1.6); EVSE id on 2.0.1.")
    status: str = Field(
        "Unknown",
        description="1.6: the connector's status; 2.0.1: the EVSE's, from its connectors "
        "(any Faulted, else Occupied, Unavailable, Reserved, else Available).",
    )
    error_code: str = "NoError"
    raw_error_code: str | None = None
    vendor_error_code: str | None = None
    info: str | None = None
    since: datetime | None = None
    updated_at: datetime | None = None
    connectors: dict[int, EvseConnector] = Field(
        default_factory=dict,
        description="2.0.1: each connector of this EVSE with its own status (G01).",
    )


# At most this many signed values are kept per reading (one per measurand and phase is usual).
MAX_SIGNED_PER_READING = 8


class SignedMeterValue(BaseModel):
    """A signed sampled value, kept as the meter sent it and NOT verified by ChargeFix (the
    signature is for the driver's / the auditor's own check, e.g. with the OCMF or EDL
    transparency software). OCPP 2.0.1 SampledValueType.signedMeterValue (SignedMeterValueType:
    signedMeterData and publicKey at most 2500 characters, signingMethod and encodingMethod at
    most 50, all four required); OCPP 1.6 SampledValue with format SignedData (the value is the
    signed data; signing and encoding are inside it, e.g. OCMF). Longer values are refused
    where they enter (``app/csms/meter.py``)."""

    model_config = ConfigDict(extra="forbid")

    signed_meter_data: str = Field(max_length=2500)
    signing_method: str = Field("", max_length=50)
    encoding_method: str = Field("", max_length=50)
    public_key: str = Field("", max_length=2500)
    measurand: str | None = Field(None, max_length=50)
    context: str | None = Field(None, max_length=50)


class MeterReading(BaseModel):
    at: datetime
    energy_wh: float | None = None
    power_w: float | None = None
    current_a: float | None = None
    voltage_v: float | None = None
    soc_percent: float | None = None
    signed: list[SignedMeterValue] = Field(default_factory=list, max_length=MAX_SIGNED_PER_READING)


# At most this many holes in one transaction's seqNo sequence are remembered.
MAX_SEQ_GAPS = 32


class SeqGap(BaseModel):
    """TransactionEvent seqNo values from ``first`` to ``last`` never received."""

    first: int
    last: int


class TransactionTrail(BaseModel):
    """What the TransactionEvents of one 2.0.1 transaction said about their own delivery.

    ``offline_events``: how many carried ``offline`` true (E11/E12: queued while the station
    was offline and delivered on reconnect; "Indication that this transaction event happened
    when the Charging Station was offline"). ``gaps``: seqNo holes. seqNo is the
    "Incremental sequence number, helps with determining if all messages of a transaction have
    been received" (TransactionEventRequest), counted from 0 per transaction (E01.FR.07,
    TC_E_53_CSMS); the CSMS SHOULD use it to check it received all messages. A seqNo above the
    highest + 1 opens a gap, a late one (queued messages may come after the Ended,
    TC_E_31_CSMS) closes its part of it. A warning, never a CALLERROR."""

    highest_seq_no: int = -1
    offline_events: int = 0
    gaps: list[SeqGap] = Field(default_factory=list)

    def see(self, seq_no: int, offline: bool) -> None:
        if offline:
            self.offline_events += 1
        if seq_no > self.highest_seq_no + 1:
            self.gaps.append(SeqGap(first=self.highest_seq_no + 1, last=seq_no - 1))
            del self.gaps[:-MAX_SEQ_GAPS]
        elif seq_no <= self.highest_seq_no:
            self._fill(seq_no)
        self.highest_seq_no = max(self.highest_seq_no, seq_no)

    def _fill(self, seq_no: int) -> None:
        for i, gap in enumerate(self.gaps):
            if gap.first <= seq_no <= gap.last:
                parts = [
                    SeqGap(first=a, last=b)
                    for a, b in ((gap.first, seq_no - 1), (seq_no + 1, gap.last))
                    if a <= b
                ]
                self.gaps[i : i + 1] = parts
                return

    def missing(self) -> list[list[int]]:
        """The gaps as [first, last] pairs (what the transaction row stores)."""
        return [[g.first, g.last] for g in self.gaps]


class ActiveTransaction(BaseModel):
    transaction_id: str
    connector_id: int
    id_tag: str | None = None
    started_at: datetime
    meter_start_wh: float | None = None
    meter_start_signed: list[SignedMeterValue] = Field(default_factory=list)
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
    # Connectors (EVSEs on 2.0.1) that reported a status since the last boot: after an
    # accepted boot a charger reports each of them (OCPP 2.0.1 B01); until it has, the
    # connector statuses held here are from before the boot.
    reported_since_boot: set[int] = Field(default_factory=set)
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
    # 2.0.1: each transaction's offline events and seqNo holes (active ones and the ended ones
    # remembered above: a queued event after the Ended may fill a hole).
    transaction_trails: dict[str, TransactionTrail] = Field(default_factory=dict)
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
