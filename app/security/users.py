"""Local user accounts (people who sign in to the app)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from app.db.models import User, UserQualification
from app.security.passwords import hash_user_password
from app.security.qualifications import UnknownQualification, parse
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
        session.execute(delete(UserQualification).where(UserQualification.user_name == name))
        return True


def list_users(session_factory: sessionmaker[Session]) -> list[User]:
    with session_factory() as session:
        return list(session.scalars(select(User).order_by(User.name)))


def qualifications_of(session_factory: sessionmaker[Session], name: str) -> frozenset[str]:
    """The qualifications an account holds, as stored (see app/security/qualifications.py)."""
    with session_factory() as session:
        return frozenset(
            session.scalars(
                select(UserQualification.qualification).where(UserQualification.user_name == name)
            )
        )


def set_qualifications(
    session_factory: sessionmaker[Session],
    name: str,
    *,
    add: Iterable[str] = (),
    remove: Iterable[str] = (),
    by: str | None = None,
) -> list[str]:
    """Grant and withdraw qualifications; names outside the vocabulary are refused (nothing
    is changed then). Returns what the account holds afterwards, sorted."""
    if not name or len(name) > 100:
        raise UserError("user name must be 1 to 100 characters")
    try:
        granted = parse(add, f"qualifications for {name}")
        withdrawn = parse(remove, f"qualifications for {name}")
    except UnknownQualification as error:
        raise UserError(str(error)) from None
    with session_factory() as session, session.begin():
        held = set(
            session.scalars(
                select(UserQualification.qualification).where(UserQualification.user_name == name)
            )
        )
        for q in sorted(granted - withdrawn):
            if q.value not in held:
                session.add(UserQualification(user_name=name, qualification=q.value, granted_by=by))
        if withdrawn:
            session.execute(
                delete(UserQualification).where(
                    UserQualification.user_name == name,
                    UserQualification.qualification.in_([q.value for q in withdrawn]),
                )
            )
    return sorted(qualifications_of(session_factory, name))
