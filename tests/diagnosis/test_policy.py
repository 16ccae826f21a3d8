"""Each guardrail of the remediation policy, as a plain function."""

from __future__ import annotations

from app.diagnosis.policy import PolicyConfig, PolicyView, decide

NOW = 1_000_000.0


def view(**kw: object) -> PolicyView:
    values: dict[str, object] = {"now": NOW, "ocpp_version": "1.6", "transaction_active": False}
    values.update(kw)
    return PolicyView(**values)  # type: ignore[arg-type]


def test_go_when_nothing_stops_it() -> None:
    assert decide("soft_reset", PolicyConfig(), view()).verdict == "go"
    assert decide("site_visit", PolicyConfig(kill_switch=True), view()).verdict == "go"


def test_kill_switch_blocks_every_remote_action() -> None:
    for step in ("trigger_status", "soft_reset", "unlock", "availability_cycle", "inoperative"):
        assert decide(step, PolicyConfig(kill_switch=True), view()).verdict == "blocked"


def test_dry_run_says_what_it_would_do() -> None:
    decision = decide("hard_reset", PolicyConfig(dry_run=True), view())
    assert decision.verdict == "dry_run" and "hard_reset" in decision.reason


def test_daily_reset_cap_counts_the_last_24_hours_only() -> None:
    cfg = PolicyConfig(max_resets_per_day=2)
    recent = (NOW - 100, NOW - 200)
    assert decide("soft_reset", cfg, view(reset_times=recent)).verdict == "skip"
    old = (NOW - 90_000, NOW - 100)
    assert decide("soft_reset", cfg, view(reset_times=old)).verdict == "go"
    assert decide("trigger_status", cfg, view(reset_times=recent)).verdict == "go"


def test_cool_down_between_disruptive_actions() -> None:
    cfg = PolicyConfig(cooldown_s=600)
    assert decide("hard_reset", cfg, view(last_action_at=NOW - 60)).verdict == "wait"
    assert decide("hard_reset", cfg, view(last_action_at=NOW - 700)).verdict == "go"
    assert decide("trigger_status", cfg, view(last_action_at=NOW - 60)).verdict == "go"


def test_site_wide_limit() -> None:
    cfg = PolicyConfig(site_concurrent_limit=1)
    assert decide("soft_reset", cfg, view(site_in_flight=1)).verdict == "wait"
    assert (
        decide("soft_reset", PolicyConfig(site_concurrent_limit=2), view(site_in_flight=1)).verdict
        == "go"
    )


def test_never_during_a_transaction_but_onidle_on_201() -> None:
    cfg = PolicyConfig()
    assert decide("hard_reset", cfg, view(transaction_active=True)).verdict == "wait"
    assert decide("unlock", cfg, view(transaction_active=True)).verdict == "wait"
    onidle = decide("soft_reset", cfg, view(transaction_active=True, ocpp_version="2.0.1"))
    assert onidle.verdict == "go" and onidle.force
    assert (
        decide("hard_reset", cfg, view(transaction_active=True, ocpp_version="2.0.1")).verdict
        == "wait"
    )
    naive = PolicyConfig(wait_for_idle=False)
    assert decide("hard_reset", naive, view(transaction_active=True)).verdict == "go"


def test_time_scale_compresses_durations() -> None:
    cfg = PolicyConfig(cooldown_s=600, scale=100)
    assert decide("hard_reset", cfg, view(last_action_at=NOW - 7)).verdict == "go"
