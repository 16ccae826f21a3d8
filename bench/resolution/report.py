"""The remote-resolution benchmark's tables: mean and range across seeds per arm, the
per-seed targets of issue 15, the warnings of a run that did not simulate the field, and
earlier --json results combined."""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.resolution.arms import ARMS

# Above this p95 event-loop lag (simulated seconds) a run does not simulate the field: it is
# a tenth of the 300 s recovery hold and a few reboots (10-25 s) long.
MAX_LAG_SIM_S = 30.0


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
