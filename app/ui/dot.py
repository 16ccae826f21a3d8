"""DOT for the editor's live graph, drawn even from a broken procedure.

``app.procedures.graph.to_dot`` needs a valid procedure; while the editor types, the YAML is
often invalid. This draws whatever nodes parse, marks each node with a validation error in red
with the message under its title, and shows references to missing nodes as red dashed boxes.
"""

from __future__ import annotations

from typing import Any

import yaml

SHAPES = {
    "instruction": "box",
    "question": "diamond",
    "remote_action": "box3d",
    "check_state": "hexagon",
    "terminal": "doubleoctagon",
}
OUTCOME_COLOURS = {
    "resolved": "palegreen",
    "escalate": "orange",
    "site_visit": "lightsalmon",
    "vehicle_side": "lightblue",
    "not_reproducible": "lightgrey",
}
EDGE_KEYS = (
    "next",
    "on_yes",
    "on_no",
    "in_range",
    "out_of_range",
    "below",
    "above",
    "on_success",
    "on_failure",
    "on_timeout",
    "otherwise",
    "on_exhausted",
)


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def wrap(text: str, width: int = 34) -> str:
    words, lines, line = str(text).split(), [], ""
    for word in words:
        if line and len(line) + len(word) + 1 > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    if line:
        lines.append(line)
    return "\n".join(lines[:4])


def successors(node: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, target) of every edge out of a raw YAML node."""
    out: list[tuple[str, str]] = []
    for key in EDGE_KEYS:
        target = node.get(key)
        if isinstance(target, str):
            out.append((key.removeprefix("on_"), target))
    for choice in node.get("choices") or []:
        if isinstance(choice, dict) and isinstance(choice.get("next"), str):
            out.append((str(choice.get("value", "?")), choice["next"]))
    for n, branch in enumerate(node.get("branches") or [], 1):
        if isinstance(branch, dict) and isinstance(branch.get("next"), str):
            out.append((f"when {n}", branch["next"]))
    return out


def editor_dot(yaml_text: str, issues: list[dict[str, Any]] | None = None) -> str | None:
    """DOT of the procedure in ``yaml_text`` with ``issues`` at their nodes; None if the text
    is not even a YAML mapping with a node list."""
    try:
        data = yaml.safe_load(yaml_text)
    except yaml.YAMLError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), list):
        return None
    by_node: dict[str, list[str]] = {}
    for issue in issues or []:
        if issue.get("node_id") and issue.get("severity", "error") == "error":
            field = f"{issue['field']}: " if issue.get("field") else ""
            by_node.setdefault(str(issue["node_id"]), []).append(field + issue["message"])
    nodes = [n for n in data["nodes"] if isinstance(n, dict)]
    known = {str(n.get("id")) for n in nodes if n.get("id") is not None}
    lines = [
        f"digraph {quote(str(data.get('id') or 'procedure'))} {{",
        # drawn at its natural size in a scrolling box (not shrunk to the column, where its
        # text was about 6 px at 1024 px): 12 pt (16 px) labels stay readable on a tablet
        "  rankdir=TB; nodesep=0.25; ranksep=0.35;",
        '  node [fontname="Helvetica", fontsize=12, style=filled, fillcolor=white];',
        '  edge [fontname="Helvetica", fontsize=12];',
    ]
    start = data.get("start")
    if isinstance(start, str):
        lines.append('  __start [shape=point, label=""];')
        lines.append(f"  __start -> {quote(start)};")
    for index, node in enumerate(nodes, 1):
        node_id = str(node.get("id") or f"#{index}")
        label = f"{wrap(str(node.get('title') or node_id), 22)}\n[{node_id}]"
        attrs = [f"shape={SHAPES.get(str(node.get('type')), 'box')}"]
        errors = by_node.get(node_id)
        if errors:
            label += "\n" + "\n".join(f"⚠ {wrap(e, 26)}" for e in errors[:3])
            attrs += ['fillcolor="#ffd6d6"', "color=red", "penwidth=3", 'fontcolor="#8b0000"']
        elif node.get("type") == "terminal":
            attrs.append(f"fillcolor={OUTCOME_COLOURS.get(str(node.get('outcome')), 'white')}")
        attrs.insert(0, f"label={quote(label)}")
        lines.append(f"  {quote(node_id)} [{', '.join(attrs)}];")
    missing: set[str] = set()
    for index, node in enumerate(nodes, 1):
        node_id = str(node.get("id") or f"#{index}")
        for label, target in successors(node):
            if target not in known:
                missing.add(target)
            lines.append(f"  {quote(node_id)} -> {quote(target)} [label={quote(label)}];")
    for target in sorted(missing):
        lines.append(
            f"  {quote(target)} [label={quote(f'missing: {target}')}, shape=box, "
            'style="dashed,filled", fillcolor="#ffd6d6", color=red, fontcolor="#8b0000"];'
        )
    lines.append("}")
    return "\n".join(lines) + "\n"
