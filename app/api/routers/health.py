"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from sqlalchemy import text

from app.api.deps import get_state
from app.state import AppState

router = APIRouter(tags=["health"])


@router.get("/api/health")
def health(state: AppState = Depends(get_state)) -> dict[str, Any]:
    database_ok = True
    try:
        with state.session_factory() as session:
            session.execute(text("SELECT 1"))
    except Exception:
        database_ok = False
    stats = state.recorder.stats
    return {
        "status": "ok" if database_ok and not stats.degraded else "degraded",
        "node_id": state.settings.node_id,
        "database": "ok" if database_ok else "unreachable",
        "chargers_known": len(state.live),
        "chargers_connected": len(state.csms.connections),
        "event_log": {
            "status": "degraded" if stats.degraded else "ok",
            "written": stats.frames_written,
            "dropped": stats.frames_dropped,
            "backlog": state.recorder.backlog,
            "last_batch_ms": round(stats.last_batch_ms, 1),
            "errors": stats.errors,
            "dead_letters": stats.dead_letters,
            "last_error": stats.last_error,
        },
    }
