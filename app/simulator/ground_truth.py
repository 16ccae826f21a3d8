"""The ground-truth log: what really happened, as JSON lines (and an in-memory tail).

Record kinds: ``fault_injected``, ``fault_cleared`` (with ``how`` and ``permanent``),
``fault_recurred``, ``command`` (every CSMS-initiated action with its answer), ``reboot``,
``connected``, ``disconnected``, ``transaction_started``, ``transaction_stopped``.
"""

from __future__ import annotations

import json
from collections import deque
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO


def utc_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class GroundTruthLog:
    def __init__(self, path: Path | None = None, tail: int = 10_000) -> None:
        self.path = path
        self._tail: deque[dict[str, Any]] = deque(maxlen=tail)
        self._file: TextIO | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = path.open("a", encoding="utf-8")

    def record(self, kind: str, charger_id: str, **fields: Any) -> dict[str, Any]:
        entry = {"ts": utc_iso(), "kind": kind, "charger_id": charger_id, **fields}
        self._tail.append(entry)
        if self._file is not None:
            self._file.write(json.dumps(entry, default=str) + "\n")
        return entry

    def tail(
        self, n: int = 100, charger_id: str | None = None, kind: str | None = None
    ) -> list[dict[str, Any]]:
        rows = [
            e
            for e in self._tail
            if (charger_id is None or e["charger_id"] == charger_id)
            and (kind is None or e["kind"] == kind)
        ]
        return rows[-n:] if n else rows

    def flush(self) -> None:
        if self._file is not None:
            self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
