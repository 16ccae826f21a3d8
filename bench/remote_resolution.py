"""Remote resolution benchmark: a simulated day of seeded faults against the real backend.

Three arms run the same fleet plan and the same seeded schedule (fault injections and
charging sessions), each against its own in-process backend, in parallel subprocesses:

- ``none``:  no automation (faults wait for a customer complaint and a truck roll);
- ``naive``: "reset anything faulted" (hard reset twice, then a site visit; no guardrails);
- ``ours``:  the diagnosis rules and the guarded remediation policy.

Every arm is scored against the simulator's ground truth (JSON lines): remote resolutions
vs the oracle (faults a remote action clears for good), false resets (resets that could not
help any active fault), resets during an active transaction, site visits and whether each was
needed, mean time to recovery, and port uptime by the US NEVI formula
``(T - T_outage + T_excluded) / T * 100`` (excluded: grid and vehicle-side outages).

    .venv/bin/python bench/remote_resolution.py            # full run (~2-3 min on 2 cores)
    .venv/bin/python bench/remote_resolution.py --hours 4 --faults 12   # quick look
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select

from app.authorization.store import TokenChange
from app.backend import Backend
from app.config import Settings
from app.db.models_diagnosis import DiagnosisRow
from app.simulator.config import FleetConfig, Timing, plan_fleet
from app.simulator.faults import (
    AVAILABILITY_CYCLE,
    BOOT_LOOP,
    HARD_RESET,
    OFFLINE,
    SITE_VISIT,
    SOFT_RESET,
    UNLOCK,
    get_fault,
)
from app.simulator.fleet import Fleet

ARMS = ("none", "naive", "ours")
REMOTE = (SOFT_RESET, HARD_RESET, UNLOCK, AVAILABILITY_CYCLE)
PASSWORD = "bench-password-0123456789"
BENCH_TAG = "BENCH-TAG"
# Fault mix: software faults a remote action clears are the most common (as in the field).
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
}
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


# ---------------------------------------------------------------------------- schedule
def make_schedule(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    plans = plan_fleet(args.chargers, "mixed", args.seed)
    day = args.hours * 3600.0
    keys, weights = zip(*MIX.items(), strict=True)
    faults = []
    used: set[tuple[str, str, int]] = set()
    while len(faults) < args.faults:
        p = rng.choice(plans)
        key = rng.choices(keys, weights)[0]
        connector = rng.choice([c.connector_id for c in p.model.connectors])
        # each (charger, fault, connector) once: a second injection could land on the still
        # active first one in one arm and not in another, and the arms must see the same mix
        slot = (p.charger_id, key, 0 if get_fault(key).scope == "charger" else connector)
        if slot in used:
            continue
        used.add(slot)
        faults.append((rng.uniform(0.03 * day, 0.85 * day), p.charger_id, key, connector))
    sessions = []
    for p in plans:
        for c in p.model.connectors:
            t = rng.uniform(0, 3600)
            while t < day:
                duration = rng.uniform(1200, 3600)
                sessions.append((t, p.charger_id, c.connector_id, duration))
                t += duration + rng.expovariate(1 / (2.5 * 3600))
    return {"faults": sorted(faults), "sessions": sorted(sessions), "day": day}


# ---------------------------------------------------------------------------- one arm
def arm_settings(arm: str, data: Path, speed: float) -> Settings:
    values: dict[str, Any] = {
        "data_dir": data,
        "ocpp_port": 0,
        "api_port": 0,
        "heartbeat_interval": 300,
        "offline_debounce_seconds": 120.0 / speed,
        "command_timeout": 10.0,
        "event_flush_interval": 0.2,
        "refresh_state_on_connect": False,
        "recorder_mode": "thread",
        "diagnosis_time_scale": speed,
        "diagnosis_recovery_hold_seconds": 300.0,
        "diagnosis_cooldown_seconds": 300.0,
    }
    if arm == "none":
        values["diagnosis_enabled"] = False
    elif arm == "naive":
        rules = data / "naive_rules"
        rules.mkdir(parents=True, exist_ok=True)
        (rules / "naive.yaml").write_text(NAIVE_RULES)
        values.update(
            diagnosis_rules_dir=rules,
            diagnosis_wait_for_idle=False,
            diagnosis_max_resets_per_day=1000,
            diagnosis_cooldown_seconds=0.0,
            diagnosis_site_concurrent_limit=1000,
        )
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


async def run_arm(arm: str, args: argparse.Namespace, out: Path) -> dict[str, Any]:
    logging.basicConfig(level=logging.ERROR)
    speed = args.speed
    schedule = make_schedule(args)
    work = Path(tempfile.mkdtemp(prefix=f"bench-{arm}-"))
    backend = Backend(arm_settings(arm, work / "data", speed))
    state = await backend.start()
    plans = plan_fleet(args.chargers, "mixed", args.seed)
    for p in plans:
        await state.csms.register(p.charger_id, PASSWORD)
    # the drivers' card is a known one (unknown cards are Invalid and 1.6 chargers stop)
    await asyncio.to_thread(state.tokens.save, TokenChange(token=BENCH_TAG), "bench")
    truth_path = work / "truth.jsonl"
    config = FleetConfig(
        csms_url=backend.ocpp_url,
        chargers=0,
        speed=speed,
        shared_password=PASSWORD,
        ground_truth_path=truth_path,
        timing=Timing(meter_interval_s=300.0),
    )
    fleet = Fleet(config, plans=plans)
    await fleet.start()
    await fleet.wait_online(timeout=30)
    t0 = time.time()

    def sim_now() -> float:
        return (time.time() - t0) * speed

    visits: list[dict[str, Any]] = []
    pending: set[str] = set()
    seen_tickets: set[int] = set()
    rolls: list[asyncio.Task[None]] = []

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

    async def session(sim_t: float, cid: str, connector: int, duration: float) -> None:
        await at(sim_t)
        charger = fleet.charger(cid)
        try:
            tx = charger.start_transaction(connector, BENCH_TAG)
        except Exception:
            return
        await asyncio.sleep(duration / speed)
        conn = charger.connectors[connector]
        if conn.transaction is tx:
            charger.stop_transaction(connector)

    def visit(cid: str, cause: str) -> None:
        if cid in pending:
            return
        pending.add(cid)
        charger = fleet.charger(cid)
        needed = any(f.spec.truth.remedy == SITE_VISIT for f in charger.faults.values())
        visits.append({"t": sim_now(), "charger_id": cid, "cause": cause, "needed": needed})

        async def truck_roll() -> None:
            await asyncio.sleep(args.truck_roll_h * 3600 / speed)
            for key, cid_ in list(charger.faults):
                charger.clear_fault(key, cid_, how="site_visit")
            # the technician leaves the charger in service (undoes an Inoperative for safety)
            if not charger.charger_operative:
                charger.set_availability(0, True)
            for conn_id, conn in charger.connectors.items():
                if not conn.operative:
                    charger.set_availability(conn_id, True)
            pending.discard(cid)

        rolls.append(asyncio.create_task(truck_roll()))

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
            now = time.time()
            for charger in fleet.chargers:
                for fault in charger.faults.values():
                    since = datetime.fromisoformat(fault.since.replace("Z", "+00:00"))
                    if (now - since.timestamp()) * speed >= args.complaint_h * 3600:
                        visit(charger.charger_id, "complaint")

    tasks = [asyncio.create_task(inject(*f)) for f in schedule["faults"]]
    tasks += [asyncio.create_task(session(*s)) for s in schedule["sessions"]]
    tasks.append(asyncio.create_task(dispatcher()))
    await asyncio.sleep(schedule["day"] / speed)
    day_end = sim_now()
    for task in tasks:
        task.cancel()
    diag_stats = dict(state.diagnosis.stats) if state.diagnosis is not None else {}
    await fleet.stop()
    await backend.stop()
    result = score(truth_path, t0, speed, day_end, visits, plans)
    result.update(
        arm=arm,
        diagnosis=diag_stats,
        real_seconds=round(time.time() - t0, 1),
        failed_injections=failed_injections,
    )
    out.write_text(json.dumps(result, indent=2, default=str))
    return result


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
    day_end: float,
    visits: list[dict[str, Any]],
    plans: list[Any],
) -> dict[str, Any]:
    def sim(ts: str) -> float:
        return (datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp() - t0) * speed

    records = [json.loads(line) for line in truth_path.read_text().splitlines() if line.strip()]
    active: dict[str, dict[tuple[str, int], float]] = {}
    tx: dict[str, set[int]] = {}
    faults: list[dict[str, Any]] = []
    open_idx: dict[tuple[str, str, int], int] = {}
    resets = false_resets = resets_in_tx = 0
    reboots: dict[str, list[tuple[float, float]]] = {}
    reboot_start: dict[str, float] = {}
    for r in records:
        t, cid, kind = sim(r["ts"]), r["charger_id"], r["kind"]
        act = active.setdefault(cid, {})
        if kind == "fault_injected":
            act[(r["fault"], r["connector_id"])] = t
            open_idx[(cid, r["fault"], r["connector_id"])] = len(faults)
            faults.append(
                {
                    "charger_id": cid,
                    "fault": r["fault"],
                    "connector": r["connector_id"],
                    "t": t,
                    "cleared": None,
                    "how": None,
                }
            )
        elif kind == "fault_recurred":
            act[(r["fault"], r["connector_id"])] = t
        elif kind == "fault_cleared":
            act.pop((r["fault"], r["connector_id"]), None)
            idx = open_idx.get((cid, r["fault"], r["connector_id"]))
            if idx is not None and r.get("permanent", True):
                faults[idx].update(cleared=t, how=r["how"])
                del open_idx[(cid, r["fault"], r["connector_id"])]
        elif kind == "transaction_started":
            tx.setdefault(cid, set()).add(r["connector_id"])
        elif kind == "transaction_stopped":
            tx.setdefault(cid, set()).discard(r["connector_id"])
        elif kind == "command" and r["action"] == "Reset":
            if r.get("answer") == "Rejected":
                continue
            resets += 1
            depth = SOFT_RESET if r["payload"].get("type") == "Soft" else HARD_RESET
            helpful = any(
                get_fault(k).clears_on(depth) and not get_fault(k).truth.recurs_after_reset
                for (k, _c) in act
            )
            false_resets += not helpful
            if tx.get(cid) and r.get("answer") != "Scheduled":
                resets_in_tx += 1
        elif kind == "reboot":
            reboot_start[cid] = t
        elif kind == "booted" and cid in reboot_start:
            reboots.setdefault(cid, []).append((reboot_start.pop(cid), t))
    for cid, start in reboot_start.items():
        reboots.setdefault(cid, []).append((start, day_end))

    def oracle(key: str) -> bool:
        spec = get_fault(key)
        return any(spec.clears_on(a) for a in REMOTE) and not spec.truth.recurs_after_reset

    remote = [f for f in faults if f["how"] in REMOTE and f["cleared"] is not None]
    oracle_faults = [f for f in faults if oracle(f["fault"])]
    remote_oracle = [f for f in remote if oracle(f["fault"])]
    recovery = [(f["cleared"] if f["cleared"] is not None else day_end) - f["t"] for f in faults]
    # NEVI uptime per port
    uptimes = []
    for p in plans:
        for c in p.model.connectors:
            outage, excluded = [], []
            for f in faults:
                if f["charger_id"] != p.charger_id or f["connector"] not in (0, c.connector_id):
                    continue
                spec = get_fault(f["fault"])
                blocks = spec.v16.status in ("Faulted", "Preparing") or spec.truth.behaviour in (
                    OFFLINE,
                    BOOT_LOOP,
                )
                if not blocks:
                    continue
                span = (f["t"], f["cleared"] if f["cleared"] is not None else day_end)
                outage.append(span)
                if spec.truth.root_cause in ("grid", "vehicle"):
                    excluded.append(span)
            outage += reboots.get(p.charger_id, [])
            t_out, t_exc = _union(outage), _union(excluded)
            uptimes.append((day_end - t_out + t_exc) / day_end * 100)
    return {
        "faults": len(faults),
        "oracle": len(oracle_faults),
        "remote_resolved": len(remote),
        "remote_share_of_oracle": round(100 * len(remote_oracle) / max(1, len(oracle_faults)), 1),
        "resets": resets,
        "false_resets": false_resets,
        "false_reset_pct": round(100 * false_resets / max(1, resets), 1),
        "resets_during_tx": resets_in_tx,
        "site_visits": len(visits),
        "site_visits_needed": sum(1 for v in visits if v["needed"]),
        "site_visits_by": {
            k: sum(1 for v in visits if v["cause"] == k) for k in ("ticket", "complaint")
        },
        "needing_visit": sum(1 for f in faults if get_fault(f["fault"]).truth.remedy == SITE_VISIT),
        "mttr_min": round(sum(recovery) / max(1, len(recovery)) / 60, 1),
        "uptime_pct": round(sum(uptimes) / max(1, len(uptimes)), 2),
        "ports": len(uptimes),
        "detail": {"faults": faults, "visits": visits},
    }


# ---------------------------------------------------------------------------- main
def table(results: list[dict[str, Any]]) -> str:
    rows = [
        ("faults injected (oracle remote-resolvable)", lambda r: f"{r['faults']} ({r['oracle']})"),
        ("resolved remotely", lambda r: str(r["remote_resolved"])),
        ("  share of oracle", lambda r: f"{r['remote_share_of_oracle']} %"),
        ("resets sent", lambda r: str(r["resets"])),
        ("  false resets", lambda r: f"{r['false_resets']} ({r['false_reset_pct']} %)"),
        ("  during a transaction", lambda r: str(r["resets_during_tx"])),
        (
            "site visits (ticket/complaint)",
            lambda r: "{} ({}/{})".format(
                r["site_visits"], r["site_visits_by"]["ticket"], r["site_visits_by"]["complaint"]
            ),
        ),
        ("  justified", lambda r: f"{r['site_visits_needed']}/{r['site_visits']}"),
        ("mean time to recovery", lambda r: f"{r['mttr_min']} min"),
        ("port uptime (NEVI)", lambda r: f"{r['uptime_pct']} %"),
        ("real seconds", lambda r: str(r["real_seconds"])),
    ]
    width = 44
    lines = [f"{'':{width}}" + "".join(f"{r['arm']:>16}" for r in results)]
    for label, fn in rows:
        lines.append(f"{label:{width}}" + "".join(f"{fn(r):>16}" for r in results))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chargers", type=int, default=24)
    parser.add_argument("--faults", type=int, default=60)
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--speed", type=float, default=720.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--truck-roll-h", type=float, default=4.0)
    parser.add_argument("--complaint-h", type=float, default=3.0)
    parser.add_argument("--arm", choices=ARMS, help="run one arm in this process (internal)")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--json", type=Path, help="also write all results here")
    args = parser.parse_args()
    if args.arm:
        asyncio.run(run_arm(args.arm, args, args.out or Path(f"bench-{args.arm}.json")))
        return
    work = Path(tempfile.mkdtemp(prefix="bench-remote-"))
    base = [
        f"--{name.replace('_', '-')}={getattr(args, name)}"
        for name in ("chargers", "faults", "hours", "speed", "seed", "truck_roll_h", "complaint_h")
    ]
    procs = {
        arm: subprocess.Popen(
            [sys.executable, __file__, *base, "--arm", arm, "--out", str(work / f"{arm}.json")]
        )
        for arm in ARMS
    }
    for proc in procs.values():
        proc.wait()
    results = [json.loads((work / f"{arm}.json").read_text()) for arm in ARMS]
    print(
        f"\nSimulated {args.hours:g} h, {args.chargers} chargers, {args.faults} faults, "
        f"seed {args.seed}, speed x{args.speed:g}\n"
    )
    print(table(results))
    for r in results:
        for line in r.get("failed_injections", []):
            print(f"  {r['arm']}: injection failed: {line}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
