"""The diagnosis service: listens to the live state, raises diagnoses, runs guarded remediation.

One per backend (``state.diagnosis``). A live-state listener turns changes into
a per-charger event window; a ticker evaluates the rules (``engine.evaluate``) for chargers
with something going on; each new diagnosis gets a task that walks its escalation ladder
under the policy (``policy.decide``), proves recovery (healthy for the hold time) after every
action, and records everything: the diagnosis rows, an action row per step, the command audit
of the central system, and an automatic troubleshooting session (handed off to consultants
for site visits and escalations).

This module observes and evaluates; ``remediation.py`` walks a diagnosis's ladder and records
it, ``memory.py`` holds what is remembered per charger and per open diagnosis, and
``finding_facts.py`` turns a finding into what its row and notes say.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.commands.runner import ActionRunner
from app.diagnosis import history as fault_history
from app.diagnosis import log_evidence, proactive, storage
from app.diagnosis.engine import (
    BOOT,
    CALL_TIMEOUT,
    CONNECTED,
    DISCONNECTED,
    FAULT_CLEARED,
    FAULT_RAISED,
    FIRMWARE,
    METER,
    SECURITY_EVENT,
    STATUS,
    TX_STARTED,
    TX_STOPPED,
    Finding,
    FleetContext,
    Observation,
    evaluate,
    fault_code,
    fault_key_of,
    fault_subject,
    healthy,
    pattern_key,
)
from app.diagnosis.finding_facts import (
    catalogue_fields,
    evidence_rows,
    fault_data,
    token_of,
)
from app.diagnosis.memory import Active, ChargerMemory
from app.diagnosis.policy import (
    PolicyConfig,
)
from app.diagnosis.remediation import SYSTEM, Remediation
from app.diagnosis.vocabulary import (
    EVIDENCE_STEPS,
    REMOTE_STEPS,
    Rule,
    load_rules,
)
from app.fault_codes import load_catalogue
from app.fleet.events import (
    Booted,
    Connected,
    Disconnected,
    FaultCleared,
    FaultRaised,
    FirmwareStatusChanged,
    FleetEvent,
    LogStatusChanged,
    MeterSampled,
    SecurityEventReported,
    SignOfLife,
    StatusChanged,
    TransactionStarted,
    TransactionStopped,
)
from app.fleet.model import ActiveTransaction, ChargerLiveState, MeterReading, OpenFault
from app.procedures.loader import load_yaml_file
from app.procedures.schema import Procedure
from app.security.roles import Principal
from app.sessions.handoffs import HandoffService

log = logging.getLogger(__name__)
# Security events a charger reports in normal life (after our own resets, updates, boots).
ROUTINE_SECURITY_EVENTS = frozenset(
    {"StartupOfTheDevice", "ResetOrReboot", "FirmwareUpdated", "SettingSystemTime"}
)
# The ticker yields to the event loop after this much work (seconds of the loop's time): a
# slice of 200 chargers, with the fleet context rebuilt for each, took 22 ms of CPU at 5,000
# chargers and stretched the OCPP round trip's p99 at 2,000 msg/s to 58 ms (bench/ocpp_load.py).
EVALUATION_BUDGET_S = 0.002
CONTEXT_SLICE = 500  # chargers read into the fleet context between two yields

WINDOW_S = 4 * 3600.0
# How far back a fault's id token is remembered (a vehicle visiting other chargers).
TOKEN_MEMORY_S = 7 * 86400.0
# How far back the faults table is read for a fault's history (chronic faults: 7 to 30 days).
HISTORY_S = 30 * 86400.0
# A log upload's last word: 1.6 DiagnosticsStatusNotification (Uploaded, UploadFailed), 2.0.1
# N01 / 1.6 security LogStatusNotification (Uploaded, UploadFailure, BadMessage,
# NotSupportedOperation, PermissionDenied). Uploading / Idle / AcceptedCanceled are not.
LOG_FINAL = frozenset(
    {
        "Uploaded",
        "UploadFailed",
        "UploadFailure",
        "BadMessage",
        "NotSupportedOperation",
        "PermissionDenied",
    }
)


def load_procedures(folder: Path) -> list[Procedure]:
    out = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            out.append(Procedure.model_validate(load_yaml_file(path)))
        except Exception:  # a broken procedure must not stop diagnosis
            log.warning("diagnosis: skipping unreadable procedure %s", path)
    return out


class DiagnosisService(Remediation):
    def __init__(self, state: Any, rules: list[Rule] | None = None) -> None:
        self.state = state
        self.runner = ActionRunner(state.gateway, state.live)
        s = state.settings
        self.rules = rules if rules is not None else load_rules(s.diagnosis_rules_dir)
        self.procedures = {
            p.id: p for p in load_procedures(Path(s.knowledge_base_dir) / "procedures")
        }
        logs_folder = Path(s.knowledge_base_dir) / "log_messages"
        if not logs_folder.is_dir():  # as the fault-code catalogue does (app/backend.py)
            log.warning("no log_messages in %s: using the shipped tables", s.knowledge_base_dir)
            logs_folder = log_evidence.LOG_MESSAGES_DIR
        self.log_tables = _log_tables(logs_folder)
        self.kill_switch: bool = s.diagnosis_kill_switch
        self.dry_run: bool = s.diagnosis_dry_run
        self.scale = max(s.diagnosis_time_scale, 1e-6)
        self.tick = max(0.02, 5.0 / self.scale)
        self.memory: dict[str, ChargerMemory] = {}
        self.active: dict[str, Active] = {}
        self.site_in_flight: dict[str, set[str]] = {}
        self._seq = 0
        self._task: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[Any]] = set()
        # idToken -> charger -> when a fault was raised under it (a fault that follows a vehicle)
        self.token_faults: dict[str, dict[str, float]] = {}
        # idToken -> diagnoses opened on faults raised under it: the first occurrence cannot be
        # known to follow a vehicle; the second attributes them too (retroactively)
        self.token_diagnoses: dict[str, list[int]] = {}
        # group subjects (site-wide, fleet pattern, vehicle) already diagnosed -> diagnosis id
        self.groups: dict[str, int] = {}
        # group diagnosis -> member charger -> the faults (uids) parked under it there
        self.group_members: dict[int, dict[str, set[str]]] = {}
        # vehicle subjects handed off -> (their diagnosis, when the vehicle last met the fault)
        self.vehicles: dict[str, tuple[int, float]] = {}
        self.stats: dict[str, int] = {"evaluations": 0, "diagnoses": 0, "actions": 0}

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        self.state.live.add_listener(self.on_change)
        listeners = getattr(self.state, "command_listeners", None)
        if listeners is not None:
            listeners.append(self.on_command)
        self._task = asyncio.create_task(self._ticker(), name="diagnosis-ticker")

    async def stop(self) -> None:
        self.state.live.remove_listener(self.on_change)
        listeners = getattr(self.state, "command_listeners", None)
        if listeners is not None and self.on_command in listeners:
            listeners.remove(self.on_command)
        tasks = [
            t for t in [self._task, *(a.task for a in self.active.values()), *self._background] if t
        ]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def policy(self) -> PolicyConfig:
        s = self.state.settings
        return PolicyConfig(
            kill_switch=self.kill_switch,
            dry_run=self.dry_run,
            max_resets_per_day=s.diagnosis_max_resets_per_day,
            cooldown_s=s.diagnosis_cooldown_seconds,
            site_concurrent_limit=s.diagnosis_site_concurrent_limit,
            wait_for_idle=s.diagnosis_wait_for_idle,
            scale=self.scale,
        )

    def set_flags(self, who: Principal, **flags: bool) -> dict[str, bool]:
        """Change kill switch / dry-run at run time (audited)."""
        changed = {}
        for name in ("kill_switch", "dry_run"):
            value = flags.get(name)
            if value is not None and value != getattr(self, name):
                setattr(self, name, value)
                changed[name] = value
        if changed:
            with self.state.session_factory() as db:
                storage.audit(db, who.name, who.role, "policy.update", **changed)
                db.commit()
        return {"kill_switch": self.kill_switch, "dry_run": self.dry_run}

    # ------------------------------------------------------------------ event window
    def _mem(self, charger_id: str) -> ChargerMemory:
        mem = self.memory.get(charger_id)
        if mem is None:
            mem = self.memory[charger_id] = ChargerMemory()
        return mem

    def observe(
        self, charger_id: str, kind: str, connector_id: int = 0, **data: Any
    ) -> Observation:
        self._seq += 1
        obs = Observation(self._seq, time.time(), kind, connector_id, data)
        self._mem(charger_id).window.append(obs)
        return obs

    def _spawn(self, coro: Any, name: str) -> None:
        """A background task, kept referenced until done; whatever it raised is logged here
        (never an unretrieved "Task exception was never retrieved")."""
        task = asyncio.create_task(coro, name=name)
        self._background.add(task)
        task.add_done_callback(self._background_done)

    def _background_done(self, task: asyncio.Task[Any]) -> None:
        self._background.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            log.error("diagnosis: %s failed", task.get_name(), exc_info=error)

    def on_command(self, row: dict[str, Any]) -> None:
        """Command audit listener: a CALL the charger never answered is a symptom (silence)."""
        if row.get("outcome") == "ChargerTimeout" and row.get("charger_id"):
            self.observe(str(row["charger_id"]), CALL_TIMEOUT, command=row.get("command"))

    def on_change(self, event: FleetEvent) -> None:
        """Fleet listener (sync, on the loop): record what rules may need."""
        cid, state = event.charger_id, event.state
        match event:
            case SignOfLife(action="Heartbeat"):
                self._mem(cid).last_heartbeat = time.time()
            case SignOfLife(action="StatusNotification"):  # a repeat of the same status
                self._mem(cid).last_status_report = time.time()
            case Connected():
                self._mem(cid).last_status.clear()
                self._mem(cid).last_status_report = None
                self.observe(cid, CONNECTED)
            case Disconnected():
                self._mem(cid).last_status.clear()
                self.observe(cid, DISCONNECTED)
            case Booted(reason=reason, firmware_changed=changed):
                self._mem(cid).last_status.clear()
                self.observe(
                    cid,
                    BOOT,
                    reason=reason,
                    firmware=state.firmware_version,
                    firmware_changed=changed,
                )
                if state.ocpp_version == "2.0.1" and self.state.settings.diagnosis_proactive:
                    self._spawn(proactive.on_boot(self, cid), f"diagnosis-proactive-{cid}")
            case StatusChanged(connector_id=connector_id):
                conn = state.connectors.get(connector_id)
                face = (conn.status, conn.error_code, conn.vendor_error_code) if conn else None
                mem = self._mem(cid)
                mem.last_status_report = time.time()  # a repeat is still a report
                # A status reported again unchanged is a sign of life, not news: no rule counts
                # repeats, and 5,000 chargers repeating theirs filled the windows with objects
                # the garbage collector walked (bench/ocpp_load.py).
                if conn is not None and mem.last_status.get(connector_id) != face:
                    mem.last_status[connector_id] = face
                    self.observe(
                        cid,
                        STATUS,
                        connector_id,
                        status=conn.status,
                        error_code=conn.error_code,
                        vendor_error_code=conn.vendor_error_code,
                    )
            case FaultRaised(fault=OpenFault() as fault):
                self.observe(cid, FAULT_RAISED, fault.connector_id, **fault_data(state, fault))
                if fault.id_token:
                    self.token_faults.setdefault(fault.id_token, {})[cid] = time.time()
                if fault.source != "offline":
                    mem = self._mem(cid)
                    mem.history_pending.add(fault.uid)
                    self._spawn(self._read_history(cid, fault), f"diagnosis-history-{cid}")
            case FaultCleared(fault=OpenFault() as fault):
                self.observe(cid, FAULT_CLEARED, fault.connector_id, **fault_data(state, fault))
            case TransactionStarted(transaction=ActiveTransaction() as tx):
                self.observe(cid, TX_STARTED, tx.connector_id, tx=tx.transaction_id)
            case TransactionStopped(transaction=tx):
                data: dict[str, Any] = {"tx": event.transaction_id, "reason": event.reason}
                if tx is not None and event.at is not None:
                    data["duration_s"] = max(0.0, (event.at - tx.started_at).total_seconds())
                    if event.meter_stop_wh is not None and tx.meter_start_wh is not None:
                        data["energy_wh"] = event.meter_stop_wh - tx.meter_start_wh
                self.observe(cid, TX_STOPPED, tx.connector_id if tx else 0, **data)
            case MeterSampled(reading=MeterReading() as reading, connector_id=connector_id):
                # the sampled connector's transaction, not the charger's first one: a sample on
                # connector 2 counted for connector 1 left connector 2 looking silent
                tx = state.transaction_on(connector_id) if connector_id else None
                if tx is not None and reading.energy_wh is not None:
                    self.observe(cid, METER, tx.connector_id, energy_wh=reading.energy_wh)
            case SecurityEventReported(event_type=event_type):
                if event_type not in ROUTINE_SECURITY_EVENTS:  # reboots are not attacks
                    self.observe(cid, SECURITY_EVENT, type=event_type)
            case FirmwareStatusChanged(status=status):
                self.observe(cid, FIRMWARE, status=status, firmware=state.firmware_version)
            case LogStatusChanged(status=status) if status in LOG_FINAL:
                waiter = self._mem(cid).log_waiter
                if waiter is not None and not waiter.done():
                    waiter.set_result(status)

    # ------------------------------------------------------------------ evaluation
    async def _ticker(self) -> None:
        while True:
            await asyncio.sleep(self.tick)
            try:
                await self._tick(time.time())
            except Exception:
                log.exception("diagnosis tick failed")

    async def _tick(self, now: float) -> None:
        """One evaluation pass, yielding to the loop every few milliseconds: OCPP traffic
        never waits for more than one charger's evaluation past the budget."""
        chargers = list(self.state.live.all())
        candidates: list[ChargerLiveState] = []
        context = FleetContext()
        for start in range(0, len(chargers), CONTEXT_SLICE):
            chunk = chargers[start : start + CONTEXT_SLICE]
            candidates += self._candidates(now, chunk)
            self._add_to_context(context, chunk)
            await asyncio.sleep(0)
        if not candidates:
            return
        self._finish_context(context, now)
        started = time.perf_counter()
        for live in candidates:
            self._evaluate_one(live, now, context)
            if time.perf_counter() - started >= EVALUATION_BUDGET_S:
                await asyncio.sleep(0)
                started = time.perf_counter()

    def _candidates(
        self, now: float, chargers: Iterable[ChargerLiveState] | None = None
    ) -> list[ChargerLiveState]:
        out = []
        horizon = now - WINDOW_S / self.scale
        for live in self.state.live.all() if chargers is None else chargers:
            mem = self.memory.get(live.charger_id)
            if mem is not None:
                while mem.window and mem.window[0].t < horizon:
                    mem.window.popleft()
            busy = live.open_faults or (not live.online and live.disconnected_at is not None)
            if busy or (mem is not None and mem.window) or live.transactions:
                out.append(live)
        return out

    def evaluate_all(self, now: float) -> None:
        self._evaluate(self._candidates(now), now)

    async def _read_history(self, charger_id: str, fault: OpenFault) -> None:
        """Earlier occurrences of this fault on this charger and connector, cleared within the
        history horizon (read once from the faults table: long memory across restarts)."""
        mem = self._mem(charger_id)
        since = datetime.fromtimestamp(time.time() - HISTORY_S / self.scale, UTC)
        try:
            rows = await asyncio.to_thread(
                fault_history.earlier, self.state.session_factory, charger_id, fault, since
            )
            mem.history[fault.uid] = rows
        except Exception:
            log.exception("diagnosis: could not read the history of %s", charger_id)
        finally:
            mem.history_pending.discard(fault.uid)

    def context(self, now: float) -> FleetContext:
        """The fleet facts the rules may need (built once per evaluation pass)."""
        context = FleetContext()
        self._add_to_context(context, self.state.live.all())
        self._finish_context(context, now)
        return context

    def _add_to_context(self, context: FleetContext, chargers: list[ChargerLiveState]) -> None:
        for live in chargers:
            faults = [f for f in live.open_faults if f.source != "offline"]
            if live.site_id:
                gone = live.disconnected_at if not live.online else None
                context.offline.setdefault(live.site_id, {})[live.charger_id] = (
                    gone.timestamp() if gone is not None else None
                )
                newest = max((f.raised_at.timestamp() for f in faults), default=None)
                context.sites.setdefault(live.site_id, {})[live.charger_id] = newest
            for f in faults:
                key = pattern_key(live, f)
                if key is not None:
                    context.patterns.setdefault(key, {})[live.charger_id] = f.raised_at.timestamp()
                fault_key = fault_key_of(live, f)
                if fault_key is not None and live.site_id:
                    context.fault_keys.setdefault(fault_key, {})[live.charger_id] = (
                        live.site_id,
                        f.raised_at.timestamp(),
                    )
            mem = self.memory.get(live.charger_id)
            if mem is not None:
                context.history.update(mem.history)
                if mem.last_heartbeat is not None:
                    context.heartbeats[live.charger_id] = mem.last_heartbeat
                if mem.last_status_report is not None:
                    context.status_reports[live.charger_id] = mem.last_status_report

    def _finish_context(self, context: FleetContext, now: float) -> None:
        tokens = {
            token: {c: t for c, t in seen.items() if t >= now - TOKEN_MEMORY_S / self.scale}
            for token, seen in self.token_faults.items()
        }
        self.token_faults = {k: v for k, v in tokens.items() if v}
        self.token_diagnoses = {
            k: v for k, v in self.token_diagnoses.items() if k in self.token_faults
        }
        context.tokens = self.token_faults

    def _evaluate(self, candidates: list[ChargerLiveState], now: float) -> None:
        context = self.context(now) if candidates else None
        for live in candidates:
            self._evaluate_one(live, now, context)

    def _evaluate_one(
        self, live: ChargerLiveState, now: float, context: FleetContext | None
    ) -> None:
        cid = live.charger_id
        if cid in self.active:
            return
        mem = self._mem(cid)
        self.stats["evaluations"] += 1
        findings = evaluate(self.rules, live, mem.charger_window(), now, self.scale, context)
        if self._release_parked(mem, live, now, findings):
            # the released hand-offs' evidence is spent: judge on what is left
            findings = evaluate(self.rules, live, mem.charger_window(), now, self.scale, context)
        for finding in findings:
            if mem.is_parked(finding):
                continue
            if finding.rule.subject == "fault" and finding.fault_uids[0] in mem.history_pending:
                continue
            if finding.group and finding.subject in self.groups:
                if finding.rule.when.fleet_wide is not None:
                    self._join_group(finding, mem)  # a terminal more in the same outage
                    break
                continue  # one diagnosis for the group (site, fleet pattern, vehicle)
            if self._vehicle_already_handed_off(finding, mem, now):
                continue
            if mem.visit_pending and not set(finding.ladder) & (REMOTE_STEPS - EVIDENCE_STEPS):
                continue  # nothing to fix remotely, and a technician is already coming
            self.open(finding, live)
            break

    def _release_parked(
        self, mem: ChargerMemory, live: ChargerLiveState, now: float, findings: list[Finding]
    ) -> bool:
        """Forget hand-offs once the charger has been healthy (no fault, online, no connector
        Faulted/Unavailable) for the recovery hold time; their evidence is spent. Not while
        what was handed off still holds (a finding of a parked subject or fault), however
        healthy the charger looks: a hung controller keeps its socket and its last good
        status, a flapping link answers between drops, and their stopped meter or
        unanswered calls were handed off again after every hold. True when released."""
        if not mem.parked:
            mem.healthy_since = None
            return False
        if any(mem.is_parked(f) for f in findings) or not healthy(live):
            mem.healthy_since = None
            return False
        mem.healthy_since = mem.healthy_since or now
        hold = self.state.settings.diagnosis_recovery_hold_seconds / self.scale
        if now - mem.healthy_since >= hold:
            since = datetime.fromtimestamp(mem.healthy_since, UTC)
            self._spawn(self._tell_handoffs(live.charger_id, since), f"recovered-{live.charger_id}")
            mem.parked.clear()
            mem.visit_pending = False
            mem.healthy_since = None
            mem.evidence_floor = now
            return True
        return False

    async def _tell_handoffs(self, charger_id: str, since: datetime) -> None:
        """The hand-offs of a charger that is healthy again get a note, and whoever dispatches
        a notice: a technician not yet on the road may not be needed."""
        if self.state.sessions is None:
            return
        hold = self.state.settings.diagnosis_recovery_hold_seconds
        await HandoffService(self.state.sessions).charger_recovered(charger_id, since, SYSTEM, hold)

    # ------------------------------------------------------------------ one diagnosis
    def procedure_for(self, finding: Finding) -> Procedure | None:
        if finding.rule.procedure and finding.rule.procedure in self.procedures:
            return self.procedures[finding.rule.procedure]
        for attr, value in (("fault_keys", finding.fault_key), ("error_codes", finding.error_code)):
            if value:
                for proc in self.procedures.values():
                    if value in getattr(proc.applies_to, attr):
                        return proc
        return None

    def open(self, finding: Finding, live: ChargerLiveState) -> Active:
        rule = finding.rule
        proc = self.procedure_for(finding)
        since = min((o.t for o in finding.evidence), default=time.time())
        with self.state.session_factory() as db:
            ids = storage.event_ids(db, finding.charger_id, datetime.fromtimestamp(since - 5, UTC))
            row = storage.create(
                db,
                charger_id=finding.charger_id,
                site_id=live.site_id,
                connector_id=finding.connector_id,
                subject=finding.subject,
                rule_id=rule.id,
                fault_class=rule.fault_class,
                title=rule.title,
                likely_cause=rule.likely_cause.strip(),
                confidence=rule.confidence,
                remote_resolvable=rule.remote_resolvable,
                fault_key=finding.fault_key,
                error_code=finding.error_code,
                procedure_id=proc.id if proc else None,
                parts=list(proc.parts) if proc else [],
                ladder=list(finding.ladder),
                evidence=evidence_rows(finding),
                event_ids=ids,
                dry_run=self.dry_run,
                **catalogue_fields(finding),
            )
            db.commit()
            diagnosis_id = row.id
        if finding.group:
            self._cover_group(finding, diagnosis_id)
        token = token_of(finding, live)
        if token and rule.when.follows_vehicle is not None:
            self._attribute_to_vehicle(token, diagnosis_id, finding)
            self.vehicles[finding.subject] = (diagnosis_id, time.time())
        elif token:
            self.token_diagnoses.setdefault(token, []).append(diagnosis_id)
        self.stats["diagnoses"] += 1
        active = Active(diagnosis_id, finding, live.site_id)
        self.active[finding.charger_id] = active
        active.task = asyncio.create_task(self._remediate(active), name=f"diagnosis-{diagnosis_id}")
        return active

    def _cover_group(self, finding: Finding, diagnosis_id: int) -> None:
        """A group finding (every charger of a site, a fleet pattern, a vehicle) is one
        diagnosis: the same faults of the other chargers are parked under it, so no charger
        of the group is reset or visited on its own for them."""
        self.groups[finding.subject] = diagnosis_id
        with self.state.session_factory() as db:  # each member finds it among its diagnoses
            for cid in finding.group:
                if cid != finding.charger_id:
                    storage.add_action(
                        db,
                        diagnosis_id,
                        cid,
                        "member",
                        "noted",
                        detail=f"{cid} is part of this problem",
                    )
            db.commit()
        main = self.state.live.get(finding.charger_id)
        code = None
        if main is not None and finding.fault_uids:
            first = next((f for f in main.open_faults if f.uid == finding.fault_uids[0]), None)
            code = fault_code(first) if first else None
        for cid in finding.group:
            live = self.state.live.get(cid)
            if live is None:
                continue
            mem = self._mem(cid)
            mem.parked.add(finding.subject)
            if finding.rule.when.site_offline is not None:
                # the site is dark or cut off: no charger of it gets an offline visit of its own
                mem.parked.update(
                    f"charger:{r.id}"
                    for r in self.rules
                    if r.subject == "charger" and r.when.offline is not None
                )
            if finding.rule.when.fleet_wide is not None:
                # one outage, many models: the same fault by its catalogue key (each model
                # reports its own vendor code)
                covered = [
                    f for f in live.open_faults if fault_key_of(live, f) == finding.fault_key
                ]
            elif finding.rule.when.site_wide is not None:
                covered = live.open_faults
            else:
                covered = [f for f in live.open_faults if fault_code(f) == code]
            # not the group diagnosis's own fault: parked, it would read as gone at once (a
            # wait for the processor to come back "recovered" at its first look)
            own = finding.fault_uids[:1] if cid == finding.charger_id else []
            covered = [f for f in covered if f.source != "offline" and f.uid not in own]
            self._park_member(diagnosis_id, live, covered)
        # a member whose own diagnosis opened before the group formed (resetting or
        # restarting it, then a hand-off or a visit of its own) is part of the one problem:
        # stopped and pointed here (with its fault parked it would have read as recovered)
        running = [
            self.active[cid]
            for cid in finding.group
            if cid in self.active
            and cid != finding.charger_id
            and set(self.active[cid].finding.fault_uids[:1]) & self._mem(cid).parked
        ]
        self._supersede(running, f"Part of a group problem: see diagnosis #{diagnosis_id}.")

    def _end_group(self, diagnosis_id: int, subject: str, *, recovered: bool) -> None:
        """A group's diagnosis finished. Handed off, its members stay parked until healthy.
        Recovered (the site or the processor is back), a member whose fault is still open
        after the recovery hold has a problem of its own, and is unparked so that it gets its
        own diagnosis (a terminal still dead once the processor is back); one whose fault
        cleared is released as usual once healthy."""
        members = self.group_members.pop(diagnosis_id, {})
        if members and recovered:
            self._spawn(
                self._release_group_later(diagnosis_id, subject, members),
                f"group-release-{diagnosis_id}",
            )

    async def _release_group_later(
        self, diagnosis_id: int, subject: str, members: dict[str, set[str]]
    ) -> None:
        await asyncio.sleep(self.state.settings.diagnosis_recovery_hold_seconds / self.scale)
        for cid, uids in members.items():
            live = self.state.live.get(cid)
            still = [f for f in live.open_faults if f.uid in uids] if live else []
            if live is None or not still:
                continue
            mem = self._mem(cid)
            mem.parked.discard(subject)
            mem.parked.difference_update(uids)
            mem.parked.difference_update(fault_subject(live, f) for f in still)
            with self.state.session_factory() as db:
                storage.add_action(
                    db,
                    diagnosis_id,
                    cid,
                    "released",
                    "noted",
                    detail=f"{cid} still reports the fault after the group recovered: "
                    "diagnosed on its own",
                )
                db.commit()

    def _park_member(
        self, diagnosis_id: int, live: ChargerLiveState, faults: list[OpenFault]
    ) -> None:
        """Park a group member's faults under the group's diagnosis (by uid and subject), and
        remember them there (to release a member still faulted once the group recovers)."""
        mem = self._mem(live.charger_id)
        for f in faults:
            mem.parked.update((f.uid, fault_subject(live, f)))
        members = self.group_members.setdefault(diagnosis_id, {})
        members.setdefault(live.charger_id, set()).update(f.uid for f in faults)

    def _join_group(self, finding: Finding, mem: ChargerMemory) -> None:
        """A charger whose fault joins a fleet-wide group after its diagnosis opened (one
        terminal more losing its processor) is parked under that diagnosis, with a note
        there: no restart and no hand-off of its own for the same outage."""
        mem.parked.add(finding.subject)
        live = self.state.live.get(finding.charger_id)
        if live is not None:
            first = [f for f in live.open_faults if f.uid in finding.fault_uids[:1]]
            self._park_member(self.groups[finding.subject], live, first)
        with self.state.session_factory() as db:
            storage.add_action(
                db,
                self.groups[finding.subject],
                finding.charger_id,
                "seen_again",
                "noted",
                detail=f"{finding.charger_id} reports the same fault ({finding.fault_key}) too",
            )
            db.commit()

    def _vehicle_already_handed_off(self, finding: Finding, mem: ChargerMemory, now: float) -> bool:
        """A vehicle already handed off meets its fault on one more charger: that is the same
        problem, not a new hand-off (a bad car visits charger after charger; each used to be
        a consultant's new case). The sighting is added to the vehicle's diagnosis and the
        fault is parked on this charger (no reset, no visit: the vehicle's). The hand-off
        stands while the vehicle keeps meeting the fault within the rule's window."""
        follows = finding.rule.when.follows_vehicle
        known = self.vehicles.get(finding.subject)
        if follows is None or known is None:
            return False
        diagnosis_id, last = known
        if now - last > follows.within_s / self.scale:
            del self.vehicles[finding.subject]
            return False
        self.vehicles[finding.subject] = (diagnosis_id, now)
        mem.parked.add(finding.fault_uids[0])
        with self.state.session_factory() as db:
            storage.add_action(
                db,
                diagnosis_id,
                finding.charger_id,
                "seen_again",
                "noted",
                detail=(
                    f"the vehicle met the fault again on {finding.charger_id} connector "
                    f"{finding.connector_id} ({finding.error_code or finding.fault_key})"
                ),
            )
            db.commit()
        return True

    def _attribute_to_vehicle(self, token: str, diagnosis_id: int, finding: Finding) -> None:
        """The fault follows one idToken across chargers: the diagnoses already opened on its
        earlier occurrences are the vehicle's too. Each is marked responsible=vehicle; one
        still running is stopped before its next action (no reset, no visit for a vehicle's
        fault) and closed as superseded by this diagnosis."""
        earlier = [d for d in self.token_diagnoses.pop(token, []) if d != diagnosis_id]
        if not earlier:
            return
        note = (
            f"Attributed to the vehicle: the same idToken met this fault on "
            f"{len(finding.group)} chargers ({', '.join(finding.group[:10])}); "
            f"see diagnosis #{diagnosis_id}. Pending actions cancelled."
        )
        with self.state.session_factory() as db:
            for earlier_id in earlier:
                storage.update(db, earlier_id, responsible="vehicle")
            db.commit()
        self._supersede([a for a in self.active.values() if a.diagnosis_id in earlier], note)

    def _supersede(self, running: list[Active], note: str) -> None:
        """Stop running diagnoses before their next action and close them as superseded by a
        group's one diagnosis (their sessions abandoned, with the note)."""
        for active in running:
            if active.task is not None:
                active.task.cancel()
            self._action(active, "superseded", "noted", detail=note)
            self._finish(active, "superseded", note)
            self._spawn(
                self._close_session(active, "abandoned", note),
                f"diagnosis-superseded-{active.diagnosis_id}",
            )


def _log_tables(folder: Path) -> dict[str, log_evidence.VendorLogTable]:
    """The vendors' hardware log messages; a table that does not load is reported (file and
    line) and none is used: diagnosis then works as without log evidence (resets as before,
    every guard still in force) rather than not at all."""
    try:
        return log_evidence.load_log_tables(folder, frozenset(load_catalogue().faults))
    except log_evidence.LogTableError as error:
        log.error("diagnosis: no log evidence: %s", error)
        return {}


async def attach(state: Any) -> DiagnosisService | None:
    """Start the backend's diagnosis service (idempotent); None when disabled in settings."""
    if state.diagnosis is None and state.settings.diagnosis_enabled:
        state.diagnosis = DiagnosisService(state)
        state.diagnosis.start()
    return state.diagnosis
