"""FastAPI dependencies: the app state, a database session, and the caller's role."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from app.security.roles import Principal, Role
from app.security.tokens import resolve_token
from app.state import AppState

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
