"""What the OCPP handlers need from the backend, in one object."""

from __future__ import annotations

from dataclasses import dataclass

from app.config import Settings
from app.csms.live_state import LiveStateStore
from app.csms.recorder import Recorder


@dataclass
class CsmsContext:
    settings: Settings
    live: LiveStateStore
    recorder: Recorder
