"""Remediation guardrails as one plain function: may this ladder step run now?

Verdicts: ``go`` (send it; ``force`` only for an OnIdle reset on 2.0.1, which the charger
itself holds until its transactions end), ``wait`` (try again later: cool-down, site limit,
transaction), ``skip`` (not allowed today: the ladder moves on), ``blocked`` (kill switch),
``dry_run`` (say what would be done, do nothing).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from app.diagnosis.vocabulary import (
    DISRUPTIVE_STEPS,
    RE_ENERGISING_STEPS,
    REMOTE_STEPS,
    RESET_STEPS,
    RETRYABLE_STEPS,
    TERMINAL_STEPS,
)
from app.fleet.model import FaultClassification

DAY_S = 86400.0
# Simulated/real seconds a step may take to show its effect (divided by the time scale).
STEP_TIMEOUT_S: dict[str, float] = {
    "trigger_status": 90.0,
    "unlock": 90.0,
    "soft_reset": 240.0,
    "hard_reset": 300.0,
    "availability_cycle": 180.0,
    # a terminal or reader restarted by its vendor key is back in about a minute (manuals)
    "restart_peripheral": 180.0,
    "inoperative": 60.0,
    "collect_logs": 60.0,
    # how long the upload collect_logs asked for may take to arrive before the reset goes
    # ahead without it (a log over a cellular link takes minutes; the wait ends as soon as
    # the charger reports the upload). In the bench (x720, loaded machine) uploads took
    # 0.15 s real at the median, 0.72 s at p90, 1.6 s at most: 300 s (0.42 s real) judged
    # about one in five missing; 900 s (1.25 s real) misses few.
    "read_logs": 900.0,
}
# Who may be asked to act when the catalogue names no one: a rule's fault class.
RESPONSIBLE_BY_CLASS = {
    "firmware": "charger_maker",
    "hardware": "charger_maker",
    "network": "network_provider",
    "grid": "site_power",
    "vehicle": "vehicle",
    "security": "operator",
    "configuration": "operator",
    "payment": "payment_provider",
}
# Two findings of the same priority: the safer reading wins (never_reset first).
SAFETY_RANK = {"never_reset": 0, "outside_charger": 1, "unknown": 2, "reset_safe": 3}
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


@dataclass(frozen=True)
class Plan:
    ladder: tuple[str, ...]
    notes: tuple[str, ...] = ()


def plan_ladder(
    ladder: list[str] | tuple[str, ...],
    classification: FaultClassification | None,
    *,
    safety_fault_open: bool = False,
) -> Plan:
    """The ladder a finding may really walk, decided by the fault-code catalogue's class of
    its fault (``classification``; None for behaviour findings with no fault code):

    - unknown code (``known`` false): never reset blind. No reset, unlock or availability
      cycle; collect the charger's logs, watch (``wait``), hand to a consultant (a site visit
      when the component alone says never_reset).
    - never_reset: nothing that re-energises (reset, unlock, availability cycle).
    - outside_charger: nothing that re-energises; no site visit when the vehicle, the driver
      or the payment provider is responsible (the charger and the site are fine): a
      consultant takes it to them.
    - reset_safe, and behaviour findings: at most one reset, and the logs are requested
      before it (a reboot may wipe them) and read (``read_logs``) before it: a vendor's
      hardware log message sends a site visit instead of the reset.
    - another never_reset fault open on the charger: nothing that re-energises either.
    - an unlock or availability cycle that did not take is tried once more (``RETRYABLE_STEPS``:
      neither restarts the charger); a reset never is.
    """
    steps = list(ladder)
    terminal = steps[-1] if steps and steps[-1] in TERMINAL_STEPS else "escalate"
    body = [s for s in steps if s not in TERMINAL_STEPS]
    notes: list[str] = []

    def drop_re_energising(why: str) -> None:
        nonlocal body
        dropped = [s for s in body if s in RE_ENERGISING_STEPS]
        if dropped:
            body = [s for s in body if s not in RE_ENERGISING_STEPS]
            notes.append(f"no {', '.join(dict.fromkeys(dropped))}: {why}")

    if classification is not None and not classification.known:
        acted = any(s in REMOTE_STEPS for s in body)
        drop_re_energising("the catalogue does not know this code (never reset blind)")
        if acted:
            keep = [s for s in body if s == "trigger_status"]
            body = [*keep, "collect_logs", "wait"]
            terminal = "site_visit" if classification.safety_class == "never_reset" else "escalate"
    elif classification is not None and classification.safety_class == "never_reset":
        drop_re_energising("a never_reset fault (safety)")
    elif classification is not None and classification.safety_class == "outside_charger":
        drop_re_energising("the cause is outside the charger")
        if terminal == "site_visit" and classification.responsible in (
            "vehicle",
            "driver",
            "payment_provider",
        ):
            terminal = "escalate"
            notes.append(f"no site visit: {classification.responsible or 'someone else'} acts")
    if safety_fault_open:
        drop_re_energising("a never_reset fault is open on this charger")
    resets = [i for i, s in enumerate(body) if s in RESET_STEPS]
    if len(resets) > 1:
        body = [s for i, s in enumerate(body) if i not in resets[1:]]
        notes.append("at most one automatic reset")
    if resets and "collect_logs" not in body[: resets[0]]:
        first = next(i for i, s in enumerate(body) if s in RESET_STEPS)
        body.insert(first, "collect_logs")
    if resets:
        # read what collect_logs brought before the first reset (a failed part: no reset)
        first = next(i for i, s in enumerate(body) if s in RESET_STEPS)
        if "read_logs" not in body[:first]:
            body.insert(first, "read_logs")
    out: list[str] = []
    for step in [*body, terminal]:
        if not out or out[-1] != step:
            out.append(step)
    out = [
        again for step in out for again in ((step, step) if step in RETRYABLE_STEPS else (step,))
    ]
    return Plan(tuple(out), tuple(notes))
