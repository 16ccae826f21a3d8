"""Structure-aware PDF loading: heading paths from font sizes, running headers and page numbers
gone, tables whole with their header row, sections and tables joined across page breaks, and
every chunk citing its section path and page."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from ingestion.chunking import chunk_document, split_section
from ingestion.loaders import load_file
from ingestion.models import Section

TOOL = Path(__file__).resolve().parents[2] / "knowledge_base" / "tools" / "make_heldout_pdf.py"
FILLER = " ".join(
    f"Sentence {n} of the coolant chapter describes the pump, the hoses and the tank."
    for n in range(1, 90)
)
ROWS = "| Code | Message | Class |\n|---|---|---|\n" + "\n".join(
    f"| C-{n:02d} | Message number {n} | {n % 3} |" for n in range(70)
)
MARKDOWN = f"""---
title: Tarnwell TW-9 Handbook
vendor: Tarnwell
model: TW-9
document: TW-HB-9
revision: "2"
---

# Tarnwell TW-9 Handbook

Intro for the service partner.

## 1 Error codes

Every code is listed below.

{ROWS}

### C-40 Coolant level low

Top up with TW-Cool only. {FILLER} LAST-SENTENCE-OF-C40.

### C-41 Pump blocked

Free the pump impeller.

## 2 Maintenance

Wipe with a damp cloth.
"""


def render_pdf(markdown: str) -> bytes:
    """Markdown to a PDF with running header and footer (the held-out manual's renderer)."""
    spec = importlib.util.spec_from_file_location("make_heldout_pdf", TOOL)
    assert spec and spec.loader
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    data, _ = tool.render(markdown)
    return data


def _make(tmp_path: Path) -> Path:
    data = render_pdf(MARKDOWN)
    (tmp_path / "manuals").mkdir(parents=True)
    path = tmp_path / "manuals" / "tw9.pdf"
    path.write_bytes(data)
    (tmp_path / "manuals" / "tw9.meta.yaml").write_text(
        "title: Tarnwell TW-9 Handbook\nvendor: Tarnwell\nmodel: TW-9\n"
    )
    return path


def test_sections_follow_headings_not_pages(tmp_path: Path) -> None:
    (doc,), _ = load_file(_make(tmp_path), tmp_path)
    paths = [s.section for s in doc.sections]
    # The title heading is the document, not a section; chapters nest their subsections.
    assert paths == [
        None,
        "1 Error codes",
        "1 Error codes > C-40 Coolant level low",
        "1 Error codes > C-41 Pump blocked",
        "2 Maintenance",
    ]
    text = "\n".join(s.text for s in doc.sections)
    # Running header ("Tarnwell | ... | TW-HB-9 rev. 2") and footers ("Page 2 of 4") are gone.
    assert "Tarnwell |" not in text and "Page " not in text and "TW-HB-9" not in text
    c40 = doc.sections[2]
    assert c40.text.startswith("Top up with TW-Cool only.")
    assert c40.text.rstrip().endswith("LAST-SENTENCE-OF-C40.")  # joined over the page break
    assert c40.page_offsets, "the C-40 section runs over a page break"


def test_a_table_over_a_page_break_is_one_table_with_one_header(tmp_path: Path) -> None:
    (doc,), _ = load_file(_make(tmp_path), tmp_path)
    codes = doc.sections[1].text
    table = [line for line in codes.splitlines() if line.startswith("|")]
    # The header row repeated by the renderer on the next page is not a data row.
    assert table[:2] == ["| Code | Message | Class |", "|---|---|---|"]
    assert sum(1 for line in table if line == "| Code | Message | Class |") == 1
    rows = [line for line in table if line.startswith("| C-")]
    assert [r.split("|")[1].strip() for r in rows] == [f"C-{n:02d}" for n in range(70)]


def test_chunks_cite_section_path_and_the_page_they_are_on(tmp_path: Path) -> None:
    (doc,), _ = load_file(_make(tmp_path), tmp_path)
    chunks = chunk_document(doc, "h", chunk_size=800)
    c40 = [c for c in chunks if c.section == "1 Error codes > C-40 Coolant level low"]
    assert len(c40) >= 2 and all(c.doc_id == "manuals/tw9.pdf#C-40 Coolant level low" for c in c40)
    assert c40[0].page is not None and c40[-1].page == c40[0].page + 1
    assert all("1 Error codes > C-40 Coolant level low" in c.embed_text for c in c40)
    # The long code table is split in row groups, each one with the header row.
    table_chunks = [c for c in chunks if c.section == "1 Error codes" and "| C-" in c.text]
    assert len(table_chunks) >= 2
    for chunk in table_chunks:
        lines = [ln for ln in chunk.text.splitlines() if ln.startswith("|")]
        assert lines[:2] == ["| Code | Message | Class |", "|---|---|---|"]


def test_split_section_keeps_a_table_with_its_header_row() -> None:
    from ingestion.chunking import make_splitter

    rows = "\n".join(f"| K{n} | meaning {n} of the code |" for n in range(40))
    text = f"Codes:\n\n| Code | Meaning |\n|---|---|\n{rows}\n\nAfter the table."
    pieces = split_section(text, make_splitter(300), 300)
    table_pieces = [p for _, p in pieces if "| K" in p]
    assert len(table_pieces) >= 3
    for piece in table_pieces:
        lines = piece[piece.index("| Code") :].splitlines()
        assert lines[:2] == ["| Code | Meaning |", "|---|---|"]
    assert all(offset >= 0 for offset, _ in pieces)


def test_page_of_a_passage_uses_the_section_page_offsets() -> None:
    from ingestion.chunking import page_at

    section = Section(text="x" * 300, page=4, page_offsets=[100, 250])
    assert [page_at(section, o) for o in (0, 99, 100, 249, 250)] == [4, 4, 5, 5, 6]
