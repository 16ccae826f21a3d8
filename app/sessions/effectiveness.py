"""Per-procedure statistics for editors: how often it was used, how often it fixed the fault,
and the step where partners most often leave or call a consultant.

Computed from the session log: a run is a troubleshooting session started with the procedure;
"fixed" is a finished session whose outcome is ``resolved``; "left" is an abandoned session's
last step; "called a consultant" is the step an ``escalated`` entry was written at (older
entries without one: the session's step when it ended).
"""

from __future__ import annotations

from collections import Counter
from statistics import median

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models_sessions import SessionStep, TroubleshootingSession


class StepCount(BaseModel):
    model_config = ConfigDict(extra="forbid")
    node_id: str
    count: int = Field(ge=1)


class ProcedureEffectiveness(BaseModel):
    model_config = ConfigDict(extra="forbid")
    procedure_id: str
    runs: int = Field(description="Sessions started with this procedure.")
    finished: int
    resolved: int = Field(description="Finished sessions whose outcome is resolved.")
    resolution_rate: float | None = Field(description="resolved / finished; none yet: null.")
    escalated: int = Field(description="Sessions in which a consultant was called.")
    escalation_rate: float | None = Field(description="escalated / runs.")
    abandoned: int
    median_minutes: float | None = Field(description="Of the finished sessions.")
    outcomes: dict[str, int]
    left_at: list[StepCount] = Field(description="Abandoned sessions by their last step.")
    consultant_called_at: list[StepCount] = Field(description="Consultant calls by step.")
    leave_steps: list[StepCount] = Field(description="Both together, most first.")
    most_left_step: str | None = Field(
        description="The step where partners most often leave or call a consultant."
    )
    most_left_count: int = 0


def _counts(counter: Counter[str]) -> list[StepCount]:
    return [StepCount(node_id=n, count=c) for n, c in counter.most_common()]


def effectiveness(db: Session, procedure_id: str) -> ProcedureEffectiveness:
    sessions = list(
        db.scalars(
            select(TroubleshootingSession).where(
                TroubleshootingSession.procedure_id == procedure_id
            )
        )
    )
    by_id = {s.id: s for s in sessions}
    called: Counter[str] = Counter()
    escalated: set[str] = set()
    if by_id:
        rows = db.execute(
            select(SessionStep.session_id, SessionStep.node_id).where(
                SessionStep.session_id.in_(list(by_id)), SessionStep.kind == "escalated"
            )
        )
        for session_id, node_id in rows:
            escalated.add(session_id)
            node = node_id or (by_id[session_id].cursor or {}).get("node_id")
            if node:
                called[node] += 1
    left: Counter[str] = Counter()
    abandoned = [s for s in sessions if s.outcome == "abandoned"]
    for s in abandoned:
        node = (s.cursor or {}).get("node_id")
        if node:
            left[node] += 1
    finished = [s for s in sessions if s.status == "finished"]
    durations = [(s.finished_at - s.created_at).total_seconds() for s in finished if s.finished_at]
    runs = len(sessions)
    resolved = sum(1 for s in finished if s.outcome == "resolved")
    both = left + called
    top = both.most_common(1)
    return ProcedureEffectiveness(
        procedure_id=procedure_id,
        runs=runs,
        finished=len(finished),
        resolved=resolved,
        resolution_rate=round(resolved / len(finished), 3) if finished else None,
        escalated=len(escalated),
        escalation_rate=round(len(escalated) / runs, 3) if runs else None,
        abandoned=len(abandoned),
        median_minutes=round(median(durations) / 60, 2) if durations else None,
        outcomes=dict(Counter(s.outcome for s in finished if s.outcome)),
        left_at=_counts(left),
        consultant_called_at=_counts(called),
        leave_steps=_counts(both),
        most_left_step=top[0][0] if top else None,
        most_left_count=top[0][1] if top else 0,
    )
