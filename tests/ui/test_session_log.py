"""The session log in plain words: a narrow table (started, charger, partner, procedure,
result) and each entry as who and what happened, never an internal name."""

from __future__ import annotations

from app.ui.session_words import timeline_rows, what_happened, who
from tests.ui.conftest import UiStack
from tests.ui.helpers import app_as
from tests.ui.test_consultant import _escalated_session

RAW_NAMES = ("consultant_command", "handoff_closed", "site_visit", "created", "escalated")


def test_entries_are_plain_words() -> None:
    at = "2026-11-30T09:12:00+00:00"
    soft = {
        "at": at,
        "actor": "system",
        "role": "admin",
        "kind": "command",
        "command": "reset",
        "command_params": {"type": "Soft"},
        "command_result": {"status": "Accepted"},
    }
    assert what_happened(soft) == "Soft reset sent, the charger answered: Accepted"
    assert who(soft) == "ChargeFix"
    answer = {"at": at, "actor": "pat", "role": "partner", "kind": "answer", "answer": True}
    assert what_happened(answer) == "Partner answered: Yes"
    assert who(answer) == "pat (partner)"
    assert what_happened({**answer, "answer": "cable_damaged"}) == "Partner answered: Cable damaged"
    closed = {"kind": "handoff_closed", "answer": {"outcome": "site_visit"}, "role": "consultant"}
    assert what_happened(closed) == "Consultant closed the handoff: Site visit needed"
    unlock = {"kind": "consultant_command", "command": "unlock_connector", "role": "consultant"}
    unlock["command_result"] = {"status": "Unlocked"}
    assert what_happened(unlock) == "Plug unlock sent by the consultant: Unlocked"
    rows = timeline_rows([soft, answer, closed, unlock])
    for row in rows:
        for raw in (*RAW_NAMES, "unlock_connector", "_"):
            assert raw not in row["What happened"], row


def test_session_log_table_and_entries_in_plain_words(stack: UiStack) -> None:
    _, session_id, handoff_id = _escalated_session(stack)
    with stack.http(stack.token("casey")) as casey:
        assert casey.post(f"/api/handoffs/{handoff_id}/claim").status_code == 200
        r = casey.post(f"/api/handoffs/{handoff_id}/commands/reset", json={"type": "soft"})
        assert r.status_code == 200, r.text
        r = casey.post(
            f"/api/handoffs/{handoff_id}/close",
            json={"outcome": "site_visit", "resolution": "needs a new board"},
        )
        assert r.status_code == 200, r.text
    at = app_as(stack, "casey", page="session_log.py")
    table = at.dataframe[0].value
    assert [c for c in table.columns if c != "id"] == [
        "Started",
        "Charger",
        "Partner",
        "Procedure",
        "Result",
    ]
    mine = table[table["id"] == session_id]
    assert mine["Result"].tolist() == ["Site visit needed"]
    at.selectbox(key="log_open").set_value(session_id).run()
    assert not at.exception, at.exception
    timeline = at.dataframe[1].value
    assert list(timeline.columns) == ["Time", "Who", "What happened", "Details"]
    said = timeline["What happened"].tolist()
    assert said[0] == "Session started"
    assert "Partner called a consultant" in said
    assert "A consultant took over" in said
    assert "Soft reset sent by the consultant: Accepted" in said
    assert "Consultant closed the handoff: Site visit needed" in said
    assert "pat (partner)" in timeline["Who"].tolist()
    for entry in said:
        assert not any(raw in entry for raw in RAW_NAMES), entry
