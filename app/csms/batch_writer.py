"""Writing the recorder's batches to the database, in a worker thread or a writer process.

The thread writer is simple and used by tests. The process writer (the backend's default)
keeps the database work out of the event loop's process entirely: with a thread, every
socket call of the loop hands the GIL to the writer for up to 5 ms (the convoy effect), which
measured as 300 ms round-trip spikes under load.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import multiprocessing
import os
import pickle
import threading
import traceback
from dataclasses import dataclass
from datetime import UTC
from multiprocessing.connection import Connection
from typing import Any, Protocol

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from app.csms.write_guard import (
    EVENT_COLUMNS,
    TABLE_OF_OP,
    WriteResult,
    bound_frame,
    bound_op_data,
    is_transient,
    isolate,
    open_transaction,
    short_error,
    store_dead_letter,
)
from app.db.base import utcnow
from app.db.models import (
    ChargerStateRow,
    CommandRow,
    CustomerInformationRow,
    DiagnosticsUpload,
    EventRow,
    FaultRow,
    InventoryRow,
    MonitorRow,
    SecurityEventRow,
    TransactionRow,
)

log = logging.getLogger(__name__)

Frames = list[tuple[Any, ...]]
Snapshots = list[tuple[str, str]]  # charger id, state as JSON


@dataclass
class Op:
    kind: str
    data: dict[str, Any]


class BatchWriter(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...

    async def write(
        self, frames: Frames, ops: list[Op], snapshots: Snapshots
    ) -> WriteResult | None: ...


class ThreadWriter:
    """Writes each batch in a worker thread of this process."""

    def __init__(self, session_factory: sessionmaker[Session], node_id: str) -> None:
        self._session_factory = session_factory
        self._node_id = node_id

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    async def write(self, frames: Frames, ops: list[Op], snapshots: Snapshots) -> WriteResult:
        return await asyncio.to_thread(
            write_batch, self._session_factory, self._node_id, frames, ops, snapshots
        )


class WriterProcessError(RuntimeError):
    """The writer process could not store a batch (it says why)."""


class ProcessWriter:
    """Writes each batch in a separate process that owns its own database connection."""

    def __init__(self, database_url: str, node_id: str) -> None:
        self._database_url = database_url
        self._node_id = node_id
        self._conn: Connection | None = None
        self._process: multiprocessing.process.BaseProcess | None = None
        self._pipe_lock = threading.Lock()  # one request/answer on the pipe at a time

    def start(self) -> None:
        if self._process is not None and self._process.is_alive():
            return
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        self._process = context.Process(
            target=_writer_main,
            args=(self._database_url, self._node_id, child),
            name="chargefix-db-writer",
            daemon=True,
        )
        self._process.start()
        child.close()
        self._conn = parent

    def stop(self) -> None:
        with self._pipe_lock:
            self._close()

    def _close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(OSError, EOFError):
                self._conn.send_bytes(b"")
            self._conn.close()
            self._conn = None
        if self._process is not None:
            self._process.join(5)
            if self._process.is_alive():
                self._process.kill()
            self._process = None

    async def write(self, frames: Frames, ops: list[Op], snapshots: Snapshots) -> WriteResult:
        if self._process is None or not self._process.is_alive():
            self._process = None
            self.start()  # a writer that died is replaced; the batch is retried by the caller
        # Pickled in slices on the loop, yielding between them: one pickle of a 0.2 s batch
        # (thousands of frames) held the loop for up to 38 ms (bench/ocpp_load.py), and a
        # pickle in a thread would hold the GIL as long.
        frame_parts: list[bytes] = []
        for start in range(0, len(frames), PICKLE_SLICE):
            frame_parts.append(pickle.dumps(frames[start : start + PICKLE_SLICE], _PROTOCOL))
            await asyncio.sleep(0)
        op_parts: list[bytes] = []
        for start in range(0, len(ops), PICKLE_SLICE):
            op_parts.append(pickle.dumps(ops[start : start + PICKLE_SLICE], _PROTOCOL))
            await asyncio.sleep(0)
        payload = pickle.dumps((frame_parts, op_parts, snapshots), protocol=_PROTOCOL)
        return await asyncio.to_thread(self._round_trip, payload)

    def _round_trip(self, payload: bytes) -> WriteResult:
        with self._pipe_lock:
            assert self._conn is not None
            self._conn.send_bytes(payload)
            answer = self._conn.recv_bytes()
        if not answer.startswith(_OK):
            raise WriterProcessError(answer.decode(errors="replace"))
        return WriteResult(**json.loads(answer[len(_OK) :]))


PICKLE_SLICE = 500  # frames or records pickled between two yields to the event loop
_PROTOCOL = pickle.HIGHEST_PROTOCOL
_OK = b"ok:"  # followed by the WriteResult as JSON; anything else is the error's traceback


def _writer_main(database_url: str, node_id: str, conn: Connection) -> None:
    from app.db.engine import make_engine, make_session_factory

    # Background work: when a core is shared, the scheduler should favour the websocket loop.
    with contextlib.suppress(OSError):
        os.nice(10)

    session_factory = make_session_factory(make_engine(database_url))
    while True:
        try:
            payload = conn.recv_bytes()
        except (EOFError, OSError):
            return
        if not payload:
            return
        try:
            frame_parts, op_parts, snapshots = pickle.loads(payload)
            frames = [frame for part in frame_parts for frame in pickle.loads(part)]
            ops = [op for part in op_parts for op in pickle.loads(part)]
            result = write_batch(session_factory, node_id, frames, ops, snapshots)
        except Exception:
            conn.send_bytes(traceback.format_exc(limit=3).encode())
        else:
            conn.send_bytes(_OK + json.dumps(dataclasses.asdict(result)).encode())


def write_batch(
    session_factory: sessionmaker[Session],
    node_id: str,
    frames: list[tuple[Any, ...]],
    ops: list[Op],
    snapshots: Snapshots,
) -> WriteResult:
    """Write one batch in one transaction. Values are bounded first; if the batch still fails
    because of its data, the failing records go to the dead letters and the rest is written.
    A transient error (database away, locked) is raised: the caller keeps the batch."""
    frames = [bound_frame(frame) for frame in frames]
    ops = [Op(op.kind, bound_op_data(op.kind, op.data)) for op in ops]
    try:
        with session_factory() as session, session.begin():
            if frames:
                _insert_frames(session, frames)
            for op in ops:
                _apply_op(session, op)
            for charger_id, snapshot in snapshots:
                _upsert_state(session, node_id, charger_id, snapshot)
        return WriteResult()
    except Exception as exc:
        if is_transient(exc):
            raise
        log.warning("event-log batch refused (%s); isolating the bad records", short_error(exc))
    return _write_isolating(session_factory, node_id, frames, ops, snapshots)


def _write_isolating(
    session_factory: sessionmaker[Session],
    node_id: str,
    frames: Frames,
    ops: list[Op],
    snapshots: Snapshots,
) -> WriteResult:
    result = WriteResult()
    with session_factory() as session, session.begin():
        open_transaction(session)

        def dead(table: str, kind: str, record: Any, exc: BaseException) -> None:
            store_dead_letter(
                session, result, node_id=node_id, table=table, kind=kind, record=record, exc=exc
            )

        def dead_frame(frame: tuple[Any, ...], exc: BaseException) -> None:
            dead(EventRow.__tablename__, "frame", dict(zip(EVENT_COLUMNS, frame, strict=True)), exc)

        def dead_op(op: Op, exc: BaseException) -> None:
            table = getattr(TABLE_OF_OP.get(op.kind), "__tablename__", "?")
            dead(table, op.kind, op.data, exc)

        isolate(session, frames, lambda chunk: _insert_frames(session, list(chunk)), dead_frame)
        for op in ops:
            isolate(session, [op], lambda chunk: _apply_op(session, chunk[0]), dead_op)
        for charger_id, snapshot in snapshots:
            _upsert_state(session, node_id, charger_id, snapshot)
    if result.dead_letters:
        log.error("%d record(s) set aside as dead letters", result.dead_letters)
    return result


def _apply_op(session: Session, op: Op) -> None:
    data = op.data
    if op.kind == "command":
        session.execute(insert(CommandRow), [data])
    elif op.kind == "security":
        session.execute(insert(SecurityEventRow), [data])
    elif op.kind == "fault_raised":
        session.execute(insert(FaultRow), [data])
    elif op.kind == "fault_cleared":
        session.execute(
            update(FaultRow)
            .where(FaultRow.uid == data["uid"], FaultRow.cleared_at.is_(None))
            .values(cleared_at=data["cleared_at"])
        )
    elif op.kind == "tx_started":
        stmt = _dialect_insert(session, TransactionRow).values(**data)
        session.execute(
            stmt.on_conflict_do_nothing(index_elements=["charger_id", "transaction_id"])
        )
    elif op.kind == "tx_stopped":
        values = {
            "stopped_at": data["stopped_at"],
            "meter_stop_wh": data["meter_stop_wh"],
            "stop_reason": data["stop_reason"],
            "meter_stop_signed": data.get("meter_stop_signed"),
        }
        result = session.execute(
            update(TransactionRow)
            .where(
                TransactionRow.charger_id == data["charger_id"],
                TransactionRow.transaction_id == data["transaction_id"],
            )
            .values(**values)
        )
        if result.rowcount == 0:  # a StopTransaction for a start we never saw
            session.execute(
                insert(TransactionRow),
                [{**data, "started_at": data["stopped_at"]}],
            )
    elif op.kind == "tx_noted":  # offline events and seqNo holes (TransactionTrail)
        session.execute(
            update(TransactionRow)
            .where(
                TransactionRow.charger_id == data["charger_id"],
                TransactionRow.transaction_id == data["transaction_id"],
            )
            .values(offline_events=data["offline_events"], seq_gaps=data["seq_gaps"] or None)
        )
    elif op.kind == "inventory":
        _replace_report(session, InventoryRow, "report_base", data)
    elif op.kind == "monitors":
        _replace_report(session, MonitorRow, "selection", data)
    elif op.kind == "log_status":
        _log_status(session, data)
    elif op.kind == "customer_information":
        session.execute(insert(CustomerInformationRow), [{**data, "stored_at": utcnow()}])
    else:
        raise ValueError(f"unknown record kind {op.kind!r}")


def _log_status(session: Session, data: dict[str, Any]) -> None:
    """The reported status onto the upload it names: by requestId (LogStatusNotification), or
    the charger's latest DiagnosticsLog upload (1.6 DiagnosticsStatusNotification has none)."""
    where = [DiagnosticsUpload.charger_id == data["charger_id"]]
    if data.get("request_id") is not None:
        where.append(DiagnosticsUpload.request_id == data["request_id"])
    else:
        latest = (
            select(func.max(DiagnosticsUpload.id))
            .where(
                DiagnosticsUpload.charger_id == data["charger_id"],
                DiagnosticsUpload.log_type.is_(None)
                | (DiagnosticsUpload.log_type == "DiagnosticsLog"),
            )
            .scalar_subquery()
        )
        where.append(DiagnosticsUpload.id == latest)
    session.execute(
        update(DiagnosticsUpload)
        .where(*where)
        .values(charger_status=data["charger_status"], charger_status_at=data["charger_status_at"])
    )


