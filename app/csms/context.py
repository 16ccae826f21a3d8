"""What the OCPP handlers need from the backend, in one object."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from app.authorization.store import TokenStore
from app.config import Settings
from app.csms.data_transfer import DataTransferRegistry
from app.csms.recorder import Recorder
from app.fleet.store import FleetStore


@dataclass
class CsmsContext:
    settings: Settings
    live: FleetStore
    recorder: Recorder
    tokens: TokenStore
    data_transfer: DataTransferRegistry = field(default_factory=DataTransferRegistry)
    # charger id -> its status (commissioning, active, blocked): the BootNotification answer
    registration: Callable[[str], str] = lambda _charger_id: "active"
