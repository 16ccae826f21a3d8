"""The fleet page drills down to one charger: message log (filters, pages), charging sessions,
settings (read through the gateway), inventory and monitors (2.0.1), diagnoses; charger text
stays plain text."""

from __future__ import annotations

from app.db.models_diagnosis import DiagnosisRow
from app.ui import charger_detail
from app.ui.charger_detail import config_rows, message_rows
from tests.ui.conftest import UiStack
from tests.ui.helpers import app_as, charge_once, texts


def _frames(at) -> list:  # type: ignore[no-untyped-def]
    return [frame.value for frame in at.dataframe]


def test_fleet_drills_down_to_one_chargers_log_sessions_settings(stack: UiStack) -> None:
    charger = stack.take_charger()
    charge_once(stack, charger, 1)
    at = app_as(stack, "casey", page="fleet.py")
    at.selectbox(key="fleet_open").set_value(charger).run()
    assert not at.exception, at.exception
    assert f"Charger {charger}" in texts(at)
    log = next(f for f in _frames(at) if "Sent by" in f.columns)
    assert {"Charger", "Central system"} <= set(log["Sent by"])
    assert {"Request", "Answer"} <= set(log["Kind"])
    # filters: only what the charger sent, only StopTransaction
    at.selectbox(key=f"fd_{charger}_dir").set_value("From the charger").run()
    log = next(f for f in _frames(at) if "Sent by" in f.columns)
    assert set(log["Sent by"]) == {"Charger"}
    at.text_input(key=f"fd_{charger}_action").input("BootNotification").run()
    log = next(f for f in _frames(at) if "Sent by" in f.columns)
    assert log["Action"].tolist() == ["BootNotification"]  # however old, the filter finds it
    at.text_input(key=f"fd_{charger}_action").input("StopTransaction").run()
    log = next(f for f in _frames(at) if "Sent by" in f.columns)
    assert log["Action"].tolist() == ["StopTransaction"]
    at.selectbox(key=f"fd_{charger}_one").set_value(0).run()
    assert "transactionId" in at.code[0].value
    # charging sessions
    sessions = next(f for f in _frames(at) if "Why it stopped" in f.columns)
    assert len(sessions) == 1 and sessions["Connector"].tolist() == [1]
    # settings: never read, then read through the gateway as the consultant
    assert "never read" in texts(at)
    at.button(key=f"fd_{charger}_cfg_read").click().run()
    assert "Settings read from the charger." in texts(at), texts(at)
    settings = next(f for f in _frames(at) if "Setting" in f.columns)
    assert "HeartbeatInterval" in settings["Setting"].tolist()
    assert "Read just now by casey" in texts(at)  # from the answer itself
    sent = stack.wait_for(  # the command row is stored by the batch writer
        lambda: stack.http().get(f"/api/chargers/{charger}/commands").json(),
        f"the settings read of {charger} stored",
    )
    assert sent[0]["command"] == "get_configuration" and sent[0]["requested_by"] == "casey"
    at.run()  # later: the stored read, with when and by whom
    assert "never read" not in texts(at) and "by casey" in texts(at)
    settings = next(f for f in _frames(at) if "Setting" in f.columns)
    assert "HeartbeatInterval" in settings["Setting"].tolist()


