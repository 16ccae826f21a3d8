"""Pure helpers of the UI: wording, DOT for broken procedures, frames, API client errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from app.ui.api_client import ApiClient, ApiError, BackendUnavailable
from app.ui.common import system_action_lines
from app.ui.dot import editor_dot
from app.ui.frames import faults_over_time, fleet_frame, resolutions_by_day
from app.ui.wording import consequence, expected_range


def test_consequence_names_what_stops() -> None:
    live = {"transactions": {"t1": {"connector_id": 2}}}
    assert consequence("reset", {"type": "hard"}, live) == (
        "The charger will reboot completely (up to 5 min); charging on connector 2 will stop."
    )
    assert consequence("reset", {"type": "soft"}, {}) == (
        "The charger will restart its software (1-3 min)."
    )
    text = consequence("change_availability", {"type": "inoperative", "connector_id": 1}, live)
    assert text == "Connector 1 will be taken out of service."
    assert consequence("frobnicate", None, None) == "A remote action will be sent to the charger."
    text = consequence("restart_peripheral", {"fault": "payment_terminal_failure"}, live)
    assert text == "Only the payment terminal will restart; charging goes on."
    assert expected_range({"min": 207, "max": 253}, "V") == "normal: 207 to 253 V"


def test_editor_dot_marks_errors_and_missing_nodes() -> None:
    text = """
id: p
start: a
nodes:
  - {id: a, type: question, kind: yes_no, title: Is it online, on_yes: b, on_no: ghost}
  - {id: b, type: terminal, title: Done, outcome: resolved}
