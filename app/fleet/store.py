"""The fleet store: every charger's live state, changed only through its ``apply_*`` methods,
with a typed event (``app.fleet.events``) to every listener after each change.

The OCPP edge calls the ``apply_*`` methods; the recorder, self-diagnosis and live-state waits
listen. Faults are classified by the fault-code catalogue when they are raised (the classifier
is handed in, so this module stays free of data loading).

Faults are a set: several open faults per connector (1.6) / EVSE (2.0.1) and station at once,
each with its own faces. A message that adds a fault never erases another.

OCPP 1.6 StatusNotification carries one errorCode, so when does a new one mean the old fault
cleared? Never by itself: only ``NoError`` on the connector clears its StatusNotification
faults. Reason: real stacks keep several errors active and report them one message each, and
report "no error" only when the last one clears (EVerest libocpp ``ChargePoint::on_error``:
"can be called multiple times for different errors. Errors reported using this function stay
active as long as they are cleared by on_error_cleared()"; ``on_error_cleared``: "If this leads
to the fact that no other error is active anymore, this function will initiate a
StatusNotification.req that reports the current state and no error" (libocpp
include/ocpp/v16/charge_point.hpp)). EVerest also follows a ChargeX code (vendorId
``https://chargex.inl.gov``, vendorErrorCode ``CXnnn``) at once with Faulted / OtherError / info:
that second message is a face of the same trouble, not its end. Treating a different errorCode
as "the old one cleared" lost the meaningful first fault. Cost of the rule: a stack that
silently replaces one error by another keeps the first open until it sends NoError; for safety
a fault assumed open too long is the safe side (no reset while it is open).

OCPP 2.0.1: NotifyEvent raises and clears each (component, EVSE, variable, techCode) itself; a
Faulted connectorStatus opens a generic fault that a later non-Faulted status clears.

Stale transactions. A charger that lost power mid-charge should end the transaction itself
after it comes back (1.6 StopTransaction reason PowerLoss "complete loss of power" or Reboot "a
locally initiated reset/reboot occurred"; 2.0.1 TransactionEvent Ended, stoppedReason
PowerLoss), but a charger whose transaction store was lost sends nothing, and ChargeFix would
believe the charge runs for ever: the no-interruption guard would then refuse every unlock and
reset of that connector. So: when a charger boots (any 1.6 BootNotification, which carries no
reason; a 2.0.1 BootNotification with BootReasonEnumType PowerUp, "the Charging Station powered
up") every transaction believed active is *unconfirmed*; a message of that transaction (a
TransactionEvent or MeterValues naming it, a StopTransaction) confirms or ends it, and a
status ``Available`` on its connector (1.6 ChargePointStatus Available / 2.0.1
ConnectorStatusEnumType Available: "not occupied", no transaction can run there) closes it as
stale, reason PowerLoss (2.0.1 PowerUp) or Reboot (1.6), with ``TransactionStopped.stale`` set
so the recorder audits who closed it: ChargeFix, not the charger.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from datetime import datetime

from app.db.base import utcnow
from app.fault_codes import normalise_ocpp16
from app.fleet.events import (
    Booted,
    Connected,
    Disconnected,
    FaultCleared,
    FaultRaised,
    FirmwareStatusChanged,
    FleetEvent,
    LogStatusChanged,
    MeterSampled,
    SecurityEventReported,
    SignOfLife,
    StatusChanged,
    TransactionNoted,
    TransactionStarted,
    TransactionStopped,
)
from app.fleet.model import (
    MAX_ENDED_REMEMBERED,
    ActiveTransaction,
    ChargerLiveState,
    EvseConnector,
    FaultClassification,
    MeterReading,
    OpenFault,
    SignedMeterValue,
    TransactionTrail,
    evse_status,
)

Listener = Callable[[FleetEvent], None]
Classifier = Callable[[ChargerLiveState, OpenFault], FaultClassification]


def _unclassified(_state: ChargerLiveState, _fault: OpenFault) -> FaultClassification:
    return FaultClassification()


class FleetStore:
    """All chargers' live state, with change notification."""

    def __init__(self, classifier: Classifier | None = None) -> None:
        self._states: dict[str, ChargerLiveState] = {}
        self._listeners: list[Listener] = []
        self._classify = classifier or _unclassified

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

        def listener(event: FleetEvent) -> None:
            if event.charger_id == charger_id and not done.done() and predicate(event.state):
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

    def _notify(self, event: FleetEvent) -> None:
        for listener in list(self._listeners):
            listener(event)

    # -- writing ---------------------------------------------------------------------------
    def load(self, state: ChargerLiveState) -> None:
        """Put a state read back from storage (after a restart): offline until it reconnects."""
        if state.online:
            state.disconnected_at = utcnow()
        state.online = False
        for fault in state.open_faults:  # the catalogue may have changed since
            fault.classification = self._classify(state, fault)
        self._states[state.charger_id] = state

    def reclassify(self) -> None:
        """Name every open fault again (the fault-code catalogue changed)."""
        for state in self._states.values():
            for fault in state.open_faults:
                fault.classification = self._classify(state, fault)

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
        self._notify(SignOfLife(charger_id, state, action))

    def set_connected(self, charger_id: str, ocpp_version: str, node_id: str) -> None:
        state = self.ensure(charger_id)
        now = utcnow()
        state.online = True
        state.connected_since = now
        state.disconnected_at = None
        state.last_seen = now
        state.ocpp_version = ocpp_version
        state.node_id = node_id
        self._notify(Connected(charger_id, state, ocpp_version))

    def set_disconnected(self, charger_id: str) -> None:
        state = self.ensure(charger_id)
        state.online = False
        state.disconnected_at = utcnow()
        self._notify(Disconnected(charger_id, state))

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
        before = state.firmware_version
        state.vendor = vendor
        state.model = model
        state.serial_number = serial_number or state.serial_number
        state.firmware_version = firmware_version or state.firmware_version
        state.boot_reason = reason
        state.last_boot_at = utcnow()
        state.boot_count += 1
        state.reported_since_boot = set()
        state.registration_status = registration_status
        state.heartbeat_interval = heartbeat_interval
        if reason is None or reason == "PowerUp":  # 1.6 boots carry no reason
            for tx in state.transactions.values():
                tx.unconfirmed_since = tx.unconfirmed_since or state.last_boot_at
        changed = before is not None and before != state.firmware_version
        self._notify(Booted(charger_id, state, reason, changed))

    def apply_status(
        self,
        charger_id: str,
        connector_id: int,
        status: str,
        *,
        raw_error_code: str | None = "NoError",
        vendor_id: str | None = None,
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
        state.reported_since_boot.add(connector_id)
        if status == "Available" and connector_id:
            self._close_stale(charger_id, state, connector_id, now)
        if not changed:
            self._notify(SignOfLife(charger_id, state, "StatusNotification"))
            return
        connector.status = status
        connector.error_code = error_code
        connector.raw_error_code = raw_error_code
        connector.vendor_error_code = vendor_error_code
        connector.info = info
        self._notify(StatusChanged(charger_id, state, connector_id))
        if error_code == "NoError":
            # the charger says no error is active on this connector any more
            for fault in [f for f in state.open_faults if f.source == "StatusNotification"]:
                if fault.connector_id == connector_id:
                    self.clear_fault(charger_id, fault.uid, at=now)
            return
        tx = state.transaction_on(connector_id) if connector_id else None
        self.raise_fault(
            charger_id,
            OpenFault(
                connector_id=connector_id,
                source="StatusNotification",
                error_code=error_code,
                raw_error_code=raw_error_code,
                vendor_id=vendor_id,
                vendor_error_code=vendor_error_code,
                info=info,
                id_token=tx.id_tag if tx else None,
                raised_at=now,
            ),
        )

    def apply_connector_status(
        self,
        charger_id: str,
        evse_id: int,
        connector_id: int,
        status: str,
        *,
        at: datetime | None = None,
    ) -> None:
        """A 2.0.1 StatusNotification (G01): one connector's status within its EVSE. The
        connector keeps its own status; the EVSE's (what the guards, faults and diagnosis
        read) follows from all its connectors (``model.evse_status``). 2.0.1 carries no error
        code here: an EVSE Faulted opens a generic fault (NotifyEvent names it)."""
        state = self.ensure(charger_id)
        evse = state.connector(evse_id)
        now = at or utcnow()
        own = evse.connectors.get(connector_id)
        if own is None:
            own = evse.connectors[connector_id] = EvseConnector(connector_id=connector_id)
        moved = own.status != status
        if moved:
            own.since = now
        own.status = status
        own.updated_at = now
        before = evse.status
        aggregate = evse_status(evse.connectors.values())
        self.apply_status(
            charger_id,
            evse_id,
            aggregate,
            raw_error_code="OtherError" if aggregate == "Faulted" else "NoError",
            at=now,
        )
        if moved and evse.status == before:  # the EVSE's status stayed, a connector's moved
            self._notify(StatusChanged(charger_id, state, evse_id))

    def raise_fault(self, charger_id: str, fault: OpenFault) -> OpenFault:
        """Open a fault beside the others (faults are a set); the same fault reported again
        (``OpenFault.same_origin``) is the one already open."""
        state = self.ensure(charger_id)
        for existing in state.open_faults:
            if existing.same_origin(fault):
                return existing
        if fault.id_token is None and fault.connector_id:
            tx = state.transaction_on(fault.connector_id)
            fault.id_token = tx.id_tag if tx else None
        fault.classification = self._classify(state, fault)
        state.open_faults.append(fault)
        self._notify(FaultRaised(charger_id, state, fault))
        return fault

    def clear_fault(self, charger_id: str, uid: str, at: datetime | None = None) -> None:
        state = self.ensure(charger_id)
        for fault in state.open_faults:
            if fault.uid == uid:
                state.open_faults.remove(fault)
                self._notify(FaultCleared(charger_id, state, fault, at or utcnow()))
                return

    def clear_faults_where(self, charger_id: str, predicate: Callable[[OpenFault], bool]) -> None:
        state = self.ensure(charger_id)
        for fault in [f for f in state.open_faults if predicate(f)]:
            self.clear_fault(charger_id, fault.uid)

    def start_transaction(self, charger_id: str, tx: ActiveTransaction) -> None:
        state = self.ensure(charger_id)
        state.transactions[tx.transaction_id] = tx
        self._notify(TransactionStarted(charger_id, state, tx))

    def stop_transaction(
        self,
        charger_id: str,
        transaction_id: str,
        *,
        meter_stop_wh: float | None,
        reason: str | None,
        at: datetime | None = None,
        meter_stop_signed: Iterable[SignedMeterValue] = (),
    ) -> ActiveTransaction | None:
        state = self.ensure(charger_id)
        tx = state.transactions.pop(transaction_id, None)
        if transaction_id not in state.ended_transactions:
            state.ended_transactions.append(transaction_id)
            del state.ended_transactions[:-MAX_ENDED_REMEMBERED]
        for known in [t for t in state.transaction_trails if t not in state.ended_transactions]:
            if known not in state.transactions:
                del state.transaction_trails[known]  # ended long ago: no late event expected
        self._notify(
            TransactionStopped(
                charger_id,
                state,
                transaction_id,
                tx,
                meter_stop_wh,
                reason,
                at or utcnow(),
                meter_stop_signed=tuple(meter_stop_signed),
            )
        )
        return tx

    def note_transaction_event(
        self, charger_id: str, transaction_id: str, seq_no: int, offline: bool
    ) -> TransactionTrail:
        """A 2.0.1 TransactionEvent's seqNo and offline flag (``TransactionTrail``); listeners
        hear of it when it changed the offline count or the seqNo holes."""
        state = self.ensure(charger_id)
        trail = state.transaction_trails.get(transaction_id)
        if trail is None:
            trail = state.transaction_trails[transaction_id] = TransactionTrail()
        before = (trail.offline_events, trail.missing())
        trail.see(seq_no, offline)
        if (trail.offline_events, trail.missing()) != before:
            self._notify(
                TransactionNoted(charger_id, state, transaction_id, trail.model_copy(deep=True))
            )
        return trail

    def confirm_transaction(self, charger_id: str, transaction_id: str) -> None:
        """The charger named this transaction after its boot: it is not stale."""
        state = self.ensure(charger_id)
        tx = state.transactions.get(transaction_id)
        if tx is not None:
            tx.unconfirmed_since = None

    def _close_stale(
        self, charger_id: str, state: ChargerLiveState, connector_id: int, at: datetime
    ) -> None:
        """The connector is Available after a boot: its unconfirmed transactions are over."""
        reason = "PowerLoss" if state.boot_reason == "PowerUp" else "Reboot"
        for tx in list(state.transactions.values()):
            if tx.connector_id == connector_id and tx.unconfirmed_since is not None:
                state.transactions.pop(tx.transaction_id, None)
                meter = tx.last_meter.energy_wh if tx.last_meter else None
                self._notify(
                    TransactionStopped(
                        charger_id, state, tx.transaction_id, tx, meter, reason, at, stale=True
                    )
                )

    def apply_meter(
        self, charger_id: str, transaction_id: str | None, connector_id: int, reading: MeterReading
    ) -> None:
        state = self.ensure(charger_id)
        tx = state.transactions.get(transaction_id) if transaction_id else None
        if tx is not None:
            tx.unconfirmed_since = None  # the charger named it: it runs
        if tx is None:
            tx = state.transaction_on(connector_id) if connector_id else None
        if tx is not None:
            tx.last_meter = reading
        self._notify(
            MeterSampled(charger_id, state, reading, tx.connector_id if tx else connector_id)
        )

    def set_firmware_status(self, charger_id: str, status: str) -> None:
        state = self.ensure(charger_id)
        state.firmware_status = status
        self._notify(FirmwareStatusChanged(charger_id, state, status))

    def set_voltage_monitors(
        self, charger_id: str, monitors: dict[int, str], *, replace: bool = False
    ) -> None:
        """Remember which monitors on the supply voltage are upper ("over") and which lower
        ("under") thresholds, by the station's ids (no change event: nothing waits on it).
        ``replace``: these are all the station has (a complete unfiltered monitoring report),
        so ids not among them are gone."""
        state = self.ensure(charger_id)
        if replace:
            state.voltage_monitors = dict(monitors)
        else:
            state.voltage_monitors.update(monitors)

    def set_nominal_voltage(self, charger_id: str, volts: float) -> None:
        self.ensure(charger_id).nominal_voltage_v = volts

    def set_log_status(self, charger_id: str, status: str) -> None:
        state = self.ensure(charger_id)
        state.diagnostics_status = status
        self._notify(LogStatusChanged(charger_id, state, status))

    def report_security_event(self, charger_id: str, event_type: str) -> None:
        state = self.ensure(charger_id)
        state.last_security_event = event_type[:50]
        self._notify(SecurityEventReported(charger_id, state, event_type[:50]))
