"""Load and validate the catalogue's YAML files; every error names file, line and entry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from app.fault_codes.lineyaml import YamlSyntaxError, line_of, load_yaml_text
from app.fault_codes.schema import (
    ChargeXFile,
    FaultsFile,
    Ocpp16File,
    Ocpp201File,
    VendorFile,
)

M = TypeVar("M", bound=BaseModel)

#: Top-level list of each file kind, and the field that names one of its entries.
_ENTRY_NAME = {
    "faults": "key",
    "codes": "code",
    "entries": ("component", "variable"),
    "restarts": "fault",
}


@dataclass(frozen=True)
class Issue:
    file: str
    line: int | None
    entry: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        what = f" entry {self.entry}:" if self.entry else ""
        return f"{where}:{what} {self.message}"


class CatalogueError(ValueError):
    """The catalogue files are invalid; ``issues`` lists every problem found."""

    def __init__(self, issues: Sequence[Issue]) -> None:
        self.issues = list(issues)
        super().__init__("invalid fault-code catalogue:\n" + "\n".join(map(str, self.issues)))


def entry_name(data: Any, loc: tuple[str | int, ...]) -> str | None:
    """A readable name for the list entry a pydantic location points into, e.g. ``'E-101'``."""
    if len(loc) < 2 or not isinstance(data, dict) or not isinstance(loc[1], int):
        return None
    items = data.get(loc[0])
    if not isinstance(items, list) or not 0 <= loc[1] < len(items):
        return None
    item = items[loc[1]]
    field = _ENTRY_NAME.get(str(loc[0]))
    if isinstance(item, dict) and isinstance(field, tuple):
        return repr(".".join(str(item.get(f, "?")) for f in field))
    if isinstance(item, dict) and field and item.get(field) is not None:
        return repr(str(item[field]))
    return f"#{loc[1] + 1}"


def entry_line(data: Any, section: str, index: int) -> int | None:
    return line_of(data, (section, index))


def parse(path: Path, model: type[M]) -> tuple[M | None, Any, list[Issue]]:
    """Load one file as ``model``; (None, data, issues) when it is invalid."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, None, [Issue(str(path), None, None, f"cannot read: {exc}")]
    return parse_text(text, str(path), model)


def parse_text(text: str, file: str, model: type[M]) -> tuple[M | None, Any, list[Issue]]:
    """Load YAML text as ``model``; ``file`` names it in every issue (a path, or e.g. an
    editor's draft ``vendor table 'Voltara' (draft)``)."""
    try:
        data = load_yaml_text(text, file)
    except YamlSyntaxError as exc:
        return None, None, [Issue(file, exc.line, None, exc.message)]
    if not isinstance(data, dict):
        return None, data, [Issue(file, getattr(data, "line", None), None, "not a mapping")]
    try:
        return model.model_validate(data), data, []
    except ValidationError as exc:
        issues = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            field = ".".join(str(p) for p in loc[2:]) or ".".join(str(p) for p in loc)
            issues.append(
                Issue(file, line_of(data, loc), entry_name(data, loc), f"{field}: {err['msg']}")
            )
        return None, data, issues


@dataclass
class RawCatalogue:
    """The parsed files with their line-aware data (for cross-file checks)."""

    folder: Path
    faults: tuple[FaultsFile, Any] | None = None
    ocpp16: tuple[Ocpp16File, Any] | None = None
    ocpp201: tuple[Ocpp201File, Any] | None = None
    chargex: tuple[ChargeXFile, Any] | None = None
    vendors: tuple[tuple[Path, VendorFile, Any], ...] = ()


FILES = {
    "faults": ("faults.yaml", FaultsFile),
    "ocpp16": ("ocpp16.yaml", Ocpp16File),
    "ocpp201": ("ocpp201.yaml", Ocpp201File),
    "chargex": ("chargex.yaml", ChargeXFile),
}


def read_folder(folder: Path) -> tuple[RawCatalogue, list[Issue]]:
    """Parse every catalogue file of ``folder`` (single-file checks only)."""
    raw = RawCatalogue(folder)
    issues: list[Issue] = []
    for attr, (name, model) in FILES.items():
        path = folder / name
        if not path.is_file():
            issues.append(Issue(str(path), None, None, "missing catalogue file"))
            continue
        parsed, data, found = parse(path, model)
        issues += found
        if parsed is not None:
            setattr(raw, attr, (parsed, data))
    vendors = []
    vendor_dir = folder / "vendors"
    for path in sorted(vendor_dir.glob("*.yaml")) if vendor_dir.is_dir() else []:
        parsed, data, found = parse(path, VendorFile)
        issues += found
        if parsed is not None:
            vendors.append((path, parsed, data))
    raw.vendors = tuple(vendors)
    return raw, issues
