"""The sample knowledge base loads through the real ingestion loaders without a single issue."""

from __future__ import annotations

from pathlib import Path

from ingestion.loaders import load_file
from ingestion.sources import is_source

KB = Path(__file__).resolve().parents[2] / "knowledge_base"
OUTCOMES = {
    "resolved_remote",
    "resolved_onsite",
    "repeat_visit",
    "escalated_vendor",
    "no_fault_found",
    "vehicle_side",
}


def test_every_source_file_loads_cleanly_with_metadata() -> None:
    sources = sorted(p for p in KB.rglob("*") if p.is_file() and is_source(p, KB))
    kinds: dict[str, int] = {}
    for path in sources:
        documents, issues = load_file(path, KB)
        assert documents, path
        assert not issues, [str(i) for i in issues]
        for doc in documents:
            kinds[doc.kind] = kinds.get(doc.kind, 0) + 1
            if doc.kind == "manual":
                assert doc.vendor and doc.model and doc.language == "en", path
    assert kinds["procedure"] >= 30
    assert kinds["ticket"] >= 440
    assert kinds["manual"] >= 7  # 4 Markdown, 1 PDF, 1 HTML, 1 TXT


def test_pdf_manual_gets_its_sidecar_metadata_and_sections() -> None:
    (doc,), _ = load_file(KB / "manuals" / "voltara-wb-22.pdf", KB)
    assert (doc.vendor, doc.model, doc.doc_type) == ("Voltara", "WB-22", "service_manual")
    assert sum(len(s.text) for s in doc.sections) > 8000


def test_helpdesk_export_is_mapped_to_plain_fields() -> None:
    documents, issues = load_file(KB / "tickets" / "helpdesk_export.csv", KB)
    assert not issues
    assert len(documents) >= 20
    for doc in documents:
        assert doc.doc_id.startswith("HD-")
        assert doc.vendor and doc.model
        assert doc.extra.get("outcome") in OUTCOMES, doc.extra
