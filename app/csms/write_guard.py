"""What keeps one bad record from stopping the event log.

Values are bounded where they enter the database (strings cut to their column's length,
non-strings in text columns stored as JSON text), so the common mistakes never fail. When a
batch still fails for a reason that is the data's (not the database's), the failing records are
isolated by bisection inside savepoints; each one that fails alone is kept in ``dead_letters``
with the error and the table it was meant for, and the rest is written.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import String, false, insert, update
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from app.db.models import (
    CommandRow,
    CustomerInformationRow,
    DeadLetterRow,
    DiagnosticsUpload,
    EventRow,
    FaultRow,
    InventoryRow,
    MonitorRow,
    SecurityEventRow,
    TransactionRow,
)

MAX_ERROR_CHARS = 2000

TABLE_OF_OP: dict[str, type] = {
    "command": CommandRow,
    "security": SecurityEventRow,
    "fault_raised": FaultRow,
    "fault_cleared": FaultRow,
    "tx_started": TransactionRow,
    "tx_stopped": TransactionRow,
    "tx_noted": TransactionRow,
    "inventory": InventoryRow,
    "monitors": MonitorRow,
    "customer_information": CustomerInformationRow,
    "log_status": DiagnosticsUpload,
}

EVENT_COLUMNS = ("charger_id", "ts", "direction", "message_type", "unique_id", "action", "frame")

T = TypeVar("T")


@dataclass
class WriteResult:
    """What a batch write had to set aside."""

    dead_letters: int = 0
    last_error: str | None = None


def _text_limits(model: type) -> dict[str, int | None]:
    """Column name -> maximum length (None: unbounded text) for every string column."""
    limits: dict[str, int | None] = {}
    for column in model.__table__.columns:  # type: ignore[attr-defined]
        if isinstance(column.type, String):  # Text too
            limits[column.name] = getattr(column.type, "length", None)
    return limits


_LIMITS: dict[type, dict[str, int | None]] = {
    model: _text_limits(model) for model in {*TABLE_OF_OP.values(), EventRow}
}
_FRAME_LIMITS: list[tuple[int, int | None]] = [
    (i, _LIMITS[EventRow][name])
    for i, name in enumerate(EVENT_COLUMNS)
    if name in _LIMITS[EventRow]
]


def bound_text(value: Any, limit: int | None) -> Any:
    """A value fit for a string column: JSON text for non-strings, cut to ``limit``."""
    if value is None:
        return None
    if not isinstance(value, str):
        value = json.dumps(value, default=str, ensure_ascii=False)
    if limit is not None and len(value) > limit:
        value = value[:limit]
    return value


def bound_op_data(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    model = TABLE_OF_OP.get(kind)
    if model is None:
        return data
    limits = _LIMITS[model]
    return {
        key: bound_text(value, limits[key]) if key in limits else value
        for key, value in data.items()
    }


def bound_frame(frame: tuple[Any, ...]) -> tuple[Any, ...]:
    """The hot path: returns the same tuple when every value already fits."""
    for index, limit in _FRAME_LIMITS:
        value = frame[index]
        if value is not None and (
            not isinstance(value, str) or (limit is not None and len(value) > limit)
        ):
            break
    else:
        return frame
    fixed = list(frame)
    for index, limit in _FRAME_LIMITS:
        fixed[index] = bound_text(fixed[index], limit)
    return tuple(fixed)


def is_transient(exc: BaseException) -> bool:
    """True when the database (not the record) is the problem: keep the batch and retry."""
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(
        exc, sa_exc.OperationalError | sa_exc.DisconnectionError | sa_exc.TimeoutError | OSError
    )


def open_transaction(session: Session) -> None:
    """Make the transaction really begin before the first savepoint.

    pysqlite begins a transaction only at the first INSERT/UPDATE/DELETE; a SAVEPOINT issued
    before that would be committed on its own release, and the batch would not be atomic."""
    session.execute(update(DeadLetterRow).where(false()).values(kind="-"))


def isolate(
    session: Session,
    items: Sequence[T],
    write: Callable[[Sequence[T]], None],
    dead: Callable[[T, BaseException], None],
) -> None:
    """Write ``items``; on a data error bisect until the failing ones are alone, and hand
    each of them to ``dead``. A transient error is raised (the whole batch is kept)."""
    if not items:
        return
    try:
        with session.begin_nested():
            write(items)
    except Exception as exc:
        if is_transient(exc):
            raise
        if len(items) == 1:
            dead(items[0], exc)
            return
        middle = len(items) // 2
        isolate(session, items[:middle], write, dead)
        isolate(session, items[middle:], write, dead)


def error_text(exc: BaseException) -> str:
    """The full error (with the statement), for the dead-letter table."""
    text = f"{type(exc).__name__}: {exc}"
    return text[:MAX_ERROR_CHARS]


def short_error(exc: BaseException) -> str:
    """The error without the statement or its parameters (no record data): for health."""
    cause = exc.orig if isinstance(exc, sa_exc.DBAPIError) else exc
    first_line = (str(cause).splitlines() or [""])[0]
    return f"{type(cause).__name__}: {first_line}"[:200]


def store_dead_letter(
    session: Session,
    result: WriteResult,
    *,
    node_id: str,
    table: str,
    kind: str,
    record: Any,
    exc: BaseException,
) -> None:
    error = error_text(exc)
    session.execute(
        insert(DeadLetterRow),
        [
            {
                "node_id": node_id,
                "target_table": table,
                "kind": kind,
                "record": json.dumps(record, default=str, ensure_ascii=False),
                "error": error,
            }
        ],
    )
    result.dead_letters += 1
    result.last_error = f"{table}: {short_error(exc)}"
