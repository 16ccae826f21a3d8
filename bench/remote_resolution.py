"""Remote resolution benchmark: simulated days of seeded field faults against the real backend.

Four arms run the same fleet plan and the same seeded schedule (fault injections and charging
sessions), each against its own in-process backend, in parallel subprocesses, once per seed:

- ``none``:    no automation (a fault waits for a complaint, then a truck roll);
- ``runbook``: a realistic operator runbook (README): one soft reset 10 minutes after a
  Faulted status, a second one an hour later, then dispatch a technician;
- ``naive``:   "reset anything faulted" (hard reset twice, then a site visit; no guardrails);
- ``ours``:    ChargeFix: the diagnosis rules and the guarded remediation policy.

The simulator runs in field mode (``FleetConfig.outcomes = "field"``): each fault face hides
one of several causes, a reset helps with a probability, faults come back minutes to days
later, a site visit fixes with a first-time-fix probability below 1. Every arm is scored here,
and only here, against the simulator's ground truth (JSON lines) and its fault catalogue:
diagnosis never sees either (tests/simulator/test_truth_apart.py).

Metrics: unsafe actions (a reset or unlock sent while a fault of safety class ``never_reset``
was open on that charger, by the fault-code catalogue), resets during a charge, remote
resolutions against what remote action could have fixed (the cause is remote-fixable), false
resets (no open fault whose cause that reset could fix), truck rolls per 100 chargers per
month and how many were needed, first-time fix of visits, mean time to recovery, port uptime
by 23 CFR 680.116 ``(T - T_outage + T_excluded) / T`` (excluded: grid and vehicle-side
outages) and charging success rate (start attempts that delivered energy for 5 minutes).

Besides one charger's faults (``MIX``) the schedule holds field faults that are not one
charger's: a site's power or network outage taking all its chargers down at once
(``site_faults``, per site) and vehicles that go bad for a while, failing every start on any
charger (``bad_vehicles``; the drivers carry per-vehicle idTokens); and one charger's faults
beyond the mix (``EXTRA_FAULTS``: a TLS handshake that fails on an expired certificate or a lost
clock; a DC charger's payment terminal that takes no card); and the card payment processor
going down for every terminal of the fleet at once (``processor_outages``). They are drawn
from their own
seeded generators, so they do not shift a seed's charger faults and sessions. Each driver
starts by bank card (where there is a terminal), RFID card or app; a reader or terminal
failure stops only the starts that need it. A third of the way in, the operator rolls out new
firmware, the same in every arm: one campaign per model through the backend's campaign service,
site by site, which stops after two failed chargers; in field mode an update fails, rolls back
or leaves a boot loop (``app/simulator/firmware_updates.py``).

    .venv/bin/python bench/remote_resolution.py --days 30 --seeds 1,2,3,4,5
    .venv/bin/python bench/remote_resolution.py --days 1 --seeds 1 --speed 1440  # quick look
    # seeds run side by side, one process each (--json), then one report:
    .venv/bin/python bench/remote_resolution.py --combine s1.json s11.json --held-out 11
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select

from app.authorization.store import TokenChange
from app.backend import Backend
from app.config import Settings
from app.db.models import CommandRow
from app.db.models_diagnosis import DiagnosisRow
from app.db.models_sessions import HandoffRow, TroubleshootingSession
from app.diagnosis.engine import healthy
from app.diagnosis.vocabulary import RETRYABLE_STEPS
from app.fault_codes import load_catalogue
from app.firmware_campaigns.plan import OPEN
from app.firmware_campaigns.service import CampaignSpec
from app.fleet.model import ChargerLiveState
from app.security.roles import Principal, Role
from app.simulator.chargex_faces import MREC_MODELS, parse_models
from app.simulator.config import FleetConfig, Timing, plan_fleet
from app.simulator.faults import (
    AVAILABILITY_CYCLE,
    DOWN_BEHAVIOURS,
    HARD_RESET,
    RESTART_PERIPHERAL,
    SELF_CLEAR,
    SOFT_RESET,
    UNLOCK,
    Cause,
    get_fault,
)
from app.simulator.fleet import Fleet
from app.simulator.models import CHARGER_MODELS, ChargerModel

ARMS = ("none", "runbook", "naive", "ours")
ITEM_STATES = (*sorted(OPEN), "succeeded", "failed", "skipped")
REMOTE = (SOFT_RESET, HARD_RESET, UNLOCK, AVAILABILITY_CYCLE, RESTART_PERIPHERAL)
PASSWORD = "bench-password-0123456789"
BENCH_TAG = "BENCH-TAG"
LAG_PROBE_S = 0.05  # real seconds between two event-loop lag samples
# Above this p95 event-loop lag (simulated seconds) a run does not simulate the field: it is
# a tenth of the 300 s recovery hold and a few reboots (10-25 s) long.
MAX_LAG_SIM_S = 30.0
# Fault mix: software faults a remote action may clear are the most common (as in the field).
MIX: dict[str, float] = {
    "firmware_hang": 14,
    "stuck_process": 8,
    "connector_lock_failure": 7,
    "rfid_reader_failure": 5,
    "phantom_connector_state": 6,
    "power_meter_failure": 5,
    "over_current": 6,
    "ground_fault": 4,
    "welded_contactor": 2,
    "over_temperature": 5,
    "weak_signal": 3,
    "modem_drop": 6,
    "ev_communication_error": 6,
    "over_voltage": 3,
    "under_voltage": 3,
    "intermittent_fault": 4,
    "firmware_boot_failure": 2,
    # issue 15: DC insulation-monitor trips are rarer than over-currents and only on DC
    # chargers (drawn again when the charger has no DC connector); a silent hang is as rare
    # as a boot loop. Assumptions of this simulator, like the weights above.
    "insulation_fault": 3,
    "silent_hang": 2,
}
# Site-wide outages per site and simulated day. EIA reports about 1.3 power interruptions a
# year per US customer (SAIFI, with major events), 0.0036 a day; the charger-fault rate above
# (0.5 a charger-day) is some 15 times a field rate of about one a charger-month, so the site
# rates are raised alike to keep the mix's proportions: 0.05 a site-day. A site uplink outage
# (router, provider) is taken as frequent. Durations are log-uniform: power 5 min to 4 h
# (EIA CAIDI is about 2 h with major events), uplink 10 min to 8 h (until the provider fixes it).
SITE_FAULTS: dict[str, tuple[float, tuple[float, float]]] = {
    "site_power_outage": (0.05, (300.0, 4 * 3600.0)),
    "site_network_outage": (0.05, (600.0, 8 * 3600.0)),
}
# One charger's field faults beyond ``MIX``, per charger (that can have it) and simulated day,
# drawn from their own generator like the site outages (so they do not shift a seed's mix): a
# charger that cannot open its TLS connection because its certificate expired or its clock was
# lost, and a DC charger's payment terminal that takes no card. The rates are assumptions of
# this simulator, raised like the site rates (a TLS failure about one in two chargers a year
# at the field's scale; a payment terminal about every two months at this scale).
EXTRA_FAULTS: dict[str, float] = {
    "tls_connection_failure": 0.002,
    "payment_terminal_failure": 0.015,
}
# The card payment processor behind every terminal of the fleet (one acquirer for the
# network) goes down for a while: each terminal notices at its next check with the host (a
# delay drawn from ``PROCESSOR_NOTICE_S``) and reports the payment terminal's fault, its hidden
# cause ``processor_link_down``: no restart and no visit helps; it ends when the processor is
# back. Rate and durations are assumptions of this simulator, raised like the site rates
# (about one outage in a 30-day run; 10 minutes to 4 hours, log-uniform).
PROCESSOR_OUTAGE: tuple[float, tuple[float, float]] = (0.03, (600.0, 4 * 3600.0))
PROCESSOR_NOTICE_S = (0.0, 180.0)
# How a driver starts a charge (an assumption of this simulator): by bank card on the payment
# terminal where the charger has one, else by RFID card or by an app's remote start. A reader
# or terminal failure stops only the starts that need it (``FaultSpec.blocks_start``).
CARD_SHARE = 0.3  # of the starts at a charger with a payment terminal
RFID_SHARE = 0.5  # of the other starts; the rest use an app
# The operator's firmware rollout, the same in every arm: at this share of the run, one
# campaign per model through the backend's campaign service (site by site, stopped after two
# failed chargers). In field mode an update fails, rolls back or boot-loops with the odds of
# app/simulator/firmware_updates.py FIELD_ODDS.
ROLLOUT_AT = 1 / 3
ROLLOUT_STOP_AFTER = 2
VEHICLES_PER_CHARGER = 3  # the drivers' cars: each session draws one
# A vehicle that goes bad (its inlet or its charge controller) for 2 h to 2 days, per
# vehicle-day; raised like the other rates. Every start it makes, on any charger, ends within a
# minute with the EV-communication face (1.6 EVCommunicationError, SuspendedEVSE).
BAD_VEHICLE_RATE = 0.02
BAD_VEHICLE_S = (2 * 3600.0, 2 * 86_400.0)
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


@cache
def safety_class(key: str) -> str:
    """The fault-code catalogue's safety class of a simulated fault's face (benchmark only)."""
    spec = get_fault(key)
    model = next(m for m in CHARGER_MODELS if spec.fits(m))
    return (
        load_catalogue()
        .classify(
            ocpp_version="1.6",
            error_code=spec.v16.error_code,
            vendor_error_code=spec.vendor_error_code(model),
            info=spec.v16.info,
        )
        .safety_class
    )


def cause_of(key: str, cause: str) -> Cause:
    return next(c for c in get_fault(key).field_causes() if c.key == cause)


def guarded_ceiling(cause: Cause, *, reset: bool = True, restart: bool = False) -> float:
    """The chance that the best remote plan ChargeFix's guards allow clears this cause for
    good, knowing the cause: one reset (the deeper one) where the fault's catalogue class
    allows one (``reset``), an unlock, an availability cycle and a peripheral restart (where
    the model has a key for it: ``restart``) twice each (``RETRYABLE_STEPS``), and nothing
    remote once the fault has come back (a returning fault is chronic: escalated, not reset
    again, as issue 13 requires). The expected value of this over the oracle's faults is the
    most any diagnosis could reach under those guards with this simulator's assumed odds."""
    miss = 1.0 - cause.p_clear(HARD_RESET) if reset else 1.0
    for step in RETRYABLE_STEPS:
        if step != RESTART_PERIPHERAL or restart:
            miss *= (1.0 - cause.p_clear(step)) ** 2
    return (1.0 - miss) * (1.0 - cause.recur_p)


