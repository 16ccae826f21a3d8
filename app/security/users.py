"""Local user accounts (people who sign in to the app)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.db.models import User
from app.security.passwords import hash_user_password
from app.security.roles import ALL_ROLES

MIN_USER_PASSWORD = 8


class UserError(ValueError):
    pass


def add_user(
    session_factory: sessionmaker[Session],
    name: str,
    password: str,
    role: str,
    display_name: str | None = None,
    *,
    replace: bool = False,
) -> User:
    if role not in ALL_ROLES:
        raise UserError(f"unknown role {role!r}; roles: {', '.join(ALL_ROLES)}")
    if len(password) < MIN_USER_PASSWORD:
        raise UserError(f"password for {name} too short: at least {MIN_USER_PASSWORD} characters")
    if not name or len(name) > 100:
        raise UserError("user name must be 1 to 100 characters")
    with session_factory() as session, session.begin():
        user = session.get(User, name)
        if user is not None and not replace:
            raise UserError(f"user {name} already exists")
        user = user or User(name=name)
        user.role = role
        user.display_name = display_name or user.display_name or name
        user.password_hash = hash_user_password(password)
        user.active = True
        session.add(user)
    return user


def remove_user(session_factory: sessionmaker[Session], name: str) -> bool:
    with session_factory() as session, session.begin():
        user = session.get(User, name)
        if user is None:
            return False
        session.delete(user)
        return True


def list_users(session_factory: sessionmaker[Session]) -> list[User]:
    with session_factory() as session:
        return list(session.scalars(select(User).order_by(User.name)))
