"""The response models keep the JSON the views always gave: a key set only sometimes stays
absent (not null), the ``from`` alias is kept, datetimes keep ``isoformat()``; and a field a
view adds without declaring it is refused rather than leaked."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.exceptions import ResponseValidationError
from fastapi.testclient import TestClient

from app.diagnosis.schemas import DiagnosisView
from app.sessions.schemas import SessionView

AT = "2026-11-30T03:00:00+00:00"


def _session() -> dict[str, Any]:
    step = {
        "seq": 1,
        "at": AT,
        "actor": "partner-1",
        "role": "partner",
        "kind": "answer",
        "node_id": "works",
        "procedure_id": "test-reset",
        "procedure_version": 1,
        "answer": {"free": ["form", 1]},
        "branch": "yes",
        "note": None,
        "photo": None,
        "command": None,
        "command_params": None,
        "command_result": None,
        "entered": ["works"],
        "elapsed_seconds": 2.5,
    }
    return {
        "id": "s-1",
        "version": 3,
        "charger_id": "SITE-001-AC-01",
        "connector_id": 1,
        "partner": "partner-1",
        "status": "active",
        "outcome": None,
        "outcome_note": None,
        "symptom": "no charge",
        "procedure": {"id": "test-reset", "version": 1, "title": "Test soft reset"},
        "cursor": {"node_id": "reset", "phase": "wait"},
        "current_node": {"id": "reset", "type": "remote_action"},
        "directive": {"kind": "wait", "text": "Waiting"},
        "progress": {"phase": "wait", "attempt": 1},  # no seconds_left, no waiting_for
        "estimate": {"step": 2, "fewest": 3, "most": 4},
        "can_undo": False,
        "consultant_step": None,
        "hazard": None,
        "handoff": None,
        "messages": [
            {
                "seq": 2,
                "at": AT,
                "from": "consultant-1",
                "name": "Casey",
                "person": True,
                "role": "consultant",
                "text": "hi",
            }
        ],
        "live": {"id": "SITE-001-AC-01", "online": True},
        "steps": [step],
        "created_at": AT,
        "updated_at": AT,
        "finished_at": None,
    }


def _serve(payload: dict[str, Any]) -> TestClient:
    api = FastAPI()

    @api.get("/view", response_model_exclude_unset=True)
    def view() -> SessionView:
        return SessionView.model_validate(payload)

    return TestClient(api)


def test_session_view_json_is_the_view_dict_unchanged() -> None:
    payload = _session()
    assert _serve(payload).get("/view").json() == payload  # no key added, none renamed


def test_an_undeclared_field_is_refused_not_leaked() -> None:
    payload = {**_session(), "pending": {"secret": "internal"}}
    with pytest.raises(Exception, match="pending"):
        SessionView.model_validate(payload)
    api = FastAPI()

    @api.get("/leak")
    def leak() -> SessionView:
        return payload  # type: ignore[return-value]

    with pytest.raises(ResponseValidationError):
        TestClient(api).get("/leak")


def test_diagnosis_datetimes_keep_isoformat() -> None:
    opened = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
    row = {
        "id": 1,
        "charger_id": "C1",
        "site_id": None,
        "connector_id": 1,
        "rule_id": "r",
        "title": "t",
        "fault_class": "fault",
        "likely_cause": "c",
        "confidence": 0.8,
        "remote_resolvable": True,
        "fault_key": None,
        "error_code": "InternalError",
        "catalogue_entry": None,
        "standard_code": None,
        "safety_class": "reset_safe",
        "responsible": "cpo",
        "procedure_id": None,
        "parts": [],
        "ladder": ["soft_reset"],
        "evidence": [{"seq": 1, "t": 1.0, "kind": "status", "status": "Faulted"}],
        "event_ids": [7],
        "status": "open",
        "outcome_note": None,
        "dry_run": False,
        "session_id": None,
        "handoff_id": None,
        "opened_at": opened,
        "closed_at": None,
    }
    dumped = DiagnosisView.model_validate(row).model_dump(mode="json", exclude_unset=True)
    assert dumped["opened_at"] == opened.isoformat() == "2026-11-30T03:00:00+00:00"
    assert "actions" not in dumped  # the list view has none; only the detail adds them
