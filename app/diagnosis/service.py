"""The diagnosis service: listens to the live state, raises diagnoses, runs guarded remediation.

One per backend (``state.diagnosis``). A live-state listener turns changes into
a per-charger event window; a ticker evaluates the rules (``engine.evaluate``) for chargers
with something going on; each new diagnosis gets a task that walks its escalation ladder
under the policy (``policy.decide``), proves recovery (healthy for the hold time) after every
action, and records everything: the diagnosis rows, an action row per step, the command audit
of the central system, and an automatic troubleshooting session (handed off to consultants
for site visits and escalations).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.commands.gateway import Actor, CommandRequest, CommandResult
from app.commands.runner import ActionRunner, Baseline, baseline, effect_seen
from app.diagnosis import history as fault_history
from app.diagnosis import log_evidence, proactive, storage
from app.diagnosis.engine import (
    ACTION,
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
    problem_present,
)
from app.diagnosis.policy import (
    MAX_IDLE_WAIT_S,
    STEP_TIMEOUT_S,
    PolicyConfig,
    PolicyView,
    decide,
)
from app.diagnosis.vocabulary import (
    DISRUPTIVE_STEPS,
    EVIDENCE_STEPS,
    REMOTE_STEPS,
    RESET_STEPS,
    Rule,
    load_rules,
)
from app.errors import ChargerOffline, ChargerTimeout
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
from app.security.roles import Principal, Role

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

SYSTEM = Principal("diagnosis", Role.ADMIN)
WINDOW_S = 4 * 3600.0
WINDOW_MAX = 400
CLOSED_OK = ("resolved", "self_cleared")
# Observations that charger rules count (boots, reconnects, ...): each is evidence for one
# charger diagnosis only, so they are consumed when such a diagnosis closes.
CHARGER_EVIDENCE = frozenset({BOOT, CONNECTED, DISCONNECTED, SECURITY_EVENT, FIRMWARE})
# How long a reset may take to show its reboot (a DC charger boots for minutes).
REBOOT_WAIT_S = 900.0
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


@dataclass
class Active:
    diagnosis_id: int
    finding: Finding
    site_id: str | None
    task: asyncio.Task[None] | None = None
    session_id: str | None = None
    acted: bool = False
    blocked: bool = False
    opened_at: float = field(default_factory=time.time)
    logs_requested_at: datetime | None = None  # when this diagnosis's collect_logs was sent


@dataclass
class ChargerMemory:
    window: deque[Observation] = field(default_factory=lambda: deque(maxlen=WINDOW_MAX))
    reset_times: list[float] = field(default_factory=list)
    last_action_at: float | None = None
    # fault uids / subjects already handed off: kept until the charger has been healthy for
    # the hold time (a boot loop or a flapping link stops matching between boots)
    parked: set[str] = field(default_factory=set)
    visit_pending: bool = False  # a site visit was asked for this charger (until healthy)
    healthy_since: float | None = None
    evidence_floor: float = 0.0  # charger evidence before this was used by a diagnosis
    firmware: str | None = None
    last_heartbeat: float | None = None
    last_status_report: float | None = None  # any StatusNotification, repeats too
    # fault uid -> earlier cleared occurrences of the same fault (read from the DB once)
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    history_pending: set[str] = field(default_factory=set)
    # connector -> the last status observed (status, error code, vendor code): repeats are
    # not observed again until the charger reconnects or boots
    last_status: dict[int, tuple[str | None, ...]] = field(default_factory=dict)
    # the charger's last word on the upload collect_logs asked for (set before the request)
    log_waiter: asyncio.Future[str] | None = None

    def charger_window(self) -> list[Observation]:
        floor = self.evidence_floor
        return [o for o in self.window if o.t >= floor or o.kind not in CHARGER_EVIDENCE]


def load_procedures(folder: Path) -> list[Procedure]:
    out = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            out.append(Procedure.model_validate(load_yaml_file(path)))
        except Exception:  # a broken procedure must not stop diagnosis
            log.warning("diagnosis: skipping unreadable procedure %s", path)
    return out


class DiagnosisService:
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
                self.observe(cid, FAULT_RAISED, fault.connector_id, **_fault_data(state, fault))
                if fault.id_token:
                    self.token_faults.setdefault(fault.id_token, {})[cid] = time.time()
                if fault.source != "offline":
                    mem = self._mem(cid)
                    mem.history_pending.add(fault.uid)
                    self._spawn(self._read_history(cid, fault), f"diagnosis-history-{cid}")
            case FaultCleared(fault=OpenFault() as fault):
                self.observe(cid, FAULT_CLEARED, fault.connector_id, **_fault_data(state, fault))
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
        self._release_parked(mem, live, now)
        findings = evaluate(self.rules, live, mem.charger_window(), now, self.scale, context)
        for finding in findings:
            if finding.subject in mem.parked:
                continue
            if finding.rule.subject == "fault" and (
                finding.fault_uids[0] in mem.parked or finding.fault_uids[0] in mem.history_pending
            ):
                continue
            if finding.group and finding.subject in self.groups:
                continue  # one diagnosis for the group (site, fleet pattern, vehicle)
            if mem.visit_pending and not set(finding.ladder) & (REMOTE_STEPS - EVIDENCE_STEPS):
                continue  # nothing to fix remotely, and a technician is already coming
            self.open(finding, live)
            break

    def _release_parked(self, mem: ChargerMemory, live: ChargerLiveState, now: float) -> None:
        """Forget hand-offs once the charger has been healthy (no fault, online, no connector
        Faulted/Unavailable) for the recovery hold time; their evidence is spent."""
        if not mem.parked:
            mem.healthy_since = None
            return
        if not healthy(live):
            mem.healthy_since = None
            return
        mem.healthy_since = mem.healthy_since or now
        hold = self.state.settings.diagnosis_recovery_hold_seconds / self.scale
        if now - mem.healthy_since >= hold:
            mem.parked.clear()
            mem.visit_pending = False
            mem.healthy_since = None
            mem.evidence_floor = now

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
                evidence=_evidence(finding),
                event_ids=ids,
                dry_run=self.dry_run,
                **_catalogue_fields(finding),
            )
            db.commit()
            diagnosis_id = row.id
        if finding.group:
            self._cover_group(finding, diagnosis_id)
        token = _token_of(finding, live)
        if token and rule.when.follows_vehicle is not None:
            self._attribute_to_vehicle(token, diagnosis_id, finding)
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
            for f in live.open_faults:
                if f.source == "offline":
                    continue
                if finding.rule.when.site_wide is not None or fault_code(f) == code:
                    mem.parked.add(f.uid)
                    mem.parked.add(fault_subject(live, f))

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
        for active in list(self.active.values()):
            if active.diagnosis_id not in earlier:
                continue
            if active.task is not None:
                active.task.cancel()
            self._action(active, "superseded", "noted", detail=note)
            self._finish(active, "superseded", note)
            self._spawn(
                self._close_session(active, "abandoned", note),
                f"diagnosis-superseded-{active.diagnosis_id}",
            )

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
        for step in f.ladder:
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
        fault_key = f.classification.fault_key if f.classification is not None else f.fault_key
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
        cat = _catalogue_fields(f)
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
            facts += " " + _firmware_facts(f, self.state.live.get(f.charger_id))
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


def _log_tables(folder: Path) -> dict[str, log_evidence.VendorLogTable]:
    """The vendors' hardware log messages; a table that does not load is reported (file and
    line) and none is used: diagnosis then works as without log evidence (resets as before,
    every guard still in force) rather than not at all."""
    try:
        return log_evidence.load_log_tables(folder, frozenset(load_catalogue().faults))
    except log_evidence.LogTableError as error:
        log.error("diagnosis: no log evidence: %s", error)
        return {}


def _catalogue_fields(finding: Finding) -> dict[str, Any]:
    """What the diagnosis row says about the catalogue: entry, standard code, class, who."""
    cls = finding.classification if finding.rule.subject == "fault" else None
    return {
        "catalogue_entry": cls.entry_id if cls else None,
        "standard_code": cls.standard_code if cls else None,
        "safety_class": (cls.safety_class if cls else None) or "unknown",
        "responsible": finding.responsible,
    }


def _firmware_facts(finding: Finding, live: ChargerLiveState | None) -> str:
    """A failed update's versions: before it began (its first status report) and now."""
    reports = [o for o in finding.evidence if o.kind in (FIRMWARE, BOOT)]
    before = reports[0].data.get("firmware") if reports else None
    now = live.firmware_version if live else None
    last = reports[-1] if reports else None
    failed = (
        "rolled back (rebooted on the old version)"
        if last is not None and last.kind == BOOT
        else (last.data.get("status") if last else None)
    )
    outcome = "unchanged (still the old image or rolled back)" if before == now else "changed"
    return (
        f"Firmware update {failed}: version before the update {before or 'unknown'}, "
        f"now {now or 'unknown'} ({outcome})."
    )


