"""Scenario files: a YAML timeline of fault injections, clears and transactions.

```yaml
events:
  - at: 30s                 # simulated time after start: 45, 30s, 5m, 1h30m
    charger: SITE-001-AC-01 # a charger id, or its index in the fleet (0, 1, ...)
    inject: ground_fault
    connector: 1
  - at: 10m
    charger: SITE-001-AC-01
    clear: ground_fault
    how: site_visit         # recorded in the ground truth (default site_visit)
  - at: 1m
    charger: 3
    start_transaction: TAG-42   # id tag (or true); connector defaults to 1
  - at: 40m
    charger: 3
    stop_transaction: true
```

Every error names the file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from app.simulator.faults import fault_catalogue

if TYPE_CHECKING:
    from app.simulator.fleet import Fleet

ACTIONS = ("inject", "clear", "start_transaction", "stop_transaction")
KEYS = {"at", "charger", "connector", "how", *ACTIONS}
_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s?)?$")


class ScenarioError(ValueError):
    pass


@dataclass(frozen=True)
class ScenarioEvent:
    line: int
    at: float  # simulated seconds
    charger: str | int
    action: str
    fault: str | None = None
    connector: int | None = None
    how: str | None = None
    id_tag: str | None = None

    def charger_id(self, fleet: Fleet) -> str:
        if isinstance(self.charger, int):
            return fleet.plans[self.charger].charger_id
        return self.charger


@dataclass(frozen=True)
class Scenario:
    source: str
    events: list[ScenarioEvent]

    def check_against(self, fleet: Fleet) -> None:
        ids = {p.charger_id for p in fleet.plans}
        for event in self.events:
            if isinstance(event.charger, int):
                if not 0 <= event.charger < len(fleet.plans):
                    raise ScenarioError(
                        f"{self.source}:{event.line}: charger index {event.charger} out of "
                        f"range (fleet has {len(fleet.plans)} chargers)"
                    )
            elif event.charger not in ids:
                raise ScenarioError(
                    f"{self.source}:{event.line}: no charger {event.charger!r} in this fleet"
                )


def parse_duration(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(f"negative time {value}")
        return float(value)
    match = _DURATION.match(str(value).strip())
    if not match or not any(match.groups()):
        raise ValueError(f"not a duration: {value!r} (use 45, 30s, 5m, 1h30m)")
    h, m, s = (float(g) if g else 0.0 for g in match.groups())
    return h * 3600 + m * 60 + s


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _scalar(node: yaml.Node) -> Any:
    return yaml.safe_load(yaml.serialize(node))


def load_scenario(path: Path) -> Scenario:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read scenario: {exc}") from None
    return parse_scenario(text, str(path))


def parse_scenario(text: str, source: str = "<scenario>") -> Scenario:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        raise ScenarioError(f"{source}:{line}: invalid YAML: {exc.problem}") from None
    if root is None:
        return Scenario(source, [])
    events_node = root
    if isinstance(root, yaml.MappingNode):
        events_node = None
        for key, value in root.value:
            if key.value == "events":
                events_node = value
            else:
                raise ScenarioError(
                    f"{source}:{_line(key)}: unknown top-level key {key.value!r} "
                    "(expected 'events')"
                )
        if events_node is None:
            raise ScenarioError(f"{source}:{_line(root)}: missing 'events' list")
    if not isinstance(events_node, yaml.SequenceNode):
        raise ScenarioError(f"{source}:{_line(events_node)}: 'events' must be a list")
    return Scenario(source, [_parse_event(node, source) for node in events_node.value])


def _parse_event(node: yaml.Node, source: str) -> ScenarioEvent:
    where = f"{source}:{_line(node)}"
    if not isinstance(node, yaml.MappingNode):
        raise ScenarioError(f"{where}: each event must be a mapping")
    fields: dict[str, tuple[Any, int]] = {}
    for key, value in node.value:
        name = key.value
        if name not in KEYS:
            raise ScenarioError(
                f"{source}:{_line(key)}: unknown key {name!r} (known: {', '.join(sorted(KEYS))})"
            )
        try:
            fields[name] = (_scalar(value), _line(value))
        except yaml.YAMLError as exc:
            raise ScenarioError(f"{source}:{_line(value)}: {exc}") from None
    actions = [a for a in ACTIONS if a in fields]
    if len(actions) != 1:
        raise ScenarioError(
            f"{where}: an event needs exactly one of {', '.join(ACTIONS)} "
            f"(found {actions or 'none'})"
        )
    action = actions[0]
    for required in ("at", "charger"):
        if required not in fields:
            raise ScenarioError(f"{where}: missing {required!r}")
    at_value, at_line = fields["at"]
    try:
        at = parse_duration(at_value)
    except ValueError as exc:
        raise ScenarioError(f"{source}:{at_line}: {exc}") from None
    charger, charger_line = fields["charger"]
    if not isinstance(charger, str | int) or isinstance(charger, bool):
        raise ScenarioError(f"{source}:{charger_line}: charger must be an id or an index")
    connector = None
    if "connector" in fields:
        connector, line = fields["connector"]
        if not isinstance(connector, int) or isinstance(connector, bool) or connector < 0:
            raise ScenarioError(f"{source}:{line}: connector must be a number >= 0")
    fault = id_tag = None
    value, line = fields[action]
    if action in ("inject", "clear"):
        if value not in fault_catalogue():
            raise ScenarioError(
                f"{source}:{line}: unknown fault {value!r} "
                f"(known: {', '.join(sorted(fault_catalogue()))})"
            )
        fault = value
    elif action == "start_transaction" and value is not True:
        id_tag = str(value)
    how = fields["how"][0] if "how" in fields else None
    return ScenarioEvent(
        line=_line(node),
        at=at,
        charger=charger,
        action=action,
        fault=fault,
        connector=connector,
        how=how,
        id_tag=id_tag,
    )
