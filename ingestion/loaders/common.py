"""Helpers shared by the loaders: front matter, sidecar metadata, YAML errors with lines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ingestion.models import LoadError
from ingestion.sources import sidecar_paths

META_KEYS = ("title", "vendor", "model", "doc_type", "language")


def yaml_error_line(exc: yaml.YAMLError) -> int | None:
    """1-based line of a YAML syntax error, if known."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return mark.line + 1 if mark is not None else None


def parse_yaml(text: str, source: str, line_offset: int = 0) -> Any:
    """``yaml.safe_load`` with a :class:`LoadError` naming the file and line on syntax errors."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        line = yaml_error_line(exc)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        if context and context_mark is not None:
            problem += f" ({context} at line {context_mark.line + 1 + line_offset})"
        raise LoadError(source, f"YAML syntax error: {problem}", (line or 1) + line_offset) from exc


def read_text(path: Path, source: str) -> str:
    """The file's text (UTF-8, BOM tolerated); an empty or undecodable file is a LoadError."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError(source, f"not UTF-8 text (byte {exc.start})") from exc
    if not text.strip():
        raise LoadError(source, "empty file")
    return text


def split_front_matter(text: str, source: str) -> tuple[dict[str, Any], str, int]:
    """(metadata, body, number of lines the front matter took) for ``---`` YAML front matter."""
    if not text.startswith("---"):
        return {}, text, 0
    lines = text.splitlines(keepends=True)
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            meta = parse_yaml("".join(lines[1:i]), source, line_offset=1) or {}
            if not isinstance(meta, dict):
                raise LoadError(source, "front matter is not a mapping", 2)
            return meta, "".join(lines[i + 1 :]), i + 1
    raise LoadError(source, "front matter opened with --- but never closed", 1)


def read_sidecar(path: Path, root: Path) -> dict[str, Any]:
    for candidate in sidecar_paths(path):
        if candidate.is_file():
            source = candidate.relative_to(root).as_posix()
            meta = parse_yaml(candidate.read_text(encoding="utf-8"), source) or {}
            if not isinstance(meta, dict):
                raise LoadError(source, "sidecar metadata is not a mapping", 1)
            return meta
    return {}


def clean_meta(meta: dict[str, Any]) -> dict[str, str]:
    return {k: str(meta[k]).strip() for k in META_KEYS if meta.get(k) not in (None, "")}
