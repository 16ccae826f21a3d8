"""Graphviz DOT text for a procedure, for the editor's preview (no graphviz needed here)."""

from __future__ import annotations

from itertools import pairwise

from app.procedures.schema import Procedure, TerminalNode

_SHAPES = {
    "instruction": "box",
    "question": "diamond",
    "remote_action": "box3d",
    "check_state": "hexagon",
    "terminal": "doubleoctagon",
}
_OUTCOME_COLOURS = {
    "resolved": "palegreen",
    "escalate": "orange",
    "site_visit": "lightsalmon",
    "vehicle_side": "lightblue",
    "not_reproducible": "lightgrey",
}


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(procedure: Procedure, highlight: list[str] | None = None) -> str:
    """DOT source: one node per step, edges labelled with the branch; ``highlight`` = a path."""
    path = highlight or []
    visited = set(path)
    lines = [
        f"digraph {_quote(procedure.id)} {{",
        "  rankdir=TB;",
        '  node [fontname="Helvetica", fontsize=10, style=filled, fillcolor=white];',
        '  edge [fontname="Helvetica", fontsize=9];',
        f'  __start [shape=point, label=""];\n  __start -> {_quote(procedure.start)};',
    ]
    for node in procedure.nodes:
        label = f"{node.title}\n[{node.id}]"
        attrs = [f"label={_quote(label)}", f"shape={_SHAPES[node.type]}"]
        if isinstance(node, TerminalNode):
            attrs.append(f"fillcolor={_OUTCOME_COLOURS[node.outcome.value]}")
        elif node.id in visited:
            attrs.append("fillcolor=gold")
        if node.max_visits:
            attrs.append(f"xlabel={_quote(f'max {node.max_visits}x')}")
        lines.append(f"  {_quote(node.id)} [{', '.join(attrs)}];")
    taken = set(pairwise(path))
    for node in procedure.nodes:
        for label, target in node.successors():
            attrs = [f"label={_quote(label)}"]
            if (node.id, target) in taken:
                attrs.append("penwidth=2.5, color=goldenrod")
            if label == "exhausted":
                attrs.append("style=dashed")
            lines.append(f"  {_quote(node.id)} -> {_quote(target)} [{', '.join(attrs)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"