def _token_of(finding: Finding, live: ChargerLiveState) -> str | None:
    """The idToken the finding's fault was raised under (a vehicle), if any."""
    if finding.rule.subject != "fault" or not finding.fault_uids:
        return None
    fault = next((f for f in live.open_faults if f.uid == finding.fault_uids[0]), None)
    return fault.id_token if fault is not None else None


def _evidence(finding: Finding) -> list[dict[str, Any]]:
    out = [o.evidence() for o in finding.evidence][-20:]
    if finding.group:
        out.append({"kind": "group", "chargers": list(finding.group)})
    if finding.history:
        out.append({"kind": "history", "occurrences": finding.history[:20]})
    return out


def _fault_data(state: ChargerLiveState, fault: OpenFault) -> dict[str, Any]:
    return {
        "uid": fault.uid,
        "error_code": fault.error_code,
        "vendor_error_code": fault.vendor_error_code or fault.tech_code,
        "fault_key": fault_key_of(state, fault),
        "source": fault.source,
    }


async def attach(state: Any) -> DiagnosisService | None:
    """Start the backend's diagnosis service (idempotent); None when disabled in settings."""
    if state.diagnosis is None and state.settings.diagnosis_enabled:
        state.diagnosis = DiagnosisService(state)
        state.diagnosis.start()
    return state.diagnosis
