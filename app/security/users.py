"""Local user accounts (people who sign in to the app)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.db.models import ApiToken, User, UserQualification
from app.security.passwords import hash_user_password
from app.security.qualifications import UnknownQualification, parse
from app.security.roles import ALL_ROLES

MIN_USER_PASSWORD = 8


class UserError(ValueError):
    pass


class UnknownUser(UserError):
    pass


class LastAdmin(UserError):
    """The change would leave no active admin: nobody could manage accounts any more."""


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
        if user is not None:  # replaced: new role and password end its sign-ins
            if user.role == "admin" and user.active and role != "admin":
                _keep_an_admin(session, name)
            _revoke_sign_ins(session, name)
        user = user or User(name=name)
        user.role = role
        user.display_name = display_name or user.display_name or name
        user.password_hash = hash_user_password(password)
        user.active = True
        session.add(user)
    return user


def remove_user(session_factory: sessionmaker[Session], name: str) -> bool:
    """Delete an account, its qualifications and its sign-ins (session tokens end now, not
    after SESSION_HOURS). The last active admin is never removed (LastAdmin)."""
    with session_factory() as session, session.begin():
        user = session.get(User, name)
        if user is None:
            return False
        if user.role == "admin" and user.active:
            _keep_an_admin(session, name)
        session.delete(user)
        session.execute(delete(UserQualification).where(UserQualification.user_name == name))
        _revoke_sign_ins(session, name)
        return True


def change_user(
    session_factory: sessionmaker[Session],
    name: str,
    *,
    role: str | None = None,
    active: bool | None = None,
    display_name: str | None = None,
) -> User:
    """Change an account's role, whether it may sign in, or how it is shown. A new role or a
    deactivation ends the person's sign-ins (a session token carries the role it was made
    with); the last active admin is never demoted or deactivated (LastAdmin)."""
    if role is not None and role not in ALL_ROLES:
        raise UserError(f"unknown role {role!r}; roles: {', '.join(ALL_ROLES)}")
    if display_name is not None and not 1 <= len(display_name.strip()) <= 200:
        raise UserError("display name must be 1 to 200 characters")
    with session_factory() as session, session.begin():
        user = session.get(User, name)
        if user is None:
            raise UnknownUser(f"no user {name}")
        new_role = role if role is not None else user.role
        new_active = active if active is not None else user.active
        if user.role == "admin" and user.active and (new_role != "admin" or not new_active):
            _keep_an_admin(session, name)
        if (new_role, new_active) != (user.role, user.active):
            _revoke_sign_ins(session, name)
        user.role, user.active = new_role, new_active
        if display_name is not None:
            user.display_name = display_name.strip()
        session.flush()
        session.expunge(user)
    return user


def _keep_an_admin(session: Session, name: str) -> None:
    others = session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.role == "admin", User.active, User.name != name)
    )
    if not others:
        raise LastAdmin(f"{name} is the last active admin: make another admin first")


def _revoke_sign_ins(session: Session, name: str) -> None:
    """The person's session tokens and resume secrets (not script tokens: they have no
    user_name)."""
    session.execute(
        update(ApiToken).where(ApiToken.user_name == name, ~ApiToken.revoked).values(revoked=True)
    )


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
