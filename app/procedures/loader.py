"""Line-aware YAML loading (the implementation lives in :mod:`app.fault_codes.lineyaml`)."""

from __future__ import annotations

from app.fault_codes.lineyaml import (
    LineDict,
    LineList,
    LineLoader,
    YamlSyntaxError,
    line_of,
    load_yaml_file,
    load_yaml_text,
)

__all__ = [
    "LineDict",
    "LineList",
    "LineLoader",
    "YamlSyntaxError",
    "line_of",
    "load_yaml_file",
    "load_yaml_text",
]