"""
    dot = editor_dot(text, [{"node_id": "a", "field": "on_no", "message": "unknown node ghost"}])
    assert dot is not None
    assert '"a" [label="Is it online\\n[a]\\n⚠ on_no: unknown node ghost"' in dot
    assert '"ghost" [label="missing: ghost"' in dot
    assert "palegreen" in dot
    assert editor_dot("not: [a procedure") is None
    assert editor_dot("just text") is None


def test_frames() -> None:
    chargers = [
        {
            "charger_id": "A",
            "online": True,
            "connectors": {"1": {"status": "Faulted"}},
            "open_faults": [{"error_code": "InternalError"}],
        },
        {"charger_id": "B", "online": False, "connectors": {}, "open_faults": []},
    ]
    frame = fleet_frame(chargers)
    assert list(frame["status"]) == ["Faulted", "Offline"]
    faults = [
        {"raised_at": "2026-01-01T10:05:00+00:00", "error_code": "X", "connector_id": 1},
        {"raised_at": "2026-01-01T10:50:00+00:00", "error_code": "X", "connector_id": 1},
    ]
    assert faults_over_time(faults)["X"].tolist() == [2]
    sessions = [
        {"id": "1", "created_at": "2026-01-01T10:00:00+00:00", "outcome": "resolved"},
        {"id": "2", "created_at": "2026-01-01T11:00:00+00:00", "outcome": "site_visit"},
        {"id": "3", "created_at": "2026-01-01T11:00:00+00:00", "outcome": None},
    ]
    by_day = resolutions_by_day(sessions)
    assert by_day["remote"].tolist() == [1] and by_day["site visit"].tolist() == [1]


def test_api_client_errors_and_retries() -> None:
    calls = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if request.url.path == "/down":
            raise httpx.ConnectError("refused")
        if request.url.path == "/cmd":
            return httpx.Response(504, json={"detail": {"error": "charger did not answer"}})
        return httpx.Response(422, json={"detail": [{"loc": ["body", "x"], "msg": "missing"}]})

    client = ApiClient("http://test", "tok", transport=httpx.MockTransport(handler))
    with pytest.raises(ApiError) as error:
        client.post("/cmd", {})
    assert error.value.status == 504 and error.value.message == "charger did not answer"
    assert "online" in error.value.hint
    with pytest.raises(ApiError) as error:
        client.get("/bad")
    assert error.value.message == "x: missing"
    calls["n"] = 0
    with pytest.raises(BackendUnavailable):
        client.get("/down")
    assert calls["n"] == 4  # first try + 3 retries


def test_plain_escapes_every_markdown_meaning_and_keeps_every_character() -> None:
    import re

    from app.ui.wording import plain

    raw = "![x](http://127.0.0.1:9/beacon) [a](b) **b** `c` # h :red[r] $x$ <b>&amp; 1. -"
    escaped = plain(raw)
    assert "\\&amp;" in escaped  # an escaped & starts no HTML entity
    for active in ("](", "http:", "**", "`c`", ":red[", "$x$", "<b>"):
        assert active not in escaped, active
    assert re.sub(r"\\(.)", r"\1", escaped) == raw


def test_fault_line_names_code_meaning_and_whether_a_reset_may_help() -> None:
    from app.ui.wording import fault_line

    # 2.0.1, EVerest: EVSE Problem with a ChargeX techCode (the 1.6 error code is only mapped)
    cx = {
        "connector_id": 2,
        "error_code": "OtherError",
        "tech_code": "CX017",
        "component": "EVSE",
        "classification": {
            "known": True,
            "standard_code": "CX017",
            "meaning": "Contactor welded.",
            "safety_class": "never_reset",
        },
    }
    assert fault_line(cx) == "Connector 2 · CX017 · Contactor welded. · safety: never reset"
    # 1.6, a vendor code the catalogue knows
    vendor = {
        "connector_id": 0,
        "error_code": "InternalError",
        "vendor_error_code": "HX-E101",
        "info": "Main application watchdog timeout",
        "classification": {"known": True, "meaning": "Firmware hang", "safety_class": "reset_safe"},
    }
    assert fault_line(vendor) == "Charger · HX-E101 · Firmware hang · a reset may clear it"
    # EVerest's 1.6 follow-up: no code the catalogue knows, the charger's own words shown
    follow_up = {"connector_id": 1, "error_code": "OtherError", "info": "caused_by:GroundFailure"}
    assert fault_line(follow_up) == (
        "Connector 1 · OtherError · caused_by:GroundFailure · not in the catalogue: no reset"
    )


def test_what_the_system_did_names_actions_not_its_reports() -> None:
    """A partner reads what self-diagnosis did (a restart, a diagnosis); the monitors and
    reports it asks a 2.0.1 charger for at boot change nothing there and are not listed."""
    now = datetime.now(UTC)
    at = (now - timedelta(minutes=2)).isoformat()
    old = (now - timedelta(hours=2)).isoformat()
    commands = [
        {"command": "set_variable_monitoring", "origin": "diagnosis", "requested_at": at},
        {"command": "get_base_report", "origin": "diagnosis", "requested_at": at},
        {"command": "reset", "origin": "diagnosis", "requested_at": at, "outcome": "answered"},
        {"command": "reset", "origin": "session", "requested_at": at, "outcome": "answered"},
        {"command": "reset", "origin": "diagnosis", "requested_at": old, "outcome": "answered"},
    ]
    diagnoses = [{"opened_at": at, "title": "Firmware hang", "status": "remediating"}]
    lines = system_action_lines(diagnoses, commands, now - timedelta(minutes=30))
    assert len(lines) == 2
    assert lines[0].endswith("diagnosed Firmware hang (remediating)") or lines[1].endswith(
        "diagnosed Firmware hang (remediating)"
    )
    assert any("sent a restart by itself (charger answer: answered)" in line for line in lines)


def test_a_group_problem_is_shown_at_each_of_its_chargers() -> None:
    """A charger that is part of another charger's diagnosis (a card processor outage, a
    site's supply) is told so, and one still open is listed however long ago it opened."""
    now = datetime.now(UTC)
    old = (now - timedelta(hours=3)).isoformat()
    diagnoses = [
        {
            "opened_at": old,
            "charger_id": "SITE-1-DC-01",
            "title": "Card payments failing at several sites at once",
            "status": "waiting",
        },
        {
            "opened_at": old,
            "closed_at": old,
            "charger_id": "SITE-2-DC-01",
            "title": "Old",
            "status": "resolved",
        },
    ]
    lines = system_action_lines(diagnoses, [], now - timedelta(minutes=30), "SITE-2-DC-01")
    assert len(lines) == 1
    assert lines[0].endswith(
        "diagnosed Card payments failing at several sites at once, here and at other chargers"
        " (waiting)"
    )
