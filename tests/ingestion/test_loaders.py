from __future__ import annotations

from pathlib import Path

import pytest

from ingestion.chunking import chunk_document
from ingestion.loaders import is_source, load_file
from ingestion.models import LoadError
from tests.ingestion.kb import make_pdf


def test_markdown_front_matter_and_heading_sections(kb: Path) -> None:
    docs, issues = load_file(kb / "manuals" / "wb22.md", kb)
    assert issues == []
    (doc,) = docs
    assert (doc.kind, doc.title, doc.vendor, doc.model, doc.doc_type, doc.language) == (
        "manual",
        "Voltara WB-22 service manual",
        "Voltara",
        "WB-22",
        "service_manual",
        "en",
    )
    titles = [s.section_title for s in doc.sections]
    assert titles == ["Ground fault (E-101)", "Connector lock (E-310)"]
    chunks = chunk_document(doc, "hash")
    assert chunks[0].doc_id == "manuals/wb22.md#Ground fault (E-101)"
    assert chunks[0].section == "Ground fault (E-101)"
    assert chunks[0].source == "manuals/wb22.md"
    assert chunks[0].vendor_codes == ["E-101"] and "GroundFailure" in chunks[0].ocpp_codes


def test_pdf_pages_and_sidecar(kb: Path) -> None:
    (doc,), _ = load_file(kb / "manuals" / "hx150.pdf", kb)
    assert doc.title == "Helion HX-150 manual" and doc.vendor == "Helion Power"
    assert [s.page for s in doc.sections] == [1, 2]
    chunks = chunk_document(doc, "h")
    page2 = [c for c in chunks if c.page == 2]
    assert page2 and page2[0].vendor_codes == ["HX-1104"]
    assert page2[0].doc_id.startswith("manuals/hx150.pdf#")


def test_html_headings_meta_and_no_script(kb: Path) -> None:
    (doc,), _ = load_file(kb / "manuals" / "kx300-bulletin.html", kb)
    assert doc.title == "Kestrel KX-300 bulletin" and doc.vendor == "Kestrel EV"
    sections = {s.section_title: s.text for s in doc.sections}
    assert "K7-TH-401" in sections["Coolant temperature"]
    assert all("var x" not in s.text for s in doc.sections)


def test_text_with_sidecar(kb: Path) -> None:
    (doc,), _ = load_file(kb / "manuals" / "duo-note-17.txt", kb)
    assert doc.title == "Northwind Duo service note 17"
    assert (doc.vendor, doc.model, doc.doc_type) == (
        "Northwind Charging",
        "Duo AC Post",
        "service_note",
    )


def test_tickets_one_document_each_with_outcome(kb: Path) -> None:
    docs, issues = load_file(kb / "tickets" / "tickets.csv", kb)
    assert issues == [] and [d.doc_id for d in docs] == ["T-1001", "T-1002", "T-1003"]
    first = docs[0]
    text = first.sections[0].text
    assert "Symptom: Charger trips" in text and "Resolution: Advised driver" in text
    assert first.extra["outcome"] == "vehicle_side"
    (chunk,) = chunk_document(first, "h")
    assert chunk.kind == "ticket" and chunk.doc_id == "T-1001"
    assert chunk.vendor_codes == ["E-101"]


@pytest.mark.parametrize("inverted", [False, True])
def test_ticket_export_with_mapping_file(tmp_path: Path, inverted: bool) -> None:
    root = tmp_path / "kb"
    (root / "tickets").mkdir(parents=True)
    (root / "tickets" / "helpdesk.csv").write_text(
        "Case;Opened;Make;Subject;Notes;Cause;Fix;Status\n"
        "HD-1;06/02/2024 02:35;Helion Power;Fan loud;noisy;fan bearing;new fan;Closed - Fixed\n"
    )
    columns = {
        "ticket_id": "Case",
        "created_at": "Opened",
        "vendor": "Make",
        "symptom": "Subject",
        "diagnosis": ["Notes", "Cause"],
        "resolution": "Fix",
        "outcome": "Status",
    }
    if inverted:  # "their column: our field", as some mapping files are written
        lines = [
            f"  {c}: {ours}"
            for ours, cs in columns.items()
            for c in (cs if isinstance(cs, list) else [cs])
        ]
    else:
        lines = [
            f"  {ours}: {cs!r}" if isinstance(cs, str) else f"  {ours}: {list(cs)}"
            for ours, cs in columns.items()
        ]
    (root / "tickets" / "helpdesk.mapping.yaml").write_text(
        'delimiter: ";"\ndate_format: "%d/%m/%Y %H:%M"\ncolumns:\n'
        + "\n".join(lines)
        + '\nvalues:\n  outcome: {"Closed - Fixed": resolved}\n'
    )
    (doc,), issues = load_file(root / "tickets" / "helpdesk.csv", root)
    assert issues == []
    assert doc.doc_id == "HD-1" and doc.vendor == "Helion Power"
    assert doc.extra["outcome"] == "resolved"
    assert doc.extra["created_at"] == "2024-02-06T02:35:00"
    assert "noisy\n\nfan bearing" in doc.sections[0].text
    assert is_source(root / "tickets" / "helpdesk.csv", root)
    assert not is_source(root / "tickets" / "helpdesk.mapping.yaml", root)


