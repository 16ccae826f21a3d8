"""Build the dense text and keyword tokens of a search from words and charger state."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.fault_codes.text import (
    extract_codes,
    fault_phrase,
    normalize_error_code,
    vendor_codes_for_fault,
)
from app.retrieval.models import QueryInfo, SearchRequest
from ingestion.tokenize import tokenize

#: Connector statuses that say nothing about a fault.
_NEUTRAL_STATUSES = {"available", "charging", "occupied"}


@dataclass
class BuiltQuery:
    dense_text: str
    tokens: list[str]
    vendor: str | None = None
    model: str | None = None
    ocpp_codes: set[str] = field(default_factory=set)
    vendor_codes: set[str] = field(default_factory=set)
    fault_keys: set[str] = field(default_factory=set)

    @property
    def codes(self) -> set[str]:
        return self.ocpp_codes | self.vendor_codes

    def info(self, text: str) -> QueryInfo:
        return QueryInfo(
            text=text,
            vendor=self.vendor,
            model=self.model,
            codes=sorted(self.codes),
            fault_keys=sorted(self.fault_keys),
            keywords=list(dict.fromkeys(self.tokens)),
        )


def build_query(req: SearchRequest) -> BuiltQuery:
    """Words + charger state -> the text to embed and the BM25 tokens, with normalised codes."""
    words = " ".join(p for p in (req.text, req.info) if p and p.strip())
    found = extract_codes(words)
    query = BuiltQuery(dense_text="", tokens=[], vendor=req.vendor, model=req.model)
    query.ocpp_codes.update(found.ocpp_codes)
    query.vendor_codes.update(found.vendor_codes)
    query.fault_keys.update(found.fault_keys)
    for raw in [req.error_code, req.vendor_error_code, *req.open_faults]:
        code = normalize_error_code(raw, req.vendor)
        if code is None:
            continue
        if (code.ocpp_code and code.ocpp_code not in ("OtherError", "InternalError")) or (
            code.ocpp_code and not code.fault_key
        ):
            query.ocpp_codes.add(code.ocpp_code)
        query.vendor_codes.update(code.vendor_codes)
        if code.fault_key:
            query.fault_keys.add(code.fault_key)
    if query.vendor:
        for fault in list(query.fault_keys):
            query.vendor_codes.update(vendor_codes_for_fault(fault, query.vendor))
    phrases = [fault_phrase(f) for f in sorted(query.fault_keys)]
    status = req.status if req.status and req.status.lower() not in _NEUTRAL_STATUSES else None
    dense_parts = [
        words,
        ", ".join(phrases),
        " ".join(sorted(query.codes)),
        " ".join(p for p in (req.vendor, req.model) if p),
        f"connector {status}" if status else "",
    ]
    query.dense_text = ". ".join(p for p in dense_parts if p) or "charger fault"
    tokens = tokenize(words)
    tokens += [c.lower() for c in sorted(query.codes)]
    tokens += sorted(query.fault_keys)
    for phrase in phrases:
        tokens += tokenize(phrase)
    if status:
        tokens += tokenize(status)
    query.tokens = tokens
    return query


def request_from_live_state(
    live: Any, text: str = "", connector_id: int | None = None, **overrides: Any
) -> SearchRequest:
    """A search request from a ``ChargerLiveState`` (the connector in fault first).

    ``overrides`` (vendor, model, error_code, kinds, k, ...) win over the live state when set.
    """
    raw_connectors = getattr(live, "connectors", None) or []
    if isinstance(raw_connectors, dict):
        raw_connectors = list(raw_connectors.values())
    connectors = list(raw_connectors)

    def _get(obj: Any, name: str) -> Any:
        return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)

    def _faulted(c: Any) -> bool:
        return _get(c, "error_code") not in (None, "", "NoError") or bool(
            _get(c, "vendor_error_code")
        )

    chosen = None
    if connector_id is not None:
        chosen = next((c for c in connectors if _get(c, "connector_id") == connector_id), None)
    if chosen is None:
        # The connector in fault (a real connector before connector 0), else a busy one.
        ordered = sorted(connectors, key=lambda c: (_get(c, "connector_id") == 0,))
        chosen = next((c for c in ordered if _faulted(c)), None)
        if chosen is None:
            chosen = next(
                (c for c in ordered if str(_get(c, "status") or "").lower() != "available"),
                ordered[0] if ordered else None,
            )
    open_faults = []
    for fault in getattr(live, "open_faults", None) or []:
        if isinstance(fault, str):
            open_faults.append(fault)
            continue
        for name in ("vendor_error_code", "error_code", "raw_error_code"):
            value = _get(fault, name)
            if value and value not in ("NoError", "OtherError") and value not in open_faults:
                open_faults.append(str(value))
    error_code = _get(chosen, "error_code") if chosen is not None else None
    if error_code == "OtherError" and chosen is not None and _get(chosen, "raw_error_code"):
        error_code = _get(chosen, "raw_error_code")
    fields: dict[str, Any] = {
        "text": text,
        "vendor": getattr(live, "vendor", None),
        "model": getattr(live, "model", None),
        "firmware": getattr(live, "firmware_version", None) or getattr(live, "firmware", None),
        "ocpp_version": getattr(live, "ocpp_version", None),
        "status": _get(chosen, "status") if chosen is not None else None,
        "error_code": error_code,
        "vendor_error_code": _get(chosen, "vendor_error_code") if chosen is not None else None,
        "info": _get(chosen, "info") if chosen is not None else None,
        "open_faults": open_faults,
    }
    fields.update({k: v for k, v in overrides.items() if v is not None})
    return SearchRequest(**fields)
