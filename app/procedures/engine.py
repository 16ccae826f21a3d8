"""The procedure engine: plain functions, no I/O.

A session's position in a procedure is a :class:`Cursor` (current node, phase, visit counts,
attempt number). :func:`begin` enters the start node; :func:`advance` takes the cursor and one
:class:`EngineInput` and returns a :class:`Transition`: the new cursor, the nodes passed, the
branch taken and a :class:`Directive` telling the caller what to do next (ask the partner,
confirm, run a command, wait on live state, supply live state, or finish).

Safety, in the order a node is entered:

- The gate: a step whose ``safety_level`` is a hazard (electrical, high voltage) is entered only
  by a person who holds its qualifications (``EngineContext.qualifications``, the session
  partner's, never the caller's). Anyone else is never shown it: the procedure finishes with
  ``escalate`` and the reason, so a consultant takes over. Every entry passes here, the start
  node, automatic check_state hops and a procedure a consultant pushes included.
- A qualified person first acknowledges the isolation (phase ``acknowledge``); the answer to
  the step is taken only after that.
- Charges: a reset or an unlock that would interrupt a running charge never runs: the step
  waits (phase ``idle``) until the charge has ended, bounded by ``idle_timeout_seconds``, and
  says who is charging. Other disruptive commands (change availability, remote stop) are
  blocked (→ on_failure) unless the node sets ``allow_during_transaction``, in which case the
  partner must confirm first. The command gateway enforces its own guards whatever a
  procedure says.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from app.commands.catalogue import affected_connector, interrupts_charge, stops_the_charge
from app.procedures.conditions import evaluate, in_transaction, transactions
from app.procedures.schema import (
    DEFAULT_TEST_TOKEN,
    CheckStateNode,
    ChoiceQuestion,
    InstructionNode,
    MeasurementQuestion,
    Outcome,
    Procedure,
    RemoteActionNode,
    SafetyLevel,
    StateCondition,
    TerminalNode,
    YesNoQuestion,
)
from app.security.qualifications import describe, missing

PERSON_NODES = (InstructionNode, YesNoQuestion, ChoiceQuestion, MeasurementQuestion)
# Commands that never run during a charge from a procedure: they wait for it to end.
WAITS_FOR_IDLE = frozenset({"reset", "unlock_connector"})

MAX_AUTO_STEPS = 1000


class EngineError(ValueError):
    """The input does not fit the current node/phase (the API answers 422)."""


Phase = Literal["acknowledge", "input", "confirm", "idle", "command", "wait", "state", "finished"]


class Cursor(BaseModel):
    """Where a session stands in its procedure. Stored with every step; enough to resume."""

    node_id: str | None = None
    phase: Phase = "input"
    attempt: int = Field(0, description="remote_action: commands sent in this visit.")
    visits: dict[str, int] = Field(default_factory=dict)
    outcome: Outcome | None = None
    finish_reason: str | None = None
    gated: str | None = Field(
        None, description="The hazardous node the person was not let into (then node_id None)."
    )


class EngineContext(BaseModel):
    """What the engine may know about the outside world for this call."""

    connector_id: int = 1
    live: dict[str, Any] | None = None
    test_token: str = Field(
        DEFAULT_TEST_TOKEN, description="The id token a test charge starts with ($test_token)."
    )
    qualifications: frozenset[str] = Field(
        default_factory=frozenset,
        description="What the person at the charger holds; none by default (the safe side).",
    )
    catalogue_folder: Path | None = Field(
        None,
        description="The fault-code catalogue the backend runs with (fault keys, restarts); "
        "None: the shipped one.",
    )


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


class Acknowledge(BaseModel):
    """The person confirms the hazardous step's isolation statement (false: they cannot)."""

    kind: Literal["acknowledge"] = "acknowledge"
    confirmed: bool = True


EngineInput = Annotated[
    Answer | Confirm | CommandOutcome | StateObserved | Timeout | Acknowledge,
    Field(discriminator="kind"),
]


# --------------------------------------------------------------------------- directives


class Ask(BaseModel):
    action: Literal["ask"] = "ask"
    node_id: str
    kind: Literal["instruction", "yes_no", "choice", "measurement"]
    options: list[dict[str, str]] = []
    unit: str | None = None
    expected: dict[str, float | None] | None = None
    hazard: bool = Field(False, description="A hazardous step: show it as one.")
    safety_level: SafetyLevel | None = None


