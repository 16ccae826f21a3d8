"""Photos taken during a troubleshooting session: upload, then view (with the session's rights)."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, UploadFile, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from app.api.deps import get_db, get_state, require_roles
from app.db.models_sessions import TroubleshootingSession
from app.errors import NotFound
from app.security.roles import Principal, Role
from app.state import AppState

router = APIRouter(prefix="/api", tags=["sessions"])
_KINDS = {b"\xff\xd8\xff": ("jpg", "image/jpeg"), b"\x89PNG\r\n\x1a\n": ("png", "image/png")}
_PHOTO_ID = re.compile(r"^[0-9a-f-]{36}\.(jpg|png)$")


class PhotoStored(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(description="Where to view it; log it on the session as a photo step.")
    size_bytes: int


def _session_for(db: Session, session_id: str, who: Principal) -> TroubleshootingSession:
    """The session, or the same 404 whether it is missing or another partner's (a partner
    does not learn that others' sessions exist)."""
    row = db.get(TroubleshootingSession, session_id)
    if row is None or (who.role == Role.PARTNER and row.partner != who.name):
        raise NotFound(f"no session {session_id}")
    return row


def _folder(state: AppState, session_id: str) -> Path:
    return state.settings.uploads_dir / "photos" / re.sub(r"[^A-Za-z0-9-]", "_", session_id)


@router.post("/sessions/{session_id}/photos", status_code=201)
async def upload_photo(
    session_id: str,
    file: UploadFile,
    state: AppState = Depends(get_state),
    db: Session = Depends(get_db),
    who: Principal = Depends(require_roles(Role.PARTNER, Role.CONSULTANT)),
) -> PhotoStored:
    _session_for(db, session_id, who)
    limit = state.settings.photo_max_bytes
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise HTTPException(413, f"photo larger than {limit} bytes")
    kind = next((v for magic, v in _KINDS.items() if data.startswith(magic)), None)
    if kind is None:
        raise HTTPException(415, "only JPEG or PNG photos are accepted")
    photo_id = f"{uuid.uuid4()}.{kind[0]}"
    folder = _folder(state, session_id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / photo_id).write_bytes(data)
    return PhotoStored(url=f"/api/sessions/{session_id}/photos/{photo_id}", size_bytes=len(data))


@router.get("/sessions/{session_id}/photos/{photo_id}")
def get_photo(
    session_id: str,
    photo_id: str,
    state: AppState = Depends(get_state),
    db: Session = Depends(get_db),
    who: Principal = Depends(require_roles(Role.PARTNER, Role.CONSULTANT)),
) -> FileResponse:
    _session_for(db, session_id, who)
    path = _folder(state, session_id) / photo_id
    if not _PHOTO_ID.match(photo_id) or not path.exists():
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no photo {photo_id} in this session")
    media_type = "image/png" if photo_id.endswith(".png") else "image/jpeg"
    return FileResponse(path, media_type=media_type)
