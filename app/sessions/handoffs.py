"""Consultant handoff: queue, claim, messages, push a procedure or a free-form step, close;
and the note that the charger of an open handoff is healthy again."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import event, or_, select

from app.commands.gateway import Actor, CommandRequest
from app.db.base import utcnow
from app.db.models_sessions import HandoffRow, TroubleshootingSession
from app.security.roles import Principal, Role
from app.sessions.desk_commands import offered_commands
from app.sessions.notify import recovered_notice
from app.sessions.service import BadInput, Conflict, NotFound, SessionService

PRIORITY_ORDER = {"urgent": 0, "high": 1, "normal": 2, "low": 3}


def handoff_view(handoff: HandoffRow, session: TroubleshootingSession | None) -> dict[str, Any]:
    waiting = (utcnow() - handoff.created_at).total_seconds()
    charger = (handoff.summary or {}).get("charger", {})
    return {
        "id": handoff.id,
        "session_id": handoff.session_id,
        "status": handoff.status,
        "priority": handoff.priority,
        "reason": handoff.reason,
        "charger_id": session.charger_id if session else charger.get("id"),
        "site_id": charger.get("site_id"),
        "partner": session.partner if session else None,
        "created_at": handoff.created_at.isoformat(),
        "waiting_seconds": round(waiting, 1),
        "claimed_by": handoff.claimed_by,
        "claimed_at": handoff.claimed_at.isoformat() if handoff.claimed_at else None,
        "closed_at": handoff.closed_at.isoformat() if handoff.closed_at else None,
        "resolution": handoff.resolution,
        "summary": handoff.summary,
        "summary_text": handoff.summary_text,
        "case_id": handoff.case_id or handoff.id,
        "recovered_at": handoff.recovered_at.isoformat() if handoff.recovered_at else None,
    }


def linked_view(handoff: HandoffRow, session: TroubleshootingSession | None) -> dict[str, Any]:
    """Another handoff of the same case, as the desk shows it beside the open one."""
    return {
        "id": handoff.id,
        "status": handoff.status,
        "priority": handoff.priority,
        "reason": handoff.reason,
        "created_by": handoff.created_by,
        "partner": session.partner if session else None,
        "claimed_by": handoff.claimed_by,
        "summary_text": handoff.summary_text,
    }


class HandoffService:
    def __init__(self, sessions: SessionService) -> None:
        self.sessions = sessions

    def queue(self, status: str | None = None) -> list[dict[str, Any]]:
        with self.sessions.db() as db:
            query = select(HandoffRow)
            if status:
                query = query.where(HandoffRow.status == status)
            else:
                query = query.where(HandoffRow.status != "closed")
            rows = list(db.scalars(query))
            rows.sort(key=lambda h: (PRIORITY_ORDER.get(h.priority, 9), h.created_at))
            return [handoff_view(h, db.get(TroubleshootingSession, h.session_id)) for h in rows]

    def get(self, handoff_id: int, who: Principal) -> dict[str, Any]:
        with self.sessions.db() as db:
            handoff = self._row(db, handoff_id)
            session = db.get(TroubleshootingSession, handoff.session_id)
            if session is not None:
                self.sessions.check_access(session, who, asked=f"handoff {handoff_id}")
            if who.has(Role.CONSULTANT):
                self.sessions.audit(db, who, "handoff.read", f"handoff:{handoff_id}")
                db.commit()
            view = handoff_view(handoff, session)
            if not who.has(Role.CONSULTANT):
                return view  # a partner sees their own handoff, not the case's others
            view["linked"] = [
                linked_view(other, db.get(TroubleshootingSession, other.session_id))
                for other in self._case(db, handoff)
                if other.id != handoff.id
            ]
            if view["charger_id"]:
                view["commands"] = offered_commands(self.sessions.live_state(view["charger_id"]))
            return view

    def _case(self, db: Any, handoff: HandoffRow) -> list[HandoffRow]:
        """Every handoff of this one's case, itself included, oldest first."""
        case_id = handoff.case_id or handoff.id
        rows = db.scalars(
            select(HandoffRow).where(HandoffRow.case_id == case_id).order_by(HandoffRow.id)
        )
        return list(rows) or [handoff]

    def _row(self, db: Any, handoff_id: int) -> HandoffRow:
        handoff = db.get(HandoffRow, handoff_id)
        if handoff is None:
            raise NotFound(f"no handoff {handoff_id}")
        return handoff

    async def charger_recovered(
        self, charger_id: str, since: datetime, who: Principal, hold_seconds: float
    ) -> list[int]:
        """Mark every open handoff on this charger: healthy again since ``since`` (online, no
        fault open, no connector Faulted or Unavailable, for ``hold_seconds``). Each gets a
        note in its session and ``recovered_at``; the webhook (if set) tells the dispatcher,
        who may call a truck back. A handoff already marked for this recovery is left alone.
        Returns the ids marked."""
        with self.sessions.db() as db:
            rows = db.execute(
                select(HandoffRow.id, HandoffRow.session_id)
                .join(TroubleshootingSession, TroubleshootingSession.id == HandoffRow.session_id)
                .where(
                    TroubleshootingSession.charger_id == charger_id,
                    HandoffRow.status != "closed",
                    or_(HandoffRow.recovered_at.is_(None), HandoffRow.recovered_at < since),
                )
                .order_by(HandoffRow.id)
            ).all()
        minutes = max(1, round(hold_seconds / 60))
        note = (
            f"{charger_id} is healthy again since {since:%H:%M} UTC: online, no fault open, no "
            f"connector Faulted or Unavailable for {minutes} min. A visit may no longer be "
            "needed: check its live state before anyone drives out."
        )
        marked: list[int] = []
        for handoff_id, session_id in rows:
            async with self.sessions._locks[session_id]:
                with self.sessions.db() as db:
                    handoff = self._row(db, handoff_id)
                    if handoff.status == "closed":
                        continue  # closed meanwhile
                    session = self.sessions.get_row(db, session_id)
                    handoff.recovered_at = since
                    self.sessions._bump(db, session, None)
                    self.sessions._step(db, session, who, "message", note=note)
                    self.sessions.audit(
                        db,
                        who,
                        "handoff.recovered",
                        f"handoff:{handoff_id}",
                        since=since.isoformat(),
                    )
                    self._tell_dispatcher(db, handoff, charger_id, since)
                    db.commit()
                    marked.append(handoff_id)
        return marked

    def _tell_dispatcher(
        self, db: Any, handoff: HandoffRow, charger_id: str, since: datetime
    ) -> None:
        hook = self.sessions.webhook
        if hook is None:
            return
        site_id = ((handoff.summary or {}).get("charger") or {}).get("site_id")
        body = recovered_notice(
            handoff.id,
            charger_id,
            site_id,
            since,
            self.sessions.state.settings.resolved_public_ui_url,
        )
        # sent once the mark is committed, never before
        event.listen(db, "after_commit", lambda _db: hook.offer(body), once=True)

    async def claim(self, handoff_id: int, who: Principal) -> dict[str, Any]:
        with self.sessions.db() as db:
            handoff = self._row(db, handoff_id)
            if handoff.status == "closed":
                raise Conflict("the handoff is closed")
            if handoff.claimed_by and handoff.claimed_by != who.name:
                raise Conflict(f"already claimed by {handoff.claimed_by}")
            session_id = handoff.session_id
        async with self.sessions._locks[session_id]:
            with self.sessions.db() as db:
                handoff = self._row(db, handoff_id)
                session = self.sessions.get_row(db, session_id)
                handoff.status = "claimed"
                handoff.claimed_by = who.name
                handoff.claimed_at = utcnow()
                self.sessions._bump(db, session, None)
                self.sessions._step(db, session, who, "claimed", answer={"handoff_id": handoff_id})
                self.sessions.audit(db, who, "handoff.claim", f"handoff:{handoff_id}")
                db.commit()
                return handoff_view(handoff, session)

    async def message(self, handoff_id: int, who: Principal, text: str) -> None:
        if not text.strip():
            raise BadInput("empty message")
        with self.sessions.db() as db:
            session_id = self._row(db, handoff_id).session_id
        async with self.sessions._locks[session_id]:
            with self.sessions.db() as db:
                session = self.sessions.get_row(db, session_id)
                self.sessions.check_access(session, who, asked=f"handoff {handoff_id}")
                self.sessions._bump(db, session, None)
                self.sessions._step(db, session, who, "message", note=text)
                self.sessions.audit(db, who, "handoff.message", f"handoff:{handoff_id}")
                db.commit()

    async def push_step(
        self, handoff_id: int, who: Principal, text: str, answers: list[str] | None = None
    ) -> None:
        """A free-form next step for the partner; they acknowledge it with answer kind 'ack'.
        With ``answers`` (2 to 4) it is a question: the ack's value must be one of them."""
        with self.sessions.db() as db:
            session_id = self._claimed(db, handoff_id, who).session_id
        async with self.sessions._locks[session_id]:
            with self.sessions.db() as db:
                session = self.sessions.get_row(db, session_id)
                self.sessions._bump(db, session, None)
                asked = {"answers": list(answers)} if answers else None
                step = self.sessions._step(db, session, who, "push", note=text, answer=asked)
                pushed: dict[str, Any] = {"text": text, "by": who.name, "seq": step.seq}
                if answers:
                    pushed["answers"] = list(answers)
                session.pending = {**(session.pending or {}), "consultant_step": pushed}
                self.sessions.audit(db, who, "handoff.push_step", f"handoff:{handoff_id}")
                db.commit()

    async def push_procedure(self, handoff_id: int, who: Principal, procedure_id: str) -> None:
        with self.sessions.db() as db:
            session_id = self._claimed(db, handoff_id, who).session_id
        await self.sessions.choose_procedure(session_id, who, procedure_id, None)

    def _claimed(self, db: Any, handoff_id: int, who: Principal) -> HandoffRow:
        handoff = self._row(db, handoff_id)
        if handoff.status != "claimed":
            raise Conflict("claim the handoff first")
        if handoff.claimed_by != who.name and who.role != Role.ADMIN:
            raise Conflict(f"claimed by {handoff.claimed_by}")
        return handoff

    async def run_command(
        self, handoff_id: int, who: Principal, command: str, params: dict[str, Any]
    ) -> dict[str, Any]:
        with self.sessions.db() as db:
            handoff = self._claimed(db, handoff_id, who)
            session_id = handoff.session_id
            charger_id = self.sessions.get_row(db, session_id).charger_id
        force = params.pop("force", False)
        reason = params.pop("reason", None)
        request = CommandRequest(
            charger_id=charger_id, command=command, params=params, force=force, reason=reason
        )
        sent = await self.sessions.runner.send(
            request, Actor(who, "handoff", f"handoff {handoff_id}")
        )
        result: dict[str, Any] = {"status": sent.status}
        if sent.result is not None:
            result["response"] = sent.result.response
            result["overrides"] = list(sent.result.overrides)
        if sent.error is not None:
            result["error"] = str(sent.error)
        async with self.sessions._locks[session_id]:
            with self.sessions.db() as db:
                session = self.sessions.get_row(db, session_id)
                self.sessions._bump(db, session, None)
                self.sessions._step(
                    db,
                    session,
                    who,
                    "consultant_command",
                    command=command,
                    command_params=params,
                    command_result=result,
                    live=self.sessions.live(charger_id),
                )
                self.sessions.audit(
                    db, who, "handoff.command", f"handoff:{handoff_id}", command=command
                )
                db.commit()
        return result

    async def close(
        self, handoff_id: int, who: Principal, resolution: str, outcome: str, diagnosis: str | None
    ) -> dict[str, Any]:
        """Close the case: this handoff (claimed by the caller) and every other open handoff of
        its case, each session finished with the same outcome."""
        with self.sessions.db() as db:
            handoff = self._claimed(db, handoff_id, who)
            others = [
                h.id for h in self._case(db, handoff) if h.id != handoff_id and h.status != "closed"
            ]
        view = await self._close_one(handoff_id, who, resolution, outcome, diagnosis)
        for other in others:
            note = f"{resolution} (closed with handoff {handoff_id}, same case)"
            await self._close_one(other, who, note, outcome, diagnosis)
        if view is None:
            raise Conflict("the handoff is closed")
        return view

    async def _close_one(
        self, handoff_id: int, who: Principal, resolution: str, outcome: str, diagnosis: str | None
    ) -> dict[str, Any] | None:
        """Close one handoff; None when it was closed meanwhile (nothing is done twice)."""
        with self.sessions.db() as db:
            session_id = self._row(db, handoff_id).session_id
        async with self.sessions._locks[session_id]:
            with self.sessions.db() as db:
                handoff = self._row(db, handoff_id)
                if handoff.status == "closed":
                    return None
                session = self.sessions.get_row(db, session_id)
                handoff.status = "closed"
                handoff.closed_at = utcnow()
                handoff.resolution = resolution
                self.sessions._bump(db, session, None)
                self.sessions._step(
                    db,
                    session,
                    who,
                    "handoff_closed",
                    note=resolution,
                    answer={"handoff_id": handoff_id, "outcome": outcome},
                )
                if session.status != "finished":
                    self.sessions._finish(
                        db,
                        session,
                        who,
                        outcome,
                        resolution,
                        diagnosis,
                        self.sessions.live(session.charger_id),
                    )
                self.sessions.audit(
                    db, who, "handoff.close", f"handoff:{handoff_id}", outcome=outcome
                )
                db.commit()
                return handoff_view(handoff, session)
