"""Jump from the procedure graph to a node in the editor.

A click on a node of the graph (or a pick in the "Go to node" list, kept in step with it)
draws the node thicker in the graph and shows its lines, numbered, with a box to edit just
that node (the code editor component cannot be scrolled from outside). The click is caught
by a small custom component (Streamlit components v2: it runs in the page itself, no iframe)
that listens on the nodes of the graph Streamlit drew; the node's name is the ``<title>``
Graphviz gives every node's SVG group.
"""

from __future__ import annotations

from typing import Any

import streamlit as st
import yaml

from app.ui.dot import quote

# Our own static script (never user text). Graphviz names each node's <g class="node"> by a
# <title> holding the node id; the id is passed back as a one-rerun trigger value.
CLICKS_JS = """
export default function (component) {
  const { setTriggerValue } = component;
  // the character offset of the line "- id: <id>" (or -1)
  const bind = () => {
    const box = document.querySelector(".st-key-ed_graph");
    if (!box) return;
    box.querySelectorAll("g.node").forEach((g) => {
      if (g.dataset.cfxBound) return;
      const title = g.querySelector("title");
      if (!title || title.textContent.startsWith("__")) return;
      g.dataset.cfxBound = "1";
      g.style.cursor = "pointer";
      g.addEventListener("click", () => {
        const id = title.textContent;
        setTriggerValue("node", id);
      });
    });
  };
  bind();
  const observer = new MutationObserver(bind);
  observer.observe(document.body, { childList: true, subtree: true });
  return () => observer.disconnect();
}
"""

_clicks = st.components.v2.component(
    name="chargefix_graph_clicks", html="<span></span>", js=CLICKS_JS
)


def node_lines(yaml_text: str) -> dict[str, tuple[int, int]]:
    """Each node's first and last line (1-based) in the YAML text; {} when it does not parse."""
    try:
        root = yaml.compose(yaml_text)
    except yaml.YAMLError:
        return {}
    if not isinstance(root, yaml.MappingNode):
        return {}
    found: dict[str, tuple[int, int]] = {}
    for key, value in root.value:
        if getattr(key, "value", None) != "nodes" or not isinstance(value, yaml.SequenceNode):
            continue
        for item in value.value:
            if not isinstance(item, yaml.MappingNode):
                continue
            node_id = next(
                (
                    str(v.value)
                    for k, v in item.value
                    if getattr(k, "value", None) == "id" and isinstance(v, yaml.ScalarNode)
                ),
                None,
            )
            if node_id is None:
                continue
            last = item.end_mark.line  # end_mark is just past the node: its own line is one up
            if item.end_mark.column == 0:
                last -= 1
            found[node_id] = (item.start_mark.line + 1, max(item.start_mark.line + 1, last + 1))
    return found


def highlight(dot: str, node_id: str | None) -> str:
    """The graph with ``node_id`` drawn thick and blue (DOT lets a later line add attributes)."""
    if not node_id or not dot.rstrip().endswith("}"):
        return dot
    mark = f'  {quote(node_id)} [penwidth=5, color="#1565c0"];\n'
    return dot.rstrip()[:-1] + mark + "}\n"


def numbered(text: str, first: int, last: int) -> str:
    lines = text.splitlines()
    width = len(str(last))
    return "\n".join(f"{n:>{width}} | {lines[n - 1]}" for n in range(first, last + 1))


def replace_lines(text: str, first: int, last: int, block: str) -> str:
    """``text`` with lines ``first``..``last`` (1-based, inclusive) replaced by ``block``."""
    lines = text.splitlines()
    new = [*lines[: first - 1], *block.rstrip("\n").splitlines(), *lines[last:]]
    return "\n".join(new) + ("\n" if text.endswith("\n") else "")


def listen_for_clicks(yaml_key: str, jump_key: str) -> None:
    """Mount the click catcher (after the graph); a clicked node becomes the picked one."""
    result: Any = _clicks(key="ed_graph_clicks", data={"yaml_key": yaml_key}, on_node_change=_noop)
    clicked = getattr(result, "node", None)
    if clicked:
        st.session_state[jump_key] = str(clicked)


def _noop() -> None:
    """A trigger needs a callback to rerun the script; the value is read in the rerun."""


def go_to_node(yaml_key: str, jump_key: str, lines: dict[str, tuple[int, int]]) -> None:
    """The "Go to node" list (in step with clicks on the graph) and the picked node's lines."""
    if st.session_state.get(jump_key) not in lines:
        st.session_state.pop(jump_key, None)
    node_id = st.selectbox(
        "Go to node (or click a node in the graph)",
        list(lines),
        index=None,
        key=jump_key,
        placeholder="Pick a node",
    )
    if not node_id:
        return
    first, last = lines[node_id]
    text = st.session_state[yaml_key]
    st.caption(f"Node {node_id}: lines {first} to {last} of the YAML")
    st.code(numbered(text, first, last), language="yaml", wrap_lines=False)
    block_key = f"{jump_key}_block_{node_id}"
    block = "\n".join(text.splitlines()[first - 1 : last])
    if st.session_state.get(f"{block_key}_from") != block:  # the YAML changed meanwhile
        st.session_state[block_key] = block
        st.session_state[f"{block_key}_from"] = block
    st.text_area("Edit this node", key=block_key, height=200)
    st.button(
        "Put the node back into the YAML",
        key=f"{jump_key}_apply",
        on_click=_apply,
        args=(yaml_key, block_key, first, last),
    )


def _apply(yaml_key: str, block_key: str, first: int, last: int) -> None:
    st.session_state[yaml_key] = replace_lines(
        st.session_state[yaml_key], first, last, st.session_state[block_key]
    )
    # the code editor keeps the first text it was given: a new revision redraws it
    st.session_state["ed_rev"] = st.session_state.get("ed_rev", 0) + 1
