"""Editor pages: procedure editor (errors at the node, save, publish, retire, diff),
uploads + re-index with progress, and the search playground."""

from __future__ import annotations

import json

from tests.ui.conftest import UiStack
from tests.ui.helpers import app_as, texts


def _graph(at) -> str:  # type: ignore[no-untyped-def]
    charts = at.get("graphviz_chart")
    assert charts, "no graph drawn"
    return charts[0].proto.spec


def test_editor_shows_error_at_the_node_and_versions(stack: UiStack) -> None:
    at = app_as(stack, "eddie")
    assert "Procedures" in texts(at)
    at.selectbox(key="ed_choice").set_value("cable-stuck-after-charging").run()
    key = "ed_yaml_cable-stuck-after-charging"
    original = at.session_state[key]
    assert "Valid." in texts(at)
    assert "cable-stuck" in _graph(at)
    broken = original.replace("next: ", "next: nowhere_", 1)
    at.session_state[key] = broken
    at.run()
    page = texts(at)
    assert "error(s)" in page and "nowhere_" in page and "Unsaved changes." in page
    # the code editor (Ace: line numbers, YAML highlighting, monospace) marks the error's line
    (box,) = at.get("component_instance")
    args = json.loads(box.proto.json_args)
    assert args["lang"] == "yaml" and args["options"]["showLineNumbers"] is True
    assert "monospace" in args["options"]["fontFamily"] and args["options"]["fontSize"] >= 14
    line = next(n for n, t in enumerate(broken.splitlines(), 1) if "nowhere_" in t)
    marks = args["props"]["annotations"]
    assert any(m["row"] == line - 1 and m["type"] == "error" for m in marks), (line, marks)
    assert [m["startRow"] for m in args["props"]["markers"]] == [line - 1]
    dot = _graph(at)
    assert "missing: nowhere_" in dot and "color=red" in dot
    assert at.button(key="ed_publish").disabled
    at.button(key="ed_save").click().run()
    assert "Saved cable-stuck-after-charging v2 (draft)" in texts(at), texts(at)
    # the picker keeps the saved procedure (its label no longer changes with the version)
    assert at.selectbox(key="ed_choice").value == "cable-stuck-after-charging"
    assert "Unsaved changes." not in texts(at)
    assert "nowhere_" in at.session_state[key]
    # the diff between the published v1 and the broken draft v2
    diffs = [c.value for c in at.code if c.value.startswith("--- v1")]
    assert diffs and "nowhere_" in diffs[0], [c.value[:40] for c in at.code]
    # the error shown at its line, numbered
    assert any("> " in c.value and "nowhere_" in c.value for c in at.code if c.language == "yaml")
    at.session_state[key] = original.replace("title: ", "title: Fixed ", 1)
    at.run()
    at.button(key="ed_publish").click().run()
    # hazardous steps: not published by its author alone
    assert "hazardous steps" in texts(at), texts(at)
    at.button(key="ed_save").click().run()
    assert "Saved cable-stuck-after-charging v3 (draft)" in texts(at), texts(at)
    assert "another editor approves it" in texts(at)
    with stack.http(stack.admin_token) as reviewer:  # a second editor
        r = reviewer.post("/api/procedures/cable-stuck-after-charging/approve?version=3")
        assert r.status_code == 200, r.text
    at.run()
    at.button(key="ed_publish_approved").click().run()
    assert "Published cable-stuck-after-charging v3" in texts(at), texts(at)
    at.selectbox(key="ed_back_cable-stuck-after-charging").set_value(2).run()
    at.button(key="ed_rollback").click().run()
    assert "Rolled back: saved cable-stuck-after-charging v4 (draft)" in texts(at), texts(at)
    assert "nowhere_" in at.session_state[key]
    at.button(key="ed_retire").click().run()
    assert "Retired cable-stuck-after-charging v4" in texts(at)