class AcknowledgeHazard(BaseModel):
    """Before a hazardous step: the person must confirm ``text`` (answer kind acknowledge)."""

    action: Literal["acknowledge"] = "acknowledge"
    node_id: str
    hazard: Literal[True] = True
    safety_level: SafetyLevel
    qualifications: list[str]
    text: str


class WaitIdle(BaseModel):
    """A reset / unlock waits for the running charge to end; ``text`` says who is charging."""

    action: Literal["wait_idle"] = "wait_idle"
    node_id: str
    command: str
    connector_id: int = Field(description="What the command acts on (0: the whole charger).")
    charging: list[dict[str, Any]] = Field(
        default_factory=list, description="{connector_id, transaction_id, started_at} each."
    )
    text: str
    timeout_seconds: float


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
    Ask
    | AcknowledgeHazard
    | ConfirmCommand
    | WaitIdle
    | RunCommand
    | WaitState
    | NeedState
    | Finish,
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
    if cursor.phase == "acknowledge":
        return _acknowledge(node)
    if cursor.phase == "input":
        return _ask(node)
    if cursor.phase == "confirm":
        return _confirm(node, ctx)
    if cursor.phase == "idle":
        return _wait_idle(node, ctx)
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

    if cursor.phase == "acknowledge":
        if not isinstance(event, Acknowledge):
            raise EngineError(
                f"node {node.id!r} is a hazardous step: acknowledge the isolation first"
            )
        if not event.confirmed:
            reason = (
                f"the isolation for step {node.title!r} was not confirmed; a consultant takes over"
            )
            return _finish_escalate(cursor, cursor.visits, [], None, reason, node_id=node.id)
        new = cursor.model_copy(update={"phase": "input"})
        return Transition(cursor=new, directive=_ask(node), entered=[], note="acknowledged")

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
        if _waits_for_idle(node, ctx):
            new = cursor.model_copy(update={"phase": "idle"})
            directive = _wait_idle(node, ctx)
            return Transition(cursor=new, directive=directive, entered=[], note=directive.text)
        new = cursor.model_copy(update={"phase": "command", "attempt": cursor.attempt + 1})
        return Transition(cursor=new, directive=_run(node, new.attempt, ctx), entered=[])

    if isinstance(event, StateObserved) and cursor.phase == "idle":
        ctx = ctx.model_copy(update={"live": event.live})
        if _waits_for_idle(node, ctx):
            return Transition(cursor=cursor, directive=_wait_idle(node, ctx), entered=[])
        new = cursor.model_copy(update={"phase": "command", "attempt": cursor.attempt + 1})
        note = "the charge has ended"
        return Transition(cursor=new, directive=_run(node, new.attempt, ctx), note=note)

    if isinstance(event, Timeout) and cursor.phase == "idle":
        target = node.on_timeout or node.on_failure
        minutes = round(node.idle_timeout_seconds / 60)
        note = f"{node.command} not sent: still charging after {minutes} min"
        return _enter(procedure, cursor, target, ctx, branch="timeout", note=note)

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
            node.wait, event.live, ctx.connector_id, ctx.catalogue_folder
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
        lacking = missing(node.required_qualifications(), ctx.qualifications)
        if lacking:
            # the gate: never shown, never counted as entered; a consultant takes over
            reason = (
                f"step {node.title!r} ({node.safety_level or 'restricted'}) needs a "
                f"{describe(lacking)}; the person at the charger does not hold it, "
                "so a consultant takes over"
            )
            return _finish_escalate(cursor, visits, entered, branch, reason, gated=node.id)
        visits[target] = count
        entered.append(target)
        base = Cursor(node_id=target, visits=visits)

        if node.hazardous and isinstance(node, PERSON_NODES):
            new = base.model_copy(update={"phase": "acknowledge"})
            directive = _acknowledge(node)
        elif isinstance(node, TerminalNode):
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
            waits = _waits_for_idle(node, ctx)
            if blocked and not waits and not node.allow_during_transaction:
                # the guardrail: never interrupt a charging session unless the procedure allows
                return _enter_blocked(procedure, base, node, ctx, entered, branch)
            if node.confirmation or (blocked and not waits):
                new = base.model_copy(update={"phase": "confirm"})
                directive = _confirm(node, ctx)
            elif waits:
                new = base.model_copy(update={"phase": "idle"})
                directive = _wait_idle(node, ctx)
                note = directive.text
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


