"""Storage against SQLite and, when CHARGEFIX_TEST_POSTGRES_URL is set, PostgreSQL."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ProgrammingError

from app.backend import build_state, restore_live_state
from app.db.base import utcnow
from app.db.models import EventRow, FaultRow, TransactionRow
from app.fleet.model import ActiveTransaction, OpenFault
from tests.conftest import make_settings, postgres_url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'storage.db'}"
        return
    server = postgres_url()
    if not server:
        pytest.skip("CHARGEFIX_TEST_POSTGRES_URL not set")
    name = f"chargefix_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        drop_database(admin, name)
        admin.dispose()


def drop_database(admin: Engine, name: str, attempts: int = 40) -> None:
    """DROP ... WITH (FORCE) ends our own leftover connections, but not an autovacuum worker
    that happens to be in the test database (a superuser's process: "must be a member of the
    role whose process is being terminated"); it is done within moments, so try again."""
    for attempt in range(attempts):
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return
        except ProgrammingError as error:
            if "InsufficientPrivilege" not in type(error.orig).__name__ or attempt == attempts - 1:
                raise
            time.sleep(0.25)


async def test_recorder_roundtrip_and_restore(database_url, tmp_path):
    settings = make_settings(tmp_path, database_url=database_url)
    state = build_state(settings)
    state.live.add_listener(state.recorder.on_change)
    state.directory.register("SITE-011-AC-01", "a-password-long-enough")
    live = state.live
    live.set_connected("SITE-011-AC-01", "1.6", "node-1")
    live.apply_boot(
        "SITE-011-AC-01",
        vendor="Voltara",
        model="WB-22",
        serial_number="S1",
        firmware_version="VT-WB 3.4.2",
        reason=None,
        registration_status="Accepted",
        heartbeat_interval=60,
    )
    live.apply_status("SITE-011-AC-01", 1, "Faulted", raw_error_code="GroundFailure")
    live.start_transaction(
        "SITE-011-AC-01",
        ActiveTransaction(transaction_id="42", connector_id=1, started_at=utcnow()),
    )
    live.stop_transaction("SITE-011-AC-01", "42", meter_stop_wh=10.0, reason="Local")
    live.stop_transaction("SITE-011-AC-01", "43", meter_stop_wh=5.0, reason="HardReset")
    fault = live.raise_fault(
        "SITE-011-AC-01",
        OpenFault(
            source="offline", error_code="Offline", raised_at=utcnow() - timedelta(minutes=5)
        ),
    )
    live.clear_fault("SITE-011-AC-01", fault.uid)
    state.recorder.frame("SITE-011-AC-01", "in", 2, "u1", "Heartbeat", '[2,"u1","Heartbeat",{}]')
    await state.recorder.flush()

    with state.session_factory() as session:
        faults = session.scalars(select(FaultRow).order_by(FaultRow.id)).all()
        assert [(f.error_code, f.cleared_at is None) for f in faults] == [
            ("GroundFailure", True),
            ("Offline", False),
        ]
        txs = {t.transaction_id: t for t in session.scalars(select(TransactionRow))}
        assert txs["42"].meter_stop_wh == 10.0
        assert txs["43"].stop_reason == "HardReset"  # a stop for a start we never saw
        assert session.scalar(select(EventRow)).frame == '[2,"u1","Heartbeat",{}]'
        assert faults[0].raised_at.tzinfo is not None

    fresh = build_state(settings)
    assert restore_live_state(fresh) == 1
    restored = fresh.live.get("SITE-011-AC-01")
    assert restored.vendor == "Voltara"
    assert restored.online is False
    assert restored.connectors[1].error_code == "GroundFailure"
    state.engine.dispose()
    fresh.engine.dispose()


async def test_failed_write_keeps_the_batch(tmp_path):
    settings = make_settings(tmp_path)
    state = build_state(settings)
    state.recorder.frame("X", "in", 2, "u1", "Heartbeat", "[]")
    assert state.recorder.backlog == 1
    original = state.recorder.writer

    class Broken:
        async def write(self, *_args):
            raise RuntimeError("database away")

    state.recorder.writer = Broken()  # type: ignore[assignment]
    with pytest.raises(RuntimeError):
        await state.recorder.flush()
    state.recorder.writer = original
    assert state.recorder.backlog == 1  # the failed batch went back in the queue
    await state.recorder.flush()
    assert state.recorder.backlog == 0
    with state.session_factory() as session:
        assert session.scalar(select(EventRow)).charger_id == "X"


async def test_process_writer_stores_batches_and_reports_errors(tmp_path):
    settings = make_settings(tmp_path, recorder_mode="process")
    state = build_state(settings)
    state.recorder.start()
    try:
        state.recorder.frame("Y", "in", 2, "u1", "Heartbeat", '[2,"u1","Heartbeat",{}]')
        await state.recorder.flush()
        with state.session_factory() as session:
            assert session.scalar(select(EventRow)).charger_id == "Y"
        # a batch the database cannot take (table away) comes back as an error and is kept;
        # a record the database refuses is set aside (tests/backend/test_dead_letters.py)
        from app.csms.batch_writer import WriterProcessError

        with state.engine.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE events RENAME TO events_away")
        state.recorder.frame("Y", "in", 2, "u2", "Heartbeat", "[]")
        with pytest.raises(WriterProcessError, match="no such table"):
            await state.recorder.flush()
        assert state.recorder.backlog == 1 and state.recorder.stats.failing
        with state.engine.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE events_away RENAME TO events")
        await state.recorder.flush()
        assert state.recorder.backlog == 0 and not state.recorder.stats.degraded
    finally:
        await state.recorder.stop()


async def test_state_snapshots_are_spread_over_batches(tmp_path):
    from app.csms.recorder import MAX_SNAPSHOTS_PER_BATCH
    from app.db.models import ChargerStateRow

    settings = make_settings(tmp_path)
    state = build_state(settings)
    state.live.add_listener(state.recorder.on_change)
    total = MAX_SNAPSHOTS_PER_BATCH + 100
    for i in range(total):
        state.directory.register(f"SITE-012-AC-{i:04d}", "a-password-long-enough")
        state.live.set_connected(f"SITE-012-AC-{i:04d}", "1.6", "node-1")

    def stored() -> int:
        with state.session_factory() as session:
            return len(session.scalars(select(ChargerStateRow)).all())

    await state.recorder.flush()
    assert stored() == MAX_SNAPSHOTS_PER_BATCH  # a storm is spread, not written at once
    await state.recorder.flush()
    assert stored() == total
    # a mere sign of life is not written again until it is a minute old
    state.live.touch("SITE-012-AC-0000", "Heartbeat")
    assert await state.recorder._take_snapshots(force=False, taken={}) == []
    assert [cid for cid, _ in await state.recorder._take_snapshots(force=True, taken={})] == [
        "SITE-012-AC-0000"
    ]
