"""The journal: an acknowledged state-changing CALL is on disk before its answer leaves, and a
backend killed before its event-log batch replays it at the next start."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from ocpp.v16 import call as call16
from sqlalchemy import select

import app.csms.journal as journal_module
from app.csms.batch_writer import Op
from app.csms.journal import Journal, JournalRecord, read_segment
from app.db.base import utcnow
from app.db.models import EventRow, FaultRow, TransactionRow
from app.fleet.model import ChargerLiveState
from tests.chargers import connected, now
from tests.conftest import make_settings, start_backend

ROOT = Path(__file__).resolve().parents[2]
SLOW_SYNC_S = 0.3


def _records(journal_dir: Path) -> list[JournalRecord]:
    return [r for path in sorted(journal_dir.glob("*.wal")) for r in read_segment(path)]


async def test_answer_leaves_only_once_the_call_is_on_disk(tmp_path, monkeypatch):
    # the disk boundary: the sync helper waits this long before each fdatasync
    monkeypatch.setattr(journal_module, "SIMULATED_SYNC_DELAY_S", SLOW_SYNC_S)
    # no event-log batch during the test: only the journal can hold the frame
    settings = make_settings(tmp_path, event_flush_interval=3600)
    running = await start_backend(settings)
    journal_dir = settings.resolved_journal_dir
    try:
        await running.register("SITE-020-AC-01")
        journal = running.state.recorder.journal
        assert journal is not None
        async with connected(running.ocpp_url, "SITE-020-AC-01") as charger:
            syncs = journal.stats.syncs
            sent = time.monotonic()
            await charger.status(1, "Faulted", "GroundFailure", vendor_error_code="E-17")
            answered = time.monotonic()
            assert answered - sent >= SLOW_SYNC_S  # the answer waited for the sync
            assert journal.stats.syncs > syncs  # ... and the helper had answered for it
            records = _records(journal_dir)
            status = [r for r in records if r.action == "StatusNotification"]
            assert len(status) == 1 and '"GroundFailure"' in status[0].frame_in
            assert status[0].frame_out.startswith("[3,")
            state = ChargerLiveState.model_validate_json(status[0].snapshot)
            assert state.connectors[1].status == "Faulted"
            assert [op.kind for op in status[0].ops] == ["fault_raised"]
            # a Heartbeat changes nothing: answered without the journal
            before = journal.stats.syncs
            await charger.call(call16.Heartbeat())
            assert journal.stats.syncs == before
    finally:
        await running.backend.stop()
    # a clean stop stores everything: the journal is empty
    assert list(journal_dir.glob("*.wal")) == []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_kill_9_before_the_batch_loses_nothing_acknowledged(tmp_path):
    """A backend process killed before any event-log batch: the next start replays it."""
    settings = make_settings(tmp_path)
    ocpp_port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "CHARGEFIX_DATA_DIR": str(settings.data_dir),
        "CHARGEFIX_OCPP_PORT": str(ocpp_port),
        "CHARGEFIX_API_PORT": str(_free_port()),
        "CHARGEFIX_EVENT_FLUSH_INTERVAL": "3600",  # nothing reaches the database by batch
        "CHARGEFIX_RECORDER_MODE": "thread",
        "CHARGEFIX_REFRESH_STATE_ON_CONNECT": "false",
        "CHARGEFIX_DIAGNOSIS_ENABLED": "false",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli.main", "backend", "--auto-register"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    charger_id = "SITE-021-AC-01"
    try:
        await _wait_for_port(ocpp_port, process)
        url = f"ws://127.0.0.1:{ocpp_port}/ocpp"
        async with connected(url, charger_id) as charger:
            await charger.boot()
            await charger.status(1, "Preparing")
            started = await charger.call(
                call16.StartTransaction(
                    connector_id=1, id_tag="TAG-1", meter_start=1000, timestamp=now()
                )
            )
            await charger.status(1, "Charging")
            await charger.status(2, "Faulted", "GroundFailure")
            process.send_signal(signal.SIGKILL)  # right after the last answer
            process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)

    running = await start_backend(settings)
    try:
        state = running.state.live.get(charger_id)
        assert state is not None and state.vendor == "Voltara"
        assert state.connectors[1].status == "Charging"
        assert state.connectors[2].status == "Faulted"
        tx_id = str(started.transaction_id)
        assert list(state.transactions) == [tx_id]
        assert [f.error_code for f in state.open_faults] == ["GroundFailure"]
        with running.state.session_factory() as session:
            events = session.execute(
                select(EventRow.direction, EventRow.action).where(EventRow.charger_id == charger_id)
            ).all()
            tx = session.scalars(select(TransactionRow)).one()
            faults = session.scalars(select(FaultRow)).all()
        calls = [action for direction, action in events if direction == "in"]
        assert calls.count("StatusNotification") == 3
        assert {"BootNotification", "StartTransaction"} <= set(calls)
        assert sum(1 for direction, _ in events if direction == "out") >= 5
        assert (tx.charger_id, tx.transaction_id, tx.meter_start_wh) == (charger_id, tx_id, 1000)
        assert [f.error_code for f in faults] == ["GroundFailure"]
    finally:
        await running.backend.stop()


async def _wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "backend exited"
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        writer.close()
        return
    raise AssertionError("backend did not open its OCPP port")


def _record(seq: int, charger_id: str, status: str, offset_s: float) -> JournalRecord:
    at = utcnow() + timedelta(seconds=offset_s)
    state = ChargerLiveState(charger_id=charger_id, site_id="SITE-022")
    state.connector(1).status = status
    frame = (
        f'[2,"u{seq}","StatusNotification",{{"connectorId":1,'
        f'"errorCode":"NoError","status":"{status}"}}]'
    )
    return JournalRecord(
        seq=seq,
        charger_id=charger_id,
        ts_in=at,
        unique_id=f"u{seq}",
        action="StatusNotification",
        frame_in=frame,
        ts_out=at,
        frame_out=f'[3,"u{seq}",{{}}]',
        snapshot=state.model_dump_json(),
        ops=[Op("security", {"ts": at, "kind": "Replayed", "charger_id": charger_id})],
    )


async def test_torn_last_record_is_skipped_and_the_rest_replayed(tmp_path, caplog):
    settings = make_settings(tmp_path)
    first = await start_backend(settings)  # creates the database
    await first.register("SITE-022-AC-01")
    await first.backend.stop()

    journal_dir = settings.resolved_journal_dir
    lines = [
        _record(i, "SITE-022-AC-01", s, i).encode()
        for i, s in enumerate(["Preparing", "Charging", "Finishing"], start=1)
    ]
    corrupt = bytearray(lines[1])
    corrupt[20] ^= 0x01  # a flipped bit inside the second record
    torn = _record(4, "SITE-022-AC-01", "Available", 4).encode()[:-40]  # cut mid-write
    journal_dir.mkdir(parents=True, exist_ok=True)
    (journal_dir / f"{1:016d}.wal").write_bytes(lines[0] + bytes(corrupt) + lines[2] + torn)

    with caplog.at_level(logging.WARNING, logger="app.csms.journal"):
        second = await start_backend(settings)
    try:
        assert any("torn last record" in r.message for r in caplog.records)
        assert any("corrupt record skipped" in r.message for r in caplog.records)
        state = second.state.live.get("SITE-022-AC-01")
        assert state is not None and state.connectors[1].status == "Finishing"
        with second.state.session_factory() as session:
            uids = session.scalars(
                select(EventRow.unique_id).where(EventRow.direction == "in")
            ).all()
        assert sorted(uids) == ["u1", "u3"]
    finally:
        await second.backend.stop()
    assert list(journal_dir.glob("*.wal")) == []  # replayed, then emptied


async def test_records_already_in_the_database_are_not_written_twice(tmp_path):
    settings = make_settings(tmp_path, event_flush_interval=3600)
    running = await start_backend(settings)
    try:
        await running.register("SITE-023-AC-01")
        async with connected(running.ocpp_url, "SITE-023-AC-01") as charger:
            await charger.status(1, "Preparing")
        records = _records(settings.resolved_journal_dir)
        assert [r.action for r in records] == ["StatusNotification"]
        await running.state.recorder.flush()  # stored: then the journal is released
    finally:
        await running.backend.stop()
    # as if the journal had not been released after the batch was stored
    journal = Journal(settings.resolved_journal_dir)
    journal.directory.mkdir(parents=True, exist_ok=True)
    (journal.directory / f"{records[0].seq:016d}.wal").write_bytes(records[0].encode())
    again = await start_backend(settings)
    try:
        with again.state.session_factory() as session:
            uids = session.scalars(
                select(EventRow.unique_id).where(
                    EventRow.direction == "in", EventRow.action == "StatusNotification"
                )
            ).all()
        assert len(uids) == 1
    finally:
        await again.backend.stop()


async def test_segments_rotate_go_once_stored_and_the_size_is_capped(tmp_path):
    segment = 64 * 1024

    async def append(journal: Journal, records: list[JournalRecord]) -> None:
        for first in range(0, len(records), 10):  # groups of 10: rotation is between groups
            await asyncio.gather(*(journal.append(r) for r in records[first : first + 10]))

    def big(journal: Journal) -> JournalRecord:
        record = _record(journal.next_seq(), "SITE-024-AC-01", "Charging", 0)
        record.frame_in += " " * 2000  # about 3 KB a record
        return record

    journal = Journal(tmp_path / "a", segment_bytes=segment, max_bytes=100 * segment)
    journal.start()
    records = [big(journal) for _ in range(100)]
    await append(journal, records)
    assert len(journal.segments()) >= 4  # rotated at 64 KB
    journal.release(records[59].seq)
    await journal.stop()
    kept = [[r.seq for r in read_segment(path)] for path in journal.segments()]
    assert kept and all(max(seqs) > records[59].seq for seqs in kept)  # stored segments gone
    assert kept[-1][-1] == records[-1].seq

    journal = Journal(tmp_path / "b", segment_bytes=segment, max_bytes=4 * segment)
    journal.start()
    records = [big(journal) for _ in range(200)]  # 600 KB never released: over the cap
    await append(journal, records)
    await journal.stop()
    assert journal.stats.dropped_segments > 0
    assert journal.size() <= 5 * segment  # the cap, give or take the open segment
    on_disk = [r.seq for path in journal.segments() for r in read_segment(path)]
    assert on_disk[-1] == records[-1].seq  # the newest are kept

    journal = Journal(tmp_path / "c", segment_bytes=segment)
    journal.start()
    records = [big(journal) for _ in range(50)]
    await asyncio.gather(*(journal.append(r) for r in records))
    journal.release(records[-1].seq)
    await journal.stop()
    assert journal.segments() == []  # all stored: nothing left


class _FlakyWriter:
    """The database boundary: refuses batches while ``down`` is set."""

    def __init__(self) -> None:
        self.down = True
        self.batches: list[tuple[list[tuple[object, ...]], list[Op], list[tuple[str, str]]]] = []

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    async def write(self, frames, ops, snapshots):  # type: ignore[no-untyped-def]
        if self.down:
            raise OSError("database unreachable")
        self.batches.append((frames, ops, snapshots))


async def test_journal_is_released_only_once_a_batch_with_the_state_is_stored(tmp_path):
    from app.csms.recorder import Recorder
    from app.fleet.store import FleetStore

    live = FleetStore()
    writer = _FlakyWriter()
    journal = Journal(tmp_path / "journal")
    recorder = Recorder(writer, live.get, flush_interval=3600, journal=journal)
    live.add_listener(recorder.on_change)
    recorder.start()
    try:
        for uid, status in (("a", "Preparing"), ("b", "Preparing")):  # b changes nothing
            received = utcnow()
            frame = f'[2,"{uid}","StatusNotification",{{}}]'
            recorder.frame("CP-1", "in", 2, uid, "StatusNotification", frame, received)
            recorder.begin_capture("CP-1")
            live.apply_status("CP-1", 1, status, raw_error_code="GroundFailure")
            await recorder.acknowledge(
                "CP-1",
                ts_in=received,
                unique_id=uid,
                action="StatusNotification",
                frame_in=frame,
                ts_out=utcnow(),
                frame_out=f'[3,"{uid}",{{}}]',
            )
        records = _records(journal.directory)
        assert [(r.unique_id, [op.kind for op in r.ops]) for r in records] == [
            ("a", ["fault_raised"]),
            ("b", []),
        ]
        for _ in range(2):  # the database is down: nothing may be released
            with contextlib.suppress(OSError):
                await recorder.flush()
        await asyncio.sleep(0.05)  # a wrong release would have reached the writer thread
        assert [r.unique_id for r in _records(journal.directory)] == ["a", "b"]
        writer.down = False
        await recorder.flush()
        frames, _ops, snapshots = writer.batches[0]
        assert [f[4] for f in frames] == ["a", "b"] and [s[0] for s in snapshots] == ["CP-1"]
    finally:
        await recorder.stop()
    assert journal.segments() == []  # the stored batch released it, the stop closed it


async def test_a_dead_sync_helper_fails_what_waited_and_is_replaced(tmp_path):
    journal = Journal(tmp_path / "journal")
    journal.start()
    try:
        await journal.append(_record(journal.next_seq(), "SITE-025-AC-01", "Preparing", 0))
        helper = journal._helpers[0]
        helper.process.kill()  # a helper dies (OOM killer, a stray kill)
        helper.process.wait()
        loop = asyncio.get_running_loop()
        replaced = loop.create_future()

        def check() -> None:
            if helper not in journal._helpers and journal.running:
                replaced.set_result(None)
            else:
                loop.call_later(0.01, check)

        check()
        await asyncio.wait_for(replaced, 5)  # its pipe closed: noticed, and a new one started
        assert journal.stats.errors == 1
        # what comes next is made durable by the new helper
        second = _record(journal.next_seq(), "SITE-025-AC-01", "Charging", 0)
        await journal.append(second)
        assert [r.seq for r in _records(journal.directory)][-1] == second.seq
    finally:
        await journal.stop()
