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
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from app.simulator.chargex_faces import MREC_MODELS, parse_models
from bench.resolution.arms import ARMS, run_arm
from bench.resolution.report import combine, held_out_seeds, report
from bench.resolution.schedule import ROLLOUT_AT


def share_of_run(text: str) -> float | None:
    """A share of the run in [0, 1), or 'none'."""
    if text.strip().lower() == "none":
        return None
    value = float(text)
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"a share of the run in [0, 1), not {text}")
    return value


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
        type=share_of_run,
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
