"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import text

from app.api.deps import get_state
from app.state import AppState

router = APIRouter(tags=["health"])


class EventLogHealth(BaseModel):
    """The OCPP event-log writer (app/csms/recorder.py)."""

    model_config = ConfigDict(extra="forbid")
    status: str = Field(description="ok or degraded")
    written: int
    dropped: int
    backlog: int = Field(description="Frames queued, not yet written.")
    last_batch_ms: float
    errors: int
    dead_letters: int
    last_error: str | None


class Health(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: str = Field(description="ok, or degraded (database unreachable or event log behind)")
    node_id: str
    database: str = Field(description="ok or unreachable")
    chargers_known: int
    chargers_connected: int
    event_log: EventLogHealth


@router.get("/api/health")
def health(state: AppState = Depends(get_state)) -> Health:
    database_ok = True
    try:
        with state.session_factory() as session:
            session.execute(text("SELECT 1"))
    except Exception:
        database_ok = False
    stats = state.recorder.stats
    return Health(
        status="ok" if database_ok and not stats.degraded else "degraded",
        node_id=state.settings.node_id,
        database="ok" if database_ok else "unreachable",
        chargers_known=len(state.live),
        chargers_connected=len(state.csms.connections),
        event_log=EventLogHealth(
            status="degraded" if stats.degraded else "ok",
            written=stats.frames_written,
            dropped=stats.frames_dropped,
            backlog=state.recorder.backlog,
            last_batch_ms=round(stats.last_batch_ms, 1),
            errors=stats.errors,
            dead_letters=stats.dead_letters,
            last_error=stats.last_error,
        ),
    )
