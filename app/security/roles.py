"""Roles of people and scripts that use the API."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    CONSULTANT = "consultant"
    PARTNER = "partner"
    EDITOR = "editor"


ALL_ROLES: tuple[str, ...] = tuple(r.value for r in Role)


@dataclass(frozen=True)
class Principal:
    """Who is calling: a person (via a session token) or a script (via an API token)."""

    name: str
    role: str
    # what the person is qualified for (app/security/qualifications.py); the procedure engine
    # gates hazardous steps by the session partner's qualifications, read from the account
    qualifications: frozenset[str] = field(default_factory=frozenset)

    def has(self, *roles: str) -> bool:
        return self.role == Role.ADMIN or self.role in roles
