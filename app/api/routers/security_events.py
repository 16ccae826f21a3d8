"""Security events: refused handshakes, and what chargers report themselves."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.api.deps import get_db, require_roles
from app.db.models import SecurityEventRow
from app.security.roles import Principal, Role

router = APIRouter(prefix="/api", tags=["security"])


class SecurityEventView(BaseModel):
    id: int
    ts: datetime
    charger_id: str | None
    kind: str
    detail: str | None
    remote_address: str | None
    reported_at: datetime | None = None  # the charger's own time of the event (A04)


@router.get("/security-events", response_model=list[SecurityEventView])
def security_events(
    db: Session = Depends(get_db),
    _: Principal = Depends(require_roles(Role.CONSULTANT)),
    charger_id: str | None = None,
    limit: int = Query(200, ge=1, le=5000),
) -> list[SecurityEventView]:
    query = select(SecurityEventRow)
    if charger_id:
        query = query.where(SecurityEventRow.charger_id == charger_id)
    rows = db.scalars(query.order_by(SecurityEventRow.id.desc()).limit(limit))
    return [SecurityEventView.model_validate(r, from_attributes=True) for r in rows]
