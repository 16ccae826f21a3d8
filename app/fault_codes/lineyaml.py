"""YAML loading that remembers the line of every mapping and key, for precise error messages.

Shared by the procedure, diagnosis-rule and fault-code loaders (SafeLoader only).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml


class LineDict(dict):
    """A dict from YAML that knows its own line and the line of each of its keys (1-based)."""

    line: int = 0
    key_lines: dict[str, int]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.key_lines = {}


class LineList(list):
    """A list from YAML that knows the line of each item (1-based)."""

    line: int = 0
    item_lines: list[int]

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.item_lines = []


MAX_YAML_CHARS = 512 * 1024  # a procedure, rule or code table file is a few KB
MAX_YAML_DEPTH = 40  # a procedure nests about 8 deep


class LineLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans (only true/false) and line numbers on containers.

    Anchors and aliases are refused outright (a few hundred bytes of nested aliases expand to
    billions of nodes), and so is nesting deeper than MAX_YAML_DEPTH."""

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise yaml.composer.ComposerError(
                None, None, f"aliases (*{event.anchor}) are not allowed", event.start_mark
            )
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise yaml.composer.ComposerError(
                None, None, f"anchors (&{anchor}) are not allowed", event.start_mark
            )
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"nested deeper than {MAX_YAML_DEPTH} levels", event.start_mark
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


# YAML 1.1 makes yes/no/on/off booleans: a choice "no" or a key "on" would silently change type.
LineLoader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
LineLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def _construct_mapping(loader: LineLoader, node: yaml.MappingNode, deep: bool = False) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {key!r} (first on line {result.key_lines[key]})",
                key_node.start_mark,
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(
    loader: LineLoader, node: yaml.SequenceNode, deep: bool = False
) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


class YamlSyntaxError(ValueError):
    def __init__(self, file: str, line: int | None, message: str) -> None:
        self.file = file
        self.line = line
        self.message = message
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {message}")


def load_yaml_text(text: str, file: str = "<string>") -> Any:
    """Parse YAML into LineDict/LineList; syntax errors become YamlSyntaxError with the line.

    Documents larger than MAX_YAML_CHARS, anchors/aliases and deep nesting are refused."""
    if len(text) > MAX_YAML_CHARS:
        raise YamlSyntaxError(
            file, None, f"document of {len(text)} characters; the limit is {MAX_YAML_CHARS}"
        )
    try:
        return yaml.load(text, Loader=LineLoader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise YamlSyntaxError(file, line, f"{exc.problem or exc}".strip()) from exc
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(file, None, str(exc)) from exc


def load_yaml_file(path: Path) -> Any:
    return load_yaml_text(path.read_text(encoding="utf-8"), file=str(path))


def line_of(data: Any, loc: tuple[str | int, ...]) -> int | None:
    """Best line for a pydantic error location inside data loaded by LineLoader.

    Walks the location as far as it matches the data (skipping union tags such as
    'question' or 'yes_no' that pydantic inserts); a missing key reports its parent mapping.
    """
    current = data
    line: int | None = getattr(data, "line", None) or None
    for part in loc:
        if isinstance(current, dict) and part in current:
            key_lines = getattr(current, "key_lines", {})
            line = key_lines.get(part, line)
            current = current[part]
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            item_lines = getattr(current, "item_lines", [])
            if part < len(item_lines):
                line = item_lines[part]
            current = current[part]
        # anything else (a union tag, a missing key) keeps the closest line found so far
    return line
