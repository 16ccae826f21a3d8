"""A diagnosis's remediation: walk its escalation ladder under the policy, prove recovery
after every action, and record each step (the diagnosis row, an action row per step, the
automatic troubleshooting session handed off to people for visits and escalations).

``Remediation`` is the part of ``DiagnosisService`` that acts; the service observes, evaluates
and opens diagnoses, and provides what this part reads: ``state``, ``runner``, ``scale``,
``tick``, ``active``, ``site_in_flight``, ``log_tables``, ``stats``, ``groups``, ``_mem``,
``observe``, ``policy``, ``procedure_for``, ``_end_group``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.commands.gateway import Actor, CommandRequest, CommandResult
from app.commands.runner import Baseline, baseline, effect_seen
from app.diagnosis import log_evidence, storage
from app.diagnosis.engine import (
    ACTION,
    FAULT_RAISED,
    fault_subject,
    healthy,
    problem_present,
)
from app.diagnosis.finding_facts import catalogue_fields, firmware_facts
from app.diagnosis.memory import Active
from app.diagnosis.policy import MAX_IDLE_WAIT_S, STEP_TIMEOUT_S, PolicyView, decide
from app.diagnosis.vocabulary import (
    DISRUPTIVE_STEPS,
    EVIDENCE_STEPS,
    PERIPHERAL_STEPS,
    RESET_STEPS,
)
from app.errors import ChargerOffline, ChargerTimeout
from app.fault_codes import load_catalogue
from app.fleet.model import ChargerLiveState
from app.security.roles import Principal, Role

if TYPE_CHECKING:
    from app.commands.runner import ActionRunner
    from app.diagnosis.engine import Observation
    from app.diagnosis.memory import ChargerMemory
    from app.diagnosis.policy import PolicyConfig
    from app.procedures.schema import Procedure

log = logging.getLogger(__name__)

# Who self-diagnosis acts as (every command it sends is audited under this name).
SYSTEM = Principal("diagnosis", Role.ADMIN)
CLOSED_OK = ("resolved", "self_cleared")
# How long a reset may take to show its reboot (a DC charger boots for minutes).
REBOOT_WAIT_S = 900.0


class Remediation:
    """Walks and records a diagnosis's ladder (mixed into ``DiagnosisService``)."""

    state: Any
    runner: ActionRunner
    scale: float
    tick: float
    active: dict[str, Active]
    site_in_flight: dict[str, set[str]]
    log_tables: dict[str, log_evidence.VendorLogTable]
    stats: dict[str, int]
    groups: dict[str, int]

    if TYPE_CHECKING:  # provided by DiagnosisService

        def _mem(self, charger_id: str) -> ChargerMemory: ...

        def observe(
            self, charger_id: str, kind: str, connector_id: int = 0, **data: Any
        ) -> Observation: ...

        def policy(self) -> PolicyConfig: ...

        def procedure_for(self, finding: Any) -> Procedure | None: ...

        def _end_group(self, diagnosis_id: int, subject: str, *, recovered: bool) -> None: ...

    def _update(self, active: Active, **fields: Any) -> None:
        with self.state.session_factory() as db:
            storage.update(db, active.diagnosis_id, **fields)
            db.commit()

    def _action(self, active: Active, step: str, outcome: str, **kw: Any) -> None:
        with self.state.session_factory() as db:
            storage.add_action(
                db, active.diagnosis_id, active.finding.charger_id, step, outcome, **kw
            )
            db.commit()

    async def _stand_back_for_person(self, active: Active) -> bool:
        """People first: while a person troubleshoots the charger, post the finding into their
        session and do nothing else (no action, no escalation on their behalf)."""
        f = active.finding
        person_session = await asyncio.to_thread(self.state.scope.open_person_session, f.charger_id)
        if person_session is None:
            return False
        note = (
            f"Self-diagnosis #{active.diagnosis_id} found: {f.rule.title} "
            f"({f.rule.fault_class}). Likely cause: {f.rule.likely_cause.strip()} "
            "It took no action because you are working on this charger."
        )
        if self.state.sessions is not None:
            with contextlib.suppress(Exception):
                await self.state.sessions.answer(person_session, SYSTEM, None, "note", note=note)
        self._action(active, "stand_back", "noted", detail=f"person at work: {person_session}")
        self._finish(active, "with_person", note, session_id=person_session)
        return True

    async def _note(self, active: Active, text: str) -> None:
        sessions = self.state.sessions
        if sessions is None or active.session_id is None:
            return
        with contextlib.suppress(Exception):
            await sessions.answer(active.session_id, SYSTEM, None, "note", note=text)

    async def _open_session(self, active: Active) -> None:
        sessions = self.state.sessions
        if sessions is None:
            return
        f = active.finding
        symptom = f"[automatic diagnosis #{active.diagnosis_id}] {f.rule.title}"
        try:
            active.session_id = await sessions.create(
                SYSTEM, f.charger_id, None, f.connector_id or None, symptom
            )
        except Exception:
            log.exception("diagnosis %s: could not open a session", active.diagnosis_id)
            return
        self._update(active, session_id=active.session_id)
        await self._note(
            active,
            f"Diagnosis: {f.rule.title} ({f.rule.fault_class}, confidence {f.rule.confidence:.0%})."
            f" Likely cause: {f.rule.likely_cause.strip()} Plan: {' -> '.join(f.ladder)}."
            + (f" Why not more: {'; '.join(f.notes)}." if f.notes else ""),
        )

    async def _close_session(self, active: Active, outcome: str, note: str) -> int | None:
        sessions = self.state.sessions
        if sessions is None or active.session_id is None:
            return None
        sid = active.session_id
        try:
            if outcome in ("site_visit", "escalate"):
                priority = "high" if outcome == "site_visit" else "normal"
                return await sessions.escalate(sid, SYSTEM, None, note, priority)
            await sessions.finish(sid, SYSTEM, outcome, note)
        except Exception:
            log.exception("diagnosis %s: could not close session %s", active.diagnosis_id, sid)
        return None

    def _finish(self, active: Active, status: str, note: str, **fields: Any) -> None:
        self._update(active, status=status, outcome_note=note, **fields)
        f = active.finding
        mem = self._mem(f.charger_id)
        if f.rule.subject == "charger":
            mem.evidence_floor = time.time()  # these boots/reconnects/events are spent
        if status not in CLOSED_OK:
            # park what this diagnosis is about, nothing else: another fault on the same
            # charger is another problem and gets its own diagnosis
            mem.parked.add(f.subject)
            if f.rule.subject == "fault" and f.fault_uids:
                mem.parked.add(f.fault_uids[0])
            if status == "site_visit":
                mem.visit_pending = True
            mem.healthy_since = None
        if f.group and self.groups.get(f.subject) == active.diagnosis_id:
            # the group's members stay parked until healthy; a later outage of the same site
            # (or the vehicle on another day) is a new diagnosis, not this finished one
            del self.groups[f.subject]
            self._end_group(active.diagnosis_id, f.subject, recovered=status in CLOSED_OK)

    async def _remediate(self, active: Active) -> None:
        cid = active.finding.charger_id
        try:
            if await self._stand_back_for_person(active):
                return
            await self._open_session(active)
            await self._ladder(active)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.exception("diagnosis %s failed", active.diagnosis_id)
            self._finish(active, "escalated", f"remediation failed: {error!r}")
        finally:
            self._release_site(active)
            if self.active.get(cid) is active:
                del self.active[cid]

    def _release_site(self, active: Active) -> None:
        if active.site_id:
            self.site_in_flight.get(active.site_id, set()).discard(active.finding.charger_id)

    async def _ladder(self, active: Active) -> None:
        f = active.finding
        rule = f.rule
        done: list[str] = []
        self._update(active, status="remediating")
        for i, step in enumerate(f.ladder):
            if step in PERIPHERAL_STEPS and self._peripheral_restart(active) is None:
                if step not in f.ladder[:i]:  # a retried step is skipped once, said once
                    self._action(active, step, "skipped", detail=self._no_restart(active))
                continue
            if step in ("site_visit", "escalate"):
                await self._terminal(active, step, done)
                return
            if step == "read_logs":
                found = await self._read_logs(active)
                if found is not None:
                    done.append(step)
                    await self._terminal(
                        active,
                        "site_visit",
                        done,
                        reason=(
                            f"the charger's log names a failed part: {found.part} (log line: "
                            f"{found.line!r}); not resetting"
                        ),
                    )
                    return
                continue
            if step == "wait":
                self._action(active, "wait", "noted", detail=f"waiting up to {rule.wait_s:.0f} s")
                proven = await self._prove(active, rule.wait_s / self.scale)
                if proven == "proven":
                    await self._resolved(active, "self_cleared", "recovered while waiting")
                    return
                continue
            if (
                step == "hard_reset"
                and "soft_reset" in done
                and self._version(f.charger_id) == "2.0.1"
            ):
                self._action(active, step, "skipped", detail="2.0.1: same station reset as before")
                continue
            # before acting: maybe it went away on its own (evidence is collected anyway:
            # a charger finding, e.g. a watchdog reboot, is over by the time it is seen)
            if (
                step not in EVIDENCE_STEPS
                and not self._present(active)
                and (await self._prove(active, 0.0) == "proven")
            ):
                await self._resolved(active, "self_cleared", "recovered before any action")
                return
            decision = await self._await_permission(active, step)
            if decision is None:  # the problem went away while we waited
                await self._resolved(active, "self_cleared", "recovered while waiting to act")
                return
            if decision.verdict == "blocked":
                self._action(active, step, "blocked", detail=decision.reason)
                active.blocked = True
                await self._terminal(active, "escalate", done, reason=decision.reason)
                return
            if decision.verdict == "dry_run":
                plan = " -> ".join(f.ladder[f.ladder.index(step) :])
                self._action(active, step, "dry_run", detail=f"would run: {plan}")
                note = f"dry-run: would run {plan}"
                self._finish(active, "dry_run", note)
                await self._note(active, note)
                await self._close_session(active, "abandoned", note)
                return
            if decision.verdict == "skip":
                self._action(active, step, "skipped", detail=decision.reason)
                await self._note(active, f"{step} skipped: {decision.reason}")
                continue
            if decision.verdict == "wait":  # waited too long for idle/cool-down/site
                self._action(active, step, "deferred", detail=decision.reason)
                await self._terminal(active, "escalate", done, reason=decision.reason)
                return
            baseline_before = baseline(self.state.live.get(f.charger_id))
            answer = await self._act(active, step)
            done.append(step)
            if step == "collect_logs" and answer is None:
                self._mem(f.charger_id).log_waiter = None  # refused or failed: no log coming
            if answer is None or step in EVIDENCE_STEPS:
                continue  # evidence fixes nothing: no effect to wait for, nothing to prove
            await self._await_effect(active, step, baseline_before, answer)
            outcome = await self._prove(active, STEP_TIMEOUT_S.get(step, 120.0) / self.scale)
            self._release_site(active)
            if outcome == "proven":
                self._action(active, step, "proven", detail="healthy for the hold time")
                await self._resolved(active, "resolved", f"resolved by {step}")
                return
            if outcome == "recurred":
                self._action(
                    active, step, "not_proven", detail="the fault came back: no more resets"
                )
                await self._terminal(
                    active,
                    "site_visit",
                    done,
                    reason=f"fault returned after {step}: not resetting again",
                )
                return
            self._action(active, step, "not_proven", detail="problem still present")
        await self._terminal(active, "escalate", done)

    def _present(
        self,
        active: Active,
        live: ChargerLiveState | None = None,
        ignore: frozenset[str] | None = None,
        now: float | None = None,
    ) -> bool:
        """Is this diagnosis's problem still there (on the charger's own event window)?"""
        f = active.finding
        return problem_present(
            f,
            live if live is not None else self.state.live.get(f.charger_id),
            now if now is not None else time.time(),
            ignore if ignore is not None else self._ignored(active),
            window=self._mem(f.charger_id).charger_window(),
            scale=self.scale,
            status_reports=self._status_report_of(f.charger_id),
        )

    def _status_report_of(self, charger_id: str) -> dict[str, float]:
        """This charger's last status report, as the engine reads it (one entry, not the
        fleet's: the proof loop asks often)."""
        last = self._mem(charger_id).last_status_report
        return {charger_id: last} if last is not None else {}

    def _ignored(self, active: Active) -> frozenset[str]:
        """Faults that are not this diagnosis's business when judging recovery: those handed
        off to people (parked, or re-reported under a parked subject, like a ground fault that
        trips again after a reboot), and other faults that appeared after this diagnosis opened
        (each gets its own diagnosis)."""
        f = active.finding
        mem = self._mem(f.charger_id)
        live = self.state.live.get(f.charger_id)
        if live is None:
            return frozenset(mem.parked)
        newer = {
            o.data.get("uid")
            for o in mem.window
            if o.kind == FAULT_RAISED and o.t >= active.opened_at
        }
        other = {
            x.uid
            for x in live.open_faults
            if fault_subject(live, x) in mem.parked
            or (x.uid in newer and fault_subject(live, x) != f.subject)
        }
        return frozenset(mem.parked | other)

    def _version(self, charger_id: str) -> str | None:
        live = self.state.live.get(charger_id)
        return live.ocpp_version if live else None

    def _view(self, active: Active, step: str) -> PolicyView:
        f = active.finding
        live = self.state.live.get(f.charger_id)
        mem = self._mem(f.charger_id)
        connector = f.connector_id if step in ("unlock", "availability_cycle") else None
        tx = live.transaction_on(connector) if live else None
        site = self.site_in_flight.get(active.site_id or "", set()) - {f.charger_id}
        return PolicyView(
            now=time.time(),
            ocpp_version=live.ocpp_version if live else None,
            transaction_active=tx is not None,
            reset_times=tuple(mem.reset_times),
            last_action_at=mem.last_action_at,
            site_in_flight=len(site),
        )

    async def _await_permission(self, active: Active, step: str) -> Any:
        """Wait while the policy says wait (bounded); None when the problem went away."""
        deadline = time.time() + MAX_IDLE_WAIT_S / self.scale
        waited_reason = None
        while True:
            decision = decide(step, self.policy(), self._view(active, step))
            if decision.verdict != "wait" or time.time() >= deadline:
                return decision
            if decision.reason != waited_reason:
                waited_reason = decision.reason
                self._update(active, status="waiting")
                self._action(active, step, "deferred", detail=decision.reason)
                await self._note(active, f"{step} deferred: {decision.reason}")
            live = self.state.live.get(active.finding.charger_id)
            ignore = self._ignored(active)
            gone = not self._present(active, live, ignore) and healthy(
                live, active.finding.connector_id, ignore
            )
            if gone and await self._prove(active, 0.0) == "proven":
                return None
            await asyncio.sleep(self.tick)

    async def _await_effect(self, active: Active, step: str, before: Baseline, answer: str) -> None:
        """Before judging a step, wait for the charger to show its effect: a reset's reboot
        (a boot after the command; a Scheduled OnIdle reset waits for the idle first), any
        other step's fresh report. On the fleet's change events; the proof's timeout follows."""
        f = active.finding
        command = "reset" if step in RESET_STEPS else step
        if step in RESET_STEPS:
            limit = (MAX_IDLE_WAIT_S if answer == "Scheduled" else REBOOT_WAIT_S) / self.scale
        else:
            limit = STEP_TIMEOUT_S.get(step, 120.0) / self.scale
        await self.runner.wait(
            f.charger_id, lambda state: effect_seen(command, before, state), limit
        )

    async def _send(
        self, active: Active, step: str, command: str, params: dict[str, Any]
    ) -> CommandResult | None:
        """Send one command through the gateway; a dropped connection is retried once after
        the charger is back. A refusal (a guard, a person at work) is final."""
        f = active.finding
        actor = Actor(SYSTEM, "diagnosis", f"diagnosis #{active.diagnosis_id}: {f.rule.id}")
        request = CommandRequest(charger_id=f.charger_id, command=command, params=params)
        for attempt in (1, 2):
            self.observe(f.charger_id, ACTION, f.connector_id, step=step, command=command)
            sent = await self.runner.send(request, actor)
            if sent.result is not None:
                return sent.result
            error = sent.error
            transient = isinstance(error, ChargerOffline | ChargerTimeout)
            self._action(
                active,
                step,
                "failed" if transient else "refused",
                command=command,
                params=params,
                detail=f"{type(error).__name__}: {error}"[:500],
            )
            await self._note(active, f"{step}: {command} failed ({type(error).__name__})")
            if not transient or attempt == 2:
                return None
            back = await self.state.live.wait_for(
                f.charger_id,
                lambda s: s is not None and s.online,
                STEP_TIMEOUT_S.get(step, 120.0) / self.scale,
            )
            if not back:
                return None
        return None

    def _peripheral_restart(self, active: Active) -> tuple[str, str] | None:
        """The configuration key and value that restart the peripheral this fault is about
        on this charger's model and protocol, from the fault-code catalogue in force."""
        f = active.finding
        live = self.state.live.get(f.charger_id)
        if live is None or f.catalogue_fault_key is None:
            return None
        catalogue = load_catalogue(self.state.catalogue_folder)
        return catalogue.restart_setting(
            live.vendor, live.model, f.catalogue_fault_key, live.ocpp_version
        )

    def _no_restart(self, active: Active) -> str:
        f = active.finding
        live = self.state.live.get(f.charger_id)
        model = f"{live.vendor} {live.model} on OCPP {live.ocpp_version}" if live else "?"
        part = f"{f.catalogue_fault_key or 'this fault'}'s part"
        return f"the catalogue names no restart of {part} for {model}"

    async def _act(self, active: Active, step: str) -> str | None:
        """Run a step's commands; the charger's last answer, or None when it failed."""
        f = active.finding
        connector = f.connector_id or 1
        calls: list[tuple[str, dict[str, Any]]]
        if step == "trigger_status":
            calls = [("trigger_message", {"message": "StatusNotification"})]
        elif step == "unlock":
            calls = [("unlock_connector", {"connector_id": connector})]
        elif step == "soft_reset":
            calls = [("reset", {"type": "soft"})]
        elif step == "hard_reset":
            calls = [("reset", {"type": "hard"})]
        elif step == "availability_cycle":
            calls = [
                ("change_availability", {"connector_id": f.connector_id, "type": "inoperative"}),
                ("change_availability", {"connector_id": f.connector_id, "type": "operative"}),
            ]
        elif step == "restart_peripheral":
            # the gateway looks the key up in the same catalogue (one key table); the check
            # above only skips the step where there is none
            calls = [("restart_peripheral", {"fault": f.catalogue_fault_key})]
        elif step == "inoperative":
            calls = [
                ("change_availability", {"connector_id": f.connector_id, "type": "inoperative"})
            ]
        elif step == "collect_logs":
            calls = [("get_diagnostics", {})]
            # listen for the upload's last word before asking (a fast charger may answer
            # and upload before the command returns)
            self._mem(f.charger_id).log_waiter = asyncio.get_running_loop().create_future()
            active.logs_requested_at = datetime.now(UTC)
        else:
            raise ValueError(f"unknown step {step}")
        mem = self._mem(f.charger_id)
        if step in DISRUPTIVE_STEPS:
            mem.last_action_at = time.time()
            if active.site_id:
                self.site_in_flight.setdefault(active.site_id, set()).add(f.charger_id)
        if step in RESET_STEPS:
            mem.reset_times.append(time.time())
        self._update(active, status="remediating")
        status = "answered"
        for i, (command, params) in enumerate(calls):
            if i:
                await asyncio.sleep(5.0 / self.scale)
            if i and step == "availability_cycle" and status == "Scheduled":
                # Inoperative was scheduled behind a transaction: Operative now would leave the
                # connector out of service once the session ends; wait for the change to apply
                await self.state.live.wait_for(
                    f.charger_id,
                    lambda s: (
                        s is not None
                        and s.connectors.get(f.connector_id) is not None
                        and s.connectors[f.connector_id].status == "Unavailable"
                    ),
                    MAX_IDLE_WAIT_S / self.scale,
                )
            result = await self._send(active, step, command, params)
            if result is None:
                return None
            self.stats["actions"] += 1
            active.acted = True
            status = result.status or "answered"
            self._action(active, step, "sent", command=command, params=params, detail=status)
            await self._note(active, f"{step}: sent {command} {params}, charger answered {status}")
            if status in ("Rejected", "NotSupported", "UnlockFailed", "Failed"):
                return None
        return status

    async def _read_logs(self, active: Active) -> log_evidence.HardwareEvidence | None:
        """Wait (bounded) for the upload collect_logs asked for and read it for a vendor's
        hardware log message behind this fault. None: nothing found, no upload, no fault key,
        or the charger's vendor has no table (today's behaviour follows)."""
        f = active.finding
        mem = self._mem(f.charger_id)
        waiter, since = mem.log_waiter, active.logs_requested_at
        fault_key = f.catalogue_fault_key
        if waiter is None or since is None or f.rule.subject != "fault" or not fault_key:
            self._action(active, "read_logs", "skipped", detail="no log asked for this fault")
            return None
        try:
            status = await asyncio.wait_for(
                asyncio.shield(waiter), STEP_TIMEOUT_S["read_logs"] / self.scale
            )
        except TimeoutError:
            self._action(active, "read_logs", "not_proven", detail="no upload in time")
            return None
        if status != "Uploaded":
            self._action(active, "read_logs", "not_proven", detail=f"upload {status}")
            return None
        live = self.state.live.get(f.charger_id)
        vendor = live.vendor if live else None
        found = await asyncio.to_thread(self._scan_upload, f.charger_id, since, vendor, fault_key)
        if found is None:
            detail = (
                f"no hardware log message of {vendor} for {fault_key}"
                if (vendor or "").strip().lower() in self.log_tables
                else f"no log table for {vendor or 'an unknown vendor'}: its wording is unknown"
            )
            self._action(active, "read_logs", "noted", detail=detail)
            await self._note(active, f"read_logs: {detail}")
            return None
        detail = f"log names a failed part: {found.part}: {found.line}"[:500]
        self._action(active, "read_logs", "noted", detail=detail)
        await self._note(active, f"read_logs: {detail}")
        return found

    def _scan_upload(
        self, charger_id: str, since: datetime, vendor: str | None, fault_key: str
    ) -> log_evidence.HardwareEvidence | None:
        """The newest upload of this charger since ``since``, read (bounded) for evidence."""
        with self.state.session_factory() as db:
            path = storage.latest_upload_path(db, charger_id, since)
        if path is None or not Path(path).is_file():
            return None
        text = log_evidence.read_log_text(Path(path))
        return log_evidence.find_hardware_evidence(text, vendor, fault_key, self.log_tables)

    async def _prove(self, active: Active, timeout: float) -> str:
        """'proven' once the problem is gone and the charger healthy for the hold time;
        'recurred' if it went away and came back; 'timeout' otherwise."""
        f = active.finding
        hold = self.state.settings.diagnosis_recovery_hold_seconds / self.scale
        deadline = time.time() + timeout + hold
        healthy_since: float | None = None
        was_gone = False
        while True:
            now = time.time()
            live = self.state.live.get(f.charger_id)
            ignore = self._ignored(active)
            present = self._present(active, live, ignore, now)
            if not present and healthy(live, f.connector_id, ignore):
                was_gone = True
                healthy_since = healthy_since or now
                if now - healthy_since >= hold:
                    return "proven"
            else:
                if present and was_gone and active.acted and f.rule.subject == "fault":
                    return "recurred"
                healthy_since = None
                if now >= deadline - hold:
                    return "timeout"
            if now >= deadline:
                return "timeout"
            await asyncio.sleep(self.tick)

    async def _resolved(self, active: Active, status: str, note: str) -> None:
        self._finish(active, status, note)
        await self._note(active, note)
        await self._close_session(active, "resolved", note)

    async def _terminal(
        self, active: Active, step: str, done: list[str], reason: str | None = None
    ) -> None:
        if await self._stand_back_for_person(active):
            return  # a person took over meanwhile: never escalate on their behalf
        f = active.finding
        proc = self.procedure_for(f)
        tried = ", ".join(done) or "no remote action"
        why = reason or ("needs a technician on site" if step == "site_visit" else "needs a person")
        parts = ", ".join(proc.parts) if proc and proc.parts else "none named"
        cat = catalogue_fields(f)
        facts = (
            f"Catalogue: {cat['catalogue_entry'] or 'code not in the catalogue'}"
            f"{' (' + cat['standard_code'] + ')' if cat['standard_code'] else ''}, "
            f"safety class {cat['safety_class']}, responsible: {cat['responsible'] or 'unknown'}."
        )
        if f.group:
            facts += f" Covers {len(f.group)} chargers: {', '.join(f.group[:20])}."
        if f.history:
            facts += f" History: {len(f.history)} earlier occurrence(s), " + ", ".join(
                f"{h.get('raised_at')} - {h.get('cleared_at')}" for h in f.history[:5]
            )
        if f.rule.when.firmware_status is not None:
            facts += " " + firmware_facts(f, self.state.live.get(f.charger_id))
        if f.notes:
            facts += f" Not done: {'; '.join(f.notes)}."
        text = (
            f"{'Site visit' if step == 'site_visit' else 'Escalation'}: {f.rule.title} on "
            f"{f.charger_id} connector {f.connector_id}. {why}. {facts} Tried: {tried}. "
            f"Likely cause: {f.rule.likely_cause.strip()} Procedure: "
            f"{proc.id if proc else 'none'}. Parts: {parts}. Evidence: diagnosis "
            f"#{active.diagnosis_id} ({len(f.evidence)} events)."
        )
        self._action(active, step, "noted", detail=text)
        handoff = await self._close_session(active, step, text)
        status = "site_visit" if step == "site_visit" else "escalated"
        self._finish(active, "blocked" if active.blocked else status, text, handoff_id=handoff)
