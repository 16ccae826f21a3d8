"""One arm of the remote-resolution benchmark: its backend settings and rule files (no
automation, the operator runbook, naive, ChargeFix), and the simulated days it runs against
the seeded schedule with its technicians, drivers and firmware rollout."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import random
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from app.authorization.store import TokenChange
from app.backend import Backend
from app.config import Settings
from app.db.models import CommandRow
from app.db.models_diagnosis import DiagnosisRow
from app.db.models_sessions import HandoffRow, TroubleshootingSession
from app.diagnosis.engine import healthy
from app.firmware_campaigns.plan import OPEN
from app.firmware_campaigns.service import CampaignSpec
from app.fleet.model import ChargerLiveState
from app.security.roles import Principal, Role
from app.simulator.config import FleetConfig, Timing, plan_fleet
from app.simulator.faults import (
    get_fault,
)
from app.simulator.fleet import Fleet
from bench.resolution.schedule import MIX, ROLLOUT_STOP_AFTER, make_schedule, vehicle_is_bad
from bench.resolution.scoring import blocks_charging, lag_summary, needs_visit, score, start_blocked

ARMS = ("none", "runbook", "naive", "ours")
ITEM_STATES = (*sorted(OPEN), "succeeded", "failed", "skipped")
PASSWORD = "bench-password-0123456789"
BENCH_TAG = "BENCH-TAG"
LAG_PROBE_S = 0.05  # real seconds between two event-loop lag samples
NAIVE_RULES = """
rules:
  - id: naive-reset-anything-faulted
    title: Reset anything faulted
    subject: fault
    when: {fault: {min_age_s: 10}}
    fault_class: unknown
    likely_cause: Anything faulted gets a reset.
    confidence: 0.1
    remote_resolvable: true
    ladder: [hard_reset, hard_reset, site_visit]
"""
# The operator runbook: the error codes a 1.6 charger reports with a Faulted status (2.0.1
# faults are mapped to them by the backend); the hour between the resets is the cooldown.
FAULTED_CODES = sorted(
    {
        get_fault(k).v16.error_code
        for k in MIX
        if get_fault(k).v16.status == "Faulted" and not get_fault(k).faceless
    }
)
RUNBOOK_RULES = f"""
rules:
  - id: runbook-soft-reset-twice-then-dispatch
    title: Operator runbook
    subject: fault
    when: {{fault: {{min_age_s: 600, error_codes: {json.dumps(FAULTED_CODES)}}}}}
    fault_class: unknown
    likely_cause: The operator follows the runbook.
    confidence: 0.1
    remote_resolvable: true
    ladder: [soft_reset, soft_reset, site_visit]
"""


def call_back(notice_at: float | None, dispatched: float, live: ChargerLiveState | None) -> bool:
    """ChargeFix's dispatcher calls a truck back before it sets out: a "healthy again" notice
    (``handoff.charger_recovered``) came after the dispatch, and the CSMS still shows the
    charger healthy (online, no fault open, no connector Faulted or Unavailable)."""
    return notice_at is not None and notice_at > dispatched and healthy(live)


# ---------------------------------------------------------------------------- one arm
class LateAnswers(logging.Handler):
    """Counts CALL answers that came after the backend stopped waiting: the ``ocpp`` package
    logs "Ignoring response with unknown unique id" for a CALLRESULT whose CALL already timed
    out. A hung charger never answers; a late answer means the machine (or the charger's
    loop) was too slow, and the arm acted as if the charger had not answered."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if str(record.msg).startswith("Ignoring response with unknown unique id"):
            self.count += 1


def arm_settings(arm: str, data: Path, speed: float) -> Settings:
    values: dict[str, Any] = {
        "data_dir": data,
        # the shipped knowledge base whatever the working directory (its log tables above all)
        "knowledge_base_dir": Path(__file__).resolve().parents[2] / "knowledge_base",
        "ocpp_port": 0,
        "api_port": 0,
        "heartbeat_interval": 300,
        "offline_debounce_seconds": 120.0 / speed,
        # the product waits 30 s for an answer; scaled, that is below the loop's lag at x720,
        # so a CALL waits one real second (12 simulated minutes at x720; it was 10 s, two
        # simulated hours, for which a hung charger held its diagnosis)
        "command_timeout": max(1.0, 30.0 / speed),
        "event_flush_interval": 0.2,
        "refresh_state_on_connect": False,
        "recorder_mode": "thread",
        "diagnosis_time_scale": speed,
        "diagnosis_recovery_hold_seconds": 300.0,
        "diagnosis_cooldown_seconds": 300.0,
    }
    if arm == "none":
        values["diagnosis_enabled"] = False
    elif arm in ("naive", "runbook"):
        rules = data / f"{arm}_rules"
        rules.mkdir(parents=True, exist_ok=True)
        (rules / f"{arm}.yaml").write_text(NAIVE_RULES if arm == "naive" else RUNBOOK_RULES)
        values.update(
            diagnosis_rules_dir=rules,
            diagnosis_wait_for_idle=False,
            diagnosis_max_resets_per_day=1000,
            diagnosis_cooldown_seconds=0.0 if arm == "naive" else 3600.0,
            diagnosis_site_concurrent_limit=1000,
        )
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


