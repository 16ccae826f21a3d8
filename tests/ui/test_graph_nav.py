"""The procedure graph leads to its nodes in the editor: a node picked (or clicked in the
graph) is drawn thick, its lines are shown numbered, and it can be edited on its own."""

from __future__ import annotations

import yaml

from app.ui.graph_nav import highlight, node_lines, replace_lines
from tests.ui.conftest import REPO, UiStack
from tests.ui.helpers import app_as, button, texts

PROCEDURE = "dead-screen-display"


def _graph(at) -> str:  # type: ignore[no-untyped-def]
    return at.get("graphviz_chart")[0].proto.spec


def test_picking_a_node_highlights_it_and_edits_it_alone(stack: UiStack) -> None:
    at = app_as(stack, "eddie")
    at.selectbox(key="ed_choice").set_value(PROCEDURE).run()
    yaml_key, jump = f"ed_yaml_{PROCEDURE}", f"ed_jump_{PROCEDURE}"
    text = at.session_state[yaml_key]
    lines = node_lines(text)
    node_ids = [n["id"] for n in yaml.safe_load(text)["nodes"]]
    assert list(lines) == node_ids
    assert at.selectbox(key=jump).options == node_ids
    target = node_ids[1]
    assert "#1565c0" not in _graph(at)
    at.selectbox(key=jump).set_value(target).run()
    assert f'"{target}" [penwidth=5, color="#1565c0"]' in _graph(at)
    first, last = lines[target]
    assert f"Node {target}: lines {first} to {last}" in texts(at)
    shown = [c.value for c in at.code if c.value.lstrip().startswith(f"{first} |")]
    assert shown and f"id: {target}" in shown[0], [c.value[:30] for c in at.code]
    block_key = f"{jump}_block_{target}"
    block = at.text_area(key=block_key).value
    assert block.splitlines()[0].strip() == f"- id: {target}"
    old_title = yaml.safe_load(block)[0]["title"]
    edited = block.replace(f"title: {old_title}", "title: Renamed from the graph", 1)
    assert edited != block
    at.text_area(key=block_key).input(edited).run()
    revision = at.session_state["ed_rev"] if "ed_rev" in at.session_state else 0  # noqa: SIM401 (AppTest's state has no get)
    button(at, "Put the node back into the YAML").click().run()
    assert not at.exception, at.exception
    assert at.session_state["ed_rev"] == revision + 1  # the code editor is redrawn with it
    new_text = at.session_state[yaml_key]
    nodes = {n["id"]: n for n in yaml.safe_load(new_text)["nodes"]}
    assert nodes[target]["title"] == "Renamed from the graph"
    assert len(nodes) == len(node_ids)  # nothing else moved
    assert "Valid." in texts(at)


def test_node_lines_and_replacing_them() -> None:
    text = (REPO / "knowledge_base" / "procedures" / f"{PROCEDURE}.yaml").read_text()
    lines = node_lines(text)
    source = text.splitlines()
    for node_id, (first, last) in lines.items():
        assert source[first - 1].strip() == f"- id: {node_id}"
        block = "\n".join(source[first - 1 : last])
        assert yaml.safe_load(block)[0]["id"] == node_id
    last_id = list(lines)[-1]
    first, last = lines[last_id]
    assert last == len(source) or not source[last].strip().startswith("-")
    same = replace_lines(text, first, last, "\n".join(source[first - 1 : last]))
    assert same == text
    assert node_lines("nodes: [") == {} and node_lines("just text") == {}
    assert highlight("digraph x {\n}\n", None) == "digraph x {\n}\n"