def _finish_escalate(
    cursor: Cursor,
    visits: dict[str, int],
    entered: list[str],
    branch: str | None,
    reason: str,
    *,
    gated: str | None = None,
    node_id: str | None = None,
) -> Transition:
    new = Cursor(
        node_id=node_id,
        phase="finished",
        visits=visits,
        attempt=cursor.attempt if node_id else 0,
        outcome=Outcome.escalate,
        finish_reason=reason,
        gated=gated,
    )
    directive = Finish(node_id=node_id, outcome=Outcome.escalate, reason=reason)
    return Transition(cursor=new, directive=directive, entered=entered, branch=branch, note=reason)


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
        if evaluate(branch.when, ctx.live, ctx.connector_id, ctx.catalogue_folder):
            return branch.next, f"branch:{i}"
    return node.otherwise, "otherwise"


def _blocked(node: RemoteActionNode, ctx: EngineContext) -> bool:
    """Would the step interrupt a charge? Asked before the partner confirms, with the
    catalogue's own rule; the command gateway enforces it whatever the procedure says. A
    remote stop ends the charge on purpose: it is asked about too, never blocked silently."""
    params = node.typed_params(ctx.connector_id, ctx.test_token)
    version = str((ctx.live or {}).get("ocpp_version") or "1.6")
    if not (interrupts_charge(node.command, params, version) or stops_the_charge(params)):
        return False
    return in_transaction(ctx.live, affected_connector(params) or 0)


def _waits_for_idle(node: RemoteActionNode, ctx: EngineContext) -> bool:
    """A reset or unlock that would interrupt a running charge waits for it to end."""
    return node.command in WAITS_FOR_IDLE and _blocked(node, ctx)


def charging_now(live: dict[str, Any] | None, connector_id: int) -> list[dict[str, Any]]:
    """The charges running on a connector (0: anywhere on the charger), oldest first."""
    found = []
    for tx in transactions(live):
        get = tx.get if isinstance(tx, Mapping) else lambda k, d=None, t=tx: getattr(t, k, d)
        on = get("connector_id", get("evse_id"))
        if connector_id and on is not None and on != connector_id:
            continue
        started = get("started_at")
        found.append(
            {
                "connector_id": on,
                "transaction_id": get("transaction_id", get("id")),
                "started_at": str(started) if started is not None else None,
            }
        )
    return sorted(found, key=lambda t: str(t["started_at"]))


def charging_text(charging: list[dict[str, Any]]) -> str:
    """'connector 1 is charging (started 10:02 UTC)' for each running charge."""
    parts = []
    for tx in charging:
        where = f"connector {tx['connector_id']}" if tx["connector_id"] else "a connector"
        started = str(tx.get("started_at") or "")
        clock = started[11:16] if len(started) >= 16 else ""
        parts.append(f"{where} is charging" + (f" (started {clock} UTC)" if clock else ""))
    return "; ".join(parts) or "a charge is running"


def _wait_idle(node: RemoteActionNode, ctx: EngineContext) -> WaitIdle:
    params = node.typed_params(ctx.connector_id, ctx.test_token)
    connector = affected_connector(params) or 0
    charging = charging_now(ctx.live, connector)
    what = "restart" if node.command == "reset" else "unlock"
    text = f"waiting: {charging_text(charging)}; the {what} runs when the charge has ended"
    return WaitIdle(
        node_id=node.id,
        command=node.command,
        connector_id=connector,
        charging=charging,
        text=text,
        timeout_seconds=node.idle_timeout_seconds,
    )


def _acknowledge(node: Any) -> AcknowledgeHazard:
    return AcknowledgeHazard(
        node_id=node.id,
        safety_level=node.safety_level,
        qualifications=[str(q) for q in node.required_qualifications()],
        text=node.acknowledgement_text(),
    )


def resolved_params(node: RemoteActionNode, ctx: EngineContext) -> dict[str, Any]:
    """Command parameters with ``$connector`` replaced and defaults filled in."""
    return node.typed_params(ctx.connector_id, ctx.test_token).model_dump(exclude_none=True)


def _ask(node: Any) -> Ask:
    ask = _ask_plain(node)
    if node.hazardous:
        return ask.model_copy(update={"hazard": True, "safety_level": node.safety_level})
    return ask


def _ask_plain(node: Any) -> Ask:
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
    if _waits_for_idle(node, ctx):
        text = f"{node.confirmation or ''} {_wait_idle(node, ctx).text}."
        return ConfirmCommand(node_id=node.id, text=text.strip(), reason="confirmation")
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
