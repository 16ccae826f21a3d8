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


# Node types a person sees as a step of their own; check_state runs unseen, terminal ends.
SHOWN = frozenset({"instruction", "question", "remote_action"})


def remaining_steps(procedure: Procedure, node_id: str) -> tuple[int, int]:
    """(fewest, most) steps a person still sees from ``node_id`` (itself included) to an end.

    Loops (retries, "try again" branches) are cut where a depth-first walk from ``node_id``
    meets a node already on its path, so "most" is the longest way through without repeating
    a step: an estimate for "step 3 of about 7", not a bound.
    """
    nodes = {node.id: node for node in procedure.nodes}

    def weight(nid: str) -> int:
        node = nodes.get(nid)
        return 1 if node is not None and node.type in SHOWN else 0

    fewest: dict[str, int] = {}
    most: dict[str, int] = {}

    def walk(nid: str, path: frozenset[str]) -> tuple[int, int]:
        node = nodes.get(nid)
        if node is None or isinstance(node, TerminalNode):
            return 0, 0
        if nid in fewest:
            return fewest[nid], most[nid]
        ahead = [walk(t, path | {nid}) for _, t in node.successors() if t not in path | {nid}]
        low = min((a[0] for a in ahead), default=0)
        high = max((a[1] for a in ahead), default=0)
        fewest[nid], most[nid] = low + weight(nid), high + weight(nid)
        return fewest[nid], most[nid]

    return walk(node_id, frozenset())
