"""Suggest procedures for a charger from their applies-to (used when no retrieval service)."""

from __future__ import annotations

from typing import Any

from app.procedures.schema import Procedure


def score(
    procedure: Procedure, live: dict[str, Any], connector_id: int, symptom: str | None
) -> float:
    a = procedure.applies_to
    connectors = live.get("connectors") or {}
    values = list(connectors.values() if isinstance(connectors, dict) else connectors)
    conn = next((c for c in values if c.get("connector_id") == connector_id), {})
    codes = {conn.get("error_code")} | {f.get("error_code") for f in live.get("open_faults") or []}
    vendor_codes = {conn.get("vendor_error_code")} | {
        f.get("vendor_error_code") for f in live.get("open_faults") or []
    }
    total = 0.0
    if a.vendors and live.get("vendor") and live["vendor"] not in a.vendors:
        return 0.0
    if a.models and live.get("model") and live["model"] not in a.models:
        return 0.0
    total += 3.0 * len(vendor_codes & set(a.vendor_error_codes))
    total += 2.0 * len((codes - {"NoError", None}) & set(a.error_codes))
    total += 1.0 if conn.get("status") in a.connector_statuses else 0.0
    if symptom:
        text = symptom.lower()
        total += sum(1.0 for s in a.symptoms if s.lower() in text)
    return total


def suggest(
    procedures: list[Procedure],
    live: dict[str, Any],
    connector_id: int,
    symptom: str | None,
    limit: int = 5,
) -> list[dict[str, Any]]:
    ranked = sorted(
        ((score(p, live, connector_id, symptom), p) for p in procedures), key=lambda x: -x[0]
    )
    return [
        {"procedure_id": p.id, "title": p.title, "score": s} for s, p in ranked[:limit] if s > 0
    ]
