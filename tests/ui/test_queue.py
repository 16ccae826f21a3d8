"""The consultant queue: waiting time against the 10-minute target, reason, site, urgency."""

from __future__ import annotations

from app.ui.queue import TARGET_SECONDS, overdue, queue_line, recovered_words, summary


def _row(**kw: object) -> dict[str, object]:
    base = {
        "id": 1,
        "status": "waiting",
        "priority": "high",
        "waiting_seconds": 120.0,
        "charger_id": "SITE-001-AC-01",
        "site_id": "SITE-001",
        "partner": "pat",
        "reason": "needs   help\nwith the RCD",
    }
    return {**base, **kw}


def test_waiting_time_against_the_target() -> None:
    assert TARGET_SECONDS == 600
    assert queue_line(_row()) == [
        "HIGH",
        "waiting 2 min of 10 min",
        "SITE-001-AC-01",
        "site SITE-001",
        "pat",
        "“needs help with the RCD”",
    ]
    late = _row(waiting_seconds=725.0)
    assert overdue(late) and queue_line(late)[1] == "waiting 12 min, over the 10 min target"
    claimed = _row(status="claimed", waiting_seconds=900.0)
    assert not overdue(claimed) and queue_line(claimed)[1] == "waited 15 min"
    assert queue_line(_row(reason="x" * 200))[-1].endswith("…”")


def test_summary_counts_the_overdue() -> None:
    assert summary([]) == "Nobody waiting for a consultant."
    rows = [_row(), _row(waiting_seconds=700.0), _row(status="claimed", waiting_seconds=9e3)]
    assert summary(rows) == "2 waiting, the longest 12 min; 1 over the 10 min target."


def test_a_charger_healthy_again_is_said_in_the_queue_and_on_the_handoff() -> None:
    back = _row(recovered_at="2026-12-01T14:05:09.123456+00:00")
    assert queue_line(back)[2:4] == ["SITE-001-AC-01", "healthy again 14:05 UTC"]
    assert "healthy again" not in " ".join(queue_line(_row()))
    healthy = {"online": True, "open_faults": []}
    assert recovered_words(back, healthy) == (
        True,
        "Healthy again since 14:05 UTC: a visit may not be needed. Check before anyone drives out.",
    )
    faulted = {"online": True, "open_faults": [{"error_code": "GroundFailure"}]}
    assert recovered_words(back, faulted) == (
        False,
        "It was healthy again at 14:05 UTC, but it is not now.",
    )
    assert recovered_words(back, {"online": False, "open_faults": []})[0] is False
    assert recovered_words(_row(), healthy) is None
