"""The consultant queue's wording: each handoff's line, and waiting time against a target.

The target is an answer within 10 minutes (the issue's example; the service level an operator
promises partners standing at a charger). A waiting handoff past it is marked overdue."""

from __future__ import annotations

from typing import Any

TARGET_SECONDS = 10 * 60
REASON_CHARS = 60


def minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 60 else f"{seconds:.0f} s"


def overdue(row: dict[str, Any], target: float = TARGET_SECONDS) -> bool:
    """Still waiting for a consultant, past the target."""
    return row.get("status") == "waiting" and float(row.get("waiting_seconds") or 0) > target


def wait_words(row: dict[str, Any], target: float = TARGET_SECONDS) -> str:
    waited = float(row.get("waiting_seconds") or 0)
    if row.get("status") != "waiting":
        return f"waited {minutes(waited)}"
    if waited > target:
        return f"waiting {minutes(waited)}, over the {minutes(target)} target"
    return f"waiting {minutes(waited)} of {minutes(target)}"


def short(text: str | None, limit: int = REASON_CHARS) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def queue_line(row: dict[str, Any], target: float = TARGET_SECONDS) -> list[str]:
    """The parts of a queue entry: urgency, waiting time, charger, site, partner, reason."""
    parts = [
        str(row.get("priority") or "normal").upper(),
        wait_words(row, target),
        str(row.get("charger_id") or "?"),
        f"site {row.get('site_id') or '?'}",
        str(row.get("partner") or "?"),
    ]
    if row.get("recovered_at"):
        parts.insert(3, f"healthy again {clock(row['recovered_at'])}")
    if row.get("reason"):
        parts.append(f"“{short(row['reason'])}”")
    return parts


def clock(iso: str) -> str:
    """HH:MM UTC of an ISO time (what the backend sends), or the text as it came."""
    return f"{iso[11:16]} UTC" if len(iso) >= 16 and iso[10] == "T" else iso


def recovered_words(handoff: dict[str, Any], live: dict[str, Any]) -> tuple[bool, str] | None:
    """What the desk says of a handoff whose charger self-diagnosis saw healthy again:
    (still healthy, the sentence). None when it was not seen healthy since the handoff."""
    since = handoff.get("recovered_at")
    if not since:
        return None
    if live.get("online") is False or live.get("open_faults"):
        return False, f"It was healthy again at {clock(since)}, but it is not now."
    return True, (
        f"Healthy again since {clock(since)}: a visit may not be needed. "
        "Check before anyone drives out."
    )


def summary(rows: list[dict[str, Any]], target: float = TARGET_SECONDS) -> str:
    waiting = [r for r in rows if r.get("status") == "waiting"]
    if not waiting:
        return "Nobody waiting for a consultant."
    oldest = max(float(r.get("waiting_seconds") or 0) for r in waiting)
    late = sum(overdue(r, target) for r in waiting)
    return (
        f"{len(waiting)} waiting, the longest {minutes(oldest)}; "
        f"{late} over the {minutes(target)} target."
    )
