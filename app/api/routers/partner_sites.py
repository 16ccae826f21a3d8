"""Sites assigned to partner accounts: a partner acts on, and reads about, only these chargers
(plus any charger on which they have an open session). Admins assign."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from app.api.deps import get_scope, require_roles
from app.security.roles import Principal, Role
from app.security.scope import Scope

router = APIRouter(prefix="/api/partners", tags=["partners"])
PartnerName = Path(min_length=1, max_length=100, description="The partner's account name.")


class SiteList(BaseModel):
    site_ids: list[str] = Field(
        ..., min_length=1, max_length=500, description="Site ids, e.g. SITE-014."
    )


class PartnerSites(BaseModel):
    partner: str
    site_ids: list[str]


@router.get("/sites", response_model=list[PartnerSites])
def all_assignments(
    scope: Scope = Depends(get_scope),
    _: Principal = Depends(require_roles(Role.ADMIN)),
) -> list[PartnerSites]:
    return [PartnerSites(partner=p, site_ids=s) for p, s in scope.assignments().items()]


@router.get("/{partner}/sites", response_model=PartnerSites)
def sites_of(
    partner: str = PartnerName,
    scope: Scope = Depends(get_scope),
    who: Principal = Depends(require_roles(Role.ADMIN, Role.CONSULTANT, Role.PARTNER)),
) -> PartnerSites:
    """Admins and consultants see anyone's sites; a partner sees their own."""
    if who.role == Role.PARTNER and who.name != partner:
        partner = who.name
    return PartnerSites(partner=partner, site_ids=sorted(scope.sites_of(partner)))


@router.post("/{partner}/sites", response_model=PartnerSites)
async def assign_sites(
    body: SiteList,
    partner: str = PartnerName,
    scope: Scope = Depends(get_scope),
    who: Principal = Depends(require_roles(Role.ADMIN)),
) -> PartnerSites:
    sites = await run_in_threadpool(scope.assign, partner, body.site_ids, who.name)
    return PartnerSites(partner=partner, site_ids=sites)


@router.delete("/{partner}/sites/{site_id}", response_model=PartnerSites)
async def unassign_site(
    partner: str = PartnerName,
    site_id: str = Path(min_length=1, max_length=64),
    scope: Scope = Depends(get_scope),
    _: Principal = Depends(require_roles(Role.ADMIN)),
) -> PartnerSites:
    sites = await run_in_threadpool(scope.unassign, partner, [site_id])
    return PartnerSites(partner=partner, site_ids=sites)
