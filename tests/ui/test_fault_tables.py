"""Editor: the fault-code table screen (issue 18): pick a vendor table, edit its YAML with the
error shown at its line, save a draft (it stays a draft, and stays picked), then publish."""

from __future__ import annotations

import json

from tests.ui.conftest import UiStack
from tests.ui.helpers import app_as, texts

VENDOR = "Kestrel EV"
KEY = f"ft_yaml_{VENDOR}"
NEW_CODE = "  - code: K7-ZZ-999\n    fault: {fault}\n"


def _classify(stack: UiStack) -> dict:  # type: ignore[type-arg]
    with stack.http(stack.token("eddie")) as api:
        r = api.get(
            "/api/fault-codes/classify", params={"vendor": VENDOR, "vendor_error_code": "K7-ZZ-999"}
        )
        assert r.status_code == 200, r.text
        return r.json()


def test_pick_edit_save_draft_then_publish(stack: UiStack) -> None:
    at = app_as(stack, "eddie", page="fault_tables.py")
    page = texts(at)
    assert "Fault-code tables" in page and "Voltara" in at.dataframe[0].value.to_csv()
    at.selectbox(key="ft_choice").set_value(VENDOR).run()
    assert not at.exception, at.exception
    original = at.session_state[KEY]
    assert "vendor: Kestrel EV" in original and "Valid: a table for Kestrel EV" in texts(at)
    # a code naming an unknown fault: the error at its line, in the list and in the editor
    broken = original.rstrip("\n") + "\n" + NEW_CODE.format(fault="no_such_fault")
    at.session_state[KEY] = broken
    at.run()
    page = texts(at)
    assert "error(s)" in page and "no_such_fault" in page and "Unsaved changes." in page
    # the catalogue names the entry's line (where its "- code:" starts)
    line = next(n for n, t in enumerate(broken.splitlines(), 1) if "K7-ZZ-999" in t)
    assert f"line {line}" in page, page
    (box,) = at.get("component_instance")
    args = json.loads(box.proto.json_args)
    assert args["lang"] == "yaml" and args["options"]["showLineNumbers"] is True
    assert [m["row"] for m in args["props"]["annotations"]] == [line - 1]
    assert any(f"> {line} |" in c.value and "K7-ZZ-999" in c.value for c in at.code)
    assert at.button(key="ft_publish").disabled
    # fixed, saved as a draft: a draft, the table still picked, nothing changed for the fleet
    at.session_state[KEY] = original.rstrip("\n") + "\n" + NEW_CODE.format(fault="firmware_hang")
    at.run()
    at.button(key="ft_save").click().run()
    assert not at.exception, at.exception
    assert "Saved Kestrel EV v1 (draft)." in texts(at), texts(at)
    assert at.selectbox(key="ft_choice").value == VENDOR
    assert "K7-ZZ-999" in at.session_state[KEY] and "Unsaved changes." not in texts(at)
    assert "draft v1" in texts(at)
    (history,) = [d.value for d in at.dataframe if "saved by" in d.value.columns]
    assert history.to_dict("records")[0]["status"] == "draft"
    assert history.to_dict("records")[0]["saved by"] == "eddie"
    assert _classify(stack)["known"] is False
    # published (a separate button): the fleet reads the new table at once
    at.button(key="ft_publish").click().run()
    assert "Published Kestrel EV v1." in texts(at), texts(at)
    assert at.selectbox(key="ft_choice").value == VENDOR
    (history,) = [d.value for d in at.dataframe if "saved by" in d.value.columns]
    assert history.to_dict("records")[0]["status"] == "published"
    assert history.to_dict("records")[0]["published by"] == "eddie"
    assert "vendor table 'Kestrel EV' v1" in texts(at)
    assert _classify(stack)["fault_key"] == "firmware_hang"


def test_a_new_table_saved_as_a_draft_is_the_one_picked(stack: UiStack) -> None:
    at = app_as(stack, "eddie", page="fault_tables.py")
    at.selectbox(key="ft_choice").set_value("+ New table").run()
    key = "ft_yaml_new"
    assert "vendor: New vendor" in at.session_state[key]
    at.session_state[key] = at.session_state[key].replace("New vendor", "Testvolt")
    at.run()
    assert "Valid: a table for Testvolt" in texts(at), texts(at)
    at.button(key="ft_save").click().run()
    assert "Saved Testvolt v1 (draft)." in texts(at), texts(at)
    assert at.selectbox(key="ft_choice").value == "Testvolt"
    assert "In use: none published · draft v1" in texts(at)
    assert "vendor: Testvolt" in at.session_state["ft_yaml_Testvolt"]
