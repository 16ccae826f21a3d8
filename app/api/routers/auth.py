"""Sign-in for people, and tokens for scripts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field

from app.api.deps import _bearer, get_principal, get_state, require_roles
from app.config import Settings
from app.security.oidc import OidcError
from app.security.oidc import sign_in as oidc_sign_in
from app.security.roles import Principal, Role
from app.security.throttle import LoginThrottle
from app.security.tokens import TokenError, create_token, login, revoke_token
from app.state import AppState

router = APIRouter(prefix="/api", tags=["auth"])


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=200)


class LoginResponse(BaseModel):
    token: str
    name: str
    display_name: str | None
    role: str


class OidcRequest(BaseModel):
    id_token: str = Field(min_length=20, max_length=20000, description="From the provider")
    nonce: str | None = Field(None, max_length=500, description="Checked when given")


class TokenRequest(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    role: str
    expires_at: datetime | None = None


def _throttle(request: Request, settings: Settings) -> LoginThrottle:
    throttle = getattr(request.app.state, "login_throttle", None)
    if throttle is None:  # one per API app
        throttle = request.app.state.login_throttle = LoginThrottle(
            settings.login_max_failures_per_account,
            settings.login_max_failures_per_address,
            settings.login_window_seconds,
        )
    return throttle


@router.post("/auth/login", response_model=LoginResponse)
def sign_in(
    body: LoginRequest, request: Request, state: AppState = Depends(get_state)
) -> LoginResponse:
    throttle = _throttle(request, state.settings)
    address = request.client.host if request.client else "unknown"
    wait = throttle.retry_after(body.username, address)
    if wait is not None:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"too many failed sign-ins; try again in {wait} s",
            headers={"Retry-After": str(wait)},
        )
    result = login(state.session_factory, body.username, body.password)
    if result is None:
        throttle.failed(body.username, address)
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong user name or password")
    throttle.succeeded(body.username)
    token, user = result
    return LoginResponse(
        token=token, name=user.name, display_name=user.display_name, role=user.role
    )


@router.post("/auth/oidc", response_model=LoginResponse)
def sign_in_oidc(body: OidcRequest, state: AppState = Depends(get_state)) -> LoginResponse:
    """Exchange an OIDC ID token (from the app's company sign-in) for a session token."""
    try:
        result = oidc_sign_in(
            state.session_factory, state.settings, body.id_token, nonce=body.nonce
        )
    except OidcError as error:
        headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
        raise HTTPException(error.status, error.message, headers=headers) from error
    return LoginResponse(
        token=result.token, name=result.name, display_name=result.display_name, role=result.role
    )


@router.post("/auth/logout", status_code=204)
def sign_out(
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    state: AppState = Depends(get_state),
) -> None:
    if credentials is not None:
        revoke_token(state.session_factory, credentials.credentials)


@router.get("/auth/me")
def me(principal: Principal = Depends(get_principal)) -> dict[str, Any]:
    return {
        "name": principal.name,
        "role": principal.role,
        "qualifications": sorted(principal.qualifications),
    }


@router.post("/tokens", status_code=201)
def new_api_token(
    body: TokenRequest,
    state: AppState = Depends(get_state),
    _: Principal = Depends(require_roles(Role.ADMIN)),
) -> dict[str, str]:
    try:
        token = create_token(
            state.session_factory, name=body.name, role=body.role, expires_at=body.expires_at
        )
    except TokenError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, str(error)) from error
    return {"token": token, "name": body.name, "role": body.role}
