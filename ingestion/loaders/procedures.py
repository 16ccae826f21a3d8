"""Decision-tree procedures (YAML), read generically: title, summary, applies-to, node texts.

Validation against the procedure schema is the procedures module's job; here a procedure
needs an ``id`` and a ``title``, and every text a partner reads is indexed. A file holds one
procedure, a list of them, or ``{procedures: [...]}``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.fault_codes.text import normalize_error_code
from ingestion.loaders.common import parse_yaml, read_text
from ingestion.models import Document, LoadError, Section

_TEXT_KEYS = (
    "title",
    "question",
    "text",
    "description",
    "instruction",
    "instructions",
    "label",
    "hint",
    "warning",
    "note",
    "notes",
    "detail",
    "details",
    "expected",
    "message",
    "summary",
)
_APPLIES_LABELS = {
    "vendors": "Vendors",
    "models": "Models",
    "ocpp_versions": "OCPP versions",
    "error_codes": "Error codes",
    "vendor_error_codes": "Vendor error codes",
    "connector_statuses": "Connector statuses",
    "symptoms": "Symptoms",
    "fault_keys": "Fault keys",
}


def _texts(value: Any, out: list[str]) -> None:
    """Readable strings of a node, depth first (options and nested lists included)."""
    if isinstance(value, dict):
        for key in _TEXT_KEYS:
            item = value.get(key)
            if isinstance(item, str) and item.strip():
                out.append(item.strip())
            elif isinstance(item, list):
                out.extend(str(x).strip() for x in item if isinstance(x, str) and x.strip())
        for key, item in value.items():
            if isinstance(item, dict | list) and key not in _TEXT_KEYS:
                _texts(item, out)
    elif isinstance(value, list):
        for item in value:
            _texts(item, out)


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value if v not in (None, "")]
    return [str(value)]


def procedure_document(raw: dict[str, Any], source: str, index: int | None = None) -> Document:
    where = f" (procedure #{index})" if index is not None else ""
    for field in ("id", "title"):
        if not raw.get(field) or not isinstance(raw[field], str | int):
            raise LoadError(source, f"missing or invalid field '{field}'{where}")
    applies = raw.get("applies_to") or {}
    if not isinstance(applies, dict):
        raise LoadError(source, f"field 'applies_to' must be a mapping{where}")
    applies_lists = {key: _as_list(applies.get(key)) for key in _APPLIES_LABELS}
    summary = str(raw.get("summary") or raw.get("description") or "").strip()
    overview = [str(raw["title"]).strip()]
    if summary:
        overview.append(summary)
    for key, label in _APPLIES_LABELS.items():
        if applies_lists[key]:
            overview.append(f"{label}: {', '.join(applies_lists[key])}.")
    # Plain words for the codes, so "ground fault" finds a procedure listing GroundFailure.
    phrases = [f.replace("_", " ") for f in applies_lists["fault_keys"]]
    for code in applies_lists["error_codes"] + applies_lists["vendor_error_codes"]:
        normalized = normalize_error_code(code)
        if normalized and normalized.fault_key:
            phrase = normalized.fault_key.replace("_", " ")
            if phrase not in phrases:
                phrases.append(phrase)
    if phrases:
        overview.append(f"Faults: {', '.join(phrases)}.")
    steps: list[str] = []
    _texts(raw.get("nodes") or [], steps)
    sections = [Section(text="\n".join(overview), section="Overview", section_title="Overview")]
    if steps:
        unique = list(dict.fromkeys(steps))
        sections.append(Section(text="\n".join(unique), section="Steps", section_title="Steps"))
    vendors = applies_lists["vendors"]
    models = applies_lists["models"]
    return Document(
        kind="procedure",
        doc_id=str(raw["id"]),
        source=source,
        title=str(raw["title"]).strip(),
        vendor=vendors[0] if len(vendors) == 1 else None,
        model=models[0] if len(models) == 1 else None,
        sections=sections,
        extra={
            "version": raw.get("version"),
            "status": raw.get("status"),
            "summary": summary,
            "applies_to": applies_lists,
        },
    )


def load_procedures(path: Path, root: Path) -> list[Document]:
    source = path.relative_to(root).as_posix()
    data = parse_yaml(read_text(path, source), source)
    if isinstance(data, dict) and isinstance(data.get("procedures"), list):
        data = data["procedures"]
    if isinstance(data, dict):
        return [procedure_document(data, source)]
    if isinstance(data, list) and all(isinstance(d, dict) for d in data):
        return [procedure_document(d, source, i) for i, d in enumerate(data, start=1)]
    raise LoadError(source, "expected a procedure mapping or a list of procedures", 1)
