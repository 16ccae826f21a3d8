"""Procedure validation: schema errors and graph errors, each with file, line and node id."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from app.procedures.loader import YamlSyntaxError, line_of, load_yaml_file, load_yaml_text
from app.procedures.schema import (
    HAZARD_LEVELS,
    LEVEL_MINIMUM,
    SAFETY_RANK,
    CheckStateNode,
    ChoiceQuestion,
    InstructionNode,
    MeasurementQuestion,
    Procedure,
    RemoteActionNode,
    StateCondition,
    TerminalNode,
    YesNoQuestion,
)
from app.security.qualifications import effective

# A reset or an unlock never runs during a charge: the engine waits for the charge to end.
NEVER_DURING_A_CHARGE = frozenset({"reset", "unlock_connector"})
PERSON_NODES = (InstructionNode, YesNoQuestion, ChoiceQuestion, MeasurementQuestion)


class Issue(BaseModel):
    """One problem found in a procedure."""

    file: str
    line: int | None = None
    node_id: str | None = None
    field: str | None = None
    message: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        node = f" node {self.node_id!r}" if self.node_id else ""
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{node}{field} {self.message} [{self.severity}]".replace(":  ", ": ")


class ValidationReport(BaseModel):
    file: str
    procedure: Procedure | None = None
    issues: list[Issue] = []

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def ok(self) -> bool:
        """No errors (warnings allowed): the procedure may be published."""
        return self.procedure is not None and not self.errors


def validate_file(path: Path) -> ValidationReport:
    try:
        data = load_yaml_file(path)
    except YamlSyntaxError as exc:
        return ValidationReport(
            file=str(path), issues=[Issue(file=str(path), line=exc.line, message=exc.message)]
        )
    return validate_data(data, str(path))


def validate_text(text: str, file: str = "<string>") -> ValidationReport:
    try:
        data = load_yaml_text(text, file)
    except YamlSyntaxError as exc:
        return ValidationReport(
            file=file, issues=[Issue(file=file, line=exc.line, message=exc.message)]
        )
    return validate_data(data, file)


def _node_id_at(data: Any, loc: tuple[Any, ...]) -> str | None:
    if len(loc) >= 2 and loc[0] == "nodes" and isinstance(loc[1], int) and isinstance(data, dict):
        nodes = data.get("nodes")
        if isinstance(nodes, list) and 0 <= loc[1] < len(nodes) and isinstance(nodes[loc[1]], dict):
            node_id = nodes[loc[1]].get("id")
            return str(node_id) if node_id is not None else f"#{loc[1] + 1}"
    return None


_UNION_TAGS = {
    "instruction",
    "question",
    "remote_action",
    "check_state",
    "terminal",
    "yes_no",
    "choice",
    "measurement",
}


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in _UNION_TAGS]
    if len(parts) >= 2 and parts[0] == "nodes":
        parts = parts[2:]
    return ".".join(parts)


def validate_data(data: Any, file: str) -> ValidationReport:
    """Validate loaded YAML (ideally from :mod:`app.procedures.loader`, for line numbers)."""
    if not isinstance(data, dict):
        return ValidationReport(
            file=file,
            issues=[Issue(file=file, line=1, message="a procedure must be a YAML mapping")],
        )
    try:
        procedure = Procedure.model_validate(data)
    except ValidationError as exc:
        issues = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            message = err["msg"].removeprefix("Value error, ")
            if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
                ctx = err.get("ctx", {})
                key = str(ctx.get("discriminator", "type")).strip("'")
                loc = (*loc, key)
                if err["type"] == "union_tag_invalid":
                    message = (
                        f"unknown {key} {ctx.get('tag')!r} (expected one of: "
                        f"{str(ctx.get('expected_tags', '')).replace(chr(39), '')})"
                    )
                else:
                    message = f"missing '{key}'"
            issues.append(
                Issue(
                    file=file,
                    line=line_of(data, loc),
                    node_id=_node_id_at(data, loc),
                    field=_field_name(loc) or None,
                    message=message,
                )
            )
        return ValidationReport(file=file, issues=issues)
    issues = [
        issue.model_copy(update={"file": file, "line": _issue_line(data, issue)})
        for issue in check_graph(procedure)
    ]
    return ValidationReport(file=file, procedure=procedure, issues=issues)


def _issue_line(data: Any, issue: Issue) -> int | None:
    loc: tuple[Any, ...] = ()
    if issue.node_id is not None:
        nodes = data.get("nodes", [])
        # the last node with this id: duplicates are reported at the repeated occurrence
        index = max(
            (
                i
                for i, n in enumerate(nodes)
                if isinstance(n, dict) and n.get("id") == issue.node_id
            ),
            default=None,
        )
        if index is not None:
            loc = ("nodes", index)
    if issue.field:
        loc = loc + tuple(int(p) if p.isdigit() else p for p in issue.field.split("."))
    return line_of(data, loc) if loc else getattr(data, "line", None)


def check_graph(procedure: Procedure) -> list[Issue]:
    """Graph checks on a schema-valid procedure. Issues carry node id and field, not lines."""
    issues: list[Issue] = []

    def error(message: str, node_id: str | None = None, field: str | None = None) -> None:
        issues.append(Issue(file="", node_id=node_id, field=field, message=message))

    def warning(message: str, node_id: str | None = None, field: str | None = None) -> None:
        issues.append(
            Issue(file="", node_id=node_id, field=field, message=message, severity="warning")
        )

    seen: set[str] = set()
    for node in procedure.nodes:
        if node.id in seen:
            error(f"duplicate node id {node.id!r}", node.id, "id")
        seen.add(node.id)
    nodes = procedure.node_map()

    check_safety(procedure, error, warning)

    if procedure.start not in nodes:
        error(f"start node {procedure.start!r} does not exist", None, "start")
        return issues

    dangling = False
    for node in procedure.nodes:
        for _label, target, loc in node.edges():
            if target not in nodes:
                dangling = True
                error(
                    f"reference to unknown node {target!r}",
                    node.id,
                    ".".join(str(p) for p in loc),
                )
        if node.on_exhausted and node.max_visits is None:
            error("on_exhausted without max_visits", node.id, "on_exhausted")
        if isinstance(node, TerminalNode) and node.max_visits is not None:
            warning("max_visits on a terminal node has no effect", node.id, "max_visits")
    if dangling:
        return issues  # the remaining checks need a closed graph

    graph = {nid: [t for _, t in n.successors()] for nid, n in nodes.items()}

    reachable = _reach(graph, [procedure.start])
    for node in procedure.nodes:
        if node.id not in reachable:
            error("node is unreachable from the start node", node.id, "id")

    # every node must be able to reach a terminal (the implicit escalate on exhaustion counts)
    ends = {
        nid
        for nid, n in nodes.items()
        if isinstance(n, TerminalNode) or (n.max_visits is not None and not n.on_exhausted)
    }
    reverse: dict[str, list[str]] = {nid: [] for nid in nodes}
    for src, targets in graph.items():
        for t in targets:
            reverse[t].append(src)
    can_finish = _reach(reverse, list(ends))
    for node in procedure.nodes:
        if node.id in reachable and node.id not in can_finish:
            error("no path from this node ends in a terminal", node.id, "id")

    # loops must be bounded: without the bounded nodes the graph has to be acyclic
    bounded = {nid for nid, n in nodes.items() if n.max_visits is not None}
    unbounded_graph = {
        nid: [t for t in targets if t not in bounded]
        for nid, targets in graph.items()
        if nid not in bounded
    }
    for cycle in _cycles(unbounded_graph):
        path = " -> ".join([*cycle, cycle[0]])
        error(
            f"loop without a bound: {path} (set max_visits on one of these nodes)",
            cycle[0],
            "id",
        )

    # the loop exit must leave the loop, or exhaustion would go round forever
    for nid in sorted(bounded):
        node = nodes[nid]
        if node.on_exhausted and nid in _reach(graph, [node.on_exhausted]):
            error(
                f"on_exhausted target {node.on_exhausted!r} leads back to this node",
                nid,
                "on_exhausted",
            )
    return issues


def check_safety(procedure: Procedure, error: Any, warning: Any) -> None:
    """Every hazardous step is marked so the engine's gate holds it, the procedure's level and
    qualifications tell the truth about its steps, no reset or unlock is allowed during a
    charge, and a step that switches the supply off follows a check for a running charge."""
    declared_rank = SAFETY_RANK[procedure.safety_level]
    declared = effective(procedure.qualifications)
    needed: set[str] = set()
    top_rank = -1
    for node in procedure.nodes:
        level = node.safety_level
        if level is not None:
            top_rank = max(top_rank, SAFETY_RANK[level])
            if SAFETY_RANK[level] > declared_rank:
                error(
                    f"step is {level}, above the procedure's safety_level "
                    f"{procedure.safety_level}: raise the procedure's level",
                    node.id,
                    "safety_level",
                )
        if node.hazardous and not isinstance(node, PERSON_NODES):
            error(
                f"safety_level {level} on a {node.type} node: only steps a person does "
                "(instruction, question) are hazards",
                node.id,
                "safety_level",
            )
        if node.hazardous:
            assert level is not None
            minimum = LEVEL_MINIMUM[level]
            if not node.qualifications:
                error(
                    f"a {level} step must name the qualifications it needs (at least {minimum})",
                    node.id,
                    "qualifications",
                )
            elif minimum not in effective(node.qualifications):
                error(
                    f"a {level} step needs {minimum} among its qualifications",
                    node.id,
                    "qualifications",
                )
        elif node.acknowledgement:
            warning("acknowledgement on a step that is no hazard is never asked", node.id)
        required = {str(q) for q in node.required_qualifications()}
        needed |= required
        lacking = sorted(q for q in required if q not in declared)
        if lacking:
            error(
                f"the step needs {', '.join(lacking)}, which the procedure's qualifications "
                "do not list",
                node.id,
                "qualifications",
            )
        if (
            isinstance(node, RemoteActionNode)
            and node.command in NEVER_DURING_A_CHARGE
            and node.allow_during_transaction
        ):
            error(
                f"{node.command} never runs during a charge (it would end someone's charge): "
                "remove allow_during_transaction; the step waits for the charge to end",
                node.id,
                "allow_during_transaction",
            )
    if procedure.safety_level in HAZARD_LEVELS and top_rank < declared_rank:
        error(
            f"the procedure is {procedure.safety_level} but no step is: mark the hazardous "
            "steps (safety_level and qualifications) so the engine can gate them, or lower "
            "the procedure's level",
            None,
            "safety_level",
        )
    unused = sorted(str(q) for q in procedure.qualifications if str(q) not in needed)
    if unused:
        warning(f"qualifications {', '.join(unused)} are needed by no step", None, "qualifications")
    _check_supply_breaks(procedure, error)


def _no_charge_edge(source: Any, label: str) -> bool:
    """Is this edge out of a check_state node taken only when no charge runs anywhere on the
    charger (connector 0)?"""
    if not isinstance(source, CheckStateNode):
        return False

    def says(cond: StateCondition, running: bool) -> bool:
        return cond.in_transaction is running and cond.connector in (0,)

    if label.startswith("branch:"):
        return says(source.branches[int(label.split(":")[1])].when, False)
    if label == "otherwise":
        return any(says(b.when, True) for b in source.branches)
    return False


def _check_supply_breaks(procedure: Procedure, error: Any) -> None:
    nodes = procedure.node_map()
    incoming: dict[str, list[tuple[Any, str]]] = {nid: [] for nid in nodes}
    for node in procedure.nodes:
        for label, target in node.successors():
            if target in incoming:
                incoming[target].append((node, label))
    if procedure.start in incoming:
        incoming[procedure.start].append((None, "start"))
    for node in procedure.nodes:
        if not node.interrupts_supply:
            continue
        for source, label in incoming[node.id]:
            if not _no_charge_edge(source, label):
                where = f"from {source.id!r} ({label})" if source is not None else "as the start"
                error(
                    f"this step switches the supply off but is entered {where} without a "
                    "check for a running charge: enter it only from a check_state branch "
                    "{connector: 0, in_transaction: false} (or the otherwise of a branch "
                    "{connector: 0, in_transaction: true})",
                    node.id,
                    "interrupts_supply",
                )


def _reach(graph: dict[str, list[str]], starts: Iterable[str]) -> set[str]:
    seen: set[str] = set()
    stack = list(starts)
    while stack:
        nid = stack.pop()
        if nid in seen:
            continue
        seen.add(nid)
        stack.extend(graph.get(nid, []))
    return seen


def _cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """One representative cycle per strongly connected component that contains a cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0

    def strongconnect(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, []):
            if w not in graph:
                continue
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            components.append(component)

    for v in graph:
        if v not in index:
            strongconnect(v)

    cycles = []
    for component in components:
        members = set(component)
        first = min(component)
        if len(component) == 1 and first not in graph.get(first, []):
            continue
        cycles.append(_cycle_through(graph, first, members))
    return sorted(cycles)


def _cycle_through(graph: dict[str, list[str]], start: str, members: set[str]) -> list[str]:
    """A simple cycle from start back to start inside one component (BFS for the shortest)."""
    parents: dict[str, str] = {}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in graph.get(v, []):
            if w not in members:
                continue
            if w == start:
                path = [v]
                while path[-1] != start:
                    path.append(parents[path[-1]])
                return list(reversed(path))
            if w not in parents:
                parents[w] = v
                queue.append(w)
    return [start]


def validate_paths(paths: Iterable[Path]) -> list[ValidationReport]:
    """Validate files and folders (every *.yaml / *.yml below a folder)."""
    reports = []
    for path in paths:
        files = sorted([*path.rglob("*.yaml"), *path.rglob("*.yml")]) if path.is_dir() else [path]
        reports.extend(validate_file(f) for f in files)
    return reports
