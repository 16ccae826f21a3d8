"""One bad record never stops the event log: values are bounded, the rest is written, the bad
one is kept as a dead letter, and health says the writer is degraded."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from app.backend import build_state
from app.db.base import utcnow
from app.db.models import CommandRow, DeadLetterRow, EventRow, SecurityEventRow
from app.state import AppState
from tests.backend.test_storage import database_url  # noqa: F401  (fixture: sqlite + postgres)
from tests.conftest import RunningBackend, make_settings


def _command(charger_id: str, **overrides: object) -> dict[str, object]:
    row: dict[str, object] = {
        "charger_id": charger_id,
        "command": "Reset",
        "params": {"type": "Soft"},
        "requested_by": "tester",
        "role": "admin",
        "reason": "routine",
        "requested_at": utcnow(),
        "outcome": "answered",
    }
    row.update(overrides)
    return row


@pytest.fixture(params=["thread", "process"])
async def state(request, database_url: str, tmp_path: Path) -> AppState:  # noqa: F811
    settings = make_settings(tmp_path, database_url=database_url, recorder_mode=request.param)
    state = build_state(settings)
    state.recorder.writer.start()
    yield state
    state.recorder.writer.stop()
    state.engine.dispose()


async def test_values_are_bounded_where_they_enter(state: AppState) -> None:
    recorder = state.recorder
    recorder.command(**_command("CP-1", reason={"a": 1}))  # a dict into a String column
    recorder.command(**_command("CP-2", reason="r" * 600))  # String(500)
    recorder.security_event("BadPassword", charger_id="C" * 100, detail="x", remote="1.2.3.4")
    recorder.frame("CP-1", "in", 2, "u1", "A" * 100, '[2,"u1","A",{}]')
    await recorder.flush()

    assert recorder.backlog == 0 and recorder.stats.dead_letters == 0
    with state.session_factory() as session:
        reasons = dict(session.execute(select(CommandRow.charger_id, CommandRow.reason)).all())
        assert json.loads(reasons["CP-1"]) == {"a": 1}
        assert reasons["CP-2"] == "r" * 500
        assert session.scalar(select(SecurityEventRow.charger_id)) == "C" * 64
        assert session.scalar(select(EventRow.action)) == "A" * 64
        assert session.scalar(select(DeadLetterRow)) is None


async def test_a_bad_record_is_set_aside_and_the_rest_written(state: AppState) -> None:
    recorder = state.recorder
    for i in range(10):
        recorder.frame(f"CP-{i}", "in", 2, f"u{i}", "Heartbeat", "[]")
        if i == 6:
            recorder.frame(None, "in", 2, "bad", "Heartbeat", "[]")  # type: ignore[arg-type]
    recorder.command(**_command("CP-1", params={1, 2}))  # a set is no JSON
    recorder.command(**_command("CP-2"))
    await recorder.flush()

    assert recorder.backlog == 0
    assert recorder.stats.dead_letters == 2 and recorder.stats.degraded
    assert recorder.stats.last_error and recorder.stats.last_error.startswith("commands: ")
    with state.session_factory() as session:
        assert len(session.scalars(select(EventRow)).all()) == 10
        assert session.scalars(select(CommandRow.charger_id)).all() == ["CP-2"]
        dead = session.scalars(select(DeadLetterRow).order_by(DeadLetterRow.id)).all()
        assert [(d.target_table, d.kind) for d in dead] == [
            ("events", "frame"),
            ("commands", "command"),
        ]
        assert json.loads(dead[0].record)["unique_id"] == "bad"
        assert "charger_id" in dead[0].error or "null" in dead[0].error.lower()
        assert json.loads(dead[1].record)["charger_id"] == "CP-1"

    # the log goes on
    recorder.frame("CP-9", "in", 2, "next", "Heartbeat", "[]")
    await recorder.flush()
    with state.session_factory() as session:
        assert session.scalar(select(EventRow).where(EventRow.unique_id == "next")) is not None


async def test_health_reports_the_writer_degraded(backend: RunningBackend) -> None:
    async with backend.client() as client:
        healthy = (await client.get("/api/health")).json()
        assert healthy["status"] == "ok" and healthy["event_log"]["status"] == "ok"

        backend.state.recorder.command(**_command("CP-1", params={1, 2}))
        for _ in range(100):
            if backend.state.recorder.stats.dead_letters:
                break
            await asyncio.sleep(0.05)
        body = (await client.get("/api/health")).json()
    assert body["status"] == "degraded"
    assert body["event_log"]["status"] == "degraded"
    assert body["event_log"]["dead_letters"] == 1
    assert body["event_log"]["last_error"].startswith("commands: ")
    assert "[SQL" not in body["event_log"]["last_error"]  # no statement, no record data