def test_message_log_pages_back_and_forth(stack: UiStack, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(charger_detail, "PAGE_SIZE", 2)
    charger = stack.take_charger()
    stack.wait_for(  # the recorder writes in batches: at least two pages are stored
        lambda: len(stack.http().get(f"/api/chargers/{charger}/events").json()) >= 4,
        f"four frames of {charger} in the log",
    )
    at = app_as(stack, "casey", page="fleet.py")
    at.selectbox(key="fleet_open").set_value(charger).run()
    first = next(f for f in _frames(at) if "Sent by" in f.columns)
    assert len(first) == 2 and "Page 1" in texts(at)
    assert at.button(key=f"fd_{charger}_prev").disabled
    newest = int(first["id"].iloc[0])
    with stack.http() as admin:  # newer messages arrive while page 1 is on screen
        answer = admin.post(
            f"/api/chargers/{charger}/commands/trigger_message", json={"message": "Heartbeat"}
        )
        assert answer.status_code == 200, answer.text
        stack.wait_for(
            lambda: (
                admin.get(f"/api/chargers/{charger}/events", params={"limit": 1}).json()[0]["id"]
                > newest
            ),
            f"a newer frame of {charger} in the log",
        )
    at.button(key=f"fd_{charger}_next").click().run()  # "Older" continues after what was shown
    second = next(f for f in _frames(at) if "Sent by" in f.columns)
    assert "Page 2" in texts(at) and len(second) == 2
    ids = first["id"].tolist() + second["id"].tolist()
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 4  # older, no overlap
    with stack.http() as admin:  # and nothing skipped between the pages
        between = admin.get(
            f"/api/chargers/{charger}/events", params={"before_id": ids[1], "limit": 1}
        ).json()
    assert [e["id"] for e in between] == [ids[2]]
    at.button(key=f"fd_{charger}_prev").click().run()
    assert "Page 1" in texts(at)


def test_charging_sessions_page_after_the_last_one_shown(stack: UiStack, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(charger_detail, "PAGE_SIZE", 2)
    charger = stack.take_charger()
    for n in (1, 2, 3):
        charge_once(stack, charger, n)
    at = app_as(stack, "casey", page="fleet.py")
    at.selectbox(key="fleet_open").set_value(charger).run()
    first = next(f for f in _frames(at) if "Why it stopped" in f.columns)
    assert len(first) == 2 and at.button(key=f"fd_{charger}_tx_prev").disabled
    charge_once(stack, charger, 4)  # a new charge while page 1 is on screen
    at.button(key=f"fd_{charger}_tx_next").click().run()
    second = next(f for f in _frames(at) if "Why it stopped" in f.columns)
    shown = first["Session id"].tolist() + second["Session id"].tolist()
    assert len(second) == 1 and len(set(shown)) == 3  # the oldest, not page 1's last again
    at.button(key=f"fd_{charger}_tx_prev").click().run()
    again = next(f for f in _frames(at) if "Why it stopped" in f.columns)
    assert again["Session id"].tolist()[0] not in shown  # back on page 1: the newest charge


def test_charger_text_is_shown_as_plain_text() -> None:
    beacon = "![x](http://127.0.0.1:9/beacon) <b>bold</b>"
    events = [
        {
            "id": 1,
            "ts": "2026-01-01T10:00:00Z",
            "direction": "in",
            "message_type": 2,
            "action": "StatusNotification",
            "payload": {"info": beacon},
        }
    ]
    table = message_rows(events)
    assert beacon in table["Message"][0]  # every character, as text in a table cell
    settings = config_rows({"configurationKey": [{"key": "K", "value": beacon, "readonly": True}]})
    assert settings.to_dict("records") == [{"Setting": "K", "Value": beacon, "Read only": "yes"}]
    v201 = config_rows(
        {
            "getVariableResult": [
                {
                    "attributeStatus": "Accepted",
                    "component": {"name": "OCPPCommCtrlr"},
                    "variable": {"name": "HeartbeatInterval"},
                    "attributeValue": "300",
                },
                {
                    "attributeStatus": "UnknownVariable",
                    "component": {"name": "X"},
                    "variable": {"name": "Y"},
                },
            ]
        }
    )
    assert v201["Setting"].tolist() == ["OCPPCommCtrlr.HeartbeatInterval", "X.Y"]
    assert v201["Value"].tolist() == ["300", "(UnknownVariable)"]


def test_drill_down_shows_the_chargers_diagnoses(stack: UiStack) -> None:
    charger = stack.take_charger()
    # a diagnosis as self-diagnosis stores it (its rules wait minutes of real time in this
    # stack, so the row is written to the real database directly)
    row = DiagnosisRow(
        charger_id=charger,
        site_id=charger[:8],
        subject=f"{charger}:1",
        rule_id="firmware_hang",
        fault_class="software",
        title="Firmware hang on connector 1",
        likely_cause="The **firmware** stopped [answering](http://evil.example)",
        confidence=0.9,
        remote_resolvable=True,
        status="self_cleared",
        standard_code="CX011",
        safety_class="never_reset",
        responsible="charger_maker",
    )
    state = stack.backend.state
    assert state is not None
    with state.session_factory() as db, db.begin():
        db.add(row)
    at = app_as(stack, "casey", page="fleet.py")
    at.selectbox(key="fleet_open").set_value(charger).run()
    table = next(f for f in _frames(at) if "Likely cause" in f.columns)
    assert table["Finding"].tolist() == ["Firmware hang on connector 1"]
    assert table["Likely cause"].tolist() == [row.likely_cause]  # as text, in a table cell
    assert table["Status"].tolist() == ["self cleared"]
    # whose problem it is, by the catalogue (issue 13): code, safety class, responsible
    assert table["Code"].tolist() == ["CX011"]
    assert table["Safety"].tolist() == ["safety: never reset"]
    assert table["Whose problem"].tolist() == ["the charger (maker)"]


def test_drill_down_shows_a_201_chargers_inventory_and_monitors(stack: UiStack) -> None:
    charger = stack.take_charger("2.0.1")
    at = app_as(stack, "casey", page="fleet.py")
    at.selectbox(key="fleet_open").set_value(charger).run()
    assert not at.exception, at.exception
    assert "No inventory stored yet." in texts(at) and "No monitors stored yet." in texts(at)
    # asked through the gateway as the consultant (B07); the report follows in NotifyReport parts
    at.button(key=f"fd_{charger}_dm_inventory_ask").click().run()
    assert not at.exception, at.exception
    assert "get_base_report: Accepted" in texts(at), texts(at)
    stack.wait_for(
        lambda: stack.http().get(f"/api/chargers/{charger}/inventory").json()["reports"],
        f"inventory of {charger}",
    )
    at.run()
    assert "FullInventory: " in texts(at)
    table = next(f for f in _frames(at) if "Mutability" in f.columns)
    assert {"OCPPCommCtrlr", "DeviceDataCtrlr"} <= set(table["Component"])
    assert "HeartbeatInterval" in set(table["Variable"])
    # the monitors (N02): self-diagnosis set some at boot
    at.button(key=f"fd_{charger}_dm_monitors_ask").click().run()
    assert "get_monitoring_report: Accepted" in texts(at), texts(at)
    stack.wait_for(
        lambda: stack.http().get(f"/api/chargers/{charger}/monitors").json()["reports"],
        f"monitors of {charger}",
    )
    at.run()
    monitors = next(f for f in _frames(at) if "Severity" in f.columns)
    assert "Problem" in set(monitors["Variable"])
    # its settings: on 2.0.1 the read is a GetVariables (B06) of the usual variables
    at.button(key=f"fd_{charger}_cfg_read").click().run()
    assert "Settings read from the charger." in texts(at), texts(at)
    settings = next(f for f in _frames(at) if "Setting" in f.columns)
    assert "OCPPCommCtrlr.HeartbeatInterval" in settings["Setting"].tolist()
    with stack.http() as admin:
        sent = admin.get(f"/api/chargers/{charger}/commands").json()
    assert {(c["command"], c["requested_by"]) for c in sent} >= {
        ("get_base_report", "casey"),
        ("get_monitoring_report", "casey"),
        ("get_configuration", "casey"),
    }


def test_drill_down_says_a_16_charger_has_no_inventory(stack: UiStack) -> None:
    charger = stack.take_charger()
    at = app_as(stack, "casey", page="fleet.py")
    at.selectbox(key="fleet_open").set_value(charger).run()
    assert not at.exception, at.exception
    assert "OCPP 1.6, which has no inventory report" in texts(at)
    assert not [b for b in at.button if b.key == f"fd_{charger}_dm_inventory_ask"]


def test_drill_down_tracks_both_log_uploads(stack: UiStack) -> None:
    """GetLog of the DiagnosticsLog and the SecurityLog: each upload on the consultant's page
    with what the charger reported (LogStatusNotification) and whether the file arrived."""
    charger = stack.take_charger()
    with stack.http() as admin:
        for log_type in ("DiagnosticsLog", "SecurityLog"):
            r = admin.post(
                f"/api/chargers/{charger}/commands/get_diagnostics", json={"log_type": log_type}
            )
            assert r.status_code == 200, r.text

        def tracked() -> bool:
            stack.run(stack.backend.state.recorder.flush())
            uploads = admin.get(f"/api/chargers/{charger}/diagnostics").json()
            return len(uploads) == 2 and all(u["status"] == "uploaded" for u in uploads)

        stack.wait_for(tracked, f"both logs of {charger} uploaded")
        version = admin.get(f"/api/chargers/{charger}").json()["ocpp_version"]
    at = app_as(stack, "casey", page="fleet.py")
    at.selectbox(key="fleet_open").set_value(charger).run()
    assert not at.exception, at.exception
    table = next(f for f in _frames(at) if "Charger says" in f.columns)
    assert sorted(table["Log"]) == ["Diagnostics log", "Security log"]
    assert set(table["File"]) == {"received"}
    # 1.6: the security log by its requestId (LogStatusNotification), the diagnostics log by
    # DiagnosticsStatusNotification (which names no request)
    assert version == "1.6"
    says = dict(zip(table["Log"], table["Charger says"], strict=True))
    assert says == {"Security log": "uploaded", "Diagnostics log": "uploaded"}
