"""Per-procedure effectiveness: runs, resolution and escalation rates, median time, drop-off."""

from __future__ import annotations

from collections import Counter
from statistics import median
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models_sessions import SessionStep, TroubleshootingSession


def effectiveness(db: Session, procedure_id: str) -> dict[str, Any]:
    sessions = list(
        db.scalars(
            select(TroubleshootingSession).where(
                TroubleshootingSession.procedure_id == procedure_id
            )
        )
    )
    ids = [s.id for s in sessions]
    escalated = (
        set(
            db.scalars(
                select(SessionStep.session_id).where(
                    SessionStep.session_id.in_(ids), SessionStep.kind == "escalated"
                )
            )
        )
        if ids
        else set()
    )
    finished = [s for s in sessions if s.status == "finished"]
    durations = [(s.finished_at - s.created_at).total_seconds() for s in finished if s.finished_at]
    leave: Counter[str] = Counter()
    for s in sessions:
        left = s.outcome == "abandoned" or s.id in escalated
        if left and s.cursor and s.cursor.get("node_id"):
            leave[s.cursor["node_id"]] += 1
    runs = len(sessions)
    resolved = sum(1 for s in finished if s.outcome == "resolved")
    return {
        "procedure_id": procedure_id,
        "runs": runs,
        "finished": len(finished),
        "resolved": resolved,
        "resolution_rate": round(resolved / len(finished), 3) if finished else None,
        "escalation_rate": round(len(escalated) / runs, 3) if runs else None,
        "median_minutes": round(median(durations) / 60, 2) if durations else None,
        "outcomes": dict(Counter(s.outcome for s in finished if s.outcome)),
        "leave_steps": [{"node_id": n, "count": c} for n, c in leave.most_common()],
        "most_left_step": leave.most_common(1)[0][0] if leave else None,
    }
