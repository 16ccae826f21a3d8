"""Long memory: a fault's earlier occurrences on the same charger, read from the faults table.

A fault that a reset clears every afternoon counts as resolved every day unless someone reads
back further than the live window: this is that read (chronic faults, 7 to 30 days)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.db.models import FaultRow
from app.fleet.model import OpenFault

MAX_ROWS = 50


def earlier(
    session_factory: sessionmaker[Session], charger_id: str, fault: OpenFault, since: datetime
) -> list[dict[str, Any]]:
    """Cleared occurrences of the same fault (same connector and the same code: vendor /
    tech code, else 2.0.1 component.variable, else the 1.6 errorCode) since ``since``,
    newest first."""
    stmt = select(FaultRow).where(
        FaultRow.charger_id == charger_id,
        FaultRow.connector_id == fault.connector_id,
        FaultRow.uid != fault.uid,
        FaultRow.cleared_at.is_not(None),
        FaultRow.cleared_at >= since,
    )
    if fault.vendor_error_code:
        stmt = stmt.where(FaultRow.vendor_error_code == fault.vendor_error_code)
    elif fault.tech_code:
        stmt = stmt.where(FaultRow.tech_code == fault.tech_code)
    elif fault.component:
        stmt = stmt.where(
            FaultRow.component == fault.component, FaultRow.variable == fault.variable
        )
    else:
        stmt = stmt.where(
            FaultRow.error_code == fault.error_code, FaultRow.vendor_error_code.is_(None)
        )
    stmt = stmt.order_by(FaultRow.cleared_at.desc()).limit(MAX_ROWS)
    with session_factory() as db:
        rows = list(db.scalars(stmt))
    return [
        {
            "uid": r.uid,
            "raised_at": r.raised_at.isoformat() if r.raised_at else None,
            "cleared_at": r.cleared_at.isoformat() if r.cleared_at else None,
            "cleared_t": r.cleared_at.timestamp() if r.cleared_at else 0.0,
            "code": r.vendor_error_code or r.tech_code or r.error_code,
        }
        for r in rows
    ]
