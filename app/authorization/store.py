"""The token store: the ``id_tokens`` table with the whole table cached in memory.

The OCPP handlers read only the cache (a dict lookup: they never wait for the database on the
event loop). Changes made through this store (the API) reach the cache at once; changes made
elsewhere (the CLI, another node's API) arrive with the next refresh, every
``id_token_refresh_seconds``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from app.authorization.tokens import (
    Authorization,
    IdToken,
    TokenStatus,
    authorize,
    token_key,
    validate_token,
    validate_type,
)
from app.db.base import utcnow
from app.db.models import IdTokenRow
from app.errors import InvalidInput, NotFound

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TokenChange:
    """What an operator sets for one token (create or update)."""

    token: str
    status: TokenStatus = TokenStatus.ACCEPTED
    token_type: str | None = None
    expires_at: datetime | None = None
    group_id: str | None = None


def _record(row: IdTokenRow) -> IdToken:
    return IdToken(
        token=row.token,
        token_type=row.token_type,
        status=TokenStatus(row.status),
        expires_at=row.expires_at,
        group_id=row.group_id,
    )


def load_all(session_factory: sessionmaker[Session]) -> dict[str, IdToken]:
    with session_factory() as session:
        return {row.token_key: _record(row) for row in session.scalars(select(IdTokenRow))}


def find(session_factory: sessionmaker[Session], token: str) -> IdToken | None:
    with session_factory() as session:
        row = session.scalar(select(IdTokenRow).where(IdTokenRow.token_key == token_key(token)))
        return _record(row) if row is not None else None


def list_rows(session_factory: sessionmaker[Session]) -> list[IdTokenRow]:
    with session_factory() as session:
        rows = list(session.scalars(select(IdTokenRow).order_by(IdTokenRow.token_key)))
        session.expunge_all()
        return rows


def save(session_factory: sessionmaker[Session], change: TokenChange, by: str) -> IdToken:
    """Create or update one token; returns what is now stored."""
    token = validate_token(change.token)
    token_type = validate_type(change.token_type)
    group = validate_token(change.group_id, "group_id") if change.group_id else None
    if change.expires_at is not None and change.expires_at.tzinfo is None:
        raise InvalidInput("expires_at must carry a time zone (e.g. 2030-01-01T00:00:00Z)")
    with session_factory.begin() as session:
        row = session.scalar(select(IdTokenRow).where(IdTokenRow.token_key == token_key(token)))
        if row is None:
            row = IdTokenRow(token=token, token_key=token_key(token))
            session.add(row)
        row.token = token
        row.token_type = token_type
        row.status = TokenStatus(change.status).value
        row.expires_at = change.expires_at
        row.group_id = group
        row.updated_at = utcnow()
        row.updated_by = by[:100]
        session.flush()
        return _record(row)


def set_status(
    session_factory: sessionmaker[Session], token: str, status: TokenStatus, by: str
) -> IdToken:
    with session_factory.begin() as session:
        row = session.scalar(select(IdTokenRow).where(IdTokenRow.token_key == token_key(token)))
        if row is None:
            raise NotFound(f"no id token {token[:40]!r}")
        row.status = status.value
        row.updated_at = utcnow()
        row.updated_by = by[:100]
        session.flush()
        return _record(row)


def remove(session_factory: sessionmaker[Session], token: str) -> None:
    with session_factory.begin() as session:
        result = session.execute(delete(IdTokenRow).where(IdTokenRow.token_key == token_key(token)))
        if not result.rowcount:
            raise NotFound(f"no id token {token[:40]!r}")


class TokenStore:
    """The cache the OCPP handlers ask, in front of the table."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        accept_unknown: bool = False,
        refresh_seconds: float = 30.0,
    ) -> None:
        self.session_factory = session_factory
        self.accept_unknown = accept_unknown
        self.refresh_seconds = refresh_seconds
        self._cache: dict[str, IdToken] = {}
        self._generation = 0  # bumped by every change made here: a refresh read before it is stale
        self._task: asyncio.Task[None] | None = None

    # -- the hot path (event loop, no I/O) ---------------------------------------------------
    def authorize(
        self, token: str | None, now: datetime | None = None, presented_type: str | None = None
    ) -> Authorization:
        record = self._cache.get(token_key(token)) if token else None
        return authorize(
            record,
            now or utcnow(),
            accept_unknown=self.accept_unknown,
            presented_type=presented_type,
        )

    # -- keeping the cache --------------------------------------------------------------------
    def load(self) -> int:
        """Read the whole table (blocking: call it from a thread)."""
        generation = self._generation
        fresh = load_all(self.session_factory)
        if generation == self._generation:
            self._cache = fresh
        return len(fresh)

    async def start(self) -> None:
        await asyncio.to_thread(self.load)
        self._task = asyncio.create_task(self._refresh_forever(), name="id-token-refresh")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(self.refresh_seconds)
            try:
                await asyncio.to_thread(self.load)
            except Exception:
                log.exception("id token refresh failed; the cache keeps its last contents")

    # -- changes (blocking: the API runs them in its thread pool) ---------------------------
    def list(self) -> list[IdTokenRow]:
        return list_rows(self.session_factory)

    def save(self, change: TokenChange, by: str) -> IdToken:
        record = save(self.session_factory, change, by)
        self._put(record)
        return record

    def block(self, token: str, by: str) -> IdToken:
        record = set_status(self.session_factory, token, TokenStatus.BLOCKED, by)
        self._put(record)
        return record

    def remove(self, token: str) -> None:
        remove(self.session_factory, token)
        self._generation += 1
        self._cache.pop(token_key(token), None)

    def _put(self, record: IdToken) -> None:
        self._generation += 1
        self._cache[token_key(record.token)] = record
