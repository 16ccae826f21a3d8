"""Registered chargers and their credentials: the one place that reads and writes them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from app.csms.registration import STATUSES
from app.db.models import Charger, ChargerStateRow, Operator, Site
from app.security.passwords import (
    MIN_CHARGER_PASSWORD,
    hash_machine_secret,
    verify_machine_secret,
)

DEFAULT_OPERATOR = "default-cpo"
DEFAULT_SITE = "unassigned"


class RegistrationError(ValueError):
    """A charger registration that cannot be done as asked."""


@dataclass(frozen=True)
class ChargerIdentity:
    charger_id: str
    site_id: str
    password_hash: str | None
    status: str = "active"  # commissioning, active, blocked (app/csms/registration.py)


def ensure_site(session: Session, site_id: str, operator_id: str = DEFAULT_OPERATOR) -> Site:
    site = session.get(Site, site_id)
    if site is not None:
        return site
    if session.get(Operator, operator_id) is None:
        session.add(Operator(id=operator_id, name="Default operator"))
        session.flush()
    site = Site(id=site_id, operator_id=operator_id, name=site_id)
    session.add(site)
    session.flush()
    return site


def site_id_from_charger_id(charger_id: str) -> str:
    """``SITE-014-DC-02`` -> ``SITE-014``; anything else lands in the unassigned site."""
    parts = charger_id.split("-")
    if len(parts) >= 3 and parts[0].upper() == "SITE":
        return f"{parts[0]}-{parts[1]}"
    return DEFAULT_SITE


class ChargerDirectory:
    """Charger credentials with an in-memory cache in front of the database."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory
        self._cache: dict[str, ChargerIdentity] = {}

    def warm(self) -> None:
        with self._session_factory() as session:
            for charger in session.scalars(select(Charger)):
                self._cache[charger.id] = _identity(charger)

    def lookup(self, charger_id: str) -> ChargerIdentity | None:
        cached = self._cache.get(charger_id)
        if cached is not None:
            return cached
        with self._session_factory() as session:
            charger = session.get(Charger, charger_id)
            if charger is None:
                return None
            identity = _identity(charger)
        self._cache[charger_id] = identity
        return identity

    def cached(self, charger_id: str) -> ChargerIdentity | None:
        return self._cache.get(charger_id)

    def status_of(self, charger_id: str) -> str:
        """The charger's registration status from the cache (filled at its handshake)."""
        identity = self._cache.get(charger_id)
        return identity.status if identity is not None else "active"

    def set_status(self, charger_id: str, status: str) -> ChargerIdentity:
        if status not in STATUSES:
            raise RegistrationError(f"status must be one of {', '.join(STATUSES)}")
        with self._session_factory() as session, session.begin():
            charger = session.get(Charger, charger_id)
            if charger is None:
                raise RegistrationError(f"charger {charger_id} is not registered")
            charger.status = status
            session.flush()
            identity = _identity(charger)
        self._cache[charger_id] = identity
        return identity

    def verify(self, identity: ChargerIdentity, password: str) -> bool:
        if identity.password_hash is None:
            return False
        if verify_machine_secret(password, identity.password_hash):
            return True
        # maybe the password was changed by another node: read it again once
        self._cache.pop(identity.charger_id, None)
        fresh = self.lookup(identity.charger_id)
        return bool(
            fresh and fresh.password_hash and verify_machine_secret(password, fresh.password_hash)
        )

    def register(
        self,
        charger_id: str,
        password: str,
        *,
        site_id: str | None = None,
        vendor: str | None = None,
        model: str | None = None,
        label: str | None = None,
        auto: bool = False,
        replace: bool = False,
    ) -> ChargerIdentity:
        validate_charger_id(charger_id)
        if len(password) < MIN_CHARGER_PASSWORD:
            raise RegistrationError(
                f"password for {charger_id} is too short: "
                f"at least {MIN_CHARGER_PASSWORD} characters"
            )
        with self._session_factory() as session, session.begin():
            existing = session.get(Charger, charger_id)
            if existing is not None and not replace:
                raise RegistrationError(f"charger {charger_id} is already registered")
            site = ensure_site(session, site_id or site_id_from_charger_id(charger_id))
            charger = existing or Charger(id=charger_id, site_id=site.id)
            charger.site_id = site.id
            charger.password_hash = hash_machine_secret(password)
            charger.vendor = vendor or charger.vendor
            charger.model = model or charger.model
            charger.label = label or charger.label
            charger.auto_registered = auto
            session.add(charger)
            session.flush()
            identity = _identity(charger)
        self._cache[charger_id] = identity
        return identity

    def remove(self, charger_id: str) -> bool:
        with self._session_factory() as session, session.begin():
            session.execute(delete(ChargerStateRow).where(ChargerStateRow.charger_id == charger_id))
            deleted = session.execute(delete(Charger).where(Charger.id == charger_id)).rowcount
        self._cache.pop(charger_id, None)
        return bool(deleted)


def validate_charger_id(charger_id: str) -> None:
    if not charger_id or len(charger_id) > 48:
        raise RegistrationError("charger id must be 1 to 48 characters")
    allowed = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:")
    bad = sorted(set(charger_id) - allowed)
    if bad:
        raise RegistrationError(f"charger id {charger_id!r} has characters not allowed: {bad}")


def _identity(charger: Charger) -> ChargerIdentity:
    return ChargerIdentity(
        charger.id, charger.site_id, charger.password_hash, charger.status or "active"
    )
