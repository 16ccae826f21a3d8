"""The partner flow's words and the hazard banner, without a backend."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from app.ui.wording import (
    consequence,
    outcome_words,
    plain_passage,
    progress_words,
    step_line,
)


def test_no_internal_names_reach_the_partner() -> None:
    text = consequence("change_availability", {"type": "Inoperative", "connector_id": 1}, {})
    assert text == "Connector 1 will be taken out of service."  # 1.6 spelling too
    for command in ("get_configuration", "change_configuration", "clear_cache", "remote_stop"):
        assert command not in consequence(command, {}, {})
    assert outcome_words("site_visit") == "Site visit needed"
    assert outcome_words("some_new_outcome") == "Some new outcome"
    line = step_line(
        {
            "at": "2026-11-30T09:12:00",
            "actor": "system",
            "kind": "command",
            "command": "change_availability",
            "command_params": {"type": "Inoperative"},
        }
    )
    assert "change_availability" not in line and "change of service state" in line


def test_escalation_by_the_procedure_is_not_worded_as_the_partner_calling() -> None:
    by_procedure = step_line(
        {
            "at": "2026-11-30T09:12:00",
            "actor": "system",
            "kind": "escalated",
            "answer": {"handoff_id": 3, "by": "procedure", "node": "escalate"},
        }
    )
    assert "procedure handed over" in by_procedure and "Called a consultant" not in by_procedure
    by_partner = step_line(
        {"at": "2026-11-30T09:12:00", "actor": "pat", "kind": "escalated", "answer": {}}
    )
    assert "pat · Called a consultant" in by_partner


def test_manual_tables_are_plain_text() -> None:
    passage = (
        "## Error codes\n| Code | Meaning |\n|------|:-------:|\n| E-201 | **Firmware** hang |"
    )
    assert plain_passage(passage) == "Error codes\nCode · Meaning\nE-201 · Firmware hang"
    assert "|" not in plain_passage(passage)


def test_progress_words() -> None:
    assert progress_words({"step": 3, "fewest": 4, "most": 7}) == "Step 3 of about 7"
    assert progress_words({"step": 2, "fewest": 5, "most": 5}) == "Step 2 of 5"
    assert progress_words(None) == ""


def _hazard_app(hazard: dict | None, directive: dict) -> AppTest:  # type: ignore[type-arg]
    def script() -> None:
        import streamlit as st

        from app.ui.hazard import hazard_gate

        sent = st.session_state.setdefault("sent", [])
        session = {"id": "s1", "version": 4, "hazard": st.session_state["hazard"]}
        shown = hazard_gate(
            session,
            st.session_state["directive"],
            lambda session, kind, value: sent.append((kind, value)),
        )
        if shown:
            st.button("Measured", key="step_button")

    at = AppTest.from_function(script)
    at.session_state["hazard"] = hazard
    at.session_state["directive"] = directive
    return at.run()


def test_a_hazardous_step_waits_for_the_isolation_acknowledgement() -> None:
    """The session view's ``hazard`` (app/sessions/views.py hazard_view) drives the banner."""
    hazard = {
        "safety_level": "electrician",
        "acknowledgement": "I have isolated the supply, locked it off and proven it dead.",
        "acknowledged": False,
    }
    at = _hazard_app(hazard, {"action": "acknowledge", "hazard": True})
    assert "proven it dead" in at.error[0].value.lower()
    assert [b.key for b in at.button] == ["ts_hazard_ack"]  # the step's buttons wait
    at.button(key="ts_hazard_ack").click().run()
    assert at.session_state["sent"] == [("acknowledge", True)]
    done = _hazard_app({**hazard, "acknowledged": True}, {"action": "ask"})
    assert [b.key for b in done.button] == ["step_button"]
    plain = _hazard_app(None, {"action": "ask"})
    assert not plain.error and [b.key for b in plain.button] == ["step_button"]