def test_procedure_read_generically(kb: Path) -> None:
    (doc,), _ = load_file(kb / "procedures" / "ground_fault.yaml", kb)
    assert doc.kind == "procedure" and doc.doc_id == "PROC-GROUND-FAULT"
    text = "\n".join(s.text for s in doc.sections)
    for expected in (
        "Find out whether",
        "Does the fault happen",
        "Yes, every car",
        "insulation resistance",
        "E-101",
        "Faulted",
    ):
        assert expected in text
    chunks = chunk_document(doc, "h")
    assert {c.doc_id for c in chunks} == {"PROC-GROUND-FAULT"}
    assert "HX-1104" in chunks[0].vendor_codes and "Helion Power" in chunks[0].vendors


# --- bad input: each names the file (and line/row) --------------------------------------------


def _error(path: Path, root: Path) -> LoadError:
    with pytest.raises(LoadError) as info:
        load_file(path, root)
    return info.value


def test_corrupt_pdf(tmp_path: Path) -> None:
    (tmp_path / "manuals").mkdir()
    path = tmp_path / "manuals" / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage\n")
    error = _error(path, tmp_path)
    assert error.file == "manuals/broken.pdf"
    assert "PDF" in error.message


def test_encrypted_pdf(tmp_path: Path) -> None:
    (tmp_path / "manuals").mkdir()
    path = make_pdf(tmp_path / "manuals" / "secret.pdf", ["top secret"], password="s3cret")
    error = _error(path, tmp_path)
    assert error.file == "manuals/secret.pdf" and "encrypted" in error.message


@pytest.mark.parametrize(
    "name",
    [
        "manuals/empty.md",
        "manuals/empty.pdf",
        "tickets/t.csv",
        "procedures/p.yaml",
        "manuals/blank.txt",
    ],
)
def test_empty_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.parent.mkdir(parents=True)
    path.write_text("" if "blank" not in name else "  \n\n")
    error = _error(path, tmp_path)
    assert error.file == name and "empty" in error.message


def test_csv_missing_required_columns(tmp_path: Path) -> None:
    (tmp_path / "tickets").mkdir()
    path = tmp_path / "tickets" / "t.csv"
    path.write_text("ticket_id,symptom\nT-1,broken\n")
    error = _error(path, tmp_path)
    assert error.file == "tickets/t.csv" and error.line == 1
    assert "resolution" in error.message


def test_csv_bad_rows_are_reported_with_their_line(tmp_path: Path) -> None:
    (tmp_path / "tickets").mkdir()
    path = tmp_path / "tickets" / "t.csv"
    path.write_text("ticket_id,symptom,resolution\nT-1,broken,fixed\n,no id,fixed\nT-1,dup,x\n")
    docs, issues = load_file(path, tmp_path)
    assert [d.doc_id for d in docs] == ["T-1"]
    assert [(i.line, i.file) for i in issues] == [(3, "tickets/t.csv"), (4, "tickets/t.csv")]
    assert "ticket_id" in issues[0].message and "duplicate" in issues[1].message


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "procedures").mkdir()
    path = tmp_path / "procedures" / "bad.yaml"
    path.write_text("id: P-1\ntitle: ok\nnodes:\n  - id: a\n    text: [unclosed\n")
    error = _error(path, tmp_path)
    assert error.file == "procedures/bad.yaml" and error.line is not None and error.line >= 5
    assert "YAML" in error.message


def test_front_matter_syntax_error_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "manuals").mkdir()
    path = tmp_path / "manuals" / "m.md"
    path.write_text("---\ntitle: ok\nvendor: [oops\n---\n# H\ntext\n")
    error = _error(path, tmp_path)
    assert error.file == "manuals/m.md" and error.line in (3, 4, 5)


def test_procedure_without_id(tmp_path: Path) -> None:
    (tmp_path / "procedures").mkdir()
    path = tmp_path / "procedures" / "p.yaml"
    path.write_text("title: no id here\nnodes: []\n")
    error = _error(path, tmp_path)
    assert "'id'" in error.message
