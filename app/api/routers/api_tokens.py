"""API tokens for scripts (until now `chargefix tokens create` only): admins list them, make
one (its secret shown once, only its digest stored) and revoke one. People's sign-ins are
not listed here: they end with sign-out, expiry, or a change to the account."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Path
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import get_state, require_roles
from app.db.base import utcnow
from app.db.models import ApiToken
from app.db.models_sessions import SessionAudit
from app.errors import InvalidInput, NotFound
from app.security.roles import ALL_ROLES, Principal, Role
from app.security.tokens import (
    create_token,
    list_script_tokens,
    revoke_script_token,
    token_row_id,
)
from app.state import AppState

router = APIRouter(prefix="/api/api-tokens", tags=["api tokens"])
MAX_DAYS = 3650  # ten years: a script token that never expires is made without days


class ScriptToken(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: int
    name: str
    role: str
    created_at: datetime
    expires_at: datetime | None
    revoked: bool


class NewScriptToken(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # no colon: "session:" and "resume:" name people's sign-ins (app/security/tokens.py)
    name: str = Field(..., min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9 _.@-]*$")
    role: str = Field(..., description=f"One of: {', '.join(ALL_ROLES)}.")
    days: int | None = Field(None, ge=1, le=MAX_DAYS, description="Valid this many days.")


class MadeScriptToken(ScriptToken):
    token: str = Field(..., description="The secret: shown this once, never stored.")


def _view(row: ApiToken) -> ScriptToken:
    return ScriptToken(
        id=row.id,
        name=row.name,
        role=row.role,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked=row.revoked,
    )


async def _audit(state: AppState, who: Principal, action: str, target: str, **detail: Any) -> None:
    def write() -> None:
        with state.session_factory() as db, db.begin():
            db.add(
                SessionAudit(
                    actor=who.name, role=who.role, action=action, target=target, detail=detail
                )
            )

    await run_in_threadpool(write)


@router.get("", response_model=list[ScriptToken])
def tokens(
    state: AppState = Depends(get_state),
    _: Principal = Depends(require_roles(Role.ADMIN)),
) -> list[ScriptToken]:
    return [_view(row) for row in list_script_tokens(state.session_factory)]


@router.post("", response_model=MadeScriptToken, status_code=201)
async def make(
    body: NewScriptToken,
    state: AppState = Depends(get_state),
    who: Principal = Depends(require_roles(Role.ADMIN)),
) -> MadeScriptToken:
    if body.role not in ALL_ROLES:
        raise InvalidInput(f"role {body.role!r} is not one of: {', '.join(ALL_ROLES)}")
    expires = utcnow() + timedelta(days=body.days) if body.days else None
    secret = await run_in_threadpool(
        lambda: create_token(
            state.session_factory, name=body.name, role=body.role, expires_at=expires
        )
    )
    token_id = await run_in_threadpool(token_row_id, state.session_factory, secret)
    row = next(r for r in list_script_tokens(state.session_factory) if r.id == token_id)
    await _audit(
        state, who, "api_token.create", body.name, id=token_id, role=body.role, days=body.days
    )
    return MadeScriptToken(**_view(row).model_dump(), token=secret)


@router.delete("/{token_id}", response_model=ScriptToken)
async def revoke(
    token_id: int = Path(..., ge=1, le=2**62),
    state: AppState = Depends(get_state),
    who: Principal = Depends(require_roles(Role.ADMIN)),
) -> ScriptToken:
    """Revoke a script token: the next request with it is refused (401)."""
    row = await run_in_threadpool(revoke_script_token, state.session_factory, token_id)
    if row is None:
        raise NotFound(f"no API token with id {token_id}")
    await _audit(state, who, "api_token.revoke", row.name, id=token_id)
    return _view(row)