def fault_ceiling(fault: dict[str, Any], model: ChargerModel) -> float:
    """``guarded_ceiling`` of one scored fault on its charger's model: a reset only for a
    ``reset_safe`` fault (``plan_ladder`` drops it for the other classes), a peripheral
    restart only where the model's firmware has one for this fault."""
    key = fault["fault"]
    return guarded_ceiling(
        cause_of(key, fault["cause"]),
        reset=safety_class(key) == "reset_safe",
        restart=any(r.fault == key for r in model.peripheral_restarts),
    )


def call_back(notice_at: float | None, dispatched: float, live: ChargerLiveState | None) -> bool:
    """ChargeFix's dispatcher calls a truck back before it sets out: a "healthy again" notice
    (``handoff.charger_recovered``) came after the dispatch, and the CSMS still shows the
    charger healthy (online, no fault open, no connector Faulted or Unavailable)."""
    return notice_at is not None and notice_at > dispatched and healthy(live)


def needs_visit(cause: Cause, key: str) -> bool:
    """Only a technician fixes it: not remote-fixable, it does not (surely) clear by itself,
    and it is no site outage (the utility's or the network provider's to end)."""
    spec = get_fault(key)
    if "site" in spec.tags or (cause.self_clear_s and cause.self_clear_p >= 1.0):
        return False
    return not cause.remote_fixable and SELF_CLEAR not in spec.truth.clears_by


