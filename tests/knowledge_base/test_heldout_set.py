"""The held-out retrieval set: its labels point at sections and tickets that exist, its
vendors are unknown to the fault-code catalogue, and its PDF is what the generator makes."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import yaml

from app.fault_codes import load_catalogue
from ingestion.loaders import load_file

KB = Path(__file__).resolve().parents[2] / "knowledge_base"
HELDOUT = KB / "eval" / "heldout"
PDF = HELDOUT / "manuals" / "aurland-power-ap-q180.pdf"


def _queries() -> list[dict]:
    return yaml.safe_load((HELDOUT / "queries.yaml").read_text(encoding="utf-8"))["queries"]


def test_labels_point_at_sections_and_tickets_that_exist() -> None:
    titles: dict[str, set[str]] = {}
    for path in sorted((HELDOUT / "manuals").glob("*")):
        if path.suffix in (".md", ".pdf"):
            (doc,), _ = load_file(path, HELDOUT)
            titles[doc.source] = {s.section_title for s in doc.sections if s.section_title}
    tickets, issues = load_file(HELDOUT / "tickets" / "field_tickets.csv", HELDOUT)
    assert not issues and 40 <= len(tickets) <= 70
    ticket_ids = {t.doc_id for t in tickets}
    queries = _queries()
    assert len(queries) >= 40 and len({q["id"] for q in queries}) == len(queries)
    for query in queries:
        expected = query["expected"]
        assert expected, query["id"]
        if "manual" in expected:
            source, _, section = expected["manual"].partition("#")
            assert section in titles[source], (query["id"], section)
        if "ticket" in expected:
            assert expected["ticket"] in ticket_ids, query["id"]
    tags = {t for q in queries for t in q["tags"]}
    assert {"symptom_only", "misspelt", "code_only", "water"} <= tags


def test_heldout_vendors_are_not_in_the_catalogue() -> None:
    catalogue = load_catalogue()
    vendors = {table.vendor.lower() for table in catalogue.vendors.values()}
    assert not vendors & {"aurland power", "quillon"}
    for code in ("F.214", "Q77", "F.410"):
        assert catalogue.text.normalize(code) is None


def test_heldout_pdf_is_what_the_generator_makes() -> None:
    spec = importlib.util.spec_from_file_location(
        "make_heldout_pdf", KB / "tools" / "make_heldout_pdf.py"
    )
    assert spec and spec.loader
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    data, _ = tool.render((HELDOUT / "source" / "aurland-power-ap-q180.md").read_text())
    assert data == PDF.read_bytes(), "aurland-power-ap-q180.pdf is stale: run make_heldout_pdf.py"
