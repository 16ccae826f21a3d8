"""Past tickets from CSV or JSON exports: one document per ticket.

The plain format has the columns of :data:`TICKET_FIELDS`. Another export is read through a
mapping file ``NAME.mapping.yaml`` beside ``NAME.csv``/``NAME.json``::

    delimiter: ";"                  # optional
    encoding: utf-8                 # optional
    columns: {ticket_id: "Case Number", symptom: "Subject", diagnosis: ["Notes", "Cause"], ...}
    defaults: {vendor: "Helion Power"}
    values: {outcome: {"Closed - Fixed": resolved}}
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from ingestion.loaders.common import parse_yaml, read_text
from ingestion.models import Document, Issue, LoadError, Section
from ingestion.sources import mapping_path

TICKET_FIELDS = (
    "ticket_id",
    "created_at",
    "charger_id",
    "vendor",
    "model",
    "error_code",
    "vendor_error_code",
    "symptom",
    "diagnosis",
    "resolution",
    "outcome",
)
REQUIRED_FIELDS = ("ticket_id", "symptom", "resolution")


class TicketMapping(BaseModel):
    source: str | None = None  # the export file it describes (default: same stem)
    format: str | None = None  # informative: csv / json
    delimiter: str = ","
    encoding: str = "utf-8-sig"
    columns: dict[str, str | list[str]] = Field(default_factory=dict)  # our field -> column(s)
    defaults: dict[str, str] = Field(default_factory=dict)
    values: dict[str, dict[str, str]] = Field(default_factory=dict)
    date_format: str | None = None  # strptime format of created_at; normalised to ISO 8601


def _orient_columns(raw_columns: dict[str, Any], source: str) -> dict[str, str | list[str]]:
    """Accept ``our_field: their column`` and ``their column: our_field`` (detected)."""
    if not isinstance(raw_columns, dict):
        raise LoadError(source, "'columns' must be a mapping")
    keys_ours = all(k in TICKET_FIELDS for k in raw_columns)
    values_ours = all(isinstance(v, str) and v in TICKET_FIELDS for v in raw_columns.values())
    if keys_ours:
        return raw_columns
    if values_ours:
        inverted: dict[str, str | list[str]] = {}
        for column, ours in raw_columns.items():
            previous = inverted.get(ours)
            if previous is None:
                inverted[ours] = str(column)
            else:
                inverted[ours] = [*(previous if isinstance(previous, list) else [previous]), column]
        return inverted
    unknown = sorted(
        {str(k) for k in raw_columns if k not in TICKET_FIELDS}
        & {str(v) for v in raw_columns.values() if v not in TICKET_FIELDS}
    ) or sorted(str(k) for k in raw_columns if k not in TICKET_FIELDS)
    raise LoadError(
        source,
        f"columns: neither side names ticket fields ({', '.join(TICKET_FIELDS)}); "
        f"unknown: {', '.join(unknown)}",
    )


def load_mapping(path: Path, root: Path) -> TicketMapping | None:
    mpath = mapping_path(path)
    if not mpath.is_file():
        return None
    source = mpath.relative_to(root).as_posix()
    raw = parse_yaml(mpath.read_text(encoding="utf-8"), source)
    if not isinstance(raw, dict):
        raise LoadError(source, "mapping file is not a mapping", 1)
    raw["columns"] = _orient_columns(raw.get("columns") or {}, source)
    try:
        return TicketMapping.model_validate(raw)
    except ValueError as exc:
        raise LoadError(source, f"invalid mapping: {exc}") from exc


def _field(row: dict[str, Any], name: str, mapping: TicketMapping | None) -> str:
    column: str | list[str] = name
    if mapping and name in mapping.columns:
        column = mapping.columns[name]
    columns = column if isinstance(column, list) else [column]
    value = "\n\n".join(str(row[c]).strip() for c in columns if row.get(c) not in (None, ""))
    if not value and mapping:
        value = mapping.defaults.get(name, "")
    if mapping and name in mapping.values:
        value = mapping.values[name].get(value, value)
    if mapping and mapping.date_format and name == "created_at" and value:
        with contextlib.suppress(ValueError):  # kept as written when it does not parse
            value = datetime.strptime(value, mapping.date_format).isoformat()
    return value


def _required_columns(mapping: TicketMapping | None) -> list[str]:
    columns: list[str] = []
    for name in REQUIRED_FIELDS:
        if mapping and name in mapping.defaults:
            continue
        column = mapping.columns.get(name, name) if mapping else name
        columns.extend(column if isinstance(column, list) else [column])
    return columns


def ticket_document(fields: dict[str, str], source: str) -> Document:
    header = " ".join(v for v in (fields.get("vendor"), fields.get("model")) if v) or "Charger"
    codes = ", ".join(v for v in (fields.get("error_code"), fields.get("vendor_error_code")) if v)
    lines = [f"{header} ticket{f' ({codes})' if codes else ''}."]
    for label, key in (
        ("Symptom", "symptom"),
        ("Diagnosis", "diagnosis"),
        ("Resolution", "resolution"),
    ):
        if fields.get(key):
            lines.append(f"{label}: {fields[key]}")
    if fields.get("outcome"):
        lines.append(f"Outcome: {fields['outcome']}")
    symptom = fields["symptom"]
    return Document(
        kind="ticket",
        doc_id=fields["ticket_id"],
        source=source,
        title=f"{fields['ticket_id']}: {symptom[:80]}",
        vendor=fields.get("vendor") or None,
        model=fields.get("model") or None,
        sections=[Section(text="\n".join(lines))],
        extra={k: v for k, v in fields.items() if v},
    )


def _rows_from_file(
    path: Path, source: str, mapping: TicketMapping | None
) -> tuple[list[tuple[int, dict[str, Any]]], list[str]]:
    """(line number, row) pairs and the column names."""
    if path.suffix.lower() == ".json":
        text = read_text(path, source)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise LoadError(source, f"JSON syntax error: {exc.msg}", exc.lineno) from exc
        if isinstance(data, dict):
            data = data.get("tickets", data.get("items"))
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise LoadError(source, "expected a list of ticket objects (or {tickets: [...]})")
        columns = sorted({k for r in data for k in r})
        return [(i, r) for i, r in enumerate(data, start=1)], columns
    encoding = mapping.encoding if mapping else "utf-8-sig"
    try:
        text = path.read_bytes().decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise LoadError(source, f"cannot decode as {encoding}: {exc}") from exc
    if not text.strip():
        raise LoadError(source, "empty file")
    reader = csv.DictReader(io.StringIO(text), delimiter=mapping.delimiter if mapping else ",")
    columns = [c.strip() for c in (reader.fieldnames or [])]
    reader.fieldnames = columns
    rows: list[tuple[int, dict[str, Any]]] = []
    try:
        for row in reader:
            rows.append((reader.line_num, row))
    except csv.Error as exc:
        raise LoadError(source, f"CSV error: {exc}", reader.line_num) from exc
    return rows, columns


def load_tickets(path: Path, root: Path) -> tuple[list[Document], list[Issue]]:
    """Ticket documents and the rows skipped (each with its line, or index for JSON)."""
    source = path.relative_to(root).as_posix()
    mapping = load_mapping(path, root)
    rows, columns = _rows_from_file(path, source, mapping)
    missing = [c for c in _required_columns(mapping) if c not in columns]
    if missing and path.suffix.lower() != ".json":
        raise LoadError(source, f"missing required column(s): {', '.join(missing)}", 1)
    documents: list[Document] = []
    issues: list[Issue] = []
    seen: set[str] = set()
    for line, row in rows:
        fields = {name: _field(row, name, mapping) for name in TICKET_FIELDS}
        empty = [f for f in REQUIRED_FIELDS if not fields[f]]
        if empty:
            issues.append(
                Issue(
                    file=source, line=line, message=f"empty required field(s): {', '.join(empty)}"
                )
            )
            continue
        if fields["ticket_id"] in seen:
            issues.append(
                Issue(file=source, line=line, message=f"duplicate ticket_id {fields['ticket_id']}")
            )
            continue
        seen.add(fields["ticket_id"])
        documents.append(ticket_document(fields, source))
    if not documents and not issues:
        raise LoadError(source, "no tickets in file")
    return documents, issues
