"""Who may act on, and read about, which charger.

A partner's scope is the chargers of the sites assigned to them, plus any charger on which
they have an open troubleshooting session. Consultants and admins see and act on the whole
fleet; editors read chargers but act on none. Self-diagnosis asks here whether a person is
working on a charger (it then stays its hand).
"""

from __future__ import annotations

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session, sessionmaker

from app.db.models import PartnerSite, Site
from app.db.models_sessions import TroubleshootingSession
from app.errors import InvalidInput, NotFound
from app.security.roles import Principal, Role

# Sessions that self-diagnosis opens for itself are not a person at work.
SYSTEM_ACTORS = frozenset({"diagnosis", "system"})
OPEN_SESSION_STATUSES = ("active", "waiting", "escalated")


class Scope:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory

    # -- reading -----------------------------------------------------------------------------
    def sites_of(self, partner: str) -> set[str]:
        with self._session_factory() as db:
            return set(
                db.scalars(select(PartnerSite.site_id).where(PartnerSite.partner == partner))
            )

    def has_open_session(self, partner: str, charger_id: str) -> bool:
        with self._session_factory() as db:
            return bool(
                db.scalar(
                    select(
                        exists().where(
                            TroubleshootingSession.partner == partner,
                            TroubleshootingSession.charger_id == charger_id,
                            TroubleshootingSession.status.in_(OPEN_SESSION_STATUSES),
                        )
                    )
                )
            )

    def person_session_open(self, charger_id: str) -> bool:
        """Is a person (not self-diagnosis) troubleshooting this charger right now?"""
        with self._session_factory() as db:
            return bool(
                db.scalar(
                    select(
                        exists().where(
                            TroubleshootingSession.charger_id == charger_id,
                            TroubleshootingSession.status.in_(OPEN_SESSION_STATUSES),
                            TroubleshootingSession.partner.not_in(SYSTEM_ACTORS),
                        )
                    )
                )
            )

    def open_person_session(self, charger_id: str) -> str | None:
        """The id of the newest open session a person has on this charger, if any."""
        with self._session_factory() as db:
            return db.scalar(
                select(TroubleshootingSession.id)
                .where(
                    TroubleshootingSession.charger_id == charger_id,
                    TroubleshootingSession.status.in_(OPEN_SESSION_STATUSES),
                    TroubleshootingSession.partner.not_in(SYSTEM_ACTORS),
                )
                .order_by(TroubleshootingSession.created_at.desc())
                .limit(1)
            )

    def may_act(self, who: Principal, charger_id: str, site_id: str | None) -> bool:
        """May ``who`` act on this charger (scope only; the gateway's other guards follow)?"""
        if who.role in (Role.ADMIN, Role.CONSULTANT):
            return True
        if who.role != Role.PARTNER:
            return False
        if site_id is not None and site_id in self.sites_of(who.name):
            return True
        return self.has_open_session(who.name, charger_id)

    def may_read(self, who: Principal, charger_id: str, site_id: str | None) -> bool:
        """Events, command audit, faults and diagnoses: partners only within their scope."""
        if who.role != Role.PARTNER:
            return True
        return self.may_act(who, charger_id, site_id)

    def may_start_session(self, who: Principal, site_id: str | None) -> bool:
        """A partner opens sessions only on chargers of their sites."""
        if who.role != Role.PARTNER:
            return True
        return site_id is not None and site_id in self.sites_of(who.name)

    # -- assigning ---------------------------------------------------------------------------
    def assign(self, partner: str, site_ids: list[str], by: str) -> list[str]:
        """Assign sites to a partner (idempotent); unknown sites are refused by name."""
        if not partner.strip() or len(partner) > 100:
            raise InvalidInput("partner: 1 to 100 characters")
        with self._session_factory() as db, db.begin():
            known = set(db.scalars(select(Site.id).where(Site.id.in_(site_ids))))
            missing = sorted(set(site_ids) - known)
            if missing:
                raise NotFound(f"no site {', '.join(missing)}")
            have = set(
                db.scalars(select(PartnerSite.site_id).where(PartnerSite.partner == partner))
            )
            for site_id in sorted(set(site_ids) - have):
                db.add(PartnerSite(partner=partner, site_id=site_id, assigned_by=by))
        return sorted(self.sites_of(partner))

    def unassign(self, partner: str, site_ids: list[str]) -> list[str]:
        with self._session_factory() as db, db.begin():
            db.execute(
                delete(PartnerSite).where(
                    PartnerSite.partner == partner, PartnerSite.site_id.in_(site_ids)
                )
            )
        return sorted(self.sites_of(partner))

    def assignments(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        with self._session_factory() as db:
            for row in db.scalars(select(PartnerSite).order_by(PartnerSite.partner)):
                out.setdefault(row.partner, []).append(row.site_id)
        return out
