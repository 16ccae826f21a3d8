"""Reading a charger's uploaded diagnostics log for hardware evidence, before any reset.

A charger's OCPP face is often ambiguous: ``InternalError`` "Main application watchdog
timeout" may be a firmware hang (a reset fixes it) or a failed power module (nothing remote
does). The firmware's own log usually tells them apart: vendor manuals list their log
messages in an appendix, and a technician reads the uploaded diagnostics log before deciding
(OCPP 1.6 §5.9 GetDiagnostics / 2.0.1 N01 GetLog exist for that). This module holds the
vendor tables of hardware log messages (``knowledge_base/log_messages/*.yaml``) and finds the
first line of a log that names a failed part for the fault at hand.

Plain functions, no HTTP or database types: the diagnosis service waits for the upload and
hands the file here.

Bounds: at most ``MAX_READ_BYTES`` of a file are read (its head, where the charger's summary
and error log are, and its tail, the most recent lines), each line is cut at
``MAX_LINE_CHARS`` and at most ``MAX_LINES`` lines are looked at; bytes that are not UTF-8
are replaced, so a binary upload is only text that matches nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from app.fault_codes.lineyaml import YamlSyntaxError, line_of, load_yaml_file

LOG_MESSAGES_DIR = Path(__file__).resolve().parents[2] / "knowledge_base" / "log_messages"
MAX_READ_BYTES = 256 * 1024
MAX_LINE_CHARS = 500
MAX_LINES = 5000
MAX_PATTERN_CHARS = 200
# what a line may contain once read: printable text and tabs (NULs and other control bytes
# of a binary file become spaces)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class LogTableError(ValueError):
    """A log-message table that does not load: names the file and line."""

    def __init__(self, file: str, line: int | None, message: str) -> None:
        self.file, self.line, self.message = file, line, message
        super().__init__(f"{file}:{line}: {message}" if line else f"{file}: {message}")


class LogMarker(BaseModel):
    """One log message of a vendor that names a failed part (a hardware failure)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    pattern: str = Field(min_length=3, max_length=MAX_PATTERN_CHARS)  # regex, case-insensitive
    part: str = Field(min_length=2, max_length=100)  # what the technician should bring
    faults: tuple[str, ...] = Field(min_length=1)  # fault keys whose face this failure shows
    meaning: str = Field(default="", max_length=300)

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value, re.IGNORECASE)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        return value

    @property
    def regex(self) -> re.Pattern[str]:
        return _compiled(self.pattern)


class VendorLogTable(BaseModel):
    """A vendor's log-message appendix: the messages that name a failed part."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    vendor: str = Field(min_length=1, max_length=100)
    models: tuple[str, ...] = ()
    source: str = Field(min_length=1, max_length=300)  # where the wording comes from
    markers: tuple[LogMarker, ...] = Field(min_length=1)


@dataclass(frozen=True)
class HardwareEvidence:
    """A log line that names a failed part: no reset, a site visit with that part."""

    vendor: str
    part: str
    line: str
    pattern: str
    meaning: str = ""


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def load_log_tables(
    folder: Path = LOG_MESSAGES_DIR, fault_keys: frozenset[str] | None = None
) -> dict[str, VendorLogTable]:
    """Every vendor table in ``folder`` by vendor name (lower case). A bad entry raises
    LogTableError naming its file and line; with ``fault_keys`` a marker naming a fault key
    outside them is one."""
    tables: dict[str, VendorLogTable] = {}
    seen: dict[str, str] = {}
    for path in sorted(folder.glob("*.yaml")):
        try:
            data = load_yaml_file(path)
        except YamlSyntaxError as exc:
            raise LogTableError(str(path), exc.line, exc.message) from None
        try:
            table = VendorLogTable.model_validate(data)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"])
            raise LogTableError(
                str(path), line_of(data, tuple(err["loc"])), f"{where}: {err['msg']}"
            ) from None
        if fault_keys is not None:
            for i, marker in enumerate(table.markers):
                unknown = [k for k in marker.faults if k not in fault_keys]
                if unknown:
                    raise LogTableError(
                        str(path),
                        line_of(data, ("markers", i, "faults")),
                        f"markers.{i}.faults: unknown fault key(s) {', '.join(unknown)}",
                    )
        key = table.vendor.lower()
        if key in seen:
            raise LogTableError(str(path), None, f"vendor {table.vendor!r} also in {seen[key]}")
        seen[key] = str(path)
        tables[key] = table
    return tables


@cache
def shipped_tables() -> dict[str, VendorLogTable]:
    """The knowledge base's tables, checked against the fault-code catalogue's fault keys."""
    from app.fault_codes import load_catalogue

    return load_log_tables(LOG_MESSAGES_DIR, frozenset(load_catalogue().faults))


def read_log_text(path: Path, limit: int = MAX_READ_BYTES) -> str:
    """At most ``limit`` bytes of a stored log as text: all of a small file; of a larger one
    its head and its tail (half each)."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        if size <= limit:
            data = fh.read(limit)
        else:
            head = fh.read(limit // 2)
            fh.seek(size - limit // 2)
            data = head + b"\n" + fh.read(limit // 2)
    return data.decode("utf-8", errors="replace")


def log_lines(text: str) -> list[str]:
    """The lines to look at: bounded in number and length, control characters blanked."""
    out = []
    for raw in text[: MAX_READ_BYTES * 2].splitlines()[:MAX_LINES]:
        line = _CONTROL.sub(" ", raw[:MAX_LINE_CHARS]).strip()
        if line:
            out.append(line)
    return out


def find_hardware_evidence(
    text: str,
    vendor: str | None,
    fault_key: str | None,
    tables: dict[str, VendorLogTable],
) -> HardwareEvidence | None:
    """The first line of ``text`` that the vendor's table says names a failed part behind
    ``fault_key``. None when the vendor has no table (its wording is unknown: no evidence),
    when the fault key is unknown, or when no line matches."""
    table = tables.get((vendor or "").strip().lower())
    if table is None or not fault_key:
        return None
    markers = [m for m in table.markers if fault_key in m.faults]
    if not markers:
        return None
    for line in log_lines(text):
        for marker in markers:
            if marker.regex.search(line):
                return HardwareEvidence(
                    table.vendor, marker.part, line, marker.pattern, marker.meaning
                )
    return None