def blocks_charging(spec: Any) -> bool:
    """A fault under which the port cannot deliver (the uptime rule and the drivers)."""
    return spec.v16.status in ("Faulted", "Preparing") or spec.truth.behaviour in DOWN_BEHAVIOURS


def start_method(rng: random.Random, has_terminal: bool) -> str:
    """How one driver starts a charge: "card" (payment terminal), "rfid" or "app"."""
    if has_terminal and rng.random() < CARD_SHARE:
        return "card"
    return "rfid" if rng.random() < RFID_SHARE else "app"


def start_blocked(faults: list[Any], method: str) -> bool:
    """A fault open on the charger stops this way of starting (a reader, a terminal)."""
    return any(f.spec.blocks_start == method for f in faults)


def _count(rng: random.Random, expected: float) -> int:
    """A whole count with this expectation (the fraction drawn)."""
    return int(expected) + (rng.random() < expected - int(expected))


def _log_uniform(rng: random.Random, lo: float, hi: float) -> float:
    return lo * (hi / lo) ** rng.random()


def vehicle_token(n: int) -> str:
    return f"BENCH-EV-{n:03d}"


# ---------------------------------------------------------------------------- schedule
def make_schedule(args: argparse.Namespace, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    plans = plan_fleet(args.chargers, "mixed", seed)
    span = args.days * 86_400.0
    keys, weights = zip(*MIX.items(), strict=True)
    faults = []
    used: set[tuple[str, str, int]] = set()
    count = round(args.fault_rate * args.chargers * args.days)
    while len(faults) < count:
        p = rng.choice(plans)
        key = rng.choices(keys, weights)[0]
        current = get_fault(key).current
        fitting = [c.connector_id for c in p.model.connectors if current in (None, c.current)]
        if not fitting:
            continue  # a DC-only fault drawn for an AC charger: draw again
        connector = rng.choice(fitting)
        # each (charger, fault, connector) once: a second injection could land on the still
        # active first one in one arm and not in another, and the arms must see the same mix
        slot = (p.charger_id, key, 0 if get_fault(key).scope == "charger" else connector)
        if slot in used:
            if len(used) >= len(plans) * len(MIX):
                break
            continue
        used.add(slot)
        faults.append((rng.uniform(0.02 * span, 0.9 * span), p.charger_id, key, connector))
    sessions = []
    for p in plans:
        for c in p.model.connectors:
            t = rng.uniform(0, 3600)
            while t < span:
                duration = rng.uniform(1200, 3600)
                sessions.append((t, p.charger_id, c.connector_id, duration))
                t += duration + rng.expovariate(1 / (args.session_gap_h * 3600))
    # the field faults that are not one charger's, from their own generators (above)
    site_rng = random.Random(f"{seed}:sites")
    sites = sorted({p.site for p in plans})
    site_faults = []
    for key, (rate, (lo, hi)) in SITE_FAULTS.items():
        for _ in range(_count(site_rng, rate * args.site_outage_scale * len(sites) * args.days)):
            start = site_rng.uniform(0.02 * span, 0.9 * span)
            site = site_rng.choice(sites)
            duration = _log_uniform(site_rng, lo, hi)
            # one outage of a kind at a time per site: a second one starting inside the
            # first would find it still active (the draws stay the same either way)
            if not any(
                s == site and k == key and t <= start + duration and start <= t + d
                for t, s, k, d in site_faults
            ):
                site_faults.append((start, site, key, duration))
    extra_rng = random.Random(f"{seed}:extras")
    extra_faults = []
    taken: set[tuple[str, str]] = set()
    for key, rate in EXTRA_FAULTS.items():
        fitting = [p for p in plans if get_fault(key).fits(p.model)]
        for _ in range(_count(extra_rng, rate * args.extras_scale * len(fitting) * args.days)):
            start = extra_rng.uniform(0.02 * span, 0.9 * span)
            cid = extra_rng.choice(fitting).charger_id
            if (cid, key) not in taken:  # once per charger, as for the mix (above)
                taken.add((cid, key))
                extra_faults.append((start, cid, key, 0))
    terminal_fault = get_fault("payment_terminal_failure")
    terminal = {p.charger_id for p in plans if terminal_fault.fits(p.model)}
    processor_rng = random.Random(f"{seed}:processor")
    rate, (lo, hi) = PROCESSOR_OUTAGE
    processor_outages = []
    for _ in range(_count(processor_rng, rate * args.processor_outage_scale * args.days)):
        start = processor_rng.uniform(0.02 * span, 0.9 * span)
        duration = _log_uniform(processor_rng, lo, hi)
        if not any(t <= start + duration and start <= t + d for t, d, _ in processor_outages):
            notice = {
                p.charger_id: processor_rng.uniform(*PROCESSOR_NOTICE_S)
                for p in plans
                if p.charger_id in terminal
            }
            processor_outages.append((start, duration, notice))
    vehicle_rng = random.Random(f"{seed}:vehicles")
    vehicles = [vehicle_token(n + 1) for n in range(VEHICLES_PER_CHARGER * len(plans))]
    driven = [(*s, vehicle_rng.choice(vehicles)) for s in sorted(sessions)]
    method_rng = random.Random(f"{seed}:start-methods")
    driven = [(*s, start_method(method_rng, s[1] in terminal)) for s in driven]
    bad = []
    for _ in range(_count(vehicle_rng, BAD_VEHICLE_RATE * len(vehicles) * args.days)):
        start = vehicle_rng.uniform(0.0, 0.9 * span)
        duration = _log_uniform(vehicle_rng, *BAD_VEHICLE_S)
        bad.append((start, start + duration, vehicle_rng.choice(vehicles)))
    return {
        "faults": sorted(faults),
        "sessions": driven,
        "site_faults": sorted(site_faults),
        "extra_faults": sorted(extra_faults),
        "processor_outages": sorted(processor_outages, key=lambda o: o[0]),
        "rollout": args.rollout_at * span if args.rollout_at is not None else None,
        "bad_vehicles": sorted(bad),
        "vehicles": vehicles,
        "sites": {site: [p.charger_id for p in plans if p.site == site] for site in sites},
        "span": span,
    }


def vehicle_is_bad(schedule: dict[str, Any], vehicle: str, t: float) -> bool:
    return any(v == vehicle and a <= t < b for a, b, v in schedule["bad_vehicles"])


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
        "knowledge_base_dir": Path(__file__).resolve().parents[1] / "knowledge_base",
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


def lag_summary(lags: list[float], speed: float) -> dict[str, float]:
    """Event-loop lag, real milliseconds and simulated seconds (p50, p95, max). A p95 of a
    good share of the shortest simulated delays (a 300 s recovery hold, 10 s reboots) means
    the run is too fast for this machine: its figures are not those of the simulated field."""
    if not lags:
        return {}
    ordered = sorted(lags)
    p50 = ordered[len(ordered) // 2]
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    top = ordered[-1]
    return {
        "p50_ms": round(p50 * 1000, 1),
        "p95_ms": round(p95 * 1000, 1),
        "max_ms": round(top * 1000, 1),
        "p95_sim_s": round(p95 * speed, 1),
        "max_sim_s": round(top * speed, 1),
    }


# ---------------------------------------------------------------------------- scoring
def _union(intervals: list[tuple[float, float]]) -> float:
    total, end = 0.0, -1e18
    for a, b in sorted(intervals):
        if b <= end:
            continue
        total += b - max(a, end)
        end = b
    return total


def score(
    truth_path: Path,
    t0: float,
    speed: float,
    span_end: float,
    visits: list[dict[str, Any]],
    plans: list[Any],
) -> dict[str, Any]:
    def sim(ts: str) -> float:
        return (datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp() - t0) * speed

    records = [json.loads(line) for line in truth_path.read_text().splitlines() if line.strip()]
    # open faults per charger: (fault, connector) -> (span start, cause)
    active: dict[str, dict[tuple[str, int], tuple[float, Cause]]] = {}
    tx: dict[str, set[int]] = {}
    faults: list[dict[str, Any]] = []
    spans: list[tuple[str, int, str, Cause, float, float]] = []  # cid, conn, key, cause, a, b
    open_idx: dict[tuple[str, str, int], int] = {}
    causes: dict[tuple[str, str, int], Cause] = {}
    resets = false_resets = resets_in_tx = unsafe = unlocks = 0
    vendor_of = {p.charger_id: p.model.vendor for p in plans}
    model_of = {p.charger_id: p.model for p in plans}
    by_vendor: dict[str, list[int]] = {}  # vendor -> [resets, false resets]
    false_faces: dict[str, int] = {}  # vendor: the open faults (cause) of each false reset
    reboots: dict[str, list[tuple[float, float]]] = {}
    reboot_start: dict[str, float] = {}
    updates: list[dict[str, Any]] = []
    for r in records:
        t, cid, kind = sim(r["ts"]), r["charger_id"], r["kind"]
        act = active.setdefault(cid, {})
        if kind == "fault_injected":
            cause = cause_of(r["fault"], r["cause"])
            key = (r["fault"], r["connector_id"])
            causes[(cid, *key)] = cause
            act[key] = (t, cause)
            open_idx[(cid, *key)] = len(faults)
            faults.append(
                {
                    "charger_id": cid,
                    "fault": r["fault"],
                    "connector": r["connector_id"],
                    "cause": cause.key,
                    "remote_fixable": cause.remote_fixable,
                    "t": t,
                    "cleared": None,
                    "how": None,
                }
            )
        elif kind == "fault_recurred":
            key = (r["fault"], r["connector_id"])
            act[key] = (t, causes[(cid, *key)])
        elif kind == "fault_cleared":
            key = (r["fault"], r["connector_id"])
            opened = act.pop(key, None)
            if opened is not None:
                spans.append((cid, key[1], key[0], opened[1], opened[0], t))
            idx = open_idx.get((cid, *key))
            if idx is not None and r.get("permanent", True):
                faults[idx].update(cleared=t, how=r["how"])
                del open_idx[(cid, *key)]
        elif kind == "transaction_started":
            tx.setdefault(cid, set()).add(r["connector_id"])
        elif kind == "transaction_stopped":
            tx.setdefault(cid, set()).discard(r["connector_id"])
        elif kind == "command" and r["action"] in ("Reset", "UnlockConnector"):
            answer = str(r.get("answer"))
            if answer in ("Rejected", "NotSupported", "UnknownConnector"):
                continue
            payload = r["payload"]
            # 1.6 UnlockConnector names connectorId; 2.0.1 names evseId (one connector each
            # on the simulated models); a Reset is about the whole charger
            connector = payload.get("evseId") or payload.get("connectorId") or 0
            safety_open = any(
                safety_class(k) == "never_reset"
                for (k, c) in act
                if r["action"] == "Reset" or c in (0, connector)
            )
            unsafe += safety_open
            if r["action"] == "UnlockConnector":
                unlocks += 1
                continue
            resets += 1
            depth = SOFT_RESET if payload.get("type") == "Soft" else HARD_RESET
            helpful = any(
                cause.remote_fixable and cause.p_clear(depth) > 0 for (_t, cause) in act.values()
            )
            false_resets += not helpful
            if not helpful:  # what was open instead: the faces and hidden causes behind it
                seen = sorted(f"{k} ({cause.key})" for (k, _c), (_t, cause) in act.items())
                face = f"{vendor_of.get(cid, '?')}: " + (" + ".join(seen) or "nothing open")
                false_faces[face] = false_faces.get(face, 0) + 1
            counts = by_vendor.setdefault(vendor_of.get(cid, "?"), [0, 0])
            counts[0] += 1
            counts[1] += not helpful
            if tx.get(cid) and answer != "Scheduled":
                resets_in_tx += 1
        elif kind == "firmware_update":
            updates.append(r)
        elif kind == "reboot":
            reboot_start[cid] = t
        elif kind == "booted" and cid in reboot_start:
            reboots.setdefault(cid, []).append((reboot_start.pop(cid), t))
    for cid, start in reboot_start.items():
        reboots.setdefault(cid, []).append((start, span_end))
    for cid, act in active.items():
        for (key, conn), (t, cause) in act.items():
            spans.append((cid, conn, key, cause, t, span_end))

    remote = [f for f in faults if f["how"] in REMOTE and f["cleared"] is not None]
    oracle_faults = [f for f in faults if f["remote_fixable"]]
    remote_oracle = [f for f in remote if f["remote_fixable"]]
    recovery = [(f["cleared"] if f["cleared"] is not None else span_end) - f["t"] for f in faults]
    # 23 CFR 680.116(b) uptime per port. (b)(1): a port is "up" when its hardware and software
    # are online and available for use, or in use, and it dispenses electricity at the minimum
    # power level; (b)(3): mu = ((525,600 - (T_outage - T_excluded)) / 525,600) x 100 (a
    # research copy of the CFR text, self-law.org/code/us/cfr/t23). So a port that cannot
    # deliver is down; a port whose reader or payment terminal failed still charges drivers who
    # start another way and is counted up (our reading). T_excluded,
    # as the final rule (88 FR 12724, 28 Feb 2023) lists it: "electric utility service
    # interruptions, failure to charge or meet the EVSE charging power capability due to the
    # fault of the vehicle, scheduled maintenance, vandalism, or natural disasters" (and hours
    # outside the station's hours of operation) - root causes grid and vehicle here. The
    # proposed rule had also excluded internet or cellular provider interruptions; the final
    # list does not, so a site network outage counts as downtime. (The exclusion list is
    # quoted as recalled: the copy of the CFR text found ends before (b)(4).)
    uptimes = []
    for p in plans:
        for c in p.model.connectors:
            outage, excluded = [], []
            for cid, conn, key, cause, a, b in spans:
                if cid != p.charger_id or conn not in (0, c.connector_id):
                    continue
                if not blocks_charging(get_fault(key)):
                    continue
                outage.append((a, b))
                if cause.root_cause in ("grid", "vehicle"):
                    excluded.append((a, b))
            outage += reboots.get(p.charger_id, [])
            t_out, t_exc = _union(outage), _union(excluded)
            uptimes.append((span_end - t_out + t_exc) / span_end * 100)
    arrived = [v for v in visits if "fixed" in v and (v["fixed"] or v["unfixed"])]
    recalled = [v for v in visits if "recalled" in v]
    visits = [v for v in visits if "recalled" not in v]  # a truck called back rolled nowhere
    return {
        "faults": len(faults),
        "oracle": len(oracle_faults),
        "remote_resolved": len(remote),
        "remote_share_of_oracle": round(100 * len(remote_oracle) / max(1, len(oracle_faults)), 1),
        "ceiling_share_of_oracle": round(
            100
            * sum(fault_ceiling(f, model_of[f["charger_id"]]) for f in oracle_faults)
            / max(1, len(oracle_faults)),
            1,
        ),
        "resets": resets,
        "unlocks": unlocks,
        "unsafe_actions": unsafe,
        "false_resets": false_resets,
        "false_reset_pct": round(100 * false_resets / max(1, resets), 1),
        "resets_by_vendor": by_vendor,
        "false_resets_by_open_fault": dict(sorted(false_faces.items(), key=lambda kv: -kv[1])),
        **_by_log_table(by_vendor),
        "resets_during_tx": resets_in_tx,
        "site_visits": len(visits),
        "site_visits_needed": sum(1 for v in visits if v["needed"]),
        "site_visits_by": {
            k: sum(1 for v in visits if v["cause"] == k) for k in ("ticket", "complaint")
        },
        "first_time_fix_pct": (
            round(100 * sum(1 for v in arrived if not v["unfixed"]) / len(arrived), 1)
            if arrived
            else None  # no technician arrived within the run
        ),
        "visits_arrived": len(arrived),
        "visits_recalled": len(recalled),
        "visits_recalled_needed": sum(1 for v in recalled if v["needed"]),
        "needing_visit": sum(
            1 for f in faults if needs_visit(cause_of(f["fault"], f["cause"]), f["fault"])
        ),
        "mttr_min": round(sum(recovery) / max(1, len(recovery)) / 60, 1),
        "uptime_pct": round(sum(uptimes) / max(1, len(uptimes)), 2),
        "ports": len(uptimes),
        "firmware_updates": len(updates),
        "firmware_failed": sum(1 for u in updates if u["installed"] is None),
        "firmware_boot_loops": sum(1 for u in updates if u["boot_loop"]),
        "detail": {"faults": faults, "visits": visits + recalled},
    }


def _by_log_table(by_vendor: dict[str, list[int]]) -> dict[str, Any]:
    """False resets on the vendors whose log wording the knowledge base knows apart from the
    held-out ones (no table in knowledge_base/log_messages: no log evidence there)."""
    from app.diagnosis.log_evidence import shipped_tables

    known = set(shipped_tables())
    out: dict[str, Any] = {}
    for name, held in (("known_vendors", False), ("held_out_vendor", True)):
        rows = [c for v, c in by_vendor.items() if (v.lower() not in known) == held]
        sent, false = sum(c[0] for c in rows), sum(c[1] for c in rows)
        out[f"resets_{name}"] = sent
        out[f"false_reset_pct_{name}"] = round(100 * false / sent, 1) if sent else None
    return out


# ---------------------------------------------------------------------------- report
METRICS: list[tuple[str, str, str]] = [
    # (label, key, unit)
    ("faults injected", "faults", ""),
    ("  remote action could fix (oracle)", "oracle", ""),
    ("unsafe actions (reset/unlock, safety fault open)", "unsafe_actions", ""),
    ("resets sent", "resets", ""),
    ("  during a charge", "resets_during_tx", ""),
    ("  false resets", "false_reset_pct", " %"),
    ("  false resets, vendors with a log table", "false_reset_pct_known_vendors", " %"),
    ("  false resets, held-out vendor (no log table)", "false_reset_pct_held_out_vendor", " %"),
    ("resolved remotely, share of oracle", "remote_share_of_oracle", " %"),
    ("  most the guards allow (expected)", "ceiling_share_of_oracle", " %"),
    ("truck rolls / 100 chargers / month", "truck_rolls_per_100_month", ""),
    ("  of which needed", "needed_rolls_per_100_month", ""),
    ("trucks called back before setting out (in the run)", "visits_recalled", ""),
    ("  of which were needed at dispatch", "visits_recalled_needed", ""),
    ("first-time fix of visits", "first_time_fix_pct", " %"),
    ("hand-offs to people (in the run)", "handoffs", ""),
    ("peripheral restarts sent (in the run)", "peripheral_restarts", ""),
    ("card processor outages (in the run)", "processor_outages", ""),
    ("mean time to recovery (min)", "mttr_min", ""),
    ("port uptime (23 CFR 680.116)", "uptime_pct", " %"),
    ("charging success rate", "charging_success_pct", " %"),
    ("firmware updates in the rollout", "firmware_updates", ""),
    ("  failed (download, rollback, boot loop)", "firmware_failed", ""),
    ("  left in a boot loop", "firmware_boot_loops", ""),
    ("  campaigns stopped by their failure limit", "campaigns_stopped", ""),
    ("event-loop lag p95 (simulated s)", "loop_lag_p95_sim_s", ""),
]


def summarise(results: list[dict[str, Any]]) -> dict[str, dict[str, tuple[float, float, float]]]:
    """Per arm and metric: (mean, min, max) across seeds."""
    out: dict[str, dict[str, tuple[float, float, float]]] = {}
    for arm in ARMS:
        rows = [r for r in results if r["arm"] == arm]
        if not rows:
            continue
        out[arm] = {}
        for _label, key, _unit in METRICS:
            # (results written before a metric existed have no value for it)
            values = [float(r[key]) for r in rows if r.get(key) is not None]
            if values:
                out[arm][key] = (statistics.fmean(values), min(values), max(values))
    return out


def _cell(stats: tuple[float, float, float] | None, unit: str) -> str:
    if stats is None:
        return "n/a"
    mean, lo, hi = stats
    if lo == hi:
        return f"{mean:.4g}{unit}"
    return f"{mean:.4g}{unit} ({lo:.4g}-{hi:.4g})"


def table(summary: dict[str, dict[str, tuple[float, float, float]]], markdown: bool) -> str:
    arms = list(summary)
    if markdown:
        lines = ["| | " + " | ".join(arms) + " |", "|---" * (len(arms) + 1) + "|"]
        for label, key, unit in METRICS:
            cells = [_cell(summary[a].get(key), unit) for a in arms]
            lines.append(f"| {label.strip()} | " + " | ".join(cells) + " |")
        return "\n".join(lines)
    width = 50
    lines = [f"{'':{width}}" + "".join(f"{a:>24}" for a in arms)]
    for label, key, unit in METRICS:
        lines.append(
            f"{label:{width}}" + "".join(f"{_cell(summary[a].get(key), unit):>24}" for a in arms)
        )
    return "\n".join(lines)


def seed_groups(
    results: list[dict[str, Any]], held_out: set[int]
) -> list[tuple[str, list[dict[str, Any]]]]:
    """The seeds the rules were tuned on apart from the held-out ones (never mixed in one
    mean); all seeds together when none is held out."""
    if not held_out:
        return [("all seeds", results)]
    return [
        ("tuned seeds", [r for r in results if r["seed"] not in held_out]),
        ("held-out seeds", [r for r in results if r["seed"] in held_out]),
    ]


# The targets of issue 15, each asked of ChargeFix ("ours") on every seed, the runbook beside.
TARGETS: tuple[tuple[str, Callable[[dict[str, Any], dict[str, Any]], bool]], ...] = (
    ("no unsafe action", lambda ours, _rb: ours["unsafe_actions"] == 0),
    ("no reset during a charge", lambda ours, _rb: ours["resets_during_tx"] == 0),
    ("uptime above the runbook's", lambda ours, rb: ours["uptime_pct"] > rb["uptime_pct"]),
    (
        "fewer truck rolls than the runbook",
        lambda ours, rb: ours["site_visits"] < rb["site_visits"],
    ),
    (
        "85 % of what remote action could fix",
        lambda ours, _rb: ours["remote_share_of_oracle"] >= 85,
    ),
    ("false resets under 5 %", lambda ours, _rb: ours["false_reset_pct"] < 5),
)


def targets_missed(ours: dict[str, Any], runbook: dict[str, Any]) -> list[str]:
    """The issue's targets one seed's ChargeFix run did not meet, against that seed's runbook."""
    return [name for name, met in TARGETS if not met(ours, runbook)]


def per_seed_table(results: list[dict[str, Any]], held_out: set[int]) -> str:
    """ChargeFix against the runbook seed by seed (the targets are asked on every seed)."""
    runs = {(r["seed"], r["arm"]): r for r in results}
    lines = [
        "| seed | resolved remotely | guards' ceiling | false resets | port uptime "
        "| truck rolls in the run | targets missed |",
        "|---|---|---|---|---|---|---|",
    ]
    for seed in sorted({r["seed"] for r in results}):
        ours, rb = runs.get((seed, "ours")), runs.get((seed, "runbook"))
        if ours is None or rb is None:
            continue
        missed = targets_missed(ours, rb)
        lines.append(
            f"| {seed}{' (held-out)' if seed in held_out else ''} "
            f"| {ours['remote_share_of_oracle']} % / {rb['remote_share_of_oracle']} % "
            f"| {ours['ceiling_share_of_oracle']} % "
            f"| {ours['false_reset_pct']} % / {rb['false_reset_pct']} % "
            f"| {ours['uptime_pct']:.2f} % / {rb['uptime_pct']:.2f} % "
            f"| {ours['site_visits']} / {rb['site_visits']} "
            f"| {', '.join(missed) or 'none'} |"
        )
    return "\n".join(lines)


def report(results: list[dict[str, Any]], held_out: set[int]) -> None:
    """Print the tables of a run (or of per-seed result files put together with --combine)."""
    for name, rows in seed_groups(results, held_out):
        if not rows:
            continue
        summary = summarise(rows)
        print(f"{name}: {sorted({r['seed'] for r in rows})}\n")
        print(table(summary, markdown=False))
        print()
        print(table(summary, markdown=True))
        print()
    print("ChargeFix / runbook per seed:\n")
    print(per_seed_table(results, held_out))
    print()
    vendors: dict[str, dict[str, list[int]]] = {}
    for r in results:
        for vendor, (sent, false) in r.get("resets_by_vendor", {}).items():
            total = vendors.setdefault(r["arm"], {}).setdefault(vendor, [0, 0])
            total[0] += sent
            total[1] += false
    for arm, per in vendors.items():
        print(
            f"{arm}: false resets / resets per vendor, all seeds: "
            + ", ".join(f"{v} {f}/{n}" for v, (n, f) in sorted(per.items()))
        )
    for arm in ("ours", "runbook"):
        faces: dict[str, int] = {}
        for r in results:
            if r["arm"] == arm:
                for face, n in r.get("false_resets_by_open_fault", {}).items():
                    faces[face] = faces.get(face, 0) + n
        if faces:
            top = sorted(faces.items(), key=lambda kv: -kv[1])[:8]
            print(
                f"{arm}: false resets by what was open (hidden cause), all seeds: "
                + "; ".join(f"{face} {n}" for face, n in top)
            )
    late = [r for r in results if r.get("late_answers")]
    if late:
        print(
            f"\nWARNING: in {len(late)} of {len(results)} arm runs chargers answered CALLs after "
            f"the backend had stopped waiting ({sum(r['late_answers'] for r in late)} answers"
            ", counted apart from the fleet's boot): those arms read an answer as none."
        )
    slow = [r for r in results if r["loop_lag_p95_sim_s"] > MAX_LAG_SIM_S]
    if slow:
        print(
            f"\nWARNING: {len(slow)} of {len(results)} arm runs had an event-loop lag p95 above "
            f"{MAX_LAG_SIM_S:g} simulated s (worst {max(r['loop_lag_p95_sim_s'] for r in slow)}"
            " s): the machine could not keep up with this speed, so waits, holds and reboots "
            "were stretched; run slower (--speed) or on a quieter machine."
        )


def _share(text: str) -> float | None:
    """A share of the run in [0, 1), or 'none'."""
    if text.strip().lower() == "none":
        return None
    value = float(text)
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"a share of the run in [0, 1), not {text}")
    return value


def held_out_seeds(text: str) -> set[int]:
    return {int(s) for s in text.split(",") if s.strip()}


def combine(paths: list[Path]) -> list[dict[str, Any]]:
    """The arm results of several --json files as one run; a seed and arm found twice is an
    error (the same seed run twice would be counted twice in the means)."""
    results: list[dict[str, Any]] = []
    seen: dict[tuple[int, str], Path] = {}
    for path in paths:
        try:
            runs = json.loads(path.read_text())
            keys = [(int(r["seed"]), str(r["arm"])) for r in runs]
        except (OSError, ValueError, TypeError, KeyError) as error:
            raise SystemExit(f"{path}: not a --json file of this bench ({error})") from None
        for r, key in zip(runs, keys, strict=True):
            if key in seen:
                raise SystemExit(f"{path}: seed {key[0]} arm {key[1]} is also in {seen[key]}")
            seen[key] = path
            results.append(r)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chargers", type=int, default=24)
    parser.add_argument("--days", type=float, default=30.0)
    parser.add_argument("--seeds", default="1,2,3,4,5", help="comma-separated seeds")
    parser.add_argument("--fault-rate", type=float, default=0.5, help="per charger per day")
    parser.add_argument("--session-gap-h", type=float, default=2.5)
    parser.add_argument("--speed", type=float, default=720.0)
    parser.add_argument("--truck-roll-h", type=float, default=4.0)
    parser.add_argument(
        "--drive-h",
        type=float,
        default=1.0,
        help="the technician sets out this long before arriving (a truck can be called back "
        "until then)",
    )
    parser.add_argument("--complaint-h", type=float, default=3.0)
    parser.add_argument(
        "--call-back",
        choices=("on", "off"),
        default="on",
        help="ChargeFix's dispatcher calls a truck back on a 'healthy again' notice "
        "('off': it ignores them, as before the notice existed)",
    )
    parser.add_argument(
        "--site-outage-scale",
        type=float,
        default=1.0,
        help="multiply the site power/network outage rates (SITE_FAULTS) by this",
    )
    parser.add_argument(
        "--extras-scale",
        type=float,
        default=1.0,
        help="multiply the rates of the one-charger field faults beyond the mix (EXTRA_FAULTS)",
    )
    parser.add_argument(
        "--processor-outage-scale",
        type=float,
        default=1.0,
        help="multiply the card payment processor's outage rate (PROCESSOR_OUTAGE) by this; "
        "0: none",
    )
    parser.add_argument(
        "--rollout-at",
        type=_share,
        default=ROLLOUT_AT,
        help="when the operator's firmware rollout starts, as a share of the run; 'none': no "
        "rollout",
    )
    parser.add_argument(
        "--chargex-models",
        type=parse_models,
        default=MREC_MODELS,
        help="models that report ChargeX codes as EVerest does (comma-separated keys); 'none': "
        "every model sends its vendor codes",
    )
    parser.add_argument("--arms", default=",".join(ARMS))
    parser.add_argument("--arm", choices=ARMS, help="run one arm in this process (internal)")
    parser.add_argument("--seed", type=int, help="the seed of --arm (internal)")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--json", type=Path, help="also write all results here")
    parser.add_argument(
        "--held-out",
        default="",
        help="comma-separated seeds of --seeds never used to tune the rules: reported apart",
    )
    parser.add_argument(
        "--combine",
        type=Path,
        nargs="+",
        metavar="JSON",
        help="run nothing: print the tables of earlier --json files together (seeds run in "
        "separate processes side by side)",
    )
    args = parser.parse_args()
    if args.combine:
        report(combine(args.combine), held_out_seeds(args.held_out))
        return
    if args.arm:
        out = args.out or Path(f"bench-{args.arm}-{args.seed}.json")
        asyncio.run(run_arm(args.arm, args, args.seed, out))
        return
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    arms = [a for a in args.arms.split(",") if a]
    work = Path(tempfile.mkdtemp(prefix="bench-remote-"))
    base = [
        f"--{name.replace('_', '-')}={getattr(args, name)}"
        for name in (
            "chargers",
            "days",
            "fault_rate",
            "session_gap_h",
            "speed",
            "truck_roll_h",
            "drive_h",
            "call_back",
            "complaint_h",
            "site_outage_scale",
            "extras_scale",
            "processor_outage_scale",
            "rollout_at",
        )
    ]
    base.append(f"--chargex-models={','.join(args.chargex_models) or 'none'}")
    results = []
    for seed in seeds:
        procs = {
            arm: subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    *base,
                    "--arm",
                    arm,
                    f"--seed={seed}",
                    "--out",
                    str(work / f"{arm}-{seed}.json"),
                ]
            )
            for arm in arms
        }
        for proc in procs.values():
            proc.wait()
        for arm in arms:
            r = json.loads((work / f"{arm}-{seed}.json").read_text())
            results.append(r)
            print(
                f"seed {seed} {arm}: {r['faults']} faults, real {r['real_seconds']} s, "
                f"failed injections {len(r['failed_injections'])}, cpu {r['cpu_share_pct']} % "
                f"of a core, loop lag {r['loop_lag']}, late answers "
                f"{r.get('late_answers_at_boot', 0)} at boot and {r.get('late_answers', 0)} after",
                flush=True,
            )
    print(
        f"\nSimulated {args.days:g} days x {len(seeds)} seeds ({args.seeds}), {args.chargers} "
        f"chargers, {args.fault_rate:g} faults per charger-day, speed x{args.speed:g}, ChargeX "
        f"faces from {', '.join(args.chargex_models) or 'no model'}; mean (min-max) across "
        "seeds\n"
    )
    report(results, held_out_seeds(args.held_out))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
