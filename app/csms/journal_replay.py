"""Start-up: store what the journal holds and the database does not (after a crash).

The recorder's batches are committed in queue order (a failed batch is retried together with
what came after it), and a journal record is numbered after everything its CALL queued. So the
database holds a prefix of the journal: the records up to the last one whose received frame is
in the event log. The rest are written as one batch: both frames of each CALL, the fault,
transaction and security records it caused, and for each charger the state its last record
left. That snapshot is the state right after the handler ran, so it restores exactly what the
charger was acknowledged for (server-made values such as a 1.6 transaction id or a fault's uid
included, which re-running the handlers could not reproduce).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.csms.batch_writer import Op, write_batch
from app.csms.journal import Journal, JournalRecord
from app.db.models import EventRow

log = logging.getLogger(__name__)

_CHUNK = 500  # chargers per look-up query


@dataclass
class ReplayResult:
    records: int = 0  # readable records found in the journal
    already_stored: int = 0
    replayed: int = 0  # records written to the database now
    chargers: int = 0  # chargers whose state was restored from the journal
    dead_letters: int = 0


def replay(journal: Journal, session_factory: sessionmaker[Session], node_id: str) -> ReplayResult:
    """Write the journal's unstored records to the database, then empty the journal."""
    records = journal.read()
    result = ReplayResult(records=len(records))
    if records:
        stored_upto = _last_stored_seq(session_factory, records)
        todo = [r for r in records if r.seq > stored_upto]
        result.already_stored = len(records) - len(todo)
        if todo:
            frames, ops, snapshots = _batch_of(todo)
            written = write_batch(session_factory, node_id, frames, ops, snapshots)
            result.replayed = len(todo)
            result.chargers = len(snapshots)
            result.dead_letters = written.dead_letters
            log.warning(
                "journal replay: %d acknowledged CALL(s) of %d charger(s) were not in the "
                "database; stored now",
                len(todo),
                len(snapshots),
            )
    journal.discard()
    return result


def _last_stored_seq(session_factory: sessionmaker[Session], records: list[JournalRecord]) -> int:
    """The highest seq whose received frame is in the event log (0: none)."""
    earliest: dict[str, datetime] = {}
    for record in records:
        if record.charger_id not in earliest or record.ts_in < earliest[record.charger_id]:
            earliest[record.charger_id] = record.ts_in
    present: set[tuple[str, str | None, datetime]] = set()
    chargers = sorted(earliest)
    with session_factory() as session:
        for first in range(0, len(chargers), _CHUNK):
            chunk = chargers[first : first + _CHUNK]
            since = min(earliest[c] for c in chunk)
            rows = session.execute(
                select(EventRow.charger_id, EventRow.unique_id, EventRow.ts).where(
                    EventRow.charger_id.in_(chunk),
                    EventRow.ts >= since,
                    EventRow.direction == "in",
                    EventRow.message_type == 2,
                )
            )
            present.update((c, u, ts) for c, u, ts in rows)
    return max(
        (r.seq for r in records if (r.charger_id, r.unique_id[:64], r.ts_in) in present),
        default=0,
    )


def _batch_of(
    records: list[JournalRecord],
) -> tuple[list[tuple[object, ...]], list[Op], list[tuple[str, str]]]:
    frames: list[tuple[object, ...]] = []
    ops: list[Op] = []
    last_state: dict[str, str] = {}
    for r in records:
        uid = r.unique_id[:64]
        frames.append((r.charger_id, r.ts_in, "in", 2, uid, r.action, r.frame_in))
        frames.append((r.charger_id, r.ts_out, "out", 3, uid, None, r.frame_out))
        ops.extend(r.ops)
        if r.snapshot is not None:
            last_state[r.charger_id] = r.snapshot
    return frames, ops, list(last_state.items())
