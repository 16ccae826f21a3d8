"""The write-ahead journal: acknowledged state-changing frames are on disk before the answer.

The event log is written in batches a fraction of a second after a frame is handled; a backend
killed in between lost what it had already acknowledged (measured: the last 3.4 s of 5,992
acknowledged CALLs on a busy machine). A charger that got its CALLRESULT deletes the message
from its own queue, so only the backend can keep it. Each acknowledged state-changing CALL is
therefore appended here, with its answer, the ops it caused and the charger's live state after
it, and made durable (fdatasync) before the CALLRESULT is sent.

Group commit: the event loop writes each record to the active segment at once (the page
cache: microseconds) and asks a small helper process
(``journal_sync.py``) to ``fdatasync`` the files written since the last request; the helper's
answer on a pipe the loop watches releases every handler that request covered. No thread and
no GIL stand between the loop and the disk (a writer thread's GIL hand-offs were the journal's
cost: bench/ocpp_load.py).

On disk: segment files ``<first seq>.wal`` of lines ``<crc32 hex> <json>\\n``. A torn last
line (power cut mid-write) or a corrupt one fails its checksum and is skipped with a warning.
Segments whose records are all in the database are deleted (the recorder says up to which
sequence number after each committed batch); the total size is bounded: past the cap the
oldest segments are dropped with an error (their records are still in the recorder's queue,
only their crash protection is lost).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import subprocess
import sys
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from app.csms.batch_writer import Op

log = logging.getLogger(__name__)

# The charger-initiated messages whose effect on the live state or the event log the backend
# must not lose once answered. OCPP 1.6 (section 4.10, "Transaction-related messages") and
# 2.0.1 (E13 / TransactionEvent, offline queueing) let a charger drop a message from its queue
# once it has the CALLRESULT, so these are gone for good if the backend forgets them.
# MeterValues are left out on purpose: they are the bulk of the traffic, a lost sample is
# superseded by the next one and the final energy comes with StopTransaction/TransactionEvent.
JOURNALED_ACTIONS = frozenset(
    {
        "BootNotification",
        "StatusNotification",
        "StartTransaction",
        "StopTransaction",
        "TransactionEvent",
        "NotifyEvent",
        "SecurityEventNotification",
        "FirmwareStatusNotification",
        "DiagnosticsStatusNotification",
        "LogStatusNotification",
    }
)

SUFFIX = ".wal"
_HELPER = Path(__file__).with_name("journal_sync.py")
# Helper processes: a second one takes a new request while the first waits for the disk, so a
# record never waits behind another request's sync.
SYNC_HELPERS = 2
# Seconds the sync helper waits before each sync: imitates a slow disk, for tests only.
SIMULATED_SYNC_DELAY_S = 0.0


class JournalError(RuntimeError):
    """A record could not be made durable (disk full, I/O error, journal stopped)."""


@dataclass
class JournalRecord:
    """One acknowledged CALL: both frames, the records it queued and the state after it."""

    seq: int
    charger_id: str
    ts_in: datetime
    unique_id: str
    action: str
    frame_in: str
    ts_out: datetime
    frame_out: str
    snapshot: str | None  # ChargerLiveState as JSON, right after the handler ran
    ops: list[Op] = field(default_factory=list)

    def encode(self) -> bytes:
        body = json.dumps(
            {
                "s": self.seq,
                "c": self.charger_id,
                "ti": self.ts_in.isoformat(),
                "u": self.unique_id,
                "a": self.action,
                "fi": self.frame_in,
                "to": self.ts_out.isoformat(),
                "fo": self.frame_out,
                "st": self.snapshot,
                "ops": [[op.kind, _encode_values(op.data)] for op in self.ops],
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        return b"%08x %s\n" % (zlib.crc32(body), body)

    @classmethod
    def decode(cls, line: bytes) -> JournalRecord:
        """Raises ValueError when the line is torn, corrupt or not a record."""
        crc, sep, body = line.partition(b" ")
        if not sep or len(crc) != 8 or int(crc, 16) != zlib.crc32(body):
            raise ValueError("checksum mismatch")
        data = json.loads(body)
        return cls(
            seq=int(data["s"]),
            charger_id=str(data["c"]),
            ts_in=datetime.fromisoformat(data["ti"]),
            unique_id=str(data["u"]),
            action=str(data["a"]),
            frame_in=str(data["fi"]),
            ts_out=datetime.fromisoformat(data["to"]),
            frame_out=str(data["fo"]),
            snapshot=data["st"],
            ops=[Op(str(kind), _decode_values(values)) for kind, values in data["ops"]],
        )


def _encode_values(data: dict[str, Any]) -> dict[str, Any]:
    return {k: {"$dt": v.isoformat()} if isinstance(v, datetime) else v for k, v in data.items()}


def _decode_values(data: dict[str, Any]) -> dict[str, Any]:
    return {
        k: datetime.fromisoformat(v["$dt"]) if isinstance(v, dict) and "$dt" in v else v
        for k, v in data.items()
    }


@dataclass
class JournalStats:
    appended: int = 0
    syncs: int = 0  # group commits: one write + one fdatasync each
    largest_group: int = 0
    last_sync_ms: float = 0.0
    max_sync_ms: float = 0.0
    errors: int = 0
    dropped_segments: int = 0  # over the size cap before their records were stored
    last_error: str | None = None


@dataclass
class _Segment:
    path: Path
    first_seq: int
    last_seq: int = 0
    size: int = 0


def read_segment(path: Path) -> list[JournalRecord]:
    """The records of one segment; torn or corrupt lines are skipped with a warning."""
    records: list[JournalRecord] = []
    data = path.read_bytes()
    lines = data.split(b"\n")
    tail = lines.pop()  # b"" when the file ends with a complete line
    if tail:
        log.warning("journal %s: torn last record (%d bytes) skipped", path.name, len(tail))
    for number, line in enumerate(lines, start=1):
        if not line:
            continue
        try:
            records.append(JournalRecord.decode(line))
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("journal %s line %d: corrupt record skipped (%s)", path.name, number, exc)
    return records


class Journal:
    """Append-only, group-committed, rotated journal in one directory.

    Everything runs on the event loop except the wait for the disk: records are written to
    the active segment at once, and a sync request for the files written since the last one
    goes to the sync helper process (``app/csms/journal_sync.py``) once per loop iteration;
    its answer, read from a pipe the loop watches, releases every record that request covered.
    One request is in flight at a time; what is written meanwhile waits for the next one.
    """

    def __init__(
        self,
        directory: Path,
        *,
        segment_bytes: int = 8 * 1024 * 1024,
        max_bytes: int = 256 * 1024 * 1024,
    ) -> None:
        self.directory = Path(directory)
        self.segment_bytes = segment_bytes
        self.max_bytes = max(max_bytes, segment_bytes)
        self.stats = JournalStats()
        self._seq = 0  # last sequence number handed out
        self._closed: list[_Segment] = []  # older segments, oldest first
        self._active: _Segment | None = None
        self._fd: int | None = None
        self._released = 0  # records up to this seq are in the database
        self._loop: asyncio.AbstractEventLoop | None = None
        self._helpers: list[_SyncHelper] = []
        # written, not yet covered by a sync request: (seq, future); and their files
        self._waiting: list[tuple[int, asyncio.Future[None]]] = []
        self._dirty: dict[str, None] = {}  # ordered set of paths
        self._idle: asyncio.Event | None = None  # set when nothing waits for the disk

    # -- start-up: what a previous run left ------------------------------------------------
    def segments(self) -> list[Path]:
        if not self.directory.is_dir():
            return []
        return sorted(self.directory.glob(f"*{SUFFIX}"), key=_first_seq_of)

    def read(self) -> list[JournalRecord]:
        """Every readable record left on disk, in sequence order."""
        records = [r for path in self.segments() for r in read_segment(path)]
        records.sort(key=lambda r: r.seq)
        if records:
            self._seq = max(self._seq, records[-1].seq)
        return records

    def discard(self) -> None:
        """Delete what a previous run left (once replay has stored it in the database)."""
        for path in self.segments():
            path.unlink(missing_ok=True)
        self._sync_directory_now()

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        if self._helpers:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        if self.segments():  # not replayed: left alone (never deleted), numbered after
            log.warning("journal %s holds records not replayed; keeping them", self.directory)
            self.read()
        self._loop = asyncio.get_running_loop()
        self._idle = asyncio.Event()
        self._idle.set()
        self._start_helpers()

    def _start_helpers(self) -> None:
        assert self._loop is not None
        while len(self._helpers) < SYNC_HELPERS:
            self._helpers.append(_SyncHelper.start(self._loop, self._on_answer))

    async def stop(self) -> None:
        """Wait for what is being made durable, then close (segments not yet released stay
        for replay)."""
        if not self._helpers:
            return
        if self._waiting:
            self._request_sync()
        assert self._idle is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), 30)
        helpers, self._helpers = self._helpers, []
        for helper in helpers:
            helper.stop()
        self._fail_all(JournalError("journal stopped"), helpers)
        self._close_active()

    @property
    def running(self) -> bool:
        return bool(self._helpers) and all(h.alive for h in self._helpers)

    # -- appending -----------------------------------------------------------------------------
    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    @property
    def last_seq(self) -> int:
        return self._seq

    def append(self, record: JournalRecord) -> asyncio.Future[None]:
        """Write a record now; the future is done once it is on disk (or failed)."""
        assert self._loop is not None, "journal not started"
        future: asyncio.Future[None] = self._loop.create_future()
        if not self.running:
            future.set_exception(JournalError("journal is not running"))
            return future
        line = record.encode()
        try:
            segment = self._segment_for(record.seq)
            view = memoryview(line)
            while view:
                assert self._fd is not None
                written = os.write(self._fd, view)
                view = view[written:]
        except OSError as exc:
            self._failed(exc)
            self._close_active()  # start a fresh segment next time: never append after a tear
            future.set_exception(JournalError(f"journal write failed: {exc}"))
            return future
        segment.size += len(line)
        segment.last_seq = record.seq
        self.stats.appended += 1
        self._dirty[str(segment.path)] = None
        self._waiting.append((record.seq, future))
        assert self._idle is not None
        self._idle.clear()
        # At once to an idle helper: waiting for the next loop iteration cost a round of the
        # loop per answer. Group commit comes by itself: while every helper waits for the
        # disk, records gather, and the first answer sends them all in one request.
        self._request_sync()
        if segment.size >= self.segment_bytes:
            self._rotate()
        self._enforce_cap()
        return future

    def release(self, upto_seq: int) -> None:
        """Records up to ``upto_seq`` are in the database: their segments may go."""
        if upto_seq <= self._released:
            return
        self._released = upto_seq
        kept: list[_Segment] = []
        for segment in self._closed:
            if segment.last_seq <= upto_seq:
                segment.path.unlink(missing_ok=True)
            else:
                kept.append(segment)
        self._closed = kept
        # The open segment stays open even when all of it is stored: deleting it and creating
        # a new one five times a second made every next fdatasync wait for a metadata commit
        # (bench/ocpp_load.py p99). It goes when it is rotated or closed; a replay after a
        # crash skips what the database already holds.

    # -- the sync helpers --------------------------------------------------------------------
    def _request_sync(self) -> None:
        if not self._waiting:
            return
        helper = next((h for h in self._helpers if h.in_flight is None), None)
        if helper is None:
            return  # all busy: the first answer sends what waits
        if not helper.alive:
            self._helper_gone(helper)
            return
        paths, self._dirty = list(self._dirty), {}
        batch, self._waiting = self._waiting, []
        if not helper.request(paths, batch):
            self._helper_gone(helper)

    def _on_answer(self, helper: _SyncHelper, answer: str | None) -> None:
        if answer is None:  # its pipe closed
            self._helper_gone(helper)
            return
        batch, elapsed = helper.settled()
        self.stats.syncs += 1
        self.stats.last_sync_ms = elapsed
        self.stats.max_sync_ms = max(self.stats.max_sync_ms, elapsed)
        self.stats.largest_group = max(self.stats.largest_group, len(batch))
        error: JournalError | None = None
        if answer != "ok":
            reason = answer.removeprefix("err ")
            self._failed(OSError(reason))
            error = JournalError(f"journal sync failed: {reason}")
            self._close_active()  # whatever was written may be torn: a fresh segment
        # An fdatasync makes the whole file durable, so a later request answered before an
        # earlier one still covers exactly its own records: they are settled in any order.
        _settle([future for _, future in batch], error)
        if self._waiting:
            self._request_sync()
        self._check_idle()

    def _check_idle(self) -> None:
        busy = self._waiting or any(h.in_flight is not None for h in self._helpers)
        if self._idle is not None and not busy:
            self._idle.set()

    def _helper_gone(self, helper: _SyncHelper) -> None:
        """A helper died: fail what waited on it, and start a new one for what comes."""
        log.error("journal sync helper ended; starting a new one")
        self._failed(OSError("sync helper ended"))
        with contextlib.suppress(Exception):
            helper.stop()
        if helper in self._helpers:
            self._helpers.remove(helper)
        self._fail_all(JournalError("journal sync helper ended"), [helper])
        self._close_active()
        if self._loop is not None and not self._loop.is_closed():
            with contextlib.suppress(OSError):
                self._start_helpers()

    def _fail_all(self, error: JournalError, helpers: list[_SyncHelper]) -> None:
        """Fail the records waiting for a request and those the given helpers held."""
        batch = list(self._waiting)
        for helper in helpers:
            batch += helper.settled()[0]
        self._waiting = []
        self._dirty = {}
        _settle([future for _, future in batch], error)
        self._check_idle()

    def _failed(self, exc: OSError) -> None:
        self.stats.errors += 1
        self.stats.last_error = str(exc)[:200]

    # -- segments ----------------------------------------------------------------------------
    def _segment_for(self, first_seq: int) -> _Segment:
        if self._active is None or self._fd is None:
            path = self.directory / f"{first_seq:016d}{SUFFIX}"
            self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            self._active = _Segment(path, first_seq, first_seq - 1, os.fstat(self._fd).st_size)
            self._dirty[str(self.directory)] = None  # the new file's name must survive too
        return self._active

    def _rotate(self) -> None:
        if self._active is not None:
            self._closed.append(self._active)
        self._close_fd()  # its unsynced data is in the page cache: the helper syncs by path
        self._active = None

    def _close_active(self) -> None:
        active = self._active
        if active is not None and active.size > 0 and active.last_seq > self._released:
            self._closed.append(active)
        elif active is not None:  # empty, or all of it in the database
            active.path.unlink(missing_ok=True)
        self._close_fd()
        self._active = None

    def _close_fd(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None

    def _enforce_cap(self) -> None:
        total = sum(s.size for s in self._closed) + (self._active.size if self._active else 0)
        while total > self.max_bytes and self._closed:
            oldest = self._closed.pop(0)
            oldest.path.unlink(missing_ok=True)
            total -= oldest.size
            self.stats.dropped_segments += 1
            log.error(
                "journal over %d bytes (the database is not keeping up): dropped %s; its "
                "records are still queued for the database but no longer survive a crash",
                self.max_bytes,
                oldest.path.name,
            )

    def _sync_directory_now(self) -> None:
        with contextlib.suppress(OSError):
            fd = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def size(self) -> int:
        """Bytes on disk now (for tests and the benchmark)."""
        return sum(p.stat().st_size for p in self.segments())


_Batch = list[tuple[int, "asyncio.Future[None]"]]


class _SyncHelper:
    """One sync helper process, with the request it is working on."""

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        loop: asyncio.AbstractEventLoop,
        on_answer: Callable[[_SyncHelper, str | None], None],
    ) -> None:
        self.process = process
        self.in_flight: _Batch | None = None
        self._since = 0.0
        self._loop = loop
        self._on_answer = on_answer
        self._buffer = b""
        assert process.stdout is not None
        self._out = process.stdout.fileno()
        os.set_blocking(self._out, False)
        loop.add_reader(self._out, self._readable)

    @classmethod
    def start(
        cls,
        loop: asyncio.AbstractEventLoop,
        on_answer: Callable[[_SyncHelper, str | None], None],
    ) -> _SyncHelper:
        process = subprocess.Popen(
            [sys.executable, "-S", str(_HELPER), repr(SIMULATED_SYNC_DELAY_S)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            close_fds=True,
        )
        return cls(process, loop, on_answer)

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def request(self, paths: list[str], batch: _Batch) -> bool:
        """Ask for ``paths`` to be made durable; False if the helper is gone."""
        self.in_flight = batch
        self._since = time.perf_counter()
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(("\t".join(paths) + "\n").encode())
            self.process.stdin.flush()
        except OSError:
            return False
        return True

    def settled(self) -> tuple[_Batch, float]:
        """The batch that was in flight (now answered) and how long it took, in ms."""
        batch, self.in_flight = self.in_flight or [], None
        return batch, (time.perf_counter() - self._since) * 1000

    def _readable(self) -> None:
        try:
            chunk = os.read(self._out, 4096)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            self._loop.remove_reader(self._out)
            self._on_answer(self, None)
            return
        self._buffer += chunk
        while b"\n" in self._buffer:
            line, _, self._buffer = self._buffer.partition(b"\n")
            self._on_answer(self, line.decode(errors="replace"))

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._loop.remove_reader(self._out)
        with contextlib.suppress(OSError):
            assert self.process.stdin is not None
            self.process.stdin.close()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        assert self.process.stdout is not None
        self.process.stdout.close()


def _settle(futures: list[asyncio.Future[None]], error: BaseException | None) -> None:
    for future in futures:
        if future.done():
            continue
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)


def _first_seq_of(path: Path) -> int:
    try:
        return int(path.stem)
    except ValueError:
        return 0
