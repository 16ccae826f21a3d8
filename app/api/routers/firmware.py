"""A charger's firmware: the version and update state now (fleet model), and its history
(updates asked, every state reported, versions booted) from the OCPP event log. Updates are
sent as the ``update_firmware`` command (POST /api/chargers/{id}/commands/update_firmware)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from app.api.deps import get_db, readable_charger, require_roles
from app.csms import firmware
from app.fleet.model import ChargerLiveState
from app.security.roles import Principal, Role

router = APIRouter(prefix="/api/chargers", tags=["firmware"])


class FirmwareEntryView(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: datetime
    kind: Literal["update_requested", "status", "boot"]
    status: str | None = None
    request_id: int | None = None
    location: str | None = None
    version: str | None = None
    install_at: str | None = None
    failed: bool = False


class VersionSpanView(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: str
    first_boot: datetime
    last_boot: datetime
    boots: int


class FirmwareView(BaseModel):
    model_config = ConfigDict(extra="forbid")

    charger_id: str
    version: str | None
    status: str | None
    failed: bool
    history: list[FirmwareEntryView]
    versions: list[VersionSpanView]  # oldest first, from the boots in ``history``


@router.get("/{charger_id}/firmware", response_model=FirmwareView)
def charger_firmware(
    charger_id: str,
    db: Session = Depends(get_db),
    _: Principal = Depends(require_roles(Role.CONSULTANT, Role.PARTNER)),
    live: ChargerLiveState = Depends(readable_charger),
    limit: int = Query(200, ge=1, le=1000),
) -> FirmwareView:
    entries = firmware.history(db, charger_id, limit)
    return FirmwareView(
        charger_id=charger_id,
        version=live.firmware_version,
        status=live.firmware_status,
        failed=firmware.is_failure(live.firmware_status),
        history=[FirmwareEntryView(**vars(e)) for e in entries],
        versions=[VersionSpanView(**vars(v)) for v in firmware.version_history(entries)],
    )