def test_upload_indexes_by_itself_and_queues_what_comes_during_a_run(stack: UiStack) -> None:
    """Issue 18: an upload is indexed without a "Re-index" press, by the server (a page reload
    loses nothing); a file stored while a run is going is indexed by one more run after it."""
    at = app_as(stack, "eddie", page="knowledge.py")
    assert "Nothing indexed yet" in texts(at) or "What is indexed" in texts(at)
    with stack.http(stack.token("eddie")) as eddie:
        manual = b"# Wallbox Z\n\n## Error E-999\n\nThe blue lamp blinks: replace the fuse F3.\n"
        r = eddie.post(
            "/api/knowledge/uploads",
            data={"kind": "manual"},
            files=[
                ("files", ("../zz manual.md", manual, "text/markdown")),
                ("files", ("bad.exe", b"x", "application/octet-stream")),
            ],
        )
        assert r.status_code == 201, r.text
        assert r.json()["stored"] == ["manuals/uploads/zz_manual.md"]
        assert "must be one of" in r.json()["rejected"][0]["reason"]
        indexing = r.json()["indexing"]
        assert indexing["state"] == "running", indexing
        assert indexing["sources"] == ["manuals/uploads/zz_manual.md"]
        second = eddie.post(
            "/api/knowledge/uploads",
            data={"kind": "manual"},
            files=[
                (
                    "files",
                    ("yy.md", b"# Wallbox Y\n\n## Error Y-7\n\nReseat J9.\n", "text/markdown"),
                )
            ],
        )
        assert second.status_code == 201, second.text
        job = second.json()["indexing"]
        # indexed now if the first run had ended, else queued for the run right after it
        assert "manuals/uploads/yy.md" in job["queued"] or job["sources"] == [
            "manuals/uploads/yy.md"
        ], job
        # the page, drawn afresh (a reload), shows the run the server keeps
        at.run()
        assert not at.exception, at.exception
    admin = stack.backend.state.knowledge_admin
    assert admin is not None
    last = stack.run(admin.idle(), timeout=180)
    assert last.state == "done", last
    at.run()
    page = texts(at)
    assert "Indexed:" in page, page
    files = str(at.dataframe[0].value["file"].tolist())
    assert "manuals/uploads/zz_manual.md" in files and "manuals/uploads/yy.md" in files, files
    search = app_as(stack, "eddie", page="search.py")
    search.text_input(key="search_q").input("blue lamp blinks fuse").run()
    page = texts(search)
    assert "Manual passages" in page and "score" in page, page
    assert "Wallbox Z" in page or "E-999" in page


def test_editor_sees_how_the_open_procedure_is_used(stack: UiStack) -> None:
    """Issue 18: per procedure, how often it was used, how often it fixed the fault, and the
    step where partners most often leave."""
    charger = stack.take_charger()
    stack.inject(charger, "firmware_hang")
    with stack.http(stack.token("pat")) as pat:
        r = pat.post(
            "/api/sessions",
            json={
                "charger_id": charger,
                "symptom": "screen frozen",
                "procedure_id": "stuck-charging-process",
            },
        )
        assert r.status_code == 201, r.text
        view = r.json()
        assert view["procedure"], view
        procedure, step = view["procedure"]["id"], view["cursor"]["node_id"]
        r = pat.post(
            f"/api/sessions/{view['id']}/abandon",
            json={"expected_version": view["version"], "note": "no time"},
        )
        assert r.status_code == 200, r.text
    with stack.http(stack.token("eddie")) as eddie:
        stats = eddie.get(f"/api/procedures/{procedure}/effectiveness").json()
    at = app_as(stack, "eddie")
    at.selectbox(key="ed_choice").set_value(procedure).run()
    metrics = {m.label: (m.value, m.proto.delta) for m in at.metric}
    assert metrics["Used"][0] == f"{stats['runs']}×", metrics
    assert stats["runs"] >= 1
    assert metrics["Most left or called a consultant at"][0] == stats["most_left_step"]
    assert any(x["node_id"] == step for x in stats["left_at"]), stats
    assert "Fixed the fault" in metrics
