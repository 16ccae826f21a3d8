"""Accounts for admins: list people with their role, qualifications and sites; create one.

Until now users were made with the CLI only (`chargefix users add`); the admin screen uses
these. Passwords are never returned; qualifications and sites have their own endpoints."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import get_scope, get_state, require_roles
from app.db.models import User
from app.errors import Conflict, InvalidInput
from app.security.roles import ALL_ROLES, Principal, Role
from app.security.scope import Scope
from app.security.users import (
    MIN_USER_PASSWORD,
    UserError,
    add_user,
    list_users,
    qualifications_of,
)
from app.state import AppState

router = APIRouter(prefix="/api/users", tags=["users"])


class Account(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    display_name: str | None
    role: str
    active: bool
    created_at: datetime
    qualifications: list[str]
    site_ids: list[str]


class NewAccount(BaseModel):
    name: str = Field(..., min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(..., min_length=MIN_USER_PASSWORD, max_length=200)
    role: str = Field(..., description=f"One of: {', '.join(ALL_ROLES)}.")
    display_name: str | None = Field(None, max_length=200)


@router.get("", response_model=list[Account])
def accounts(
    state: AppState = Depends(get_state),
    scope: Scope = Depends(get_scope),
    _: Principal = Depends(require_roles(Role.ADMIN)),
) -> list[Account]:
    return [_account(state, scope, u) for u in list_users(state.session_factory)]


def _account(state: AppState, scope: Scope, user: User) -> Account:
    return Account(
        name=user.name,
        display_name=user.display_name,
        role=user.role,
        active=user.active,
        created_at=user.created_at,
        qualifications=sorted(qualifications_of(state.session_factory, user.name)),
        site_ids=sorted(scope.sites_of(user.name)),
    )


@router.post("", response_model=Account, status_code=201)
async def create(
    body: NewAccount,
    state: AppState = Depends(get_state),
    scope: Scope = Depends(get_scope),
    _: Principal = Depends(require_roles(Role.ADMIN)),
) -> Account:
    """A new account (409 if the name is taken: change an account with the CLI)."""
    if body.role not in ALL_ROLES:
        raise InvalidInput(f"role {body.role!r} is not one of: {', '.join(ALL_ROLES)}")
    try:
        await run_in_threadpool(
            add_user, state.session_factory, body.name, body.password, body.role, body.display_name
        )
    except UserError as error:
        if "already exists" in str(error):
            raise Conflict(str(error)) from error
        raise InvalidInput(str(error)) from error
    user = next(u for u in list_users(state.session_factory) if u.name == body.name)
    return _account(state, scope, user)
