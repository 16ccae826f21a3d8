"""AppState: the one object that holds the backend's live, mutable state."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.csms.central_system import CentralSystem
from app.csms.cluster import Cluster
from app.csms.directory import ChargerDirectory
from app.csms.live_state import LiveStateStore
from app.csms.recorder import Recorder


@dataclass
class AppState:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    live: LiveStateStore
    recorder: Recorder
    directory: ChargerDirectory
    csms: CentralSystem
    cluster: Cluster
    # Other subsystems (sessions, retrieval, diagnosis) attach their services here by name.
    services: dict[str, Any] = field(default_factory=dict)
