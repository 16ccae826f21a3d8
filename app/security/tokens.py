"""API tokens (for scripts) and session tokens (for people who signed in)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from app.db.base import utcnow
from app.db.models import ApiToken, User, UserQualification
from app.security.passwords import (
    dummy_password_hash,
    new_token,
    token_digest,
    verify_user_password,
)
from app.security.roles import ALL_ROLES, Principal

SESSION_HOURS = 12
# A resume secret lets the app sign a person back in after a page reload (the browser keeps
# it in a cookie; the bearer token never leaves the app server). It is not a bearer token:
# resolve_token refuses it, it works only once (each use hands out a fresh one), it expires
# with the sign-in it came from and is revoked at sign-out.
RESUME_PREFIX = "resume:"
RESUME_HOURS = SESSION_HOURS


class TokenError(ValueError):
    pass


def create_token(
    session_factory: sessionmaker[Session],
    *,
    name: str,
    role: str,
    expires_at: datetime | None = None,
    user_name: str | None = None,
) -> str:
    """Create a token and return it; only its digest is stored."""
    if role not in ALL_ROLES:
        raise TokenError(f"unknown role {role!r}; roles: {', '.join(ALL_ROLES)}")
    token = new_token()
    with session_factory() as session, session.begin():
        session.add(
            ApiToken(
                name=name,
                role=role,
                token_hash=token_digest(token),
                expires_at=expires_at,
                user_name=user_name,
            )
        )
    return token


def resolve_token(session_factory: sessionmaker[Session], token: str) -> Principal | None:
    with session_factory() as session:
        row = session.scalar(
            select(ApiToken).where(ApiToken.token_hash == token_digest(token), ~ApiToken.revoked)
        )
        if row is None or (row.expires_at is not None and row.expires_at <= utcnow()):
            return None
        if row.name.startswith(RESUME_PREFIX):
            return None  # a resume secret opens nothing but POST /api/auth/resume
        name = row.user_name or row.name
        held = frozenset(
            session.scalars(
                select(UserQualification.qualification).where(UserQualification.user_name == name)
            )
        )
        return Principal(name=name, role=row.role, qualifications=held)


def revoke_token(session_factory: sessionmaker[Session], token: str) -> bool:
    with session_factory() as session, session.begin():
        result = session.execute(
            update(ApiToken).where(ApiToken.token_hash == token_digest(token)).values(revoked=True)
        )
        return bool(result.rowcount)


def login(
    session_factory: sessionmaker[Session], user_name: str, password: str
) -> tuple[str, User] | None:
    """Check a person's password; on success a session token valid for SESSION_HOURS."""
    with session_factory() as session:
        user = session.get(User, user_name)
        # the same scrypt work whether the user exists or not: no enumeration by timing
        stored = user.password_hash if user is not None else dummy_password_hash()
        password_ok = verify_user_password(password, stored)
        if user is None or not user.active or not password_ok:
            return None
    token = create_token(
        session_factory,
        name=f"session:{user.name}",
        role=user.role,
        expires_at=utcnow() + timedelta(hours=SESSION_HOURS),
        user_name=user.name,
    )
    return token, user


def create_resume(session_factory: sessionmaker[Session], user_name: str) -> str:
    """A one-use resume secret for a signed-in person (see RESUME_PREFIX)."""
    with session_factory() as session:
        user = session.get(User, user_name)
        if user is None or not user.active:
            raise TokenError(f"{user_name!r} is not a person who signs in")
        role = user.role
    secret = new_token("cfr")
    with session_factory() as session, session.begin():
        session.add(
            ApiToken(
                name=f"{RESUME_PREFIX}{user_name}",
                role=role,
                token_hash=token_digest(secret),
                expires_at=utcnow() + timedelta(hours=RESUME_HOURS),
                user_name=user_name,
            )
        )
    return secret


def exchange_resume(
    session_factory: sessionmaker[Session], secret: str
) -> tuple[str, str, User] | None:
    """Spend a resume secret: a new session token and a new resume secret, or None when the
    secret is unknown, used, revoked or expired, or the person was deactivated."""
    with session_factory() as session, session.begin():
        row = session.scalar(
            select(ApiToken).where(
                ApiToken.token_hash == token_digest(secret),
                ApiToken.name.startswith(RESUME_PREFIX),
                ~ApiToken.revoked,
            )
        )
        if row is None or (row.expires_at is not None and row.expires_at <= utcnow()):
            return None
        row.revoked = True  # one use only
        user = session.get(User, row.user_name or "")
        if user is None or not user.active:
            return None
        session.expunge(user)
    token = create_token(
        session_factory,
        name=f"session:{user.name}",
        role=user.role,
        expires_at=utcnow() + timedelta(hours=SESSION_HOURS),
        user_name=user.name,
    )
    return token, create_resume(session_factory, user.name), user


def revoke_resume(session_factory: sessionmaker[Session], secret: str) -> bool:
    with session_factory() as session, session.begin():
        result = session.execute(
            update(ApiToken)
            .where(
                ApiToken.token_hash == token_digest(secret),
                ApiToken.name.startswith(RESUME_PREFIX),
            )
            .values(revoked=True)
        )
        return bool(result.rowcount)


def list_script_tokens(session_factory: sessionmaker[Session]) -> list[ApiToken]:
    """API tokens made for scripts (`chargefix tokens create` or the admin screen), newest
    first: not the sign-ins of people, which carry a user name."""
    with session_factory() as session:
        rows = list(
            session.scalars(
                select(ApiToken).where(ApiToken.user_name.is_(None)).order_by(ApiToken.id.desc())
            )
        )
        session.expunge_all()
        return rows


def revoke_script_token(session_factory: sessionmaker[Session], token_id: int) -> ApiToken | None:
    """Revoke one script token by its id (its secret is never stored); None when there is no
    such script token."""
    with session_factory() as session, session.begin():
        row = session.get(ApiToken, token_id)
        if row is None or row.user_name is not None:
            return None
        row.revoked = True
        session.flush()
        session.expunge(row)
        return row


def token_row_id(session_factory: sessionmaker[Session], token: str) -> int:
    """The stored row id of a token (a script token just made, or a sign-in)."""
    with session_factory() as session:
        row = session.scalar(select(ApiToken.id).where(ApiToken.token_hash == token_digest(token)))
        if row is None:
            raise TokenError("token not found")
        return int(row)
