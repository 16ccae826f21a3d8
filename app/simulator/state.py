"""Per-charger mutable state pieces and the pydantic view of a charger's true state."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field

from pydantic import BaseModel

from app.simulator.faults import Cause, FaultSpec
from app.simulator.models import ConnectorSpec


@dataclass(slots=True)
class Transaction:
    connector_id: int
    id_tag: str
    tx_id: str  # the charger's own id (2.0.1 transactionId)
    meter_start_wh: int
    power_kw: float
    started_at: str
    csms_tx_id: int | None = None  # 1.6: assigned by StartTransaction.conf
    seq_no: int = 0
    remote_start_id: int | None = None
    meter_handle: asyncio.TimerHandle | None = None


@dataclass(slots=True)
class ConnectorState:
    spec: ConnectorSpec
    operative: bool = True
    pending_operative: bool | None = None  # Scheduled availability change
    cycle_armed: bool = False  # went Inoperative: an Operative now completes a cycle
    transaction: Transaction | None = None
    plugged: bool = False
    finishing: bool = False
    meter_wh: float = 0.0
    meter_at: float = field(default_factory=time.monotonic)

    @property
    def connector_id(self) -> int:
        return self.spec.connector_id


@dataclass(slots=True)
class ActiveFault:
    spec: FaultSpec
    connector_id: int  # 0 = whole charger
    since: str
    handle: asyncio.TimerHandle | None = None
    event_id: int = 0
    cause: Cause | None = None  # field mode: the hidden cause (None: ideal outcomes)
    rng: random.Random | None = None  # this fault's own draws (same in every benchmark arm)
    evidence: tuple[str, ...] = ()  # what the cause left in the charger's log (field mode)


class FaultView(BaseModel):
    fault: str
    connector_id: int
    since: str
    clears_by: list[str]
    remedy: str


class TransactionView(BaseModel):
    tx_id: str
    csms_tx_id: int | None
    id_tag: str
    started_at: str
    meter_start_wh: int
    energy_wh: int


class ConnectorView(BaseModel):
    connector_id: int
    status: str  # as 1.6 would report it (0: whole charger)
    status_201: str | None  # as 2.0.1 would report it (None for connector 0)
    error_code: str
    vendor_error_code: str | None
    info: str | None
    operative: bool
    transaction: TransactionView | None = None


class ChargerTrueState(BaseModel):
    charger_id: str
    site: str
    vendor: str
    model: str
    firmware: str
    ocpp_version: str
    phase: str  # off, connecting, booting, online, rebooting, offline, stopped
    connected: bool
    boot_count: int
    boot_reason: str
    heartbeat_interval: float
    connectors: list[ConnectorView]
    faults: list[FaultView]
    outbox: int
    commands: int
    uploads: int
    last_error: str | None = None

    @property
    def online(self) -> bool:
        return self.phase == "online"

    def connector(self, connector_id: int) -> ConnectorView:
        for c in self.connectors:
            if c.connector_id == connector_id:
                return c
        raise KeyError(connector_id)

    def has_fault(self, key: str, connector_id: int | None = None) -> bool:
        return any(
            f.fault == key and (connector_id is None or f.connector_id == connector_id)
            for f in self.faults
        )