async def run_arm(arm: str, args: argparse.Namespace, seed: int, out: Path) -> dict[str, Any]:
    logging.basicConfig(level=logging.ERROR)
    late = LateAnswers()
    logging.getLogger("ocpp").addHandler(late)
    speed = args.speed
    schedule = make_schedule(args, seed)
    work = Path(tempfile.mkdtemp(prefix=f"bench-{arm}-"))
    backend = Backend(arm_settings(arm, work / "data", speed))
    state = await backend.start()
    plans = plan_fleet(args.chargers, "mixed", seed)
    for p in plans:
        await state.csms.register(p.charger_id, PASSWORD)
    # the drivers' card is a known one (unknown cards are Invalid and 1.6 chargers stop)
    await asyncio.to_thread(state.tokens.save, TokenChange(token=BENCH_TAG), "bench")
    for token in schedule["vehicles"]:  # each car's own card
        await asyncio.to_thread(state.tokens.save, TokenChange(token=token), "bench")
    truth_path = work / "truth.jsonl"
    config = FleetConfig(
        csms_url=backend.ocpp_url,
        chargers=0,
        seed=seed,
        speed=speed,
        shared_password=PASSWORD,
        ground_truth_path=truth_path,
        outcomes="field",
        timing=Timing(meter_interval_s=900.0),
        chargex_models=args.chargex_models,
    )
    fleet = Fleet(config, plans=plans)
    await fleet.start()
    await fleet.wait_online(timeout=30)
    t0 = time.time()
    cpu0 = time.process_time()
    late_at_start = late.count  # the fleet's boot, before the run's clock starts
    lags: list[float] = []

    async def lag_probe() -> None:
        """How late the event loop wakes (real seconds): the backend and the simulated fleet
        share this loop, so a late loop stretches every simulated delay by lag x speed."""
        while True:
            start = time.perf_counter()
            await asyncio.sleep(LAG_PROBE_S)
            lags.append(time.perf_counter() - start - LAG_PROBE_S)

    def sim_now() -> float:
        return (time.time() - t0) * speed

    visits: list[dict[str, Any]] = []
    attempts: list[bool] = []
    pending: set[str] = set()
    seen_tickets: set[int] = set()
    # ChargeFix only: when the dispatcher got a "healthy again" notice for a charger (real
    # time), from the handoffs' recovered_at (the webhook's handoff.charger_recovered)
    recovered_seen: dict[str, float] = {}
    seen_recoveries: set[tuple[int, str]] = set()

    async def at(sim_t: float) -> None:
        delay = sim_t / speed - (time.time() - t0)
        if delay > 0:
            await asyncio.sleep(delay)

    failed_injections: list[str] = []

    async def inject(sim_t: float, cid: str, key: str, connector: int) -> None:
        await at(sim_t)
        try:
            fleet.charger(cid).inject_now(key, connector, source="bench")
        except Exception as error:
            failed_injections.append(f"{cid} {key} {connector}: {error}")

    async def site_fault(sim_t: float, site: str, key: str, duration: float) -> None:
        """Every charger of the site at once, for the drawn duration."""
        await at(sim_t)
        for cid in schedule["sites"][site]:
            try:
                fleet.charger(cid).inject_now(
                    key, 0, source="bench-site", clear_after_s=duration, site=site
                )
            except Exception as error:
                failed_injections.append(f"{cid} {key} (site {site}): {error}")

    async def processor_outage(sim_t: float, duration: float, notice: dict[str, float]) -> None:
        """Every terminal loses the processor; each reports it at its own next host check,
        and all are back when the processor is."""
        for delay, cid in sorted((d, c) for c, d in notice.items()):
            await at(sim_t + delay)
            try:
                fleet.charger(cid).inject_now(
                    "payment_terminal_failure",
                    0,
                    source="bench-processor",
                    cause="processor_link_down",
                    clear_after_s=max(1.0, duration - delay),
                    processor_outage=True,
                )
            except Exception as error:
                failed_injections.append(f"{cid} payment_terminal_failure (processor): {error}")

    async def rollout(sim_t: float) -> None:
        """The operator's firmware rollout: one campaign per model, as an admin would."""
        await at(sim_t)
        assert state.campaigns is not None
        operator = Principal("bench-operator", Role.ADMIN)
        for model in sorted({p.model for p in plans}, key=lambda m: m.key):
            spec = CampaignSpec(
                name=f"rollout {model.model}",
                model=model.model,
                update={"location": f"https://firmware.example.com/{model.key}-next.bin"},
                max_sites=1,
                stop_after_failures=ROLLOUT_STOP_AFTER,
            )
            try:
                await state.campaigns.create(spec, operator)
            except Exception as error:
                failed_injections.append(f"rollout {model.model}: {error}")

    def can_deliver(charger: Any, connector: int) -> bool:
        if not charger.connected:
            return False  # offline or rebooting: the driver cannot be authorised
        return not any(
            blocks_charging(f.spec) for f in charger.faults_on(connector) + charger.faults_on(0)
        )

    async def bad_vehicle_start(charger: Any, connector: int, vehicle: str, sim_t: float) -> None:
        """The bad car starts, then within a minute its EV communication fails and the
        session ends (EVDisconnected): a failed attempt whatever the charger does."""
        tx = charger.start_transaction(connector, vehicle)
        await asyncio.sleep(random.Random(f"{seed}:{sim_t}").uniform(10, 50) / speed)
        try:
            charger.inject_now(
                "ev_communication_error", connector, source="bench-vehicle", vehicle=vehicle
            )
        except Exception as error:
            failed_injections.append(f"{charger.charger_id} bad vehicle {vehicle}: {error}")
        if charger.connectors[connector].transaction is tx:
            charger.stop_transaction(connector, reason="EVDisconnected")

    async def session(
        sim_t: float, cid: str, connector: int, duration: float, vehicle: str, method: str
    ) -> None:
        await at(sim_t)
        charger = fleet.charger(cid)
        if charger.connectors[connector].transaction is not None:
            return  # the previous driver is still there (not an attempt)
        if not can_deliver(charger, connector) or start_blocked(charger.faults_on(0), method):
            attempts.append(False)
            return
        if vehicle_is_bad(schedule, vehicle, sim_t):
            attempts.append(False)
            with contextlib.suppress(Exception):
                await bad_vehicle_start(charger, connector, vehicle, sim_t)
            return
        try:
            tx = charger.start_transaction(connector, vehicle)
        except Exception:
            attempts.append(False)
            return
        await asyncio.sleep(300 / speed)
        conn = charger.connectors[connector]
        attempts.append(conn.transaction is tx)  # delivered energy for 5 minutes
        await asyncio.sleep(max(0.0, duration - 300) / speed)
        if conn.transaction is tx:
            charger.stop_transaction(connector)

    def visit(cid: str, cause: str) -> None:
        if cid in pending:
            return
        pending.add(cid)
        charger = fleet.charger(cid)
        needed = any(
            f.cause is not None and needs_visit(f.cause, f.spec.key)
            for f in charger.faults.values()
        )
        entry = {"t": sim_now(), "charger_id": cid, "cause": cause, "needed": needed}
        visits.append(entry)
        dispatched = time.time()

        async def truck_roll() -> None:
            # the technician sets out --drive-h before arriving; until then ChargeFix's
            # dispatcher calls the truck back when a "healthy again" notice came after the
            # dispatch and the CSMS still shows the charger healthy (a partner or a driver
            # would find it working); the other arms have no such notice
            await asyncio.sleep(max(0.0, args.truck_roll_h - args.drive_h) * 3600 / speed)
            if call_back(recovered_seen.get(cid), dispatched, state.live.get(cid)):
                entry["recalled"] = sim_now()
                pending.discard(cid)
                return
            await asyncio.sleep(min(args.drive_h, args.truck_roll_h) * 3600 / speed)
            entry.update(charger.site_visit(), arrived=sim_now())
            pending.discard(cid)

        tasks.append(asyncio.create_task(truck_roll()))

    async def dispatcher() -> None:
        while True:
            await asyncio.sleep(600 / speed)
            if arm != "none":
                with state.session_factory() as db:
                    rows = db.scalars(
                        select(DiagnosisRow).where(DiagnosisRow.status == "site_visit")
                    )
                    for row in rows:
                        if row.id not in seen_tickets:
                            seen_tickets.add(row.id)
                            visit(row.charger_id, "ticket")
                    if arm == "ours" and args.call_back == "on":
                        notices = db.execute(
                            select(
                                HandoffRow.id,
                                HandoffRow.recovered_at,
                                TroubleshootingSession.charger_id,
                            )
                            .join(
                                TroubleshootingSession,
                                TroubleshootingSession.id == HandoffRow.session_id,
                            )
                            .where(HandoffRow.recovered_at.is_not(None))
                        )
                        for handoff_id, since, charger_id in notices:
                            if (handoff_id, str(since)) not in seen_recoveries:
                                seen_recoveries.add((handoff_id, str(since)))
                                recovered_seen[charger_id] = time.time()
            now = time.time()
            for charger in fleet.chargers:
                for fault in charger.faults.values():
                    since = datetime.fromisoformat(fault.since.replace("Z", "+00:00"))
                    if (now - since.timestamp()) * speed >= args.complaint_h * 3600:
                        visit(charger.charger_id, "complaint")

    tasks: list[asyncio.Task[Any]] = [asyncio.create_task(inject(*f)) for f in schedule["faults"]]
    tasks += [asyncio.create_task(session(*s)) for s in schedule["sessions"]]
    tasks += [asyncio.create_task(site_fault(*f)) for f in schedule["site_faults"]]
    tasks += [asyncio.create_task(inject(*f)) for f in schedule["extra_faults"]]
    tasks += [asyncio.create_task(processor_outage(*o)) for o in schedule["processor_outages"]]
    if schedule["rollout"] is not None:
        tasks.append(asyncio.create_task(rollout(schedule["rollout"])))
    tasks.append(asyncio.create_task(dispatcher()))
    tasks.append(asyncio.create_task(lag_probe()))
    await asyncio.sleep(schedule["span"] / speed)
    span_end = sim_now()
    cpu = time.process_time() - cpu0
    for task in tasks:
        task.cancel()
    diag_stats = dict(state.diagnosis.stats) if state.diagnosis is not None else {}
    campaigns = [
        {
            "model": c.model,
            "status": c.status,
            "items": {k: sum(1 for i in c.items.values() if i.state == k) for k in ITEM_STATES},
        }
        for c in (state.campaigns.list() if state.campaigns is not None else [])
    ]
    with state.session_factory() as db:
        # the people's side of it: cases handed to consultants or technicians, and the
        # peripheral restarts sent (a terminal restart does not help when its processor is down)
        handoffs = db.scalar(select(func.count()).select_from(HandoffRow)) or 0
        restarts = (
            db.scalar(
                select(func.count())
                .select_from(CommandRow)
                .where(CommandRow.command == "restart_peripheral")
            )
            or 0
        )
    await fleet.stop()
    await backend.stop()
    result = score(truth_path, t0, speed, span_end, visits, plans)
    result.update(
        arm=arm,
        seed=seed,
        days=args.days,
        chargers=args.chargers,
        call_back=args.call_back,
        chargex_models=list(args.chargex_models),
        charge_attempts=len(attempts),
        charging_success_pct=round(100 * sum(attempts) / max(1, len(attempts)), 1),
        diagnosis=diag_stats,
        campaigns=campaigns,
        campaigns_stopped=sum(1 for c in campaigns if c["status"] == "stopped"),
        real_seconds=round(time.time() - t0, 1),
        cpu_share_pct=round(100 * cpu / max(1e-9, span_end / speed), 1),
        loop_lag=lag_summary(lags, speed),
        loop_lag_p95_sim_s=lag_summary(lags, speed).get("p95_sim_s", 0.0),
        late_answers_at_boot=late_at_start,
        late_answers=late.count - late_at_start,
        work_dir=str(work),
        failed_injections=failed_injections,
        handoffs=handoffs,
        peripheral_restarts=restarts,
        processor_outages=len(schedule["processor_outages"]),
    )
    months = args.days / 30.0
    result["truck_rolls_per_100_month"] = round(
        result["site_visits"] * 100 / args.chargers / months, 1
    )
    result["needed_rolls_per_100_month"] = round(
        result["site_visits_needed"] * 100 / args.chargers / months, 1
    )
    out.write_text(json.dumps(result, indent=2, default=str))
    return result
