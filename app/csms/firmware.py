"""A charger's firmware history, read from the OCPP event log (every frame is recorded there):
the updates asked of it (UpdateFirmware, 1.6 SignedUpdateFirmware), every state it reported
(FirmwareStatusNotification, 1.6 SignedFirmwareStatusNotification: L01.FR.01 says a station
reports each state it enters) and the version each boot announced.

Failure states are those of OCPP 2.0.1 FirmwareStatusEnumType (and the 1.6 security
whitepaper's FirmwareStatusEnumType, the same names): a download or an install that failed,
or firmware whose certificate or signature did not verify (L01: InvalidSignature; the station
also raises an InvalidFirmwareSigningCertificate security event, recorded elsewhere).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import EventRow

FAILED_STATUSES = frozenset(
    {"DownloadFailed", "InstallationFailed", "InstallVerificationFailed", "InvalidSignature"}
)
REQUEST_ACTIONS = ("UpdateFirmware", "SignedUpdateFirmware")
STATUS_ACTIONS = ("FirmwareStatusNotification", "SignedFirmwareStatusNotification")
BOOT = "BootNotification"

EntryKind = Literal["update_requested", "status", "boot"]


@dataclass(frozen=True)
class FirmwareEntry:
    at: datetime
    kind: EntryKind
    status: str | None = None
    request_id: int | None = None
    location: str | None = None
    version: str | None = None
    install_at: str | None = None
    failed: bool = False


def is_failure(status: str | None) -> bool:
    return status in FAILED_STATUSES


def history(db: Session, charger_id: str, limit: int = 200) -> list[FirmwareEntry]:
    """Newest first: requests sent, states reported, versions booted."""
    rows = db.scalars(
        select(EventRow)
        .where(
            EventRow.charger_id == charger_id,
            EventRow.message_type == 2,
            EventRow.action.in_((*REQUEST_ACTIONS, *STATUS_ACTIONS, BOOT)),
        )
        .order_by(EventRow.id.desc())
        .limit(limit)
    )
    out = []
    for row in rows:
        entry = _entry(row)
        if entry is not None:
            out.append(entry)
    return out


@dataclass(frozen=True)
class VersionSpan:
    """A firmware version the charger ran: the first and last boot that announced it."""

    version: str
    first_boot: datetime
    last_boot: datetime
    boots: int


def version_history(entries: list[FirmwareEntry]) -> list[VersionSpan]:
    """Oldest first: each run of boots with one firmwareVersion (1.6 BootNotification
    firmwareVersion, 2.0.1 chargingStation.firmwareVersion); a version that comes back after
    another (a rollback) is a new span."""
    spans: list[VersionSpan] = []
    boots = sorted((e for e in entries if e.kind == "boot" and e.version), key=lambda e: e.at)
    for entry in boots:
        version = str(entry.version)
        last = spans[-1] if spans else None
        if last is not None and last.version == version:
            spans[-1] = VersionSpan(version, last.first_boot, entry.at, last.boots + 1)
        else:
            spans.append(VersionSpan(version, entry.at, entry.at, 1))
    return spans


def _entry(row: EventRow) -> FirmwareEntry | None:
    payload = _payload(row.frame)
    if row.action in REQUEST_ACTIONS and row.direction == "out":
        firmware = payload.get("firmware") or {}
        return FirmwareEntry(
            at=row.ts,
            kind="update_requested",
            request_id=_int(payload.get("requestId")),
            location=str(payload.get("location") or firmware.get("location") or "")[:512],
            install_at=firmware.get("installDateTime"),
        )
    if row.action in STATUS_ACTIONS and row.direction == "in":
        status = str(payload.get("status") or "")[:40] or None
        return FirmwareEntry(
            at=row.ts,
            kind="status",
            status=status,
            request_id=_int(payload.get("requestId")),
            failed=is_failure(status),
        )
    if row.action == BOOT and row.direction == "in":
        station = payload.get("chargingStation") or {}
        version = payload.get("firmwareVersion") or station.get("firmwareVersion")
        return FirmwareEntry(
            at=row.ts, kind="boot", version=str(version)[:100] if version else None
        )
    return None


def _payload(frame: str) -> dict[str, Any]:
    try:
        message = json.loads(frame)
    except ValueError:
        return {}
    if isinstance(message, list) and len(message) > 3 and isinstance(message[3], dict):
        return message[3]
    return {}


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
