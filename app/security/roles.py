"""Roles of people and scripts that use the API."""

from __future__ import annotations

from dataclasses import dataclass
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

    def has(self, *roles: str) -> bool:
        return self.role == Role.ADMIN or self.role in roles
