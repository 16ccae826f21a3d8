"""Admin reads the CLI alone gave until now: the sites with their chargers and partners, and
the audit of sessions, procedures and handoffs (filterable)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.api.deps import get_db, get_scope, require_roles
from app.db.models import Charger, Site
from app.db.models_sessions import SessionAudit
from app.errors import InvalidInput
from app.security.roles import Principal, Role
from app.security.scope import Scope

router = APIRouter(prefix="/api", tags=["admin"])


class SiteView(BaseModel):
    model_config = ConfigDict(extra="forbid")
    site_id: str
    name: str
    address: str | None
    chargers: int
    partners: list[str]


class AuditEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: int
    at: datetime
    actor: str
    role: str
    action: str
    target: str
    detail: dict[str, Any] | None


@router.get("/sites", response_model=list[SiteView])
def sites(
    db: Session = Depends(get_db),
    scope: Scope = Depends(get_scope),
    _: Principal = Depends(require_roles(Role.ADMIN)),
    limit: int = Query(1000, ge=1, le=20000),
) -> list[SiteView]:
    """Every site, how many chargers it has and the partners assigned to it."""
    counts = dict(
        db.execute(select(Charger.site_id, func.count(Charger.id)).group_by(Charger.site_id)).all()
    )
    partners: dict[str, list[str]] = {}
    for partner, site_ids in scope.assignments().items():
        for site_id in site_ids:
            partners.setdefault(site_id, []).append(partner)
    rows = db.scalars(select(Site).order_by(Site.id).limit(limit))
    return [
        SiteView(
            site_id=row.id,
            name=row.name,
            address=row.address,
            chargers=int(counts.get(row.id, 0)),
            partners=sorted(partners.get(row.id, [])),
        )
        for row in rows
    ]


@router.get("/audit", response_model=list[AuditEntry])
def audit(
    db: Session = Depends(get_db),
    _: Principal = Depends(require_roles(Role.ADMIN)),
    actor: str | None = Query(None, min_length=1, max_length=100, description="Account name."),
    action: str | None = Query(
        None, min_length=1, max_length=40, description="An action or its start, e.g. procedure."
    ),
    target: str | None = Query(
        None, min_length=1, max_length=120, description="Text in the target (a session id...)."
    ),
    since: datetime | None = Query(None, description="At or after this time (ISO 8601)."),
    until: datetime | None = Query(None, description="Before this time (ISO 8601)."),
    before_id: int | None = Query(None, ge=1, le=2**62, description="Page back from this id."),
    limit: int = Query(100, ge=1, le=1000),
) -> list[AuditEntry]:
    """Changes made through the sessions, procedures and handoffs API, newest first."""
    since, until = _utc(since), _utc(until)
    if since and until and since >= until:
        raise InvalidInput(
            f"since ({since.isoformat()}) must be before until ({until.isoformat()})"
        )
    query = select(SessionAudit)
    if actor:
        query = query.where(SessionAudit.actor == actor)
    if action:
        query = query.where(SessionAudit.action.startswith(action, autoescape=True))
    if target:
        query = query.where(SessionAudit.target.icontains(target, autoescape=True))
    if since:
        query = query.where(SessionAudit.at >= since)
    if until:
        query = query.where(SessionAudit.at < until)
    if before_id:
        query = query.where(SessionAudit.id < before_id)
    rows = db.scalars(query.order_by(SessionAudit.id.desc()).limit(limit))
    return [AuditEntry.model_validate(row, from_attributes=True) for row in rows]


def _utc(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment
