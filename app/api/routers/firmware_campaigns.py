"""Firmware campaigns: one update across the chargers of one model (admins start and stop
them; consultants follow them). Each charger's update is the ``update_firmware`` command,
sent through the command gateway and audited in the starting admin's name."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import get_campaigns, require_roles
from app.firmware_campaigns.plan import Campaign
from app.firmware_campaigns.service import CampaignService, CampaignSpec
from app.security.roles import Principal, Role

router = APIRouter(prefix="/api/firmware/campaigns", tags=["firmware"])


class CampaignItemView(BaseModel):
    model_config = ConfigDict(extra="forbid")

    charger_id: str
    site_id: str | None
    state: str
    firmware_status: str | None
    request_id: int | None
    old_version: str | None
    new_version: str | None
    detail: str | None
    updated_at: datetime | None


class CampaignView(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: int
    name: str
    model: str
    from_version: str | None
    location: str
    install_date: str | None
    retries: int | None
    retry_interval: int | None
    max_sites: int
    stop_after_failures: int
    status: str
    stop_reason: str | None
    created_by: str
    failures: int
    items: list[CampaignItemView]


class StopBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=300)


def view(campaign: Campaign) -> CampaignView:
    update = campaign.update
    return CampaignView(
        id=campaign.id,
        name=campaign.name,
        model=campaign.model,
        from_version=campaign.from_version,
        location=str(update.get("location", "")),
        install_date=_str(update.get("install_date")),
        retries=_int(update.get("retries")),
        retry_interval=_int(update.get("retry_interval")),
        max_sites=campaign.max_sites,
        stop_after_failures=campaign.stop_after_failures,
        status=campaign.status,
        stop_reason=campaign.stop_reason,
        created_by=campaign.created_by,
        failures=campaign.failures,
        items=[CampaignItemView(**vars(i)) for i in campaign.items.values()],
    )


@router.post("", response_model=CampaignView, status_code=201)
async def create_campaign(
    spec: CampaignSpec,
    who: Principal = Depends(require_roles(Role.ADMIN)),
    campaigns: CampaignService = Depends(get_campaigns),
) -> CampaignView:
    return view(await campaigns.create(spec, who))


@router.get("", response_model=list[CampaignView])
def list_campaigns(
    _: Principal = Depends(require_roles(Role.CONSULTANT)),
    campaigns: CampaignService = Depends(get_campaigns),
) -> list[CampaignView]:
    return [view(c) for c in campaigns.list()]


@router.get("/{campaign_id}", response_model=CampaignView)
def get_campaign(
    campaign_id: int,
    _: Principal = Depends(require_roles(Role.CONSULTANT)),
    campaigns: CampaignService = Depends(get_campaigns),
) -> CampaignView:
    return view(campaigns.get(campaign_id))


@router.post("/{campaign_id}/stop", response_model=CampaignView)
async def stop_campaign(
    campaign_id: int,
    body: StopBody,
    who: Principal = Depends(require_roles(Role.ADMIN)),
    campaigns: CampaignService = Depends(get_campaigns),
) -> CampaignView:
    return view(campaigns.stop_campaign(campaign_id, who, body.reason))


def _int(value: object) -> int | None:
    return value if isinstance(value, int) else None


def _str(value: object) -> str | None:
    return str(value) if value is not None else None
