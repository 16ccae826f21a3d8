"""Troubleshooting sessions: the engine driven against the database and the live backend.

Every change appends a :class:`SessionStep` and bumps the session's ``version`` with a
compare-and-swap UPDATE, so two tablets writing with the same ``expected_version`` cannot both
win (the loser gets :class:`Conflict`, HTTP 409). Remote actions run in a background task:
send the command through ``state.csms.send_command`` (with its guardrails), then poll the live
state until the node's wait condition holds or its timeout passes; the session advances on its
own and clients see it by polling. After a restart, :meth:`SessionService.resume` restarts the
waits of every active session (a command that was in flight counts as failed).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from app.commands.catalogue import affected_connector
from app.commands.gateway import Actor, CommandRequest
from app.commands.runner import ActionRunner, Baseline, baseline, effect_seen
from app.db.base import utcnow
from app.db.models_sessions import (
    HandoffRow,
    SessionAudit,
    SessionStep,
    TroubleshootingSession,
)
from app.errors import ChargeFixError, Conflict, Forbidden, InvalidInput, NotFound
from app.fleet.model import ChargerLiveState
from app.procedures import store
from app.procedures.engine import (
    Acknowledge,
    Answer,
    CommandOutcome,
    Confirm,
    Cursor,
    EngineContext,
    EngineError,
    StateObserved,
    Timeout,
    Transition,
    advance,
    begin,
    charging_now,
    charging_text,
    directive_for,
    live_dict,
)
from app.procedures.schema import Procedure, RemoteActionNode, TerminalNode
from app.security.roles import Principal, Role
from app.security.users import qualifications_of
from app.sessions.notify import HandoffWebhook, notice
from app.sessions.summary import append_ticket, build_summary, summary_text, ticket_row
from app.sessions.undo import undo_target

log = logging.getLogger(__name__)

# Phases a background runner drives: a command to send, a state to wait for, a charge to end.
RUNNER_PHASES = ("command", "wait", "idle")

# The actor of steps nobody pressed a button for: command results, waits, automatic ends.
SYSTEM = Principal("system", Role.ADMIN)
FINAL_OUTCOMES = {"resolved", "site_visit", "vehicle_side", "not_reproducible", "abandoned"}


# The domain's one error tree; the names are kept for the session API's callers.
SessionError = ChargeFixError
BadInput = InvalidInput


def _now() -> datetime:
    return utcnow()


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class SessionService:
    """One per backend (``state.sessions``)."""

    def __init__(self, state: Any) -> None:
        self.state = state
        self.runner = ActionRunner(state.gateway, state.live)
        self._waiting: set[str] = set()  # sessions whose runner waits on live state
        self._locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self.inbox = state.settings.data_dir / "knowledge_base_inbox" / "session_tickets.csv"
        settings = state.settings
        self.webhook = (
            HandoffWebhook(
                settings.handoff_webhook_url,
                queue_size=settings.handoff_webhook_queue,
                attempts=settings.handoff_webhook_attempts,
                backoff_seconds=settings.handoff_webhook_backoff_seconds,
                timeout_seconds=settings.handoff_webhook_timeout_seconds,
            )
            if settings.handoff_webhook_url
            else None
        )

    # ------------------------------------------------------------------ helpers
    def db(self) -> Session:
        return self.state.session_factory()

    def live_state(self, charger_id: str) -> ChargerLiveState | None:
        """The charger's live model: this node's, or the holding node's records when another
        node holds its socket."""
        state = self.state.live.get(charger_id)
        cluster = self.state.cluster
        if cluster.enabled and not self.state.csms.holds(charger_id):
            remote = cluster.remote(charger_id)
            if remote is not None:
                state = remote.state
        return state

    def live(self, charger_id: str) -> dict[str, Any]:
        """The charger's live state as a snapshot (see live_state)."""
        data = live_dict(self.live_state(charger_id))
        return data or {"charger_id": charger_id, "online": False, "connectors": {}}

    def audit(self, db: Session, who: Principal, action: str, target: str, **detail: Any) -> None:
        db.add(
            SessionAudit(
                actor=who.name, role=who.role, action=action, target=target, detail=detail or None
            )
        )

    def get_row(self, db: Session, session_id: str) -> TroubleshootingSession:
        row = db.get(TroubleshootingSession, session_id)
        if row is None:
            raise NotFound(f"no session {session_id}")
        return row

    def check_access(
        self, row: TroubleshootingSession, who: Principal, asked: str | None = None
    ) -> None:
        """Partners do not learn that others' sessions exist: the same NotFound as for a
        missing one, naming only what the caller asked for (``asked``, e.g. "handoff 7";
        default the session id they gave), never an id reached through it."""
        if who.has(Role.CONSULTANT):
            return
        if who.role == Role.PARTNER and row.partner == who.name:
            return
        raise NotFound(f"no {asked or f'session {row.id}'}")

    def procedure_of(self, db: Session, row: TroubleshootingSession) -> Procedure | None:
        if not row.procedure_id or row.procedure_version is None:
            return None
        version = store.get_version(db, row.procedure_id, row.procedure_version)
        if version is None:
            raise NotFound(f"procedure {row.procedure_id} v{row.procedure_version} is gone")
        return store.load(version)

    def steps(self, db: Session, session_id: str) -> list[SessionStep]:
        return list(
            db.scalars(
                select(SessionStep)
                .where(SessionStep.session_id == session_id)
                .order_by(SessionStep.seq)
            )
        )

    def _bump(self, db: Session, row: TroubleshootingSession, expected: int | None) -> None:
        """Compare-and-swap the version: a stale writer gets Conflict."""
        current = row.version
        if expected is not None and expected != current:
            raise Conflict(
                f"session {row.id} is at version {current}, not {expected}: reload and retry"
            )
        result = db.execute(
            update(TroubleshootingSession)
            .where(TroubleshootingSession.id == row.id, TroubleshootingSession.version == current)
            .values(version=current + 1, updated_at=_now())
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            raise Conflict(f"session {row.id} changed meanwhile: reload and retry")
        row.version = current + 1

    def _step(
        self,
        db: Session,
        row: TroubleshootingSession,
        who: Principal,
        kind: str,
        *,
        node_id: str | None = None,
        transition: Transition | None = None,
        live: dict[str, Any] | None = None,
        **fields: Any,
    ) -> SessionStep:
        seq = (
            db.scalar(
                select(SessionStep.seq)
                .where(SessionStep.session_id == row.id)
                .order_by(SessionStep.seq.desc())
                .limit(1)
            )
            or 0
        ) + 1
        cursor = None
        if transition is not None:
            cursor = {**transition.cursor.model_dump(mode="json"), "entered": transition.entered}
            fields.setdefault("branch", transition.branch)
            if transition.note and not fields.get("note"):
                fields["note"] = transition.note
        step = SessionStep(
            session_id=row.id,
            seq=seq,
            at=_now(),
            actor=who.name,
            role=who.role,
            kind=kind,
            node_id=node_id,
            procedure_id=row.procedure_id,
            procedure_version=row.procedure_version,
            live_snapshot=live,
            cursor=cursor,
            elapsed_seconds=round((_now() - _aware(row.created_at)).total_seconds(), 3),
            **fields,
        )
        db.add(step)
        db.flush()
        return step

    def _ctx(self, row: TroubleshootingSession, live: dict[str, Any]) -> EngineContext:
        """The engine's context: the live state and the qualifications of the person at the
        charger (the session's partner, whoever sends the input: a consultant pushing a
        procedure does not lend the partner theirs)."""
        return EngineContext(
            connector_id=row.connector_id,
            live=live,
            test_token=self.state.settings.test_charge_id_tag,
            qualifications=qualifications_of(self.state.session_factory, row.partner),
            catalogue_folder=self.state.catalogue_folder,
        )

    # ------------------------------------------------------------------ create / read
    def default_connector(self, live: dict[str, Any]) -> int:
        connectors = live.get("connectors") or {}
        values = list(connectors.values() if isinstance(connectors, dict) else connectors)
        for conn in values:
            if conn.get("connector_id") and conn.get("status") in ("Faulted", "Unavailable"):
                return int(conn["connector_id"])
        return 1

    async def create(
        self,
        who: Principal,
        charger_id: str,
        procedure_id: str | None,
        connector_id: int | None,
        symptom: str | None,
        partner: str | None = None,
    ) -> str:
        known = self.state.live.get(charger_id)
        if known is None:
            raise NotFound(f"charger {charger_id} is not registered")
        if not self.state.scope.may_start_session(who, known.site_id):
            raise Forbidden(
                f"charger {charger_id} is on site {known.site_id}, which is not assigned to you"
            )
        live = self.live(charger_id)
        session_id = str(uuid.uuid4())
        with self.db() as db:
            row = TroubleshootingSession(
                id=session_id,
                charger_id=charger_id,
                connector_id=connector_id or self.default_connector(live),
                partner=partner if partner and who.has(Role.CONSULTANT) else who.name,
                symptom=symptom,
                status="active",
                version=0,
                created_at=_now(),
                updated_at=_now(),
            )
            db.add(row)
            db.flush()
            self._step(db, row, who, "created", live=live, note=symptom)
            if procedure_id:
                self._switch_procedure(db, row, who, procedure_id, live, kind="procedure")
            self.audit(db, who, "session.create", session_id, charger_id=charger_id)
            db.commit()
        self._kick(session_id)
        return session_id

    def _switch_procedure(
        self,
        db: Session,
        row: TroubleshootingSession,
        who: Principal,
        procedure_id: str,
        live: dict[str, Any],
        kind: str,
    ) -> None:
        version = store.published(db, procedure_id)
        if version is None:
            raise BadInput(f"no published procedure {procedure_id!r}")
        procedure = store.load(version)
        row.procedure_id = procedure.id
        row.procedure_version = version.version
        transition = begin(procedure, self._ctx(row, live))
        row.cursor = transition.cursor.model_dump(mode="json")
        row.status = "active"
        row.pending = None
        self._step(
            db,
            row,
            who,
            kind,
            node_id=procedure.start,
            transition=transition,
            live=live,
            answer={"procedure_id": procedure.id, "version": version.version},
        )
        self._after_transition(db, row, who, procedure, transition, live)

    async def choose_procedure(
        self, session_id: str, who: Principal, procedure_id: str, expected: int | None
    ) -> None:
        async with self._locks[session_id]:
            with self.db() as db:
                row = self.get_row(db, session_id)
                self.check_access(row, who)
                if row.status == "finished":
                    raise Conflict("the session is finished")
                self._bump(db, row, expected)
                live = self.live(row.charger_id)
                kind = "push" if who.role != Role.PARTNER else "procedure"
                self._switch_procedure(db, row, who, procedure_id, live, kind=kind)
                self.audit(db, who, f"session.{kind}", session_id, procedure_id=procedure_id)
                db.commit()
        self._kick(session_id)

    # ------------------------------------------------------------------ partner input
    async def answer(
        self,
        session_id: str,
        who: Principal,
        expected: int | None,
        kind: str,
        value: Any = None,
        note: str | None = None,
        photo: str | None = None,
    ) -> None:
        async with self._locks[session_id]:
            with self.db() as db:
                row = self.get_row(db, session_id)
                self.check_access(row, who)
                if row.status == "finished":
                    raise Conflict("the session is finished")
                live = self.live(row.charger_id)
                if kind in ("note", "ack", "photo"):
                    if kind == "photo" and not photo:
                        raise BadInput("a photo step needs the photo's url (field 'photo')")
                    self._bump(db, row, expected)
                    if kind == "ack":
                        pushed = (row.pending or {}).get("consultant_step") or {}
                        choices = pushed.get("answers")
                        if choices:  # a question: the answer is one of its buttons, logged
                            if value not in choices:
                                raise BadInput(
                                    f"value: answer the consultant's question with one of "
                                    f"{', '.join(map(repr, choices))}; got {value!r}"
                                )
                            note = note or pushed.get("text")
                        row.pending = {**(row.pending or {}), "consultant_step": None}
                    self._step(db, row, who, kind, live=live, note=note, photo=photo, answer=value)
                    self.audit(db, who, f"session.{kind}", session_id)
                    db.commit()
                    return
                procedure = self.procedure_of(db, row)
                if procedure is None or row.cursor is None:
                    raise BadInput("choose a procedure first (POST .../procedure)")
                cursor = Cursor.model_validate(row.cursor)
                if kind == "answer":
                    event: Any = Answer(value=value)
                elif kind == "confirm":
                    event = Confirm(confirmed=value is not False)
                elif kind == "acknowledge":
                    event = Acknowledge(confirmed=value is not False)
                else:
                    raise BadInput(f"unknown answer kind {kind!r}")
                try:
                    transition = advance(procedure, cursor, event, self._ctx(row, live))
                except EngineError as error:
                    raise BadInput(str(error)) from error
                self._bump(db, row, expected)
                row.cursor = transition.cursor.model_dump(mode="json")
                if kind == "acknowledge":
                    # the log keeps what exactly the person confirmed, and at which level
                    node = procedure.node(cursor.node_id)
                    value = {
                        "acknowledged": value is not False,
                        "text": node.acknowledgement_text(),
                        "safety_level": node.safety_level,
                    }
                self._step(
                    db,
                    row,
                    who,
                    kind,
                    node_id=cursor.node_id,
                    transition=transition,
                    live=live,
                    answer=value,
                    note=note,
                    photo=photo,
                )
                self._after_transition(db, row, who, procedure, transition, live)
                self.audit(db, who, f"session.{kind}", session_id, node=cursor.node_id)
                db.commit()
        self._kick(session_id)

    async def undo(self, session_id: str, who: Principal, expected: int | None) -> int:
        """Take back the last answer: the cursor returns to where it stood before that answer
        and an ``undo`` step is logged (nothing is erased). Refused across a remote command
        sent since that answer (the charger cannot be told to forget it) and on a session
        that has ended or been handed to a consultant. Returns the seq of the answer undone."""
        async with self._locks[session_id]:
            with self.db() as db:
                row = self.get_row(db, session_id)
                self.check_access(row, who)
                if row.status != "active":
                    raise Conflict(f"the session is {row.status}: nothing can be undone")
                target, cursor = undo_target(self.steps(db, session_id))
                self._bump(db, row, expected)
                row.cursor = cursor
                consultant = (row.pending or {}).get("consultant_step")
                row.pending = {"consultant_step": consultant} if consultant else None
                restored = Cursor.model_validate(cursor)
                step = self._step(
                    db,
                    row,
                    who,
                    "undo",
                    node_id=restored.node_id,
                    live=self.live(row.charger_id),
                    answer={"undid": target.seq, "node": target.node_id, "was": target.answer},
                )
                step.cursor = {**cursor, "entered": [restored.node_id]}
                self.audit(db, who, "session.undo", session_id, undid=target.seq)
                db.commit()
                undone = target.seq
        self._kick(session_id)
        return undone

    def _after_transition(
        self,
        db: Session,
        row: TroubleshootingSession,
        who: Principal,
        procedure: Procedure,
        transition: Transition,
        live: dict[str, Any],
    ) -> None:
        directive = transition.directive
        if directive.action != "finish":
            return
        node = procedure.node(directive.node_id) if directive.node_id else None
        terminal = node if isinstance(node, TerminalNode) else None
        if directive.outcome.value == "escalate":
            priority = terminal.priority if terminal else "high"
            reason = directive.reason or (terminal.diagnosis if terminal else None)
            # The procedure, not the person who gave the last answer, called the consultant:
            # the step and the handoff name the system as actor (the log must say who did it).
            self._open_handoff(
                db,
                row,
                SYSTEM,
                reason or "procedure ended in escalation",
                priority,
                by_procedure=directive.node_id or "?",
            )
            return
        self._finish(
            db,
            row,
            who,
            directive.outcome.value,
            note=terminal.resolution if terminal else None,
            diagnosis=terminal.diagnosis if terminal else None,
            live=live,
        )

    def _finish(
        self,
        db: Session,
        row: TroubleshootingSession,
        who: Principal,
        outcome: str,
        note: str | None,
        diagnosis: str | None,
        live: dict[str, Any],
    ) -> None:
        row.status = "finished"
        row.outcome = outcome
        row.outcome_note = note
        row.finished_at = _now()
        row.pending = None
        self._step(db, row, who, "finished", live=live, answer={"outcome": outcome}, note=note)
        first = db.scalar(
            select(SessionStep.live_snapshot)
            .where(SessionStep.session_id == row.id)
            .order_by(SessionStep.seq)
            .limit(1)
        )
        try:
            append_ticket(self.inbox, ticket_row(row, live, diagnosis, note, first))
            row.exported_at = _now()
        except OSError:
            log.exception("could not export session %s as a ticket", row.id)

    # ------------------------------------------------------------------ escalation / handoff
    def _open_handoff(
        self,
        db: Session,
        row: TroubleshootingSession,
        who: Principal,
        reason: str,
        priority: str,
        by_procedure: str | None = None,
    ) -> HandoffRow:
        """Open a consultant handoff. ``by_procedure``: the terminal node when the procedure
        escalated on its own (the step then records ``answer.by = "procedure"``)."""
        live = self.live(row.charger_id)
        summary = build_summary(row, self.steps(db, row.id), live, reason)
        handoff = HandoffRow(
            session_id=row.id,
            status="waiting",
            priority=priority,
            reason=reason,
            summary=summary,
            summary_text=summary_text(summary),
            created_by=who.name,
            created_at=_now(),
        )
        db.add(handoff)
        row.status = "escalated"
        row.pending = None
        db.flush()
        # A charger already handed off (self-diagnosis's escalation, or another person's) is
        # one case: the desk shows its handoffs together and closes them together.
        open_case = db.scalar(
            select(HandoffRow.case_id)
            .join(TroubleshootingSession, TroubleshootingSession.id == HandoffRow.session_id)
            .where(
                TroubleshootingSession.charger_id == row.charger_id,
                HandoffRow.status != "closed",
                HandoffRow.id != handoff.id,
                HandoffRow.case_id.is_not(None),
            )
            .order_by(HandoffRow.id)
            .limit(1)
        )
        handoff.case_id = open_case or handoff.id
        if self.webhook is not None:  # sent once the handoff is committed, never before
            body = notice(
                handoff.id,
                row.charger_id,
                summary.get("charger", {}).get("site_id"),
                reason,
                priority,
                self.state.settings.resolved_public_ui_url,
            )
            hook = self.webhook
            event.listen(db, "after_commit", lambda _db: hook.offer(body), once=True)
        answer: dict[str, Any] = {"handoff_id": handoff.id}
        if by_procedure is not None:
            answer.update(by="procedure", node=by_procedure)
        # the step the person was on when the consultant was called (procedure statistics)
        at_node = by_procedure or (row.cursor or {}).get("node_id")
        self._step(
            db, row, who, "escalated", node_id=at_node, live=live, note=reason, answer=answer
        )
        return handoff

    async def escalate(
        self, session_id: str, who: Principal, expected: int | None, reason: str, priority: str
    ) -> int:
        async with self._locks[session_id]:
            with self.db() as db:
                row = self.get_row(db, session_id)
                self.check_access(row, who)
                if row.status != "active":
                    raise Conflict(f"the session is {row.status}")
                self._bump(db, row, expected)
                handoff = self._open_handoff(db, row, who, reason, priority)
                self.audit(db, who, "session.escalate", session_id, priority=priority)
                db.commit()
                return handoff.id

    async def abandon(
        self, session_id: str, who: Principal, expected: int | None, note: str
    ) -> None:
        async with self._locks[session_id]:
            with self.db() as db:
                row = self.get_row(db, session_id)
                self.check_access(row, who)
                if row.status == "finished":
                    raise Conflict("the session is finished")
                self._bump(db, row, expected)
                self._finish(db, row, who, "abandoned", note, None, self.live(row.charger_id))
                self.audit(db, who, "session.abandon", session_id)
                db.commit()

    async def finish(
        self,
        session_id: str,
        who: Principal,
        outcome: str,
        note: str | None,
        diagnosis: str | None = None,
        expected: int | None = None,
    ) -> None:
        """Close a session with an outcome (e.g. ``resolved`` by an automatic diagnosis);
        exported as a ticket like any finished session."""
        async with self._locks[session_id]:
            with self.db() as db:
                row = self.get_row(db, session_id)
                self.check_access(row, who)
                if row.status != "active":
                    raise Conflict(f"the session is {row.status}")
                self._bump(db, row, expected)
                live = self.live(row.charger_id)
                self._finish(db, row, who, outcome, note, diagnosis, live)
                self.audit(db, who, "session.finish", session_id, outcome=outcome)
                db.commit()

    # ------------------------------------------------------------------ remote actions
    def _kick(self, session_id: str) -> None:
        """Start the background runner if the session waits on a command or on live state."""
        task = self._tasks.get(session_id)
        if task is not None and not task.done():
            if session_id not in self._waiting:
                return  # a command is on its way: its runner carries on
            task.cancel()  # it waited for a step that someone has moved past
        with self.db() as db:
            row = db.get(TroubleshootingSession, session_id)
            if row is None or row.status != "active" or not row.cursor:
                return
            if row.cursor.get("phase") not in RUNNER_PHASES:
                return
        self._tasks[session_id] = asyncio.create_task(
            self._run(session_id), name=f"session-{session_id}"
        )

    async def resume(self) -> int:
        """After a restart: commands in flight count as failed; waits continue."""
        with self.db() as db:
            ids = list(
                db.scalars(
                    select(TroubleshootingSession.id).where(
                        TroubleshootingSession.status == "active"
                    )
                )
            )
        resumed = 0
        for session_id in ids:
            async with self._locks[session_id]:
                with self.db() as db:
                    row = self.get_row(db, session_id)
                    pending = row.pending or {}
                    cursor = row.cursor or {}
                    if cursor.get("phase") == "command" and pending.get("sending"):
                        procedure = self.procedure_of(db, row)
                        system = SYSTEM
                        outcome = CommandOutcome(
                            accepted=False, status="Interrupted", detail="backend restarted"
                        )
                        self._apply(
                            db,
                            row,
                            system,
                            procedure,
                            outcome,
                            "command",
                            command_result={"status": "Interrupted"},
                        )
                        db.commit()
            self._kick(session_id)
            resumed += 1
        return resumed

    def _apply(
        self,
        db: Session,
        row: TroubleshootingSession,
        who: Principal,
        procedure: Procedure | None,
        event: Any,
        kind: str,
        **fields: Any,
    ) -> Transition:
        assert procedure is not None and row.cursor is not None
        cursor = Cursor.model_validate(row.cursor)
        live = self.live(row.charger_id)
        transition = advance(procedure, cursor, event, self._ctx(row, live))
        self._bump(db, row, None)
        row.cursor = transition.cursor.model_dump(mode="json")
        self._step(
            db, row, who, kind, node_id=cursor.node_id, transition=transition, live=live, **fields
        )
        self._after_transition(db, row, who, procedure, transition, live)
        return transition

    async def _run(self, session_id: str) -> None:
        try:
            if await self._handed_to_holder(session_id):
                return
            while await self._run_once(session_id):
                pass
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("session %s: remote action runner failed", session_id)

    def run_pending(self, session_id: str) -> None:
        """Run the session's pending command or wait here (this node holds the charger)."""
        self._kick(session_id)

    async def _handed_to_holder(self, session_id: str) -> bool:
        """A step on a charger whose socket another node holds runs on that node: it sends
        through its own gateway and waits on its own live state (the session is in the
        shared database). True when handed over."""
        cluster = self.state.cluster
        if not cluster.enabled:
            return False
        with self.db() as db:
            row = db.get(TroubleshootingSession, session_id)
            charger_id = row.charger_id if row is not None else None
        if charger_id is None or self.state.csms.holds(charger_id):
            return False
        holder = await cluster.holder_of(charger_id)
        if holder is None:
            return False
        await cluster.run_session_on(holder, session_id)
        return True

    async def _run_once(self, session_id: str) -> bool:
        """One command or one wait; True when there is more to do."""
        lock = self._locks[session_id]
        async with lock:
            with self.db() as db:
                row = self.get_row(db, session_id)
                if row.status != "active" or not row.cursor:
                    return False
                procedure = self.procedure_of(db, row)
                cursor = Cursor.model_validate(row.cursor)
                if cursor.phase not in RUNNER_PHASES or procedure is None:
                    return False
                node = procedure.node(cursor.node_id)
                assert isinstance(node, RemoteActionNode)
                charger_id, partner = row.charger_id, row.partner
                ctx = self._ctx(row, self.live(charger_id))
                if cursor.phase == "idle":
                    # a reset / unlock waits for the charge to end, bounded; the deadline is
                    # kept in the row so a restart does not extend it
                    pending = dict(row.pending or {})
                    if not pending.get("idle_deadline"):
                        deadline = _now() + timedelta(seconds=node.idle_timeout_seconds)
                        pending = {
                            "idle_deadline": deadline.isoformat(),
                            "started": _now().isoformat(),
                        }
                        row.pending = pending
                        db.commit()
                elif cursor.phase == "command":
                    directive = directive_for(procedure, cursor, ctx)
                    row.pending = {"sending": True, "attempt": cursor.attempt}
                    db.commit()
                else:
                    pending = dict(row.pending or {})
        if cursor.phase == "command":
            params = dict(directive.params)
            before = baseline(self.state.live.get(charger_id))
            request = CommandRequest(charger_id=charger_id, command=node.command, params=params)
            actor = Actor(
                Principal(partner, Role.PARTNER),
                "session",
                f"session {session_id}, {procedure.id} step {node.id}",
            )
            sent = await self.runner.send(request, actor)
            result: dict[str, Any] = {"status": sent.status}
            if sent.result is not None:
                result["response"] = sent.result.response
            if sent.error is not None:
                result["error"] = str(sent.error)
            async with lock:
                with self.db() as db:
                    row = self.get_row(db, session_id)
                    if row.status != "active" or row.cursor != cursor.model_dump(mode="json"):
                        return False  # someone else moved the session meanwhile
                    transition = self._apply(
                        db,
                        row,
                        SYSTEM,
                        procedure,
                        CommandOutcome(accepted=sent.accepted, status=sent.status),
                        "command",
                        command=node.command,
                        command_params=params,
                        command_result=result,
                    )
                    if transition.cursor.phase == "wait":
                        seconds = node.timeout_seconds
                        pending = {"baseline": before.as_json(), "started": _now().isoformat()}
                        if sent.status == "Scheduled":
                            # 2.0.1 OnIdle (B11.FR.08) or 1.6 availability: the charger acts
                            # when the charge ends, so the proof waits for that too (bounded)
                            seconds += node.idle_timeout_seconds
                            pending["scheduled"] = _wait_idle_text(node, ctx, self.live(charger_id))
                        deadline = _now() + timedelta(seconds=seconds)
                        row.pending = {**pending, "deadline": deadline.isoformat()}
                    db.commit()
                    return transition.cursor.phase in RUNNER_PHASES
        # waiting on live state: woken by the fleet's change events, never by polling
        key = "idle_deadline" if cursor.phase == "idle" else "deadline"
        deadline = datetime.fromisoformat(pending.get(key) or _now().isoformat())
        before = Baseline.from_json(pending.get("baseline"))

        def observed(state: ChargerLiveState | None) -> StateObserved:
            return StateObserved(
                live=live_dict(state) or {"charger_id": charger_id, "online": False},
                changed_since_command=effect_seen(node.command, before, state),
            )

        def moves(state: ChargerLiveState | None) -> bool:
            event = observed(state)
            now = ctx.model_copy(update={"live": event.live})
            return advance(procedure, cursor, event, now).cursor != cursor

        remaining = max(0.0, (deadline - _now()).total_seconds())
        self._waiting.add(session_id)
        try:
            moved = await self.runner.wait(charger_id, moves, remaining)
        finally:
            self._waiting.discard(session_id)
        state = self.state.live.get(charger_id)
        async with lock:
            with self.db() as db:
                row = self.get_row(db, session_id)
                if row.status != "active" or row.cursor != cursor.model_dump(mode="json"):
                    return False
                event: Any = observed(state) if moved else Timeout()
                kind = "state" if moved else "timeout"
                transition = self._apply(db, row, SYSTEM, procedure, event, kind)
                if cursor.phase == "idle" and transition.cursor.phase != "idle":
                    row.pending = None
                db.commit()
                return transition.cursor.phase in RUNNER_PHASES

    async def stop(self) -> None:
        if self.webhook is not None:
            await self.webhook.stop()
        for task in self._tasks.values():
            task.cancel()
        for task in self._tasks.values():
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


def _wait_idle_text(node: RemoteActionNode, ctx: EngineContext, live: dict[str, Any]) -> str:
    """Who is charging, for a command the charger scheduled until the charge ends."""
    params = node.typed_params(ctx.connector_id)
    charging = charging_now(live, affected_connector(params) or 0)
    what = "restarts" if node.command == "reset" else "acts"
    return f"waiting: {charging_text(charging)}; the charger {what} when the charge has ended"


async def attach(state: Any) -> SessionService:
    """The backend's session service: created on first use and resumed once (idempotent).

    The backend calls this at start-up so waits resume without waiting for a request, and
    ``await state.sessions.stop()`` at shut-down.
    """
    if state.sessions is None:
        state.sessions = SessionService(state)
        if state.sessions.webhook is not None:
            await state.sessions.webhook.start()
        await state.sessions.resume()
    return state.sessions
