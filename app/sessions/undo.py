"""Undoing the last answer of a session: which answer, and where the cursor goes back to."""

from __future__ import annotations

from typing import Any

from app.db.models_sessions import SessionStep
from app.errors import Conflict
from app.procedures.engine import Cursor

UNDOABLE = ("answer", "confirm")


def undo_target(steps: list[SessionStep]) -> tuple[SessionStep, dict[str, Any]]:
    """The last answer that can still be taken back and the cursor from before it.

    Answers form a stack: an ``undo`` step pops one. A new procedure or a consultant's push
    starts a fresh stack; a remote command sent (``command`` / ``consultant_command``) closes
    the stack, because the charger acted on it and undoing the answer would not undo that.
    """
    stack: list[tuple[SessionStep, dict[str, Any] | None]] = []
    before: dict[str, Any] | None = None
    barrier: str | None = None
    fields = set(Cursor.model_fields)
    for step in steps:
        if step.kind in UNDOABLE and step.cursor is not None:
            stack.append((step, before))
        elif step.kind == "undo" and stack:
            stack.pop()
        elif step.kind in ("procedure", "push"):
            barrier = "a new procedure was chosen" if stack else None
            stack = []
        elif step.kind in ("command", "consultant_command"):
            stack = []
            barrier = f"the remote command {step.command or ''} was sent (step {step.seq})"
        if step.cursor is not None:
            before = {k: v for k, v in step.cursor.items() if k in fields}
    while stack:
        target, cursor = stack[-1]
        if cursor is not None:
            return target, cursor
        stack.pop()
    if barrier:
        raise Conflict(f"nothing to undo: {barrier} since the last answer")
    raise Conflict("nothing to undo: no answer given yet")
