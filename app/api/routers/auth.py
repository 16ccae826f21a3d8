"""Sign-in for people, and tokens for scripts."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import _bearer, get_principal, get_state, require_roles
from app.config import Settings
from app.security.oidc import OidcError
from app.security.oidc import sign_in as oidc_sign_in
from app.security.roles import Principal, Role
from app.security.throttle import LoginThrottle
from app.security.tokens import (
    RESUME_HOURS,
    TokenError,
    create_resume,
    create_token,
    exchange_resume,
    login,
    revoke_resume,
    revoke_token,
)
from app.state import AppState

router = APIRouter(prefix="/api", tags=["auth"])


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=200)


class LoginResponse(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: str
    name: str
    display_name: str | None
    role: str


class OidcRequest(BaseModel):
    id_token: str = Field(min_length=20, max_length=20000, description="From the provider")
    nonce: str | None = Field(None, max_length=500, description="Checked when given")


class ResumeBody(BaseModel):
    resume: str = Field(min_length=20, max_length=200, description="From /auth/resume/grant")


class ResumeGrant(BaseModel):
    model_config = ConfigDict(extra="forbid")
    resume: str
    max_age_seconds: int


class ResumedResponse(LoginResponse):
    resume: str = Field(description="The next resume secret (the one sent is spent).")


class LogoutBody(BaseModel):
    resume: str | None = Field(None, max_length=200, description="Also revoked when given.")


class Me(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    role: str
    qualifications: list[str] = Field(description="Sorted; gate hazardous procedure steps.")


class NewToken(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: str = Field(description="Shown once; only its hash is stored.")
    name: str
    role: str


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


@router.post("/auth/resume/grant", response_model=ResumeGrant)
def resume_grant(
    principal: Principal = Depends(get_principal), state: AppState = Depends(get_state)
) -> ResumeGrant:
    """A one-use secret the app keeps in a browser cookie to sign the person back in after a
    reload (the bearer token itself stays on the app server). People only, not API tokens."""
    try:
        secret = create_resume(state.session_factory, principal.name)
    except TokenError as error:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(error)) from error
    return ResumeGrant(resume=secret, max_age_seconds=RESUME_HOURS * 3600)


@router.post("/auth/resume", response_model=ResumedResponse)
def resume(body: ResumeBody, state: AppState = Depends(get_state)) -> ResumedResponse:
    """Spend a resume secret: a fresh session token and the next resume secret."""
    result = exchange_resume(state.session_factory, body.resume)
    if result is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "resume secret unknown, used, revoked or expired: sign in again",
        )
    token, secret, user = result
    return ResumedResponse(
        token=token,
        name=user.name,
        display_name=user.display_name,
        role=user.role,
        resume=secret,
    )


@router.post("/auth/logout", status_code=204)
def sign_out(
    body: LogoutBody | None = None,
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    state: AppState = Depends(get_state),
) -> None:
    if credentials is not None:
        revoke_token(state.session_factory, credentials.credentials)
    if body is not None and body.resume:
        revoke_resume(state.session_factory, body.resume)


@router.get("/auth/me")
def me(principal: Principal = Depends(get_principal)) -> Me:
    return Me(
        name=principal.name,
        role=principal.role,
        qualifications=sorted(principal.qualifications),
    )


@router.post("/tokens", status_code=201)
def new_api_token(
    body: TokenRequest,
    state: AppState = Depends(get_state),
    _: Principal = Depends(require_roles(Role.ADMIN)),
) -> NewToken:
    try:
        token = create_token(
            state.session_factory, name=body.name, role=body.role, expires_at=body.expires_at
        )
    except TokenError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, str(error)) from error
    return NewToken(token=token, name=body.name, role=body.role)
