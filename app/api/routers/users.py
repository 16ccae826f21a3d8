"""Accounts for admins: list people with their role, qualifications and sites; create one,
change its role, shown name or whether it may sign in, remove it.

Until now users were made with the CLI only (`chargefix users add|remove`); the admin screen
uses these. Passwords are never returned; qualifications and sites have their own endpoints.
A new role, a deactivation or a removal ends the person's sign-ins at once; an admin never
changes or removes their own account here, and the last active admin stays."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import get_scope, get_state, require_roles
from app.db.models import User
from app.db.models_sessions import SessionAudit
from app.errors import Conflict, InvalidInput, NotFound
from app.security.roles import ALL_ROLES, Principal, Role
from app.security.scope import Scope
from app.security.users import (
    MIN_USER_PASSWORD,
    LastAdmin,
    UnknownUser,
    UserError,
    add_user,
    change_user,
    list_users,
    qualifications_of,
    remove_user,
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


class AccountChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: str | None = Field(None, description=f"One of: {', '.join(ALL_ROLES)}.")
    active: bool | None = Field(None, description="False: the person can no longer sign in.")
    display_name: str | None = Field(None, min_length=1, max_length=200)


def _not_yourself(who: Principal, name: str, what: str) -> None:
    if who.name == name:
        raise Conflict(f"you cannot {what} your own account: ask another admin")


async def _audit(state: AppState, who: Principal, action: str, name: str, **detail: Any) -> None:
    def write() -> None:
        with state.session_factory() as db, db.begin():
            db.add(
                SessionAudit(
                    actor=who.name, role=who.role, action=action, target=name, detail=detail
                )
            )

    await run_in_threadpool(write)


@router.patch("/{name}", response_model=Account)
async def change(
    name: str,
    body: AccountChange,
    state: AppState = Depends(get_state),
    scope: Scope = Depends(get_scope),
    who: Principal = Depends(require_roles(Role.ADMIN)),
) -> Account:
    """A new role, shown name, or sign-in allowed or not (409 for your own role or access,
    or for the last active admin)."""
    if body.role is not None and body.role not in ALL_ROLES:
        raise InvalidInput(f"role {body.role!r} is not one of: {', '.join(ALL_ROLES)}")
    if body.role is not None or body.active is not None:
        _not_yourself(who, name, "change the role or access of")
    try:
        user = await run_in_threadpool(
            change_user,
            state.session_factory,
            name,
            role=body.role,
            active=body.active,
            display_name=body.display_name,
        )
    except UnknownUser as error:
        raise NotFound(str(error)) from error
    except LastAdmin as error:
        raise Conflict(str(error)) from error
    except UserError as error:
        raise InvalidInput(str(error)) from error
    await _audit(state, who, "user.change", name, **body.model_dump(exclude_none=True))
    return _account(state, scope, user)


@router.delete("/{name}", status_code=204)
async def remove(
    name: str,
    state: AppState = Depends(get_state),
    scope: Scope = Depends(get_scope),
    who: Principal = Depends(require_roles(Role.ADMIN)),
) -> None:
    """Remove an account with its qualifications, sites and sign-ins."""
    _not_yourself(who, name, "remove")
    try:
        removed = await run_in_threadpool(remove_user, state.session_factory, name)
    except LastAdmin as error:
        raise Conflict(str(error)) from error
    if not removed:
        raise NotFound(f"no user {name}")
    sites = sorted(scope.sites_of(name))
    if sites:  # a later account of that name starts with none of them
        await run_in_threadpool(scope.unassign, name, sites)
    await _audit(state, who, "user.remove", name, sites=sites)