def _replace_report(session: Session, model: Any, key: str, data: dict[str, Any]) -> None:
    """A complete report replaces the charger's stored one of the same base/selection."""
    session.execute(
        delete(model).where(
            model.charger_id == data["charger_id"], getattr(model, key) == data[key]
        )
    )
    head = {
        "charger_id": data["charger_id"],
        key: data[key],
        "request_id": data["request_id"],
        "generated_at": data["generated_at"],
        "truncated": data["truncated"],
        "stored_at": utcnow(),
    }
    rows = [{**head, "position": i, **item} for i, item in enumerate(data["items"])]
    if rows:
        session.execute(insert(model), rows)


def _upsert_state(session: Session, node_id: str, charger_id: str, snapshot: str) -> None:
    values = {
        "charger_id": charger_id,
        "state": json.loads(snapshot),
        "node_id": node_id,
        "updated_at": utcnow(),
    }
    stmt = _dialect_insert(session, ChargerStateRow).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["charger_id"],
        set_={
            "state": stmt.excluded.state,
            "node_id": stmt.excluded.node_id,
            "updated_at": stmt.excluded.updated_at,
        },
    )
    try:
        with session.begin_nested():
            session.execute(stmt)
    except Exception:  # the charger was removed meanwhile (foreign key): nothing to keep
        log.debug("state of %s not stored (charger removed?)", charger_id)


def _insert_frames(session: Session, frames: Frames) -> None:
    """Bulk insert through the driver's executemany: the event log is the hot path."""
    connection = session.connection()
    dialect = connection.dialect
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO {EventRow.__tablename__} ({', '.join(EVENT_COLUMNS)}) "
        f"VALUES ({', '.join([marker] * len(EVENT_COLUMNS))})"
    )
    if dialect.name == "sqlite":  # stored as naive UTC text, as SQLAlchemy's DATETIME does
        frames = [
            (f[0], f[1].astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f"), *f[2:]) for f in frames
        ]
    connection.exec_driver_sql(sql, frames)


def _dialect_insert(session: Session, table: type) -> Any:
    name = session.get_bind().dialect.name
    return (postgresql.insert if name == "postgresql" else sqlite.insert)(table)
