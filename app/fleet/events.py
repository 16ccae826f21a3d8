"""Typed change events: what the fleet store tells its listeners after every change.

Each event carries the charger's id and its state *after* the change. Listeners (the
recorder, self-diagnosis, live-state waits) match on the class, e.g.
``case FaultRaised(fault=fault): ...``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.fleet.model import (
    ActiveTransaction,
    ChargerLiveState,
    MeterReading,
    OpenFault,
    SignedMeterValue,
    TransactionTrail,
)


@dataclass(frozen=True)
class FleetEvent:
    charger_id: str
    state: ChargerLiveState

    @property
    def significant(self) -> bool:
        """False for mere signs of life (stored lazily), True for anything worth storing now."""
        return True


@dataclass(frozen=True)
class SignOfLife(FleetEvent):
    """Any message from the charger (or a repeated status report that changed nothing)."""

    action: str | None = None

    @property
    def significant(self) -> bool:
        return False


@dataclass(frozen=True)
class Connected(FleetEvent):
    ocpp_version: str = "1.6"


@dataclass(frozen=True)
class Disconnected(FleetEvent):
    pass


@dataclass(frozen=True)
class Booted(FleetEvent):
    """A BootNotification was accepted: identity, firmware and boot reason are in ``state``."""

    reason: str | None = None
    firmware_changed: bool = False


@dataclass(frozen=True)
class StatusChanged(FleetEvent):
    connector_id: int = 0


@dataclass(frozen=True)
class FaultRaised(FleetEvent):
    fault: OpenFault | None = None


@dataclass(frozen=True)
class FaultCleared(FleetEvent):
    fault: OpenFault | None = None
    at: datetime | None = None


@dataclass(frozen=True)
class TransactionStarted(FleetEvent):
    transaction: ActiveTransaction | None = None


@dataclass(frozen=True)
class TransactionStopped(FleetEvent):
    transaction_id: str = ""
    transaction: ActiveTransaction | None = None  # None for a stop of a transaction not known
    meter_stop_wh: float | None = None
    reason: str | None = None
    at: datetime | None = None
    # closed by ChargeFix, not by the charger: a stale record after a boot (audited)
    stale: bool = False
    meter_stop_signed: tuple[SignedMeterValue, ...] = ()  # the stop reading's signatures


@dataclass(frozen=True)
class TransactionNoted(FleetEvent):
    """A 2.0.1 TransactionEvent changed what is known of its transaction's delivery: one more
    event sent while offline, or a seqNo hole opened or filled (``TransactionTrail``)."""

    transaction_id: str = ""
    trail: TransactionTrail | None = None


@dataclass(frozen=True)
class MeterSampled(FleetEvent):
    reading: MeterReading | None = None
    connector_id: int = 0  # the connector (1.6) or EVSE (2.0.1) sampled; 0 when not said

    @property
    def significant(self) -> bool:
        return False


@dataclass(frozen=True)
class FirmwareStatusChanged(FleetEvent):
    status: str = ""


@dataclass(frozen=True)
class LogStatusChanged(FleetEvent):
    status: str = ""


@dataclass(frozen=True)
class SecurityEventReported(FleetEvent):
    event_type: str = ""
