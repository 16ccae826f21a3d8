"""People first: while a person troubleshoots a charger, self-diagnosis posts what it found
into their session and does nothing else (no command, no escalation in their name)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from sqlalchemy import select

from app.db.models import CommandRow
from app.db.models_diagnosis import DiagnosisRow
from app.db.models_sessions import HandoffRow, SessionStep
from tests.diagnosis.conftest import plan


async def test_diagnosis_stays_its_hand_while_a_partners_session_is_open(
    make_backend, make_fleet
) -> None:
    backend = await make_backend()
    p = plan("voltara_wb22", "1.6")
    fleet = await make_fleet(backend, [p])
    partner = backend.token("partner", name="pat", sites=(p.site,))
    async with backend.client(partner) as pat:
        r = await pat.post("/api/sessions", json={"charger_id": p.charger_id, "symptom": "dark"})
        assert r.status_code == 201, r.text
        session_id = r.json()["id"]
    fleet.charger(p.charger_id).inject_now("firmware_hang")  # a fault it would reset

    def stood_back() -> DiagnosisRow | None:
        with backend.state.session_factory() as db:
            return db.scalar(
                select(DiagnosisRow).where(
                    DiagnosisRow.charger_id == p.charger_id, DiagnosisRow.status == "with_person"
                )
            )

    deadline = time.monotonic() + 20
    while (row := stood_back()) is None and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert row is not None and row.session_id == session_id
    await backend.state.recorder.flush()
    with backend.state.session_factory() as db:
        sent: list[Any] = list(
            db.scalars(select(CommandRow).where(CommandRow.charger_id == p.charger_id))
        )
        notes = [
            s.note
            for s in db.scalars(select(SessionStep).where(SessionStep.session_id == session_id))
            if s.kind == "note"
        ]
        handoffs = list(db.scalars(select(HandoffRow)))
    assert [c.command for c in sent if c.origin == "diagnosis"] == []
    assert any("Self-diagnosis" in (n or "") and "took no action" in (n or "") for n in notes)
    assert handoffs == []  # never escalated on the partner's behalf
