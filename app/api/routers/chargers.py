"""Chargers: registration, live state, event log, faults and command audit."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from app.api.deps import ANY_ROLE, get_db, get_state, readable_charger, require_roles
from app.csms.directory import RegistrationError
from app.csms.registration import ChargerStatus, boot_answer
from app.db.models import CommandRow, EventRow, FaultRow, TransactionRow
from app.db.models_sessions import SessionAudit
from app.errors import InvalidInput, NotFound
from app.fleet.model import ChargerLiveState, SignedMeterValue
from app.fleet.views import ChargerView
from app.security.passwords import new_charger_password
from app.security.roles import Principal, Role
from app.state import AppState

router = APIRouter(prefix="/api/chargers", tags=["chargers"])


class RegisterCharger(BaseModel):
    charger_id: str = Field(min_length=1, max_length=48)
    password: str | None = Field(
        None, min_length=16, max_length=200, description="Omit to have one generated."
    )
    site_id: str | None = Field(None, max_length=64)
    vendor: str | None = None
    model: str | None = None
    label: str | None = None
    security_profile: Literal[1, 2, 3] | None = Field(
        None, description="3: TLS client certificate instead of HTTP Basic (see Security)."
    )


class Registered(BaseModel):
    charger_id: str
    site_id: str
    password: str = Field(description="Shown once; configure it in the charger.")


class EventView(BaseModel):
    id: int
    ts: datetime
    direction: str
    message_type: int
    unique_id: str | None
    action: str | None
    payload: Any


class FaultView(BaseModel):
    id: int
    connector_id: int
    source: str
    error_code: str
    raw_error_code: str | None
    vendor_error_code: str | None
    info: str | None
    component: str | None
    variable: str | None
    tech_code: str | None
    raised_at: datetime
    cleared_at: datetime | None


class CommandView(BaseModel):
    id: int
    command: str
    params: dict[str, Any]
    requested_by: str
    role: str
    reason: str | None
    forced: bool
    requested_at: datetime
    outcome: str
    response: Any
    round_trip_ms: float | None
    origin: str | None = None
    on_behalf_of: str | None = None
    overrides: str | None = None


@router.get("", response_model=list[ChargerView])
def list_chargers(
    state: AppState = Depends(get_state),
    who: Principal = Depends(require_roles(*ANY_ROLE)),
    status_: str | None = Query(None, alias="status", description="A connector status."),
    online: bool | None = None,
    vendor: str | None = None,
    model: str | None = None,
    site: str | None = None,
    has_fault: bool | None = None,
    q: str | None = Query(None, description="Text in id, site, vendor, model or error codes."),
    limit: int = Query(500, ge=1, le=20000),
) -> list[ChargerView]:
    out: list[ChargerLiveState] = []
    needle = (q or "").lower()
    partner_sites = state.scope.sites_of(who.name) if who.role == Role.PARTNER else None
    for live in _all_states(state):
        if partner_sites is not None and live.site_id not in partner_sites:
            continue
        if online is not None and live.online != online:
            continue
        if vendor and (live.vendor or "").lower() != vendor.lower():
            continue
        if model and (live.model or "").lower() != model.lower():
            continue
        if site and live.site_id != site:
            continue
        if has_fault is not None and bool(live.open_faults) != has_fault:
            continue
        if status_ and not any(c.status == status_ for c in live.connectors.values()):
            continue
        if needle and needle not in _haystack(live):
            continue
        out.append(live)
    out.sort(key=lambda s: (not s.open_faults, s.charger_id))
    return [ChargerView.of(live) for live in out[:limit]]


def _all_states(state: AppState) -> list[ChargerLiveState]:
    """This node's chargers, with those another node holds taken from that node's records."""
    local = {live.charger_id: live for live in state.live.all()}
    if state.cluster.enabled:
        for charger_id, remote in state.cluster.remote_online().items():
            if charger_id not in local or not local[charger_id].online:
                local[charger_id] = remote
    return list(local.values())


def _haystack(live: ChargerLiveState) -> str:
    parts = [live.charger_id, live.site_id or "", live.vendor or "", live.model or ""]
    for connector in live.connectors.values():
        parts += [connector.status, connector.error_code, connector.vendor_error_code or ""]
    for fault in live.open_faults:
        parts += [fault.error_code, fault.vendor_error_code or ""]
    return " ".join(parts).lower()


@router.get("/{charger_id}", response_model=ChargerView)
def get_charger(
    _: Principal = Depends(require_roles(*ANY_ROLE)),
    live: ChargerLiveState = Depends(readable_charger),
) -> ChargerView:
    """A charger's live state (partners: chargers in their scope)."""
    return ChargerView.of(live)


