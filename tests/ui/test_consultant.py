"""Consultant pages: desk (claim, chat, push, command, close), session log, fleet."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from streamlit.testing.v1 import AppTest

from app.diagnosis.remediation import SYSTEM as DIAGNOSIS
from app.sessions.handoffs import HandoffService
from app.ui.navigation import pages_for
from app.ui.people import CONSULTANT, MACHINE
from tests.ui.conftest import MAIN, UiStack
from tests.ui.helpers import app_as, button, claim_and_close, diagnosis_handoff, texts

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02"
    b"\x00\x00\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01"
    b"\x00\xc9\xfe\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82"
)


def _escalated_session(
    stack: UiStack, fault: str = "firmware_hang", charger: str | None = None, version: str = "1.6"
) -> tuple[str, str, int]:
    if charger is None:
        charger = stack.take_charger(version)
        stack.inject(charger, fault)
    with stack.http(stack.token("pat")) as pat:
        r = pat.post("/api/sessions", json={"charger_id": charger, "symptom": "screen frozen"})
        assert r.status_code == 201, r.text
        view = r.json()
        photo = pat.post(
            f"/api/sessions/{view['id']}/photos",
            files={"file": ("screen.png", PNG, "image/png")},
        )
        assert photo.status_code == 201, photo.text
        r = pat.post(
            f"/api/sessions/{view['id']}/answer",
            json={
                "expected_version": view["version"],
                "kind": "note",
                "note": "screen is black",
                "photo": photo.json()["url"],
            },
        )
        assert r.status_code == 200, r.text
        view = r.json()
        r = pat.post(
            f"/api/sessions/{view['id']}/escalate",
            json={"expected_version": view["version"], "reason": "needs help", "priority": "high"},
        )
        assert r.status_code == 200, r.text
        return charger, view["id"], r.json()["handoff"]["id"]


def test_desk_shows_a_201_chargers_inventory_and_monitors(stack: UiStack) -> None:
    charger, _, handoff_id = _escalated_session(stack, version="2.0.1")
    at = app_as(stack, "casey")
    at.button(key=f"open_{handoff_id}").click().run()
    button(at, "Claim").click().run()
    at.toggle(key="desk_inventory").set_value(True).run()
    assert "No inventory stored yet." in texts(at)
    at.button(key="desk_inventory_ask").click().run()
    assert not at.exception, at.exception
    assert "get_base_report: Accepted" in texts(at)
    # the simulated station sends its device model in NotifyReport parts (B07)
    stack.wait_for(
        lambda: stack.http().get(f"/api/chargers/{charger}/inventory").json()["reports"],
        f"inventory of {charger}",
    )
    at.run()
    assert "FullInventory: " in texts(at)
    table = next(d.value for d in at.dataframe if "Component" in d.value.columns)
    assert {"OCPPCommCtrlr", "DeviceDataCtrlr"} <= set(table["Component"])
    assert "HeartbeatInterval" in set(table["Variable"])
    # N04 then N02: a monitor set through the API, the report asked from the desk
    with stack.http() as admin:
        r = admin.post(
            f"/api/chargers/{charger}/commands/set_variable_monitoring",
            json={
                "monitors": [
                    {
                        "component": "EVSE",
                        "evse_id": 1,
                        "variable": "Power",
                        "type": "UpperThreshold",
                        "value": 50000,
                        "severity": 3,
                    }
                ]
            },
        )
        assert r.status_code == 200, r.text
    at.toggle(key="desk_monitors").set_value(True).run()
    assert "No monitors stored yet." in texts(at)
    at.button(key="desk_monitors_ask").click().run()
    assert "get_monitoring_report: Accepted" in texts(at)
    stack.wait_for(
        lambda: stack.http().get(f"/api/chargers/{charger}/monitors").json()["reports"],
        f"monitors of {charger}",
    )
    at.run()
    table = next(d.value for d in at.dataframe if "Severity" in d.value.columns)
    # ours beside the monitors self-diagnosis set at boot (Problem, Tripped, ...)
    power = table[table["Variable"] == "Power"]
    assert list(power["Value"]) == [50000] and list(power["Severity"]) == [3]
    assert "Problem" in set(table["Variable"])
    # from the desk: a monitor set (N04), then cleared by its id (N06)
    form_inputs = {t.label: t for t in at.text_input}
    form_inputs["Variable"].input("Current.Import")
    next(n for n in at.number_input if n.label == "Value").set_value(32.0)
    next(b for b in at.button if "Set monitor" in str(b.label)).click().run()
    assert not at.exception, at.exception
    result = next(t for t in texts(at).splitlines() if t.startswith("set_variable_monitoring"))
    new_id = int(result.split("id ")[1].split(":")[0])
    assert result.endswith("Accepted")
    at.number_input(key="desk_monitor_id").set_value(new_id)
    at.button(key="desk_monitor_clear").click().run()
    assert f"clear_variable_monitoring: id {new_id}: Accepted" in texts(at)


def test_desk_claim_chat_push_command_close(stack: UiStack) -> None:
    charger, session_id, handoff_id = _escalated_session(stack)
    at = app_as(stack, "casey")
    assert "Desk" in texts(at) and charger in texts(at)
    at.button(key=f"open_{handoff_id}").click().run()
    assert "needs help" in texts(at)
    assert len(at.get("image")) == 2  # the partner's photo in the summary and the timeline
    button(at, "Claim").click().run()
    assert not at.exception, at.exception
    at.text_input(key=f"desk_msg_{handoff_id}").input("Hello, I am looking at it").run()
    button(at, "Send").click().run()
    assert "Hello, I am looking at it" in texts(at)
    at.text_input(key=f"desk_step_{handoff_id}").input("Check the breaker").run()
    at.button(key="desk_push_s").click().run()
    at.selectbox(key=f"desk_cmd_{handoff_id}").set_value("Soft reset").run()
    assert "restart its software" in texts(at)
    at.checkbox(key=f"desk_cmd_sure_{handoff_id}").check().run()
    at.button(key="desk_run").click().run()
    assert "reset: Accepted" in texts(at), texts(at)
    with stack.http(stack.token("pat")) as pat:
        view = pat.get(f"/api/sessions/{session_id}").json()
    assert view["consultant_step"]["text"] == "Check the breaker"
    assert any(m["text"] == "Hello, I am looking at it" for m in view["messages"])
    at.selectbox(key="desk_outcome").set_value("resolved").run()
    at.text_area(key=f"desk_resolution_{handoff_id}").input("Soft reset from the desk").run()
    at.button(key="desk_close").click().run()
    assert f"Handoff {handoff_id} closed (Resolved)" in texts(at)
    with stack.http(stack.token("pat")) as pat:
        view = pat.get(f"/api/sessions/{session_id}").json()
    assert view["status"] == "finished" and view["outcome"] == "resolved"


def test_no_reset_first_on_a_safety_fault_and_results_stay_with_their_handoff(
    stack: UiStack,
) -> None:
    _, _, first = _escalated_session(stack)
    _, _, second = _escalated_session(stack, "ground_fault")  # GroundFailure: never reset
    with stack.http(stack.token("casey")) as casey:
        offered = casey.get(f"/api/handoffs/{second}").json()["commands"]
    default = next(item for item in offered if item["default"])
    assert default["command"] == "trigger_message"
    assert all(item["held"] for item in offered if item["command"] == "reset")
    at = app_as(stack, "casey")
    at.button(key=f"open_{first}").click().run()
    button(at, "Claim").click().run()
    assert at.selectbox(key=f"desk_cmd_{first}").value == "Soft reset"  # no safety fault here
    at.checkbox(key=f"desk_cmd_sure_{first}").check().run()
    at.button(key="desk_run").click().run()
    assert "reset: Accepted" in texts(at), texts(at)
    at.text_area(key=f"desk_resolution_{first}").input("Reset it").run()
    at.button(key="desk_close").click().run()
    at.button(key=f"open_{second}").click().run()
    button(at, "Claim").click().run()
    assert not at.exception, at.exception
    assert "reset: Accepted" not in texts(at)  # the first handoff's result stays there
    assert at.selectbox(key=f"desk_cmd_{second}").value == "Ask for status"
    assert not at.checkbox(key=f"desk_cmd_sure_{second}").value


def test_a_diagnosis_and_a_partner_handoff_for_one_charger_are_one_case(stack: UiStack) -> None:
    charger = stack.take_charger()
    stack.inject(charger)
    diag_session, diag = diagnosis_handoff(stack, charger, "Escalation: hang")
    _, session_id, partner = _escalated_session(stack, charger=charger)
    with stack.http(stack.token("casey")) as casey:
        view = casey.get(f"/api/handoffs/{partner}").json()
        queue = {row["id"]: row for row in casey.get("/api/handoffs").json()}
    assert view["case_id"] == diag == queue[diag]["case_id"] == queue[partner]["case_id"]
    assert [linked["id"] for linked in view["linked"]] == [diag]
    with stack.http(stack.token("pat")) as pat:  # the partner sees their own handoff only
        own = pat.get(f"/api/handoffs/{partner}").json()
    assert "linked" not in own and "commands" not in own
    at = app_as(stack, "casey")
    assert f"case {diag}" in at.button(key=f"open_{partner}").label
    at.button(key=f"open_{partner}").click().run()
    assert f"Linked handoff {diag} from diagnosis" in texts(at)
    assert "Escalation: hang" in texts(at)
    button(at, "Claim").click().run()
    at.text_area(key=f"desk_resolution_{partner}").input("One visit for both").run()
    at.button(key="desk_close").click().run()
    assert not at.exception, at.exception
    with stack.http(stack.token("casey")) as casey:
        assert casey.get(f"/api/handoffs/{diag}").json()["status"] == "closed"
        assert casey.get(f"/api/sessions/{diag_session}").json()["status"] == "finished"
        assert casey.get(f"/api/sessions/{session_id}").json()["status"] == "finished"


def test_the_desk_says_when_the_charger_of_a_handoff_is_healthy_again(stack: UiStack) -> None:
    charger = stack.take_charger()  # no fault: healthy, as after a fault that cleared
    _, handoff_id = diagnosis_handoff(stack, charger, "Site visit: ground fault")
    since = datetime(2026, 12, 1, 14, 5, tzinfo=UTC)
    hand = HandoffService(stack.backend.state.sessions)
    assert stack.run(hand.charger_recovered(charger, since, DIAGNOSIS, 300)) == [handoff_id]
    assert stack.run(hand.charger_recovered(charger, since, DIAGNOSIS, 300)) == []  # once
    at = app_as(stack, "casey")
    entry = at.button(key=f"open_{handoff_id}").label
    assert f"{charger} · healthy again 14:05 UTC" in entry.replace("\\", ""), entry
    at.button(key=f"open_{handoff_id}").click().run()
    shown = [s.value for s in at.success]
    assert (
        "Healthy again since 14:05 UTC: a visit may not be needed. "
        "Check before anyone drives out." in shown
    ), shown
    assert "for 5 min. A visit may no longer be needed" in texts(at)  # the note, in the thread
    claim_and_close(stack, handoff_id, "not_reproducible", "back by itself")


def _notified(at: Any) -> str:
    """The notification scripts the desk rendered on this run."""
    return "\n".join(e.value for e in at.get("html") if "Notification" in e.value)


def test_the_desk_notifies_the_browser_of_a_new_handoff(stack: UiStack) -> None:
    _, _, before = _escalated_session(stack)
    at = app_as(stack, "casey")
    # the desk hands the browser the waiting queue; the browser tells what is new (once per
    # handoff, nothing on the first load: test_browser.py runs that script in Chromium)
    assert f'"id": {before}' in _notified(at)
    charger, _, new = _escalated_session(stack)
    at.run()
    script = _notified(at)
    assert f'"id": {new}' in script and charger in script and f'"id": {before}' in script
    linked = AppTest.from_file(MAIN, default_timeout=30)  # the webhook's link opens it
    linked.session_state["auth"] = dict(at.session_state["auth"])
    linked.query_params["handoff"] = str(new)
    linked.run()
    assert button(linked, "Claim") and f"{charger} · high" in texts(linked)
    with stack.http(stack.token("casey")) as casey:
        assert casey.post(f"/api/handoffs/{new}/claim").status_code == 200
    at.run()
    assert f'"id": {new}' not in _notified(at)  # claimed: no longer news to anyone
    with stack.http(stack.token("casey")) as casey:
        done = {"outcome": "resolved", "resolution": "test"}
        assert casey.post(f"/api/handoffs/{new}/close", json=done).status_code == 200


def test_queue_shows_target_reason_and_a_mine_tab(stack: UiStack) -> None:
    charger, _, handoff_id = _escalated_session(stack)
    at = app_as(stack, "casey")
    entry = at.button(key=f"open_{handoff_id}").label.replace("\\", "")  # Markdown escapes
    assert "HIGH" in entry and "of 10 min" in entry and "needs help" in entry, entry
    assert charger in entry and "site " in entry
    assert "over the 10 min target" in texts(at)
    with stack.http(stack.token("casey")) as casey:
        assert casey.post(f"/api/handoffs/{handoff_id}/claim").status_code == 200
    at.run()
    assert [t.label for t in at.tabs][1].startswith("Mine (")
    assert "waited" in at.button(key=f"mine_{handoff_id}").label
    with stack.http(stack.token("casey")) as casey:
        done = {"outcome": "resolved", "resolution": "test"}
        r = casey.post(f"/api/handoffs/{handoff_id}/close", json=done)
        assert r.status_code == 200, r.text


def test_partner_sees_consultant_messages_and_pushed_step(stack: UiStack) -> None:
    charger, session_id, handoff_id = _escalated_session(stack)
    with stack.http(stack.token("casey")) as casey:
        assert casey.post(f"/api/handoffs/{handoff_id}/claim").status_code == 200
        casey.post(f"/api/handoffs/{handoff_id}/messages", json={"text": "Stay there please"})
        casey.post(f"/api/handoffs/{handoff_id}/push", json={"text": "Open the cabinet door"})
    at = app_as(stack, "pat")
    button(at, charger).click().run()
    page = texts(at)
    assert "A consultant is on the way" in page
    assert "Stay there please" in page and "Open the cabinet door" in page
    button(at, "Done").click().run()
    with stack.http(stack.token("pat")) as pat:
        view = pat.get(f"/api/sessions/{session_id}").json()
    assert view["consultant_step"] is None


def test_partner_is_told_who_has_it_and_people_are_shown_as_people(stack: UiStack) -> None:
    charger, session_id, handoff_id = _escalated_session(stack)
    at = app_as(stack, "pat")
    button(at, charger).click().run()
    assert "Waiting for a consultant to take over." in texts(at)
    at.text_input(key=f"ts_msg_{session_id}").input("The door is open")  # typed, not sent
    with stack.http(stack.token("casey")) as casey:
        assert casey.post(f"/api/handoffs/{handoff_id}/claim").status_code == 200
        casey.post(f"/api/handoffs/{handoff_id}/messages", json={"text": "Stay there please"})
    at.run()  # what the page's watch does when the session changes
    assert not at.exception, at.exception
    assert "Casey (consultant) is on it." in texts(at)  # the consultant's display name
    assert at.text_input(key=f"ts_msg_{session_id}").value == "The door is open"
    bubbles = at.get("chat_message")
    assert [b.name for b in bubbles] == ["Casey (consultant)"]
    assert all(b.avatar != MACHINE and b.name not in ("assistant", "user") for b in bubbles)
    desk = app_as(stack, "casey")
    desk.button(key=f"mine_{handoff_id}").click().run()
    assert [b.avatar for b in desk.get("chat_message")] == [CONSULTANT]


def test_a_pushed_question_is_answered_with_a_button_and_logged(stack: UiStack) -> None:
    charger, session_id, handoff_id = _escalated_session(stack)
    desk = app_as(stack, "casey")
    desk.button(key=f"open_{handoff_id}").click().run()
    button(desk, "Claim").click().run()
    desk.text_input(key=f"desk_step_{handoff_id}").input("Is the RCD in the cabinet down?").run()
    desk.text_area(key=f"desk_answers_{handoff_id}").input("Yes\nNo\nNo RCD to see").run()
    desk.button(key="desk_push_s").click().run()
    assert not desk.exception, desk.exception
    with stack.http(stack.token("pat")) as pat:
        view = pat.get(f"/api/sessions/{session_id}").json()
        assert view["consultant_step"]["answers"] == ["Yes", "No", "No RCD to see"]
        wrong = {"expected_version": view["version"], "kind": "ack", "value": "done"}
        refused = pat.post(f"/api/sessions/{session_id}/answer", json=wrong)
        assert refused.status_code == 422 and "'Yes', 'No'" in refused.text, refused.text
    partner = app_as(stack, "pat")
    button(partner, charger).click().run()
    assert [b.label for b in partner.button if b.key and b.key.startswith("ts_ack")] == [
        "Yes",
        "No",
        "No RCD to see",
    ]
    button(partner, "No RCD to see").click().run()
    assert not partner.exception, partner.exception
    with stack.http(stack.token("casey")) as casey:
        view = casey.get(f"/api/sessions/{session_id}").json()
    assert view["consultant_step"] is None
    ack = [s for s in view["steps"] if s["kind"] == "ack"][-1]
    assert (ack["answer"], ack["note"]) == ("No RCD to see", "Is the RCD in the cabinet down?")
    desk.run()
    assert "answered “Is the RCD in the cabinet down?”: No RCD to see" in texts(desk)


def test_a_question_needs_two_to_four_different_answers(stack: UiStack) -> None:
    _, _, handoff_id = _escalated_session(stack)
    with stack.http(stack.token("casey")) as casey:
        assert casey.post(f"/api/handoffs/{handoff_id}/claim").status_code == 200
        for answers in (["Yes"], ["a", "b", "c", "d", "e"], ["Yes", "yes "[:3]], ["x" * 81, "y"]):
            body = {"text": "Is it on?", "answers": answers}
            r = casey.post(f"/api/handoffs/{handoff_id}/push", json=body)
            assert r.status_code == 422 and "answers" in r.text, (answers, r.text)


def test_session_log_filters_and_exports(stack: UiStack) -> None:
    _escalated_session(stack)
    at = app_as(stack, "casey", page="session_log.py")
    assert "Session log" in texts(at)
    assert "sessions" in texts(at)
    labels = [b.label for b in at.get("download_button")]
    assert "Export CSV" in labels and "Export JSON" in labels
    at.multiselect[0].select(at.multiselect[0].options[0]).run()
    assert not at.exception
    at.selectbox(key="log_open").set_value(at.selectbox(key="log_open").options[0]).run()
    assert "Session started" in at.dataframe[1].value["What happened"].tolist()


def test_fleet_overview(stack: UiStack) -> None:
    at = app_as(stack, "casey", page="fleet.py")
    page = texts(at)
    assert "Chargers" in page and "Open faults by code" in page
    assert "Self-diagnosis" in page
    assert not at.exception


def test_partner_never_sees_editor_pages() -> None:
    assert [p[1] for p in pages_for("partner")] == ["Troubleshoot"]
    assert "Procedures" not in [p[1] for p in pages_for("consultant")]
    assert "Procedures" in [p[1] for p in pages_for("admin")]
    assert pages_for("admin")[0][1] == "Admin"  # first: the last ones overflow at 1024 px


BEACON = "![x](http://127.0.0.1:9/beacon)"
PHISH = "[click](http://evil.example)"


def test_desk_shows_the_partners_reason_as_plain_text(stack: UiStack) -> None:
    charger = stack.take_charger()
    stack.inject(charger)
    reason = f"help {BEACON} {PHISH} **bold** :red[alarm]"
    with stack.http(stack.token("pat")) as pat:
        r = pat.post("/api/sessions", json={"charger_id": charger, "symptom": "frozen"})
        assert r.status_code == 201, r.text
        view = r.json()
        r = pat.post(
            f"/api/sessions/{view['id']}/escalate",
            json={"expected_version": view["version"], "reason": reason, "priority": "high"},
        )
        assert r.status_code == 200, r.text
        handoff_id = r.json()["handoff"]["id"]
    at = app_as(stack, "casey")
    queue_button = at.button(key=f"open_{handoff_id}")
    assert _markdown_free(queue_button.help), queue_button.help  # the tooltip is Markdown too
    queue_button.click().run()
    assert not at.exception, at.exception
    assert reason in texts(at)  # every character is shown...
    for source in _markdown_sources(at):  # ...and none of it is Markdown that links or loads
        assert _markdown_free(source), source
    assert not at.get("image")


def _markdown_sources(at: Any) -> list[str]:
    sources = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning"):
        sources += [str(element.value) for element in getattr(at, kind, [])]
    for kind in ("error", "success", "button", "expander"):
        sources += [str(getattr(element, "label", "") or "") for element in getattr(at, kind, [])]
        sources += [str(getattr(element, "value", "") or "") for element in getattr(at, kind, [])]
    sources += [str(b.help or "") for b in at.button]
    return sources


def _markdown_free(source: str | None) -> bool:
    """No unescaped link or image syntax, no bare URL that GFM would make a link."""
    text = source or ""
    return "](" not in text and "http:" not in text and "**" not in text and ":red[" not in text
