"""FastAPI dependencies: the app state, a database session, and the caller's role."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from app.commands.gateway import CommandGateway
from app.errors import NotFound, Unavailable
from app.fleet.model import ChargerLiveState
from app.security.roles import Principal, Role
from app.security.scope import Scope
from app.security.tokens import resolve_token
from app.state import AppState

if TYPE_CHECKING:
    from app.diagnosis.service import DiagnosisService
    from app.firmware_campaigns.service import CampaignService
    from app.retrieval.service import Retriever
    from app.sessions.service import SessionService

_bearer = HTTPBearer(
    auto_error=False, description="A token from `chargefix tokens create` or login"
)


def get_state(request: Request) -> AppState:
    return request.app.state.chargefix


def get_db(request: Request) -> Iterator[Session]:
    state: AppState = request.app.state.chargefix
    with state.session_factory() as session:
        yield session


def get_principal(
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    state: AppState = Depends(get_state),
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "a bearer token is required (Authorization: Bearer ...)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    principal = resolve_token(state.session_factory, credentials.credentials)
    if principal is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "token unknown, revoked or expired",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return principal


def require_roles(*roles: str) -> Callable[..., Principal]:
    """Dependency: the caller must have one of ``roles`` (admin always passes)."""

    def check(principal: Principal = Depends(get_principal)) -> Principal:
        if not principal.has(*roles):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"role {principal.role!r} may not do this; needs one of: "
                + ", ".join(sorted({*roles, Role.ADMIN.value})),
            )
        return principal

    return check


ANY_ROLE = (Role.PARTNER, Role.CONSULTANT, Role.EDITOR, Role.ADMIN)


# -- the backend's services, typed --------------------------------------------------------------
def get_gateway(state: AppState = Depends(get_state)) -> CommandGateway:
    return state.gateway


def get_scope(state: AppState = Depends(get_state)) -> Scope:
    return state.scope


def get_sessions(state: AppState = Depends(get_state)) -> SessionService:
    if state.sessions is None:
        raise Unavailable("the session service is not running")
    return state.sessions


def get_diagnosis(state: AppState = Depends(get_state)) -> DiagnosisService:
    if state.diagnosis is None:
        raise Unavailable("self-diagnosis is disabled")
    return state.diagnosis


def get_campaigns(state: AppState = Depends(get_state)) -> CampaignService:
    if state.campaigns is None:
        raise Unavailable("firmware campaigns are not running on this node")
    return state.campaigns


_RETRIEVER_LOCK = threading.Lock()


def get_retriever(state: AppState = Depends(get_state)) -> Retriever:
    """The process's retriever (model + index), built on first use or by the backend's
    start-up warm-up (app/backend.py), never twice."""
    from app.retrieval.service import Retriever  # loads the embedding model: only when asked

    with _RETRIEVER_LOCK:
        if state.retriever is None:
            state.retriever = Retriever.from_settings(state.settings)
        return state.retriever


def readable_charger(
    charger_id: str,
    state: AppState = Depends(get_state),
    principal: Principal = Depends(get_principal),
) -> ChargerLiveState:
    """A charger the caller may read about (its events, audit, faults, diagnoses): partners
    only within their scope. Out of scope reads as not found, so ids do not leak."""
    live = state.live.get(charger_id)
    if (live is None or not live.online) and state.cluster.enabled:
        remote = state.cluster.remote(charger_id)  # another node holds its socket
        live = remote.state if remote is not None else live
    if live is None or not state.scope.may_read(principal, charger_id, live.site_id):
        raise NotFound(f"charger {charger_id} is not registered, or not in your scope")
    return live