@router.post("", response_model=Registered, status_code=201)
async def register_charger(
    body: RegisterCharger,
    state: AppState = Depends(get_state),
    who: Principal = Depends(require_roles(Role.ADMIN)),
) -> Registered:
    try:
        site_id, password = await state.csms.register(
            body.charger_id,
            body.password,
            site_id=body.site_id,
            vendor=body.vendor,
            model=body.model,
            label=body.label,
            security_profile=body.security_profile,
        )
    except RegistrationError as error:
        code = 409 if "already registered" in str(error) else 422
        raise HTTPException(code, str(error)) from error
    await _audit(state, who, "charger.register", body.charger_id, site_id=site_id)
    return Registered(charger_id=body.charger_id, site_id=site_id, password=password)


async def _audit(
    state: AppState, who: Principal, action: str, charger_id: str, **detail: Any
) -> None:
    """An admin's change to the charger directory, in the audit admins read (never a secret)."""

    def write() -> None:
        with state.session_factory() as db, db.begin():
            db.add(
                SessionAudit(
                    actor=who.name, role=who.role, action=action, target=charger_id, detail=detail
                )
            )

    await run_in_threadpool(write)


class NewPassword(BaseModel):
    model_config = ConfigDict(extra="forbid")
    password: str | None = Field(
        None, min_length=16, max_length=200, description="Omit to have one generated."
    )


@router.post("/{charger_id}/password", response_model=Registered)
async def set_charger_password(
    charger_id: str,
    body: NewPassword,
    state: AppState = Depends(get_state),
    who: Principal = Depends(require_roles(Role.ADMIN)),
) -> Registered:
    """A registered charger's new Basic-auth password (OCPP security profile 1), shown once.
    The charger's open connection stays; its next connection must use the new password."""
    secret = body.password or new_charger_password()
    try:
        identity = await run_in_threadpool(state.csms.directory.set_password, charger_id, secret)
    except RegistrationError as error:
        if "not registered" in str(error):
            raise NotFound(str(error)) from error
        raise InvalidInput(str(error)) from error
    await _audit(state, who, "charger.password", charger_id, generated=body.password is None)
    return Registered(charger_id=charger_id, site_id=identity.site_id or "", password=secret)


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: ChargerStatus = Field(
        description="commissioning: BootNotification answered Pending (B02); active: Accepted; "
        "blocked: Rejected (B03). Takes effect at the charger's next BootNotification."
    )


class StatusView(BaseModel):
    model_config = ConfigDict(extra="forbid")

    charger_id: str
    status: ChargerStatus
    boot_answer: str


@router.put("/{charger_id}/status", response_model=StatusView)
async def set_charger_status(
    charger_id: str,
    body: StatusChange,
    state: AppState = Depends(get_state),
    _: Principal = Depends(require_roles(Role.ADMIN)),
) -> StatusView:
    """An admin commissions, activates or blocks a charger."""
    directory = state.csms.directory
    if await asyncio.to_thread(directory.lookup, charger_id) is None:
        raise NotFound(f"charger {charger_id} is not registered")
    identity = await asyncio.to_thread(directory.set_status, charger_id, body.status)
    return StatusView(
        charger_id=charger_id,
        status=identity.status,  # type: ignore[arg-type]
        boot_answer=boot_answer(identity.status),
    )


class SecurityProfile(BaseModel):
    """OCPP 2.0.1 A00 / 1.6 security whitepaper security profile the charger must use:
    1 HTTP Basic, 2 TLS + HTTP Basic, 3 TLS with a client certificate (no Basic)."""

    model_config = ConfigDict(extra="forbid")

    profile: Literal[1, 2, 3]


