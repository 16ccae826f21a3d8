"""Line-aware YAML loading (the implementation lives in :mod:`app.fault_codes.lineyaml`)."""

from __future__ import annotations

from app.fault_codes.lineyaml import (
    MAX_YAML_CHARS,
    MAX_YAML_DEPTH,
    LineDict,
    LineList,
    LineLoader,
    YamlSyntaxError,
    line_of,
    load_yaml_file,
    load_yaml_text,
)

__all__ = [
    "MAX_YAML_CHARS",
    "MAX_YAML_DEPTH",
    "LineDict",
    "LineList",
    "LineLoader",
    "YamlSyntaxError",
    "line_of",
    "load_yaml_file",
    "load_yaml_text",
]
