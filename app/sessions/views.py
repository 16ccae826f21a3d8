"""What the API returns for a session: state, current node, directive, progress, log, messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.db.base import utcnow
from app.db.models import User
from app.db.models_sessions import HandoffRow, SessionStep, TroubleshootingSession
from app.errors import Conflict
from app.procedures.engine import Cursor, EngineContext, directive_for
from app.procedures.graph import SHOWN, remaining_steps
from app.procedures.schema import Procedure
from app.sessions.undo import undo_target


def step_view(step: SessionStep, with_snapshot: bool = False) -> dict[str, Any]:
    data = {
        "seq": step.seq,
        "at": step.at.isoformat(),
        "actor": step.actor,
        "role": step.role,
        "kind": step.kind,
        "node_id": step.node_id,
        "procedure_id": step.procedure_id,
        "procedure_version": step.procedure_version,
        "answer": step.answer,
        "branch": step.branch,
        "note": step.note,
        "photo": step.photo,
        "command": step.command,
        "command_params": step.command_params,
        "command_result": step.command_result,
        "entered": (step.cursor or {}).get("entered"),
        "elapsed_seconds": step.elapsed_seconds,
    }
    if with_snapshot:
        data["live_snapshot"] = step.live_snapshot
    return data


def hazard_view(node: Any, phase: str) -> dict[str, Any] | None:
    """For the app: the current step is a hazard (show it as one: colour, icon), what the
    person must acknowledge before it, and whether they have."""
    if not node.hazardous:
        return None
    return {
        "safety_level": node.safety_level,
        "qualifications": [str(q) for q in node.required_qualifications()],
        "acknowledgement": node.acknowledgement_text(),
        "acknowledged": phase != "acknowledge",
        "safety_warning": node.safety_warning,
    }


# The principals that act without a person: the sessions' own (escalation by a procedure) and
# self-diagnosis's (app/sessions/service.py SYSTEM, app/diagnosis/service.py SYSTEM).
MACHINE_ACTORS = frozenset({"system", "diagnosis"})


def display_name(db: Any, name: str | None) -> str | None:
    """How a person is shown to others: their account's display name, else the name."""
    if name is None:
        return None
    user = db.get(User, name)
    return (user.display_name if user is not None else None) or name


def session_view(
    db: Any,
    row: TroubleshootingSession,
    procedure: Procedure | None,
    live: dict[str, Any],
    with_snapshots: bool = False,
) -> dict[str, Any]:
    steps = list(
        db.scalars(
            select(SessionStep).where(SessionStep.session_id == row.id).order_by(SessionStep.seq)
        )
    )
    handoff = db.scalar(
        select(HandoffRow).where(HandoffRow.session_id == row.id).order_by(HandoffRow.id.desc())
    )
    current = None
    directive = None
    progress = None
    hazard = None
    estimate = None
    if procedure is not None and row.cursor:
        cursor = Cursor.model_validate(row.cursor)
        if cursor.node_id:
            node = procedure.node(cursor.node_id)
            current = node.model_dump(mode="json", by_alias=True)
            hazard = hazard_view(node, cursor.phase)
        # the directive needs no qualifications: the gate acted when the node was entered
        directive = directive_for(
            procedure, cursor, EngineContext(connector_id=row.connector_id, live=live)
        ).model_dump(mode="json", by_alias=True)
        estimate = step_estimate(procedure, cursor, steps)
        pending = row.pending or {}
        if cursor.phase in ("command", "wait", "idle"):
            progress = {"phase": cursor.phase, "attempt": cursor.attempt}
            deadline = pending.get("idle_deadline" if cursor.phase == "idle" else "deadline")
            if deadline:
                left = (datetime.fromisoformat(deadline) - utcnow()).total_seconds()
                progress["seconds_left"] = max(0.0, round(left, 1))
            if cursor.phase == "idle":
                progress["waiting_for"] = directive["text"]
            elif pending.get("scheduled"):
                progress["waiting_for"] = pending["scheduled"]
    return {
        "id": row.id,
        "version": row.version,
        "charger_id": row.charger_id,
        "connector_id": row.connector_id,
        "partner": row.partner,
        "status": row.status,
        "outcome": row.outcome,
        "outcome_note": row.outcome_note,
        "symptom": row.symptom,
        "procedure": (
            {"id": procedure.id, "version": row.procedure_version, "title": procedure.title}
            if procedure
            else None
        ),
        "cursor": row.cursor,
        "current_node": current,
        "directive": directive,
        "progress": progress,
        "estimate": estimate,
        "can_undo": can_undo(row, steps),
        "consultant_step": (row.pending or {}).get("consultant_step"),
        "hazard": hazard,
        "handoff": (
            {
                "id": handoff.id,
                "status": handoff.status,
                "priority": handoff.priority,
                "claimed_by": handoff.claimed_by,
                "claimed_by_name": display_name(db, handoff.claimed_by),
                "resolution": handoff.resolution,
            }
            if handoff
            else None
        ),
        "messages": [
            {
                "seq": s.seq,
                "at": s.at.isoformat(),
                "from": s.actor,
                "name": display_name(db, s.actor),
                "person": s.actor not in MACHINE_ACTORS,
                "role": s.role,
                "text": s.note,
            }
            for s in steps
            if s.kind == "message"
        ],
        "live": live,
        "steps": [step_view(s, with_snapshots) for s in steps],
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
        "finished_at": row.finished_at.isoformat() if row.finished_at else None,
    }


def step_estimate(
    procedure: Procedure, cursor: Cursor, steps: list[SessionStep]
) -> dict[str, int] | None:
    """ "Step 3 of about 7": steps answered in this procedure (undos taken back) + the
    fewest/most still ahead on the procedure's graph from the current node."""
    if cursor.node_id is None or cursor.phase == "finished":
        return None
    if procedure.node(cursor.node_id).type not in SHOWN:
        return None
    done = 0
    for step in steps:
        if step.kind in ("procedure", "push"):
            done = 0
        elif step.kind in ("answer", "confirm"):
            done += 1
        elif step.kind == "undo":
            done = max(0, done - 1)
    fewest, most = remaining_steps(procedure, cursor.node_id)
    return {"step": done + 1, "fewest": done + max(fewest, 1), "most": done + max(most, 1)}


def can_undo(row: TroubleshootingSession, steps: list[SessionStep]) -> bool:
    if row.status != "active":
        return False
    try:
        undo_target(steps)
    except Conflict:
        return False
    return True
