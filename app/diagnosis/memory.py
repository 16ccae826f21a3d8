"""What the diagnosis service remembers: per charger (its event window, resets, what was
handed off to people) and per open diagnosis (its finding, task, session)."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.diagnosis.engine import (
    BOOT,
    CONNECTED,
    DISCONNECTED,
    FIRMWARE,
    SECURITY_EVENT,
    Finding,
    Observation,
)

WINDOW_MAX = 400  # observations kept per charger
# Observations that charger rules count (boots, reconnects, ...): each is evidence for one
# charger diagnosis only, so they are consumed when such a diagnosis closes.
CHARGER_EVIDENCE = frozenset({BOOT, CONNECTED, DISCONNECTED, SECURITY_EVENT, FIRMWARE})


@dataclass
class Active:
    diagnosis_id: int
    finding: Finding
    site_id: str | None
    task: asyncio.Task[None] | None = None
    session_id: str | None = None
    acted: bool = False
    blocked: bool = False
    opened_at: float = field(default_factory=time.time)
    logs_requested_at: datetime | None = None  # when this diagnosis's collect_logs was sent


@dataclass
class ChargerMemory:
    window: deque[Observation] = field(default_factory=lambda: deque(maxlen=WINDOW_MAX))
    reset_times: list[float] = field(default_factory=list)
    last_action_at: float | None = None
    # fault uids / subjects already handed off: kept until the charger has been healthy for
    # the hold time (a boot loop or a flapping link stops matching between boots)
    parked: set[str] = field(default_factory=set)
    visit_pending: bool = False  # a site visit was asked for this charger (until healthy)
    healthy_since: float | None = None
    evidence_floor: float = 0.0  # charger evidence before this was used by a diagnosis
    firmware: str | None = None
    last_heartbeat: float | None = None
    last_status_report: float | None = None  # any StatusNotification, repeats too
    # fault uid -> earlier cleared occurrences of the same fault (read from the DB once)
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    history_pending: set[str] = field(default_factory=set)
    # connector -> the last status observed (status, error code, vendor code): repeats are
    # not observed again until the charger reconnects or boots
    last_status: dict[int, tuple[str | None, ...]] = field(default_factory=dict)
    # the charger's last word on the upload collect_logs asked for (set before the request)
    log_waiter: asyncio.Future[str] | None = None

    def is_parked(self, finding: Finding) -> bool:
        """Is this finding what was handed off: its subject, or (a fault rule) its fault?"""
        return finding.subject in self.parked or (
            finding.rule.subject == "fault" and finding.fault_uids[0] in self.parked
        )

    def charger_window(self) -> list[Observation]:
        floor = self.evidence_floor
        return [o for o in self.window if o.t >= floor or o.kind not in CHARGER_EVIDENCE]
