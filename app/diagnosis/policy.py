"""Remediation guardrails as one plain function: may this ladder step run now?

Verdicts: ``go`` (send it; ``force`` only for an OnIdle reset on 2.0.1, which the charger
itself holds until its transactions end), ``wait`` (try again later: cool-down, site limit,
transaction), ``skip`` (not allowed today: the ladder moves on), ``blocked`` (kill switch),
``dry_run`` (say what would be done, do nothing).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from app.diagnosis.vocabulary import DISRUPTIVE_STEPS, REMOTE_STEPS, RESET_STEPS

DAY_S = 86400.0
# Simulated/real seconds a step may take to show its effect (divided by the time scale).
STEP_TIMEOUT_S: dict[str, float] = {
    "trigger_status": 90.0,
    "unlock": 90.0,
    "soft_reset": 240.0,
    "hard_reset": 300.0,
    "availability_cycle": 180.0,
    "inoperative": 60.0,
}
MAX_IDLE_WAIT_S = 4 * 3600.0

Verdict = Literal["go", "wait", "skip", "blocked", "dry_run"]


@dataclass(frozen=True)
class PolicyConfig:
    kill_switch: bool = False
    dry_run: bool = False
    max_resets_per_day: int = 3
    cooldown_s: float = 600.0
    site_concurrent_limit: int = 1
    wait_for_idle: bool = True
    scale: float = 1.0


@dataclass(frozen=True)
class PolicyView:
    """What the service knows about the charger when a step is due."""

    now: float
    ocpp_version: str | None
    transaction_active: bool
    reset_times: tuple[float, ...] = ()  # automatic resets of this charger
    last_action_at: float | None = None  # last disruptive automatic action on this charger
    site_in_flight: int = 0  # other chargers of the site with an action in progress


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    reason: str
    force: bool = False


def decide(step: str, cfg: PolicyConfig, view: PolicyView) -> Decision:
    if step not in REMOTE_STEPS:
        return Decision("go", "no remote action")
    if cfg.kill_switch:
        return Decision("blocked", "kill switch is on: no automatic remote actions")
    if step in RESET_STEPS:
        day_ago = view.now - DAY_S / cfg.scale
        done = sum(1 for t in view.reset_times if t >= day_ago)
        if done >= cfg.max_resets_per_day:
            return Decision(
                "skip", f"{done} automatic resets in the last 24 h (limit {cfg.max_resets_per_day})"
            )
    force = False
    if step in DISRUPTIVE_STEPS:
        if view.last_action_at is not None:
            left = cfg.cooldown_s / cfg.scale - (view.now - view.last_action_at)
            if left > 0:
                return Decision("wait", f"cool-down: {left * cfg.scale:.0f} s left")
        if view.site_in_flight >= cfg.site_concurrent_limit:
            return Decision(
                "wait",
                f"site limit: {view.site_in_flight} charger(s) of this site already being acted on",
            )
        if view.transaction_active and cfg.wait_for_idle:
            if step == "soft_reset" and view.ocpp_version == "2.0.1":
                force = True  # Reset OnIdle: the station waits for its transactions to end
            else:
                return Decision("wait", "a transaction is active: waiting for the charger to idle")
    if cfg.dry_run:
        return Decision("dry_run", f"dry-run: would run {step}")
    return Decision("go", "allowed", force=force)
