"""Id tokens (RFID cards, key codes, eMAIDs) the central system accepts: admin and consultants.

Changes made here reach this node's OCPP answers at once, other nodes' within
``CHARGEFIX_ID_TOKEN_REFRESH_SECONDS``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from pydantic import AwareDatetime, BaseModel, Field

from app.api.deps import get_state, require_roles
from app.authorization.store import TokenChange, TokenStore
from app.authorization.tokens import MAX_TOKEN_LENGTH, IdToken, TokenStatus
from app.security.roles import Principal, Role
from app.state import AppState

router = APIRouter(prefix="/api/id-tokens", tags=["id tokens"])

TokenPath = Annotated[str, Path(min_length=1, max_length=MAX_TOKEN_LENGTH)]


class IdTokenIn(BaseModel):
    id_token: str = Field(min_length=1, max_length=MAX_TOKEN_LENGTH)
    type: str | None = Field(None, max_length=20, description="OCPP 2.0.1 IdTokenEnumType")
    status: TokenStatus = TokenStatus.ACCEPTED
    expires_at: AwareDatetime | None = None
    group_id: str | None = Field(None, min_length=1, max_length=MAX_TOKEN_LENGTH)


class IdTokenView(BaseModel):
    id_token: str
    type: str | None
    status: TokenStatus
    expires_at: datetime | None
    group_id: str | None
    updated_at: datetime | None = None
    updated_by: str | None = None


def get_tokens(state: AppState = Depends(get_state)) -> TokenStore:
    return state.tokens


def _view(record: IdToken) -> IdTokenView:
    return IdTokenView(
        id_token=record.token,
        type=record.token_type,
        status=record.status,
        expires_at=record.expires_at,
        group_id=record.group_id,
    )


@router.get("", response_model=list[IdTokenView])
def list_tokens(
    tokens: TokenStore = Depends(get_tokens),
    _: Principal = Depends(require_roles(Role.CONSULTANT)),
    limit: int = Query(1000, ge=1, le=100_000),
) -> list[IdTokenView]:
    return [
        IdTokenView(
            id_token=row.token,
            type=row.token_type,
            status=TokenStatus(row.status),
            expires_at=row.expires_at,
            group_id=row.group_id,
            updated_at=row.updated_at,
            updated_by=row.updated_by,
        )
        for row in tokens.list()[:limit]
    ]


@router.post("", response_model=IdTokenView)
def save_token(
    body: IdTokenIn,
    tokens: TokenStore = Depends(get_tokens),
    principal: Principal = Depends(require_roles(Role.CONSULTANT)),
) -> IdTokenView:
    """Create a token, or update the one with the same id (compared case-insensitively)."""
    change = TokenChange(
        token=body.id_token,
        status=body.status,
        token_type=body.type,
        expires_at=body.expires_at,
        group_id=body.group_id,
    )
    return _view(tokens.save(change, by=principal.name))


@router.post("/{token:path}/block", response_model=IdTokenView)
def block_token(
    token: TokenPath,
    tokens: TokenStore = Depends(get_tokens),
    principal: Principal = Depends(require_roles(Role.CONSULTANT)),
) -> IdTokenView:
    return _view(tokens.block(token, by=principal.name))


@router.delete("/{token:path}", status_code=204)
def delete_token(
    token: TokenPath,
    tokens: TokenStore = Depends(get_tokens),
    _: Principal = Depends(require_roles(Role.CONSULTANT)),
) -> None:
    tokens.remove(token)