@router.put("/{charger_id}/security-profile", response_model=SecurityProfile)
async def set_security_profile(
    charger_id: str,
    body: SecurityProfile,
    state: AppState = Depends(get_state),
    who: Principal = Depends(require_roles(Role.ADMIN)),
) -> SecurityProfile:
    """How the charger must authenticate from its next connection (admins)."""
    if await asyncio.to_thread(state.directory.lookup, charger_id) is None:
        raise NotFound(f"charger {charger_id} is not registered")
    await asyncio.to_thread(state.directory.set_security_profile, charger_id, body.profile)
    state.recorder.security_event(
        "SecurityProfileSet",
        charger_id=charger_id,
        detail=f"security profile {body.profile} set by {who.name}",
        remote=None,
    )
    return body


@router.delete("/{charger_id}", status_code=204)
async def remove_charger(
    charger_id: str,
    state: AppState = Depends(get_state),
    who: Principal = Depends(require_roles(Role.ADMIN)),
) -> None:
    if not await state.csms.unregister(charger_id):
        raise NotFound(f"charger {charger_id} is not registered")
    await _audit(state, who, "charger.remove", charger_id)


@router.get("/{charger_id}/events", response_model=list[EventView])
def charger_events(
    charger_id: str,
    db: Session = Depends(get_db),
    _: Principal = Depends(require_roles(Role.CONSULTANT, Role.PARTNER)),
    __: ChargerLiveState = Depends(readable_charger),
    action: str | None = Query(None, max_length=64),
    direction: Literal["in", "out"] | None = Query(
        None, description="in: from the charger; out: from the central system."
    ),
    since: datetime | None = Query(None, description="Frames at or after this time (ISO 8601)."),
    until: datetime | None = Query(None, description="Frames before this time (ISO 8601)."),
    q: str | None = Query(
        None, min_length=1, max_length=100, description="Text in the frame, any case."
    ),
    before_id: int | None = Query(
        None, ge=1, le=2**62, description="Page backwards from this event id."
    ),
    limit: int = Query(100, ge=1, le=1000),
) -> list[EventView]:
    """A charger's OCPP frames, newest first, filtered; page back with ``before_id``."""
    since, until = _utc(since), _utc(until)
    if since and until and since >= until:
        raise InvalidInput(
            f"since ({since.isoformat()}) must be before until ({until.isoformat()})"
        )
    query = select(EventRow).where(EventRow.charger_id == charger_id)
    if action:
        query = query.where(EventRow.action == action)
    if direction:
        query = query.where(EventRow.direction == direction)
    if since:
        query = query.where(EventRow.ts >= since)
    if until:
        query = query.where(EventRow.ts < until)
    if q:
        query = query.where(EventRow.frame.icontains(q, autoescape=True))
    if before_id:
        query = query.where(EventRow.id < before_id)
    rows = db.scalars(query.order_by(EventRow.id.desc()).limit(limit))
    return [
        EventView(
            id=row.id,
            ts=row.ts,
            direction=row.direction,
            message_type=row.message_type,
            unique_id=row.unique_id,
            action=row.action,
            payload=_payload(row),
        )
        for row in rows
    ]


