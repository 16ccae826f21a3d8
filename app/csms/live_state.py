"""Live charger state: what every other part of ChargeFix reads.

The store is a plain in-memory object owned by the backend's AppState. The OCPP handlers
call its ``apply_*`` methods; listeners (persistence, diagnosis, sessions waiting on a
condition) are told of every change.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from app.db.base import utcnow
from app.fault_codes import normalise_ocpp16


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


class OpenFault(BaseModel):
    uid: str = Field(default_factory=lambda: str(uuid.uuid4()))
    connector_id: int = 0
    source: str
    error_code: str
    raw_error_code: str | None = None
    vendor_error_code: str | None = None
    info: str | None = None
    component: str | None = None
    variable: str | None = None
    tech_code: str | None = None
    raised_at: datetime

    def same_origin(self, other: OpenFault) -> bool:
        return (
            self.source == other.source
            and self.connector_id == other.connector_id
            and self.component == other.component
            and self.variable == other.variable
            and (self.source != "StatusNotification" or self.error_code == other.error_code)
        )


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
    boot_reason: str | None = None
    registration_status: str | None = None
    heartbeat_interval: int | None = None
    firmware_status: str | None = None
    diagnostics_status: str | None = None
    last_security_event: str | None = None
    connectors: dict[int, ConnectorState] = Field(default_factory=dict)
    transactions: dict[str, ActiveTransaction] = Field(default_factory=dict)
    open_faults: list[OpenFault] = Field(default_factory=list)
    node_id: str | None = None

    def connector(self, connector_id: int) -> ConnectorState:
        if connector_id not in self.connectors:
            self.connectors[connector_id] = ConnectorState(connector_id=connector_id)
        return self.connectors[connector_id]

    def transaction_on(self, connector_id: int | None = None) -> ActiveTransaction | None:
        """The active transaction on a connector (any connector when ``None``)."""
        for tx in self.transactions.values():
            if connector_id in (None, 0) or tx.connector_id == connector_id:
                return tx
        return None


ChangeKind = Literal[
    "identity",
    "connection",
    "status",
    "fault_raised",
    "fault_cleared",
    "transaction",
    "meter",
    "seen",
    "other",
]
Listener = Callable[[str, ChangeKind, ChargerLiveState, object], None]


class LiveStateStore:
    """All chargers' live state, with change notification."""

    def __init__(self) -> None:
        self._states: dict[str, ChargerLiveState] = {}
        self._listeners: list[Listener] = []

    # -- reading ---------------------------------------------------------------------------
    def get(self, charger_id: str) -> ChargerLiveState | None:
        return self._states.get(charger_id)

    def all(self) -> Iterable[ChargerLiveState]:
        return self._states.values()

    def __len__(self) -> int:
        return len(self._states)

    # -- listening -------------------------------------------------------------------------
    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    async def wait_for(
        self,
        charger_id: str,
        predicate: Callable[[ChargerLiveState | None], bool],
        timeout: float,
    ) -> bool:
        """Wait until ``predicate`` holds for a charger's state; False on timeout."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[bool] = loop.create_future()

        def listener(cid: str, _kind: ChangeKind, state: ChargerLiveState, _d: object) -> None:
            if cid == charger_id and not done.done() and predicate(state):
                done.set_result(True)

        if predicate(self.get(charger_id)):
            return True
        self.add_listener(listener)
        try:
            return await asyncio.wait_for(done, timeout)
        except TimeoutError:
            return False
        finally:
            self.remove_listener(listener)

    def _notify(self, state: ChargerLiveState, kind: ChangeKind, detail: object = None) -> None:
        for listener in list(self._listeners):
            listener(state.charger_id, kind, state, detail)

    # -- writing ---------------------------------------------------------------------------
    def load(self, state: ChargerLiveState) -> None:
        """Put a state read back from storage (after a restart): offline until it reconnects."""
        if state.online:
            state.disconnected_at = utcnow()
        state.online = False
        self._states[state.charger_id] = state

    def ensure(self, charger_id: str, site_id: str | None = None) -> ChargerLiveState:
        state = self._states.get(charger_id)
        if state is None:
            state = ChargerLiveState(charger_id=charger_id, site_id=site_id)
            self._states[charger_id] = state
        elif site_id and state.site_id != site_id:
            state.site_id = site_id
        return state

    def forget(self, charger_id: str) -> None:
        self._states.pop(charger_id, None)

    def touch(self, charger_id: str, action: str | None, at: datetime | None = None) -> None:
        state = self.ensure(charger_id)
        state.last_seen = at or utcnow()
        state.last_action = action
        self._notify(state, "seen")

    def set_connected(self, charger_id: str, ocpp_version: str, node_id: str) -> None:
        state = self.ensure(charger_id)
        now = utcnow()
        state.online = True
        state.connected_since = now
        state.disconnected_at = None
        state.last_seen = now
        state.ocpp_version = ocpp_version
        state.node_id = node_id
        self._notify(state, "connection", True)

    def set_disconnected(self, charger_id: str) -> None:
        state = self.ensure(charger_id)
        state.online = False
        state.disconnected_at = utcnow()
        self._notify(state, "connection", False)

    def apply_boot(
        self,
        charger_id: str,
        *,
        vendor: str | None,
        model: str | None,
        serial_number: str | None,
        firmware_version: str | None,
        reason: str | None,
        registration_status: str,
        heartbeat_interval: int,
    ) -> None:
        state = self.ensure(charger_id)
        state.vendor = vendor
        state.model = model
        state.serial_number = serial_number or state.serial_number
        state.firmware_version = firmware_version or state.firmware_version
        state.boot_reason = reason
        state.last_boot_at = utcnow()
        state.registration_status = registration_status
        state.heartbeat_interval = heartbeat_interval
        self._notify(state, "identity")

    def apply_status(
        self,
        charger_id: str,
        connector_id: int,
        status: str,
        *,
        raw_error_code: str | None = "NoError",
        vendor_error_code: str | None = None,
        info: str | None = None,
        at: datetime | None = None,
    ) -> None:
        """A StatusNotification (1.6) or connectorStatus (2.0.1): updates faults too."""
        state = self.ensure(charger_id)
        connector = state.connector(connector_id)
        now = at or utcnow()
        error_code = normalise_ocpp16(raw_error_code)
        changed = (
            connector.status != status
            or connector.raw_error_code != raw_error_code
            or connector.vendor_error_code != vendor_error_code
            or connector.info != info
        )
        if connector.status != status:
            connector.since = now
        connector.updated_at = now
        if not changed:
            self._notify(state, "seen")  # a repeated report: a sign of life, nothing new
            return
        connector.status = status
        connector.error_code = error_code
        connector.raw_error_code = raw_error_code
        connector.vendor_error_code = vendor_error_code
        connector.info = info
        self._notify(state, "status", connector_id)
        for fault in [f for f in state.open_faults if f.source == "StatusNotification"]:
            if fault.connector_id == connector_id and (
                error_code == "NoError"
                or fault.error_code != error_code
                or fault.vendor_error_code != vendor_error_code
            ):
                self.clear_fault(charger_id, fault.uid, at=now)
        if error_code != "NoError" and not any(
            f.source == "StatusNotification" and f.connector_id == connector_id
            for f in state.open_faults
        ):
            self.raise_fault(
                charger_id,
                OpenFault(
                    connector_id=connector_id,
                    source="StatusNotification",
                    error_code=error_code,
                    raw_error_code=raw_error_code,
                    vendor_error_code=vendor_error_code,
                    info=info,
                    raised_at=now,
                ),
            )

    def raise_fault(self, charger_id: str, fault: OpenFault) -> OpenFault:
        state = self.ensure(charger_id)
        for existing in state.open_faults:
            if existing.same_origin(fault):
                return existing
        state.open_faults.append(fault)
        self._notify(state, "fault_raised", fault)
        return fault

    def clear_fault(self, charger_id: str, uid: str, at: datetime | None = None) -> None:
        state = self.ensure(charger_id)
        for fault in state.open_faults:
            if fault.uid == uid:
                state.open_faults.remove(fault)
                self._notify(state, "fault_cleared", (fault, at or utcnow()))
                return

    def clear_faults_where(self, charger_id: str, predicate: Callable[[OpenFault], bool]) -> None:
        state = self.ensure(charger_id)
        for fault in [f for f in state.open_faults if predicate(f)]:
            self.clear_fault(charger_id, fault.uid)

    def start_transaction(self, charger_id: str, tx: ActiveTransaction) -> None:
        state = self.ensure(charger_id)
        state.transactions[tx.transaction_id] = tx
        self._notify(state, "transaction", ("started", tx))

    def stop_transaction(
        self,
        charger_id: str,
        transaction_id: str,
        *,
        meter_stop_wh: float | None,
        reason: str | None,
        at: datetime | None = None,
    ) -> ActiveTransaction | None:
        state = self.ensure(charger_id)
        tx = state.transactions.pop(transaction_id, None)
        self._notify(
            state,
            "transaction",
            ("stopped", tx, transaction_id, meter_stop_wh, reason, at or utcnow()),
        )
        return tx

    def apply_meter(
        self, charger_id: str, transaction_id: str | None, connector_id: int, reading: MeterReading
    ) -> None:
        state = self.ensure(charger_id)
        tx = state.transactions.get(transaction_id) if transaction_id else None
        if tx is None:
            tx = state.transaction_on(connector_id) if connector_id else None
        if tx is not None:
            tx.last_meter = reading
        self._notify(state, "meter", reading)

    def set_field(self, charger_id: str, **fields: object) -> None:
        state = self.ensure(charger_id)
        for name, value in fields.items():
            setattr(state, name, value)
        self._notify(state, "other", fields)
