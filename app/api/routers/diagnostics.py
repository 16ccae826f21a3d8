"""Diagnostics/log uploads: chargers upload here (one-time URL), consultants download."""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.api.deps import get_db, get_state, require_roles
from app.db.base import utcnow
from app.db.models import DiagnosticsUpload
from app.security.passwords import token_digest
from app.security.roles import Principal, Role
from app.state import AppState

router = APIRouter(prefix="/api", tags=["diagnostics"])
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


class UploadView(BaseModel):
    id: int
    charger_id: str
    requested_at: datetime
    uploaded_at: datetime | None
    filename: str | None
    size_bytes: int | None
    status: str
    log_type: str | None = None
    request_id: int | None = None
    charger_status: str | None = None
    charger_status_at: datetime | None = None


def upload_slot_factory(state: AppState):  # type: ignore[no-untyped-def]
    """A function the central system calls to get a one-time upload URL for a charger."""

    def make_slot(charger_id: str, log_type: str = "DiagnosticsLog") -> tuple[str, int]:
        """The URL and the slot's id (a GetLog's requestId: its LogStatusNotifications
        name it)."""
        token = secrets.token_urlsafe(24)
        with state.session_factory() as session, session.begin():
            slot = DiagnosticsUpload(
                charger_id=charger_id, token_hash=token_digest(token), log_type=log_type
            )
            session.add(slot)
            session.flush()
            slot.request_id = slot.id
            slot_id = slot.id
        base = state.settings.resolved_public_api_url.rstrip("/")
        return f"{base}/api/uploads/diagnostics/{token}", slot_id

    return make_slot


class Received(BaseModel):
    """What a charger's diagnostics upload got: the slot it filled, the bytes stored."""

    model_config = ConfigDict(extra="forbid")
    id: int
    size_bytes: int


@router.put("/uploads/diagnostics/{token}", status_code=201)
@router.post(
    "/uploads/diagnostics/{token}", status_code=201, operation_id="upload_diagnostics_post"
)
async def receive_upload(
    token: str, request: Request, state: AppState = Depends(get_state)
) -> Received:
    """Chargers upload here (HTTP PUT of the raw file, or a multipart POST), once per slot."""
    slot_id, charger_id = _claim(state, token_digest(token))
    try:
        filename, data = await _read_body(request, state.settings.diagnostics_max_bytes)
        folder = state.settings.uploads_dir / _SAFE.sub("_", charger_id)
        folder.mkdir(parents=True, exist_ok=True)
        stored = folder / f"{slot_id}-{_SAFE.sub('_', filename)[:100]}"
        stored.write_bytes(data)
    except BaseException:
        _release(state, slot_id)  # nothing stored: the charger may try again
        raise
    with state.session_factory() as session, session.begin():
        slot = session.get(DiagnosticsUpload, slot_id)
        assert slot is not None
        slot.uploaded_at = utcnow()
        slot.filename = filename[:255]
        slot.stored_path = str(stored)
        slot.size_bytes = len(data)
        slot.status = "uploaded"
    return Received(id=slot_id, size_bytes=len(data))


def _claim(state: AppState, digest: str) -> tuple[int, str]:
    """Take the slot for this upload, atomically: of concurrent uploads one wins."""
    with state.session_factory() as session, session.begin():
        claimed = session.execute(
            update(DiagnosticsUpload)
            .where(
                DiagnosticsUpload.token_hash == digest,
                DiagnosticsUpload.uploaded_at.is_(None),
                DiagnosticsUpload.status == "requested",
            )
            .values(status="receiving")
            .returning(DiagnosticsUpload.id, DiagnosticsUpload.charger_id)
        ).all()
    if len(claimed) != 1:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "unknown or used upload location")
    return claimed[0][0], claimed[0][1]


def _release(state: AppState, slot_id: int) -> None:
    with state.session_factory() as session, session.begin():
        session.execute(
            update(DiagnosticsUpload)
            .where(DiagnosticsUpload.id == slot_id, DiagnosticsUpload.status == "receiving")
            .values(status="requested")
        )


def _too_large(limit: int) -> HTTPException:
    return HTTPException(413, f"upload larger than {limit} bytes")


async def _read_body(request: Request, limit: int) -> tuple[str, bytes]:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        # the request-size middleware bounds the whole form; each part is bounded here
        form = await request.form(max_files=1, max_fields=10, max_part_size=64 * 1024)
        try:
            for value in form.values():
                if hasattr(value, "read"):
                    data = await value.read(limit + 1)  # type: ignore[union-attr]
                    if len(data) > limit:
                        raise _too_large(limit)
                    return (value.filename or "diagnostics.log"), data  # type: ignore[union-attr]
        finally:
            await form.close()
        raise HTTPException(422, "multipart upload without a file part")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    name = request.headers.get("x-filename") or "diagnostics.log"
    return name, b"".join(chunks)


@router.get("/chargers/{charger_id}/diagnostics", response_model=list[UploadView])
def list_uploads(
    charger_id: str,
    db: Session = Depends(get_db),
    _: Principal = Depends(require_roles(Role.CONSULTANT, Role.PARTNER)),
) -> list[UploadView]:
    rows = db.scalars(
        select(DiagnosticsUpload)
        .where(DiagnosticsUpload.charger_id == charger_id)
        .order_by(DiagnosticsUpload.id.desc())
    )
    return [UploadView.model_validate(row, from_attributes=True) for row in rows]


@router.get("/diagnostics/{upload_id}/download")
def download_upload(
    upload_id: int,
    db: Session = Depends(get_db),
    _: Principal = Depends(require_roles(Role.CONSULTANT)),
) -> FileResponse:
    row = db.get(DiagnosticsUpload, upload_id)
    if row is None or not row.stored_path or not Path(row.stored_path).exists():
        raise HTTPException(404, f"no uploaded file for diagnostics request {upload_id}")
    return FileResponse(
        row.stored_path, filename=row.filename or "diagnostics.log", media_type="text/plain"
    )
