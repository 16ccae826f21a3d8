"""The procedure engine: plain functions, no I/O.

A session's position in a procedure is a :class:`Cursor` (current node, phase, visit counts,
attempt number). :func:`begin` enters the start node; :func:`advance` takes the cursor and one
:class:`EngineInput` and returns a :class:`Transition`: the new cursor, the nodes passed, the
branch taken and a :class:`Directive` telling the caller what to do next (ask the partner,
confirm, run a command, wait on live state, supply live state, or finish).

Guardrail: a disruptive command (reset, unlock, change availability, remote stop) while a
transaction runs is blocked (→ on_failure) unless the node sets ``allow_during_transaction``,
in which case the partner must confirm first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from app.commands.catalogue import affected_connector, interrupts_charge, stops_the_charge
from app.procedures.conditions import evaluate, in_transaction
from app.procedures.schema import (
    CheckStateNode,
    ChoiceQuestion,
    InstructionNode,
    MeasurementQuestion,
    Outcome,
    Procedure,
    RemoteActionNode,
    StateCondition,
    TerminalNode,
    YesNoQuestion,
)

MAX_AUTO_STEPS = 1000


class EngineError(ValueError):
    """The input does not fit the current node/phase (the API answers 422)."""


Phase = Literal["input", "confirm", "command", "wait", "state", "finished"]


class Cursor(BaseModel):
    """Where a session stands in its procedure. Stored with every step; enough to resume."""

    node_id: str | None = None
    phase: Phase = "input"
    attempt: int = Field(0, description="remote_action: commands sent in this visit.")
    visits: dict[str, int] = Field(default_factory=dict)
    outcome: Outcome | None = None
    finish_reason: str | None = None


class EngineContext(BaseModel):
    """What the engine may know about the outside world for this call."""

    connector_id: int = 1
    live: dict[str, Any] | None = None


# --------------------------------------------------------------------------- inputs


class Answer(BaseModel):
    kind: Literal["answer"] = "answer"
    value: str | float | bool | None = None


class Confirm(BaseModel):
    kind: Literal["confirm"] = "confirm"
    confirmed: bool = True


class CommandOutcome(BaseModel):
    kind: Literal["command_result"] = "command_result"
    accepted: bool
    status: str | None = None
    detail: str | None = None


class StateObserved(BaseModel):
    kind: Literal["state"] = "state"
    live: dict[str, Any] | None
    changed_since_command: bool = True


class Timeout(BaseModel):
    kind: Literal["timeout"] = "timeout"


EngineInput = Annotated[
    Answer | Confirm | CommandOutcome | StateObserved | Timeout, Field(discriminator="kind")
]


# --------------------------------------------------------------------------- directives


class Ask(BaseModel):
    action: Literal["ask"] = "ask"
    node_id: str
    kind: Literal["instruction", "yes_no", "choice", "measurement"]
    options: list[dict[str, str]] = []
    unit: str | None = None
    expected: dict[str, float | None] | None = None


class ConfirmCommand(BaseModel):
    action: Literal["confirm"] = "confirm"
    node_id: str
    text: str
    reason: Literal["confirmation", "transaction"]


class RunCommand(BaseModel):
    action: Literal["run_command"] = "run_command"
    node_id: str
    command: str
    params: dict[str, Any]
    attempt: int


class WaitState(BaseModel):
    action: Literal["wait_state"] = "wait_state"
    node_id: str
    condition: StateCondition
    timeout_seconds: float
    after_change: bool


class NeedState(BaseModel):
    action: Literal["need_state"] = "need_state"
    node_id: str


class Finish(BaseModel):
    action: Literal["finish"] = "finish"
    node_id: str | None
    outcome: Outcome
    reason: str | None = None


Directive = Annotated[
    Ask | ConfirmCommand | RunCommand | WaitState | NeedState | Finish,
    Field(discriminator="action"),
]


class Transition(BaseModel):
    cursor: Cursor
    directive: Directive
    entered: list[str] = Field(default_factory=list, description="Nodes entered, in order.")
    branch: str | None = Field(None, description="Branch taken out of the node left.")
    note: str | None = Field(None, description="Why, when not obvious (e.g. 'blocked').")


# --------------------------------------------------------------------------- public functions


def begin(procedure: Procedure, ctx: EngineContext | None = None) -> Transition:
    """Enter the start node."""
    ctx = ctx or EngineContext()
    return _enter(procedure, Cursor(), procedure.start, ctx, branch=None, note=None)


def directive_for(procedure: Procedure, cursor: Cursor, ctx: EngineContext) -> Directive:
    """The directive for a stored cursor (used when a session is reloaded)."""
    if cursor.phase == "finished" or cursor.node_id is None:
        return Finish(
            node_id=cursor.node_id,
            outcome=cursor.outcome or Outcome.escalate,
            reason=cursor.finish_reason,
        )
    node = procedure.node(cursor.node_id)
    if cursor.phase == "input":
        return _ask(node)
    if cursor.phase == "confirm":
        return _confirm(node, ctx)
    if cursor.phase == "command":
        return _run(node, cursor.attempt, ctx)
    if cursor.phase == "wait":
        return _wait(node)
    return NeedState(node_id=node.id)


def advance(
    procedure: Procedure, cursor: Cursor, event: Any, ctx: EngineContext | None = None
) -> Transition:
    """Apply one input to the cursor; raise EngineError if it does not fit."""
    ctx = ctx or EngineContext()
    if cursor.phase == "finished" or cursor.node_id is None:
        raise EngineError("the procedure is already finished")
    node = procedure.node(cursor.node_id)

    if isinstance(event, StateObserved) and cursor.phase == "state":
        ctx = ctx.model_copy(update={"live": event.live})
        return _enter_check(procedure, cursor, node, ctx)

    if isinstance(node, InstructionNode | YesNoQuestion | ChoiceQuestion | MeasurementQuestion):
        if not isinstance(event, Answer) or cursor.phase != "input":
            raise EngineError(f"node {node.id!r} expects an answer")
        branch, target = _answer_branch(node, event.value)
        return _enter(procedure, cursor, target, ctx, branch=branch, note=None)

    if isinstance(node, RemoteActionNode):
        return _advance_action(procedure, cursor, node, event, ctx)

    raise EngineError(f"node {node.id!r} ({node.type}) takes no {event.kind} input now")


# --------------------------------------------------------------------------- internals


def _answer_branch(node: Any, value: Any) -> tuple[str, str]:
    if isinstance(node, InstructionNode):
        return "next", node.next
    if isinstance(node, YesNoQuestion):
        text = str(value).strip().lower() if value is not None else ""
        if value is True or text in ("yes", "true", "y"):
            return "yes", node.on_yes
        if value is False or text in ("no", "false", "n"):
            return "no", node.on_no
        raise EngineError(f"node {node.id!r} expects yes or no, got {value!r}")
    if isinstance(node, ChoiceQuestion):
        for choice in node.choices:
            if str(value) == choice.value:
                return f"choice:{choice.value}", choice.next
        allowed = ", ".join(c.value for c in node.choices)
        raise EngineError(f"node {node.id!r} expects one of: {allowed}; got {value!r}")
    if isinstance(node, MeasurementQuestion):
        if isinstance(value, bool) or value is None:
            raise EngineError(f"node {node.id!r} expects a number in {node.unit}")
        try:
            number = float(str(value).replace(",", "."))
        except ValueError:
            raise EngineError(
                f"node {node.id!r} expects a number in {node.unit}, got {value!r}"
            ) from None
        low, high = node.expected.min, node.expected.max
        if low is not None and number < low:
            return ("below", node.below) if node.below else ("out_of_range", node.out_of_range)
        if high is not None and number > high:
            return ("above", node.above) if node.above else ("out_of_range", node.out_of_range)
        return "in_range", node.in_range
    raise EngineError(f"node {node.id!r} takes no answer")


def _advance_action(
    procedure: Procedure, cursor: Cursor, node: RemoteActionNode, event: Any, ctx: EngineContext
) -> Transition:
    if isinstance(event, Confirm) and cursor.phase == "confirm":
        if not event.confirmed:
            return _enter(
                procedure, cursor, node.on_failure, ctx, branch="failure", note="declined"
            )
        new = cursor.model_copy(update={"phase": "command", "attempt": cursor.attempt + 1})
        return Transition(cursor=new, directive=_run(node, new.attempt, ctx), entered=[])

    if isinstance(event, CommandOutcome) and cursor.phase == "command":
        if not event.accepted:
            return _retry_or(procedure, cursor, node, ctx, "failure", node.on_failure, event)
        if node.wait is None:
            return _enter(procedure, cursor, node.on_success, ctx, branch="success", note=None)
        new = cursor.model_copy(update={"phase": "wait"})
        return Transition(cursor=new, directive=_wait(node), entered=[])

    if isinstance(event, StateObserved) and cursor.phase == "wait":
        assert node.wait is not None
        if (not node.needs_change or event.changed_since_command) and evaluate(
            node.wait, event.live, ctx.connector_id
        ):
            return _enter(procedure, cursor, node.on_success, ctx, branch="success", note=None)
        return Transition(cursor=cursor, directive=_wait(node), entered=[])

    if isinstance(event, Timeout) and cursor.phase in ("wait", "command"):
        target = node.on_timeout or node.on_failure
        branch = "timeout" if cursor.phase == "wait" else "failure"
        return _retry_or(procedure, cursor, node, ctx, branch, target, None)

    raise EngineError(
        f"remote action {node.id!r} is in phase {cursor.phase!r} and takes no {event.kind} input"
    )


def _retry_or(
    procedure: Procedure,
    cursor: Cursor,
    node: RemoteActionNode,
    ctx: EngineContext,
    branch: str,
    target: str,
    outcome: CommandOutcome | None,
) -> Transition:
    if cursor.attempt <= node.retries:
        new = cursor.model_copy(update={"phase": "command", "attempt": cursor.attempt + 1})
        note = f"retry {new.attempt - 1} of {node.retries} after {branch}"
        return Transition(cursor=new, directive=_run(node, new.attempt, ctx), note=note)
    note = outcome.status if outcome and outcome.status else None
    return _enter(procedure, cursor, target, ctx, branch=branch, note=note)


def _enter(
    procedure: Procedure,
    cursor: Cursor,
    target: str,
    ctx: EngineContext,
    branch: str | None,
    note: str | None,
) -> Transition:
    """Enter target, following automatic nodes (check_state with known live state)."""
    visits = dict(cursor.visits)
    entered: list[str] = []
    for _ in range(MAX_AUTO_STEPS):
        node = procedure.node(target)
        count = visits.get(target, 0) + 1
        if node.max_visits is not None and count > node.max_visits:
            if node.on_exhausted:
                note = f"{node.id} visited {node.max_visits} times"
                target = node.on_exhausted
                continue
            reason = f"loop bound reached: {node.id} visited {node.max_visits} times"
            new = Cursor(
                node_id=node.id,
                phase="finished",
                visits=visits,
                outcome=Outcome.escalate,
                finish_reason=reason,
            )
            directive = Finish(node_id=node.id, outcome=Outcome.escalate, reason=reason)
            return Transition(
                cursor=new, directive=directive, entered=entered, branch=branch, note=reason
            )
        visits[target] = count
        entered.append(target)
        base = Cursor(node_id=target, visits=visits)

        if isinstance(node, TerminalNode):
            new = base.model_copy(update={"phase": "finished", "outcome": node.outcome})
            directive: Any = Finish(node_id=node.id, outcome=node.outcome)
        elif isinstance(node, CheckStateNode):
            if ctx.live is None:
                new = base.model_copy(update={"phase": "state"})
                directive = NeedState(node_id=node.id)
            else:
                next_target, _ = _check(node, ctx)
                target = next_target
                continue
        elif isinstance(node, RemoteActionNode):
            blocked = _blocked(node, ctx)
            if blocked and not node.allow_during_transaction:
                # the guardrail: never interrupt a charging session unless the procedure allows
                return _enter_blocked(procedure, base, node, ctx, entered, branch)
            if blocked or node.confirmation:
                new = base.model_copy(update={"phase": "confirm"})
                directive = _confirm(node, ctx)
            else:
                new = base.model_copy(update={"phase": "command", "attempt": 1})
                directive = _run(node, 1, ctx)
        else:
            new = base.model_copy(update={"phase": "input"})
            directive = _ask(node)
        return Transition(
            cursor=new, directive=directive, entered=entered, branch=branch, note=note
        )
    raise EngineError("too many automatic steps (check_state loop?)")


def _enter_blocked(
    procedure: Procedure,
    base: Cursor,
    node: RemoteActionNode,
    ctx: EngineContext,
    entered: list[str],
    branch: str | None,
) -> Transition:
    rest = _enter(procedure, base, node.on_failure, ctx, branch="failure", note=None)
    note = f"{node.command} blocked: a transaction is running"
    return rest.model_copy(
        update={"entered": entered + rest.entered, "branch": branch, "note": note}
    )


def _enter_check(procedure: Procedure, cursor: Cursor, node: Any, ctx: EngineContext) -> Transition:
    target, label = _check(node, ctx)
    return _enter(procedure, cursor, target, ctx, branch=label, note=None)


def _check(node: CheckStateNode, ctx: EngineContext) -> tuple[str, str]:
    for i, branch in enumerate(node.branches):
        if evaluate(branch.when, ctx.live, ctx.connector_id):
            return branch.next, f"branch:{i}"
    return node.otherwise, "otherwise"


def _blocked(node: RemoteActionNode, ctx: EngineContext) -> bool:
    """Would the step interrupt a charge? Asked before the partner confirms, with the
    catalogue's own rule; the command gateway enforces it whatever the procedure says. A
    remote stop ends the charge on purpose: it is asked about too, never blocked silently."""
    params = node.typed_params(ctx.connector_id)
    version = str((ctx.live or {}).get("ocpp_version") or "1.6")
    if not (interrupts_charge(node.command, params, version) or stops_the_charge(params)):
        return False
    return in_transaction(ctx.live, affected_connector(params) or 0)


def resolved_params(node: RemoteActionNode, ctx: EngineContext) -> dict[str, Any]:
    """Command parameters with ``$connector`` replaced and defaults filled in."""
    return node.typed_params(ctx.connector_id).model_dump(exclude_none=True)


def _ask(node: Any) -> Ask:
    if isinstance(node, InstructionNode):
        return Ask(
            node_id=node.id,
            kind="instruction",
            options=[{"value": "done", "label": node.confirm_label}],
        )
    if isinstance(node, YesNoQuestion):
        return Ask(
            node_id=node.id,
            kind="yes_no",
            options=[{"value": "yes", "label": "Yes"}, {"value": "no", "label": "No"}],
        )
    if isinstance(node, ChoiceQuestion):
        options = [{"value": c.value, "label": c.label} for c in node.choices]
        return Ask(node_id=node.id, kind="choice", options=options)
    if isinstance(node, MeasurementQuestion):
        return Ask(
            node_id=node.id,
            kind="measurement",
            unit=node.unit,
            expected={"min": node.expected.min, "max": node.expected.max},
        )
    raise EngineError(f"node {node.id!r} asks nothing")


def _confirm(node: RemoteActionNode, ctx: EngineContext) -> ConfirmCommand:
    if _blocked(node, ctx):
        text = (node.confirmation or "") + " A transaction is running and will be interrupted."
        return ConfirmCommand(node_id=node.id, text=text.strip(), reason="transaction")
    return ConfirmCommand(node_id=node.id, text=node.confirmation or "", reason="confirmation")


def _run(node: RemoteActionNode, attempt: int, ctx: EngineContext) -> RunCommand:
    return RunCommand(
        node_id=node.id, command=node.command, params=resolved_params(node, ctx), attempt=attempt
    )


def _wait(node: RemoteActionNode) -> WaitState:
    assert node.wait is not None
    return WaitState(
        node_id=node.id,
        condition=node.wait,
        timeout_seconds=node.timeout_seconds,
        after_change=node.needs_change,
    )


def live_dict(live: Any) -> dict[str, Any] | None:
    """Accept a pydantic live state, a mapping or None, and give the engine a plain dict."""
    if live is None:
        return None
    if hasattr(live, "model_dump"):
        return live.model_dump(mode="json")
    if isinstance(live, Mapping):
        return dict(live)
    raise TypeError(f"cannot use {type(live).__name__} as live state")