def _utc(moment: datetime | None) -> datetime | None:
    """A time without a zone is read as UTC (the event log's clock)."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def _payload(row: EventRow) -> Any:
    try:
        frame = json.loads(row.frame)
    except ValueError:
        return {"unparsed": row.frame[:2000]}
    if row.message_type == 2 and len(frame) > 3:
        return frame[3]
    if row.message_type == 3 and len(frame) > 2:
        return frame[2]
    if row.message_type == 4 and len(frame) > 4:
        return {"errorCode": frame[2], "errorDescription": frame[3], "errorDetails": frame[4]}
    return frame


@router.get("/{charger_id}/faults", response_model=list[FaultView])
def charger_faults(
    charger_id: str,
    db: Session = Depends(get_db),
    _: Principal = Depends(require_roles(*ANY_ROLE)),
    __: ChargerLiveState = Depends(readable_charger),
    open_only: bool = False,
    limit: int = Query(200, ge=1, le=5000),
) -> list[FaultView]:
    query = select(FaultRow).where(FaultRow.charger_id == charger_id)
    if open_only:
        query = query.where(FaultRow.cleared_at.is_(None))
    rows = db.scalars(query.order_by(FaultRow.raised_at.desc()).limit(limit))
    return [FaultView.model_validate(row, from_attributes=True) for row in rows]


@router.get("/{charger_id}/commands", response_model=list[CommandView])
def charger_commands(
    charger_id: str,
    db: Session = Depends(get_db),
    _: Principal = Depends(require_roles(Role.CONSULTANT, Role.PARTNER)),
    __: ChargerLiveState = Depends(readable_charger),
    command: list[str] = Query(
        [], max_length=10, description="Only these commands (e.g. get_configuration)."
    ),
    outcome: str | None = Query(None, max_length=20, description="e.g. answered"),
    limit: int = Query(100, ge=1, le=1000),
) -> list[CommandView]:
    query = select(CommandRow).where(CommandRow.charger_id == charger_id)
    if command:
        query = query.where(CommandRow.command.in_(command))
    if outcome:
        query = query.where(CommandRow.outcome == outcome)
    rows = db.scalars(query.order_by(CommandRow.id.desc()).limit(limit))
    return [CommandView.model_validate(row, from_attributes=True) for row in rows]


class TransactionView(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: int = Field(description="The record's id: the cursor of the next page (before_id).")
    transaction_id: str
    connector_id: int
    id_tag: str | None
    started_at: datetime
    stopped_at: datetime | None
    meter_start_wh: float | None
    meter_stop_wh: float | None
    stop_reason: str | None
    meter_start_signed: list[SignedMeterValue] = Field(
        description="The start reading's signed meter values as sent (OCPP 2.0.1 "
        "signedMeterValue, 1.6 SignedData): stored, not verified by ChargeFix."
    )
    meter_stop_signed: list[SignedMeterValue]
    offline_events: int = Field(
        description="2.0.1 TransactionEvents with offline true: queued while the station was "
        "offline (E11/E12)."
    )
    seq_gaps: list[list[int]] = Field(
        description="TransactionEvent seqNo ranges [first, last] never received."
    )
    warnings: list[str]

    @classmethod
    def of(cls, row: TransactionRow) -> TransactionView:
        gaps = [list(g) for g in row.seq_gaps or []]
        return cls(
            id=row.id,
            transaction_id=row.transaction_id,
            connector_id=row.connector_id,
            id_tag=row.id_tag,
            started_at=row.started_at,
            stopped_at=row.stopped_at,
            meter_start_wh=row.meter_start_wh,
            meter_stop_wh=row.meter_stop_wh,
            stop_reason=row.stop_reason,
            meter_start_signed=row.meter_start_signed or [],
            meter_stop_signed=row.meter_stop_signed or [],
            offline_events=row.offline_events or 0,
            seq_gaps=gaps,
            warnings=[
                f"TransactionEvent seqNo {a}{'' if a == b else f'-{b}'} never received"
                for a, b in gaps
            ],
        )


@router.get("/{charger_id}/transactions", response_model=list[TransactionView])
def charger_transactions(
    charger_id: str,
    db: Session = Depends(get_db),
    _: Principal = Depends(require_roles(Role.CONSULTANT)),
    __: ChargerLiveState = Depends(readable_charger),
    offset: int = Query(0, ge=0, le=1_000_000),
    limit: int = Query(50, ge=1, le=500),
    before_id: int | None = Query(
        None,
        ge=1,
        description="Only sessions after this one in the list (its id): the next page, which "
        "a session recorded meanwhile does not shift as an offset would.",
    ),
) -> list[TransactionView]:
    """A charger's charging sessions as recorded, newest first (by start, then id)."""
    query = select(TransactionRow).where(TransactionRow.charger_id == charger_id)
    if before_id is not None:
        last = db.get(TransactionRow, before_id)
        if last is None or last.charger_id != charger_id:
            raise InvalidInput(f"before_id: {charger_id} has no charging session {before_id}")
        query = query.where(
            or_(
                TransactionRow.started_at < last.started_at,
                and_(TransactionRow.started_at == last.started_at, TransactionRow.id < last.id),
            )
        )
    rows = db.scalars(
        query.order_by(TransactionRow.started_at.desc(), TransactionRow.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return [TransactionView.of(row) for row in rows]
