"""The fault-code catalogue: one place that knows what a reported error code means.

A leaf package: it imports only pydantic, PyYAML and the standard library (never ``app.*``
outside this package, nor ``ingestion``). Data: ``knowledge_base/fault_codes/*.yaml``.

Public API::

    from app.fault_codes import load_catalogue, normalise_ocpp16
    catalogue = load_catalogue()            # cached; CatalogueError names file:line entry
    c = catalogue.classify(error_code=..., vendor_error_code=..., vendor=..., model=...,
                           component=..., variable=..., tech_code=...)
    c.known, c.fault_key, c.safety_class, c.entry_id, c.ocpp16_code, ...

    from app.fault_codes.text import normalize_error_code, extract_codes, search_terms
"""

from app.fault_codes.catalogue import (
    DEFAULT_FOLDER,
    Classification,
    FaultCatalogue,
    load_catalogue,
    normalise_ocpp16,
)
from app.fault_codes.loader import CatalogueError, Issue
from app.fault_codes.text import (
    ExtractedCodes,
    NormalizedCode,
    extract_codes,
    fault_phrase,
    fault_to_ocpp,
    normalize_error_code,
    search_terms,
    vendor_codes_for_fault,
)

__all__ = [
    "DEFAULT_FOLDER",
    "CatalogueError",
    "Classification",
    "ExtractedCodes",
    "FaultCatalogue",
    "Issue",
    "NormalizedCode",
    "extract_codes",
    "fault_phrase",
    "fault_to_ocpp",
    "load_catalogue",
    "normalise_ocpp16",
    "normalize_error_code",
    "search_terms",
    "vendor_codes_for_fault",
]
