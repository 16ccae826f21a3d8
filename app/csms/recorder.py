"""Persistence of the live system, off the event loop.

Frames, faults, transactions, commands and security events are queued in memory and written
in batches by a background task that hands each batch to a worker thread, so a slow database
never stalls the websocket loop. Live-state snapshots are written for chargers whose state
changed (at once for status/fault/identity changes, at most once a minute for mere signs of life).

With a journal (``app.csms.journal``), each acknowledged state-changing CALL is also made durable
before its answer leaves: ``acknowledge`` appends the frames, the records the CALL queued here
(captured between ``begin_capture`` and ``acknowledge``) and the charger's state after it. After
each committed batch the journal is told which records the database now holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.csms.batch_writer import BatchWriter, Op
from app.csms.inventory import CompletedReport
from app.csms.journal import JOURNALED_ACTIONS, Journal, JournalError, JournalRecord
from app.csms.write_guard import short_error
from app.db.base import utcnow
from app.fleet.events import (
    FaultCleared,
    FaultRaised,
    FleetEvent,
    TransactionNoted,
    TransactionStarted,
    TransactionStopped,
)
from app.fleet.model import (
    ActiveTransaction,
    ChargerLiveState,
    OpenFault,
    SignedMeterValue,
    TransactionTrail,
)

log = logging.getLogger(__name__)

LIGHT_STATE_FLUSH_SECONDS = 60.0
MAX_SNAPSHOTS_PER_BATCH = 500
SNAPSHOT_SLICE = 100  # states serialised between two yields to the event loop
DEGRADED_AFTER_DEAD_LETTER_SECONDS = 300.0  # health says degraded this long after one
MAX_CAPTURED_OPS = 1000  # records one CALL may add to its journal entry


@dataclass
class RecorderStats:
    frames_written: int = 0
    frames_dropped: int = 0
    batches: int = 0
    last_batch_ms: float = 0.0
    errors: int = 0
    dead_letters: int = 0  # records set aside since start (the dead_letters table keeps them)
    last_error: str | None = None
    failing: bool = False  # the last batch was not written (kept for the next round)
    last_dead_letter_at: float | None = None  # monotonic
    journal_failing: bool = False  # the last journal append failed: answers are not durable

    @property
    def degraded(self) -> bool:
        recent = self.last_dead_letter_at is not None and (
            time.monotonic() - self.last_dead_letter_at < DEGRADED_AFTER_DEAD_LETTER_SECONDS
        )
        return self.failing or recent or self.journal_failing


class Recorder:
    def __init__(
        self,
        writer: BatchWriter,
        states: Callable[[str], ChargerLiveState | None],
        *,
        flush_interval: float = 0.2,
        max_pending: int = 1_000_000,
        journal: Journal | None = None,
    ) -> None:
        self.writer = writer
        self.journal = journal
        self._capture: dict[str, _Capture] = {}  # charger -> what its open CALL queued
        # charger -> first journal record whose effect is in no snapshot taken yet
        self._unsnapshotted: dict[str, int] = {}
        self._state_of = states  # the live store's lookup: snapshots are taken from it
        self._flush_interval = flush_interval
        self._frames: deque[tuple[Any, ...]] = deque()
        self._ops: deque[Op] = deque()
        self._max_pending = max_pending
        self._significant: dict[str, None] = {}  # ordered set: changes to store soon
        self._light: dict[str, float] = {}  # sign of life only -> since when (monotonic)
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._flush_lock = asyncio.Lock()
        self.stats = RecorderStats()

    # -- producers (called on the event loop, never block) ----------------------------------
    def frame(
        self,
        charger_id: str,
        direction: str,
        message_type: int,
        unique_id: str | None,
        action: str | None,
        frame: str,
        ts: datetime | None = None,
    ) -> None:
        if len(self._frames) >= self._max_pending:
            self.stats.frames_dropped += 1
            return
        self._frames.append(
            (
                charger_id,
                ts or utcnow(),
                direction,
                message_type,
                unique_id[:64] if unique_id else None,
                action,
                frame,
            )
        )

    def command(self, **row: Any) -> None:
        self._ops.append(Op("command", row))

    def _queue(self, op: Op, charger_id: str | None) -> None:
        self._ops.append(op)
        if charger_id is not None:
            captured = self._capture.get(charger_id)
            if captured is not None and len(captured.ops) < MAX_CAPTURED_OPS:
                captured.ops.append(op)

    # -- the journal (acknowledged state-changing CALLs) -----------------------------------
    def journals(self, action: str | None) -> bool:
        return self.journal is not None and action in JOURNALED_ACTIONS

    def begin_capture(self, charger_id: str) -> None:
        """A journaled CALL arrived: collect the records its handler queues."""
        self._capture[charger_id] = _Capture()

    def end_capture(self, charger_id: str) -> None:
        """The CALL was refused (CALLERROR): nothing to journal."""
        self._capture.pop(charger_id, None)

    async def acknowledge(
        self,
        charger_id: str,
        *,
        ts_in: datetime,
        unique_id: str,
        action: str,
        frame_in: str,
        ts_out: datetime,
        frame_out: str,
    ) -> None:
        """Make a handled CALL durable; returns once it is on disk (its answer may leave).

        Everything up to the append runs without yielding, so the record's state snapshot is
        exactly the state this CALL left, and its sequence number orders it after every record
        queued before it (what ``flush`` relies on to tell the journal what is stored)."""
        assert self.journal is not None
        state = self._state_of(charger_id)
        captured = self._capture.pop(charger_id, None) or _Capture()
        seq = self.journal.next_seq()
        record = JournalRecord(
            seq=seq,
            charger_id=charger_id,
            ts_in=ts_in,
            unique_id=unique_id,
            action=action,
            frame_in=frame_in,
            ts_out=ts_out,
            frame_out=frame_out,
            # only a CALL that changed the state needs its state kept (replay restores the last
            # snapshot of each charger); a repeated status costs no serialisation
            snapshot=state.model_dump_json()
            if state is not None and captured.significant
            else None,
            ops=captured.ops,
        )
        if captured.significant:
            # the journal keeps this record until a batch holds the state it left; a CALL
            # that changed nothing but timestamps (same status again) is like a Heartbeat
            self._unsnapshotted.setdefault(charger_id, seq)
            self._significant[charger_id] = None
        try:
            await self.journal.append(record)
        except JournalError as exc:
            # The handler's effect is applied and queued for the database already: refusing
            # now would make the charger retry and apply it twice (a second transaction).
            # The answer goes out; health says degraded until the journal works again.
            if not self.stats.journal_failing:
                log.error("journal append failed, answers are not crash-safe: %s", exc)
            self.stats.journal_failing = True
            self.stats.last_error = short_error(exc)
        else:
            self.stats.journal_failing = False

    def _journal_covered(self) -> int:
        """The highest journal seq whose frames, records and state are all in the batch being
        taken (or earlier ones): records are numbered after what they queued."""
        assert self.journal is not None
        covered = self.journal.last_seq
        if self._unsnapshotted:  # snapshots held back by MAX_SNAPSHOTS_PER_BATCH
            covered = min(covered, min(self._unsnapshotted.values()) - 1)
        return covered

    def security_event(
        self,
        kind: str,
        *,
        charger_id: str | None,
        detail: str | None,
        remote: str | None,
        reported_at: datetime | None = None,
    ) -> None:
        self._queue(
            Op(
                "security",
                {
                    "ts": utcnow(),
                    "kind": kind,
                    "charger_id": charger_id,
                    "detail": (detail or "")[:500] or None,
                    "remote_address": remote,
                    "reported_at": reported_at,
                },
            ),
            charger_id,
        )

    def inventory(self, charger_id: str, report: CompletedReport) -> None:
        """A complete NotifyReport (B07/B08): it replaces the stored one of its report base."""
        self._queue(
            Op(
                "inventory",
                {
                    "charger_id": charger_id,
                    "report_base": report.report_base,
                    "request_id": report.request_id,
                    "generated_at": report.generated_at,
                    "truncated": report.truncated,
                    "items": report.items,
                },
            ),
            charger_id,
        )

    def monitors(self, charger_id: str, report: CompletedReport) -> None:
        """A complete NotifyMonitoringReport (N02): replaces the stored one of its selection."""
        self._queue(
            Op(
                "monitors",
                {
                    "charger_id": charger_id,
                    "selection": report.report_base,
                    "request_id": report.request_id,
                    "generated_at": report.generated_at,
                    "truncated": report.truncated,
                    "items": report.items,
                },
            ),
            charger_id,
        )

    def log_status(self, charger_id: str, request_id: int | None, status: str) -> None:
        """A LogStatusNotification (its requestId) or a 1.6 DiagnosticsStatusNotification (no
        requestId: the charger's latest DiagnosticsLog upload): the upload's reported status."""
        self._queue(
            Op(
                "log_status",
                {
                    "charger_id": charger_id,
                    "request_id": request_id,
                    "charger_status": status,
                    "charger_status_at": utcnow(),
                },
            ),
            charger_id,
        )

    def customer_information(self, charger_id: str, report: CompletedReport) -> None:
        """A complete NotifyCustomerInformation (N09/N10): its parts joined, kept."""
        self._queue(
            Op(
                "customer_information",
                {
                    "charger_id": charger_id,
                    "request_id": report.request_id,
                    "generated_at": report.generated_at,
                    "truncated": report.truncated,
                    "parts": len(report.items),
                    "data": "".join(item["data"] for item in report.items),
                },
            ),
            charger_id,
        )

    def on_change(self, event: FleetEvent) -> None:
        """Fleet listener: queue what must be stored for this change."""
        charger_id = event.charger_id
        if event.significant and charger_id in self._capture:
            self._capture[charger_id].significant = True
        if not event.significant:
            if charger_id not in self._significant and charger_id not in self._light:
                self._light[charger_id] = time.monotonic()
        else:
            self._significant[charger_id] = None
        match event:
            case FaultRaised(fault=OpenFault() as fault):
                self._queue(
                    Op("fault_raised", {"charger_id": charger_id, **_fault_row(fault)}),
                    charger_id,
                )
            case FaultCleared(fault=OpenFault() as fault, at=at):
                self._queue(Op("fault_cleared", {"uid": fault.uid, "cleared_at": at}), charger_id)
            case TransactionStarted(transaction=ActiveTransaction() as tx):
                self._queue(
                    Op(
                        "tx_started",
                        {
                            "charger_id": charger_id,
                            "transaction_id": tx.transaction_id,
                            "connector_id": tx.connector_id,
                            "id_tag": tx.id_tag,
                            "started_at": tx.started_at,
                            "meter_start_wh": tx.meter_start_wh,
                            "meter_start_signed": _signed(tx.meter_start_signed),
                        },
                    ),
                    charger_id,
                )
            case TransactionStopped(transaction=tx):
                self._queue(
                    Op(
                        "tx_stopped",
                        {
                            "charger_id": charger_id,
                            "transaction_id": event.transaction_id,
                            "connector_id": tx.connector_id if tx else 0,
                            "stopped_at": event.at,
                            "meter_stop_wh": event.meter_stop_wh,
                            "stop_reason": event.reason,
                            "meter_stop_signed": _signed(event.meter_stop_signed),
                        },
                    ),
                    charger_id,
                )
                if event.stale:
                    self._queue(Op("command", _stale_close_audit(event)), charger_id)
            case TransactionNoted(trail=TransactionTrail() as trail):
                self._queue(
                    Op(
                        "tx_noted",
                        {
                            "charger_id": charger_id,
                            "transaction_id": event.transaction_id,
                            "offline_events": trail.offline_events,
                            "seq_gaps": trail.missing(),
                        },
                    ),
                    charger_id,
                )

    @property
    def backlog(self) -> int:
        """Frames and other records waiting for the next batch."""
        return len(self._frames) + len(self._ops)

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        if self._task is None:
            if self.journal is not None:
                self.journal.start()
            self.writer.start()
            self._task = asyncio.create_task(self._run(), name="recorder")

    async def stop(self) -> None:
        if self._task is not None:
            # never cancel a batch half-way through the writer: let the loop finish its round
            self._stopping.set()
            await self._task
            self._task = None
        try:
            await self.flush(force_states=True)
        finally:
            self.writer.stop()
            if self.journal is not None:
                # after a clean final flush everything is released and the journal is empty
                await self.journal.stop()

    async def _run(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._flush_interval)
            if self._stopping.is_set():
                return
            try:
                await self.flush()
            except Exception:  # a failing database must not kill the recorder
                self.stats.errors += 1
                log.exception("recorder flush failed; will retry")

    async def flush(self, *, force_states: bool = False) -> None:
        async with self._flush_lock:
            frames = list(self._frames)
            self._frames.clear()
            ops = list(self._ops)
            self._ops.clear()
            # what the journal may release is fixed now, with the frames and records taken:
            # records appended while the snapshots below are taken are in the next batch
            covered = self.journal.last_seq if self.journal is not None else 0
            taken: dict[str, int] = {}
            snapshots = await self._take_snapshots(force_states, taken)
            if self.journal is not None:
                covered = min(covered, self._journal_covered())
            if not frames and not ops and not snapshots:
                if self.journal is not None:
                    self.journal.release(covered)
                return
            started = time.perf_counter()
            try:
                result = await self.writer.write(frames, ops, snapshots)
            except Exception as exc:
                self.stats.failing = True
                self.stats.last_error = short_error(exc)
                # put the batch back in front so nothing is lost; retry next round
                self._frames.extendleft(reversed(frames))
                self._ops.extendleft(reversed(ops))
                for charger_id, _ in snapshots:
                    self._significant[charger_id] = None
                for charger_id, seq in taken.items():
                    self._unsnapshotted[charger_id] = min(
                        seq, self._unsnapshotted.get(charger_id, seq)
                    )
                raise
            if self.journal is not None:
                self.journal.release(covered)
            self.stats.failing = False
            if result is not None and result.dead_letters:
                self.stats.dead_letters += result.dead_letters
                self.stats.last_error = result.last_error
                self.stats.last_dead_letter_at = time.monotonic()
            self.stats.frames_written += len(frames)
            self.stats.batches += 1
            self.stats.last_batch_ms = (time.perf_counter() - started) * 1000

    async def _take_snapshots(self, force: bool, taken: dict[str, int]) -> list[tuple[str, str]]:
        """States to store now: significant changes first, then sign-of-life updates older
        than LIGHT_STATE_FLUSH_SECONDS; at most MAX_SNAPSHOTS_PER_BATCH unless forced, so a
        reconnect storm is spread over several batches, and a yield to the loop every
        SNAPSHOT_SLICE (500 states took 7 ms of CPU in one go: a stall every batch)."""
        limit = None if force else MAX_SNAPSHOTS_PER_BATCH
        out: list[tuple[str, str]] = []
        now = time.monotonic()
        while self._significant and (limit is None or len(out) < limit):
            if out and len(out) % SNAPSHOT_SLICE == 0:
                await asyncio.sleep(0)
                if not self._significant:
                    break
            charger_id = next(iter(self._significant))
            del self._significant[charger_id]
            self._light.pop(charger_id, None)
            seq = self._unsnapshotted.pop(charger_id, None)
            if seq is not None:
                taken[charger_id] = seq
            self._snapshot(charger_id, out)
        while self._light and (limit is None or len(out) < limit):
            if out and len(out) % SNAPSHOT_SLICE == 0:
                await asyncio.sleep(0)
                if not self._light:
                    break
            charger_id, since = next(iter(self._light.items()))
            if not force and now - since < LIGHT_STATE_FLUSH_SECONDS:
                break  # the rest are younger: insertion order is age order
            del self._light[charger_id]
            self._snapshot(charger_id, out)
        return out

    def _snapshot(self, charger_id: str, out: list[tuple[str, str]]) -> None:
        state = self._state_of(charger_id)
        if state is not None:
            out.append((charger_id, state.model_dump_json()))


@dataclass
class _Capture:
    """What one journaled CALL queued while it was handled."""

    ops: list[Op] = field(default_factory=list)
    significant: bool = False  # it changed the state (not only timestamps)


def _stale_close_audit(event: TransactionStopped) -> dict[str, Any]:
    """The audit row of a transaction ChargeFix closed itself (stale after a boot): no person
    and no charger ended it, so the audit says so (requested by the system)."""
    tx = event.transaction
    return {
        "charger_id": event.charger_id,
        "command": "close_stale_transaction",
        "params": {"transaction_id": event.transaction_id},
        "requested_by": "system",
        "role": "system",
        "reason": (
            f"charger booted ({event.state.boot_reason or 'BootNotification'}) and reported "
            f"connector {tx.connector_id if tx else 0} Available without this transaction"
        ),
        "forced": False,
        "requested_at": event.at or utcnow(),
        "outcome": "closed",
        "response": {"stop_reason": event.reason},
        "round_trip_ms": None,
        "origin": "system",
        "on_behalf_of": None,
        "overrides": None,
    }


def _signed(values: Iterable[SignedMeterValue]) -> list[dict[str, Any]] | None:
    """Signed meter values as stored with the transaction (None when there are none)."""
    return [v.model_dump(exclude_none=True) for v in values] or None


def _fault_row(fault: OpenFault) -> dict[str, Any]:
    return {
        "uid": fault.uid,
        "connector_id": fault.connector_id,
        "source": fault.source,
        "error_code": fault.error_code,
        "raw_error_code": fault.raw_error_code,
        "vendor_error_code": fault.vendor_error_code,
        "info": fault.info,
        "component": fault.component,
        "variable": fault.variable,
        "tech_code": fault.tech_code,
        "raised_at": fault.raised_at,
    }
