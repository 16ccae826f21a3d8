"""Handoff summaries written from a session's log, and the session-as-ticket export row."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from app.db.models_sessions import SessionStep, TroubleshootingSession
from ingestion.loaders.tickets import TICKET_FIELDS


def _connector(live: dict[str, Any] | None, connector_id: int) -> dict[str, Any]:
    connectors = (live or {}).get("connectors") or {}
    values = connectors.values() if isinstance(connectors, dict) else connectors
    for conn in values:
        if conn.get("connector_id") == connector_id:
            return conn
    return {}


def build_summary(
    session: TroubleshootingSession,
    steps: list[SessionStep],
    live: dict[str, Any] | None,
    reason: str | None,
) -> dict[str, Any]:
    """Everything a consultant needs at a glance, as structured data."""
    conn = _connector(live, session.connector_id)
    taken = []
    notes = []
    photos = []
    for step in steps:
        if step.kind in (
            "answer",
            "confirm",
            "command",
            "state",
            "timeout",
            "push",
            "message",
            "photo",
            "undo",
        ):
            item: dict[str, Any] = {
                "seq": step.seq,
                "kind": step.kind,
                "node": step.node_id,
                "by": step.actor,
            }
            if step.answer is not None:
                item["answer"] = step.answer
            if step.command:
                item["command"] = step.command
                item["result"] = (step.command_result or {}).get("status") or (
                    step.command_result or {}
                ).get("error")
            if step.branch:
                item["branch"] = step.branch
            if step.kind == "photo":
                item["answer"] = f"photo {step.photo}"
            taken.append(item)
        if step.note:
            notes.append({"seq": step.seq, "by": step.actor, "note": step.note})
        if step.photo:
            photos.append(step.photo)
    faults = (live or {}).get("open_faults") or []
    return {
        "charger": {
            "id": session.charger_id,
            "site_id": (live or {}).get("site_id"),
            "vendor": (live or {}).get("vendor"),
            "model": (live or {}).get("model"),
            "firmware": (live or {}).get("firmware_version"),
            "ocpp_version": (live or {}).get("ocpp_version"),
            "online": (live or {}).get("online"),
        },
        "connector": {
            "id": session.connector_id,
            "status": conn.get("status"),
            "error_code": conn.get("error_code"),
            "vendor_error_code": conn.get("vendor_error_code"),
        },
        "open_faults": [
            {k: f.get(k) for k in ("connector_id", "error_code", "vendor_error_code", "info")}
            for f in faults
        ],
        "procedure": {"id": session.procedure_id, "version": session.procedure_version},
        "symptom": session.symptom,
        "reason": reason,
        "steps": taken,
        "notes": notes,
        "photos": photos,
    }


def summary_text(summary: dict[str, Any]) -> str:
    c, k = summary["charger"], summary["connector"]
    lines = [
        f"Charger {c['id']} ({c.get('vendor') or '?'} {c.get('model') or '?'}, "
        f"fw {c.get('firmware') or '?'}, OCPP {c.get('ocpp_version') or '?'}), "
        f"{'online' if c.get('online') else 'OFFLINE'}, site {c.get('site_id') or '?'}.",
        f"Connector {k['id']}: {k.get('status') or '?'} / {k.get('error_code') or '?'}"
        + (f" ({k['vendor_error_code']})" if k.get("vendor_error_code") else ""),
    ]
    if summary["open_faults"]:
        faults = ", ".join(
            f"{f.get('error_code')}/{f.get('vendor_error_code') or '-'}"
            for f in summary["open_faults"]
        )
        lines.append(f"Open faults: {faults}")
    if summary.get("symptom"):
        lines.append(f"Symptom: {summary['symptom']}")
    proc = summary["procedure"]
    if proc.get("id"):
        lines.append(f"Procedure: {proc['id']} v{proc.get('version')}")
    if summary.get("reason"):
        lines.append(f"Escalated because: {summary['reason']}")
    lines.append("Steps:")
    for s in summary["steps"]:
        detail = s.get("answer") if "answer" in s else s.get("result")
        cmd = f" {s['command']}" if s.get("command") else ""
        by = f" by {s['by']}" if s.get("by") else ""
        lines.append(f"  {s['seq']}. {s['kind']}{cmd}{by} @ {s.get('node') or '-'}: {detail}")
    for n in summary["notes"]:
        lines.append(f"Note ({n['by']}): {n['note']}")
    if summary["photos"]:
        lines.append(f"Photos: {', '.join(summary['photos'])}")
    return "\n".join(lines)


def ticket_row(
    session: TroubleshootingSession,
    live: dict[str, Any] | None,
    diagnosis: str | None,
    resolution: str | None,
    first_snapshot: dict[str, Any] | None,
) -> dict[str, str]:
    """The session as one row of the plain ticket format (the learning loop)."""
    before = _connector(first_snapshot, session.connector_id)
    source = first_snapshot or live or {}
    return {
        "ticket_id": f"TS-{session.id[:8]}",
        "created_at": session.created_at.isoformat(),
        "charger_id": session.charger_id,
        "vendor": source.get("vendor") or "",
        "model": source.get("model") or "",
        "error_code": before.get("error_code") or "",
        "vendor_error_code": before.get("vendor_error_code") or "",
        "symptom": session.symptom or "",
        "diagnosis": diagnosis or "",
        "resolution": (resolution or session.outcome_note or "").strip(),
        "outcome": session.outcome or session.status,
    }


def append_ticket(path: Path, row: dict[str, str]) -> None:
    """Append to the inbox CSV (header written when the file is new)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists() or path.stat().st_size == 0
    with path.open("a", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=TICKET_FIELDS)
        if new:
            writer.writeheader()
        writer.writerow(row)
