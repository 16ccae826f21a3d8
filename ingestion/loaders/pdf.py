"""PDF manuals, structure-aware, with PyMuPDF: sections from headings, not from pages.

- Text comes with its font size and weight per span (``page.get_text("dict")``). The body
  size is the size most characters have; a line set larger than the body, or bold and short
  at body size, is a heading. Heading sizes rank the levels (largest = level 1), so a heading
  path ("5 Malfunction messages > F.214 Coolant level low") is rebuilt. A largest heading that
  occurs once is the document's title, not a section.
- Running headers and footers (lines in the top or bottom band of a page that repeat on most
  pages once digits are ignored: "Page 3 of 7") and bare page numbers are dropped, so they
  neither pollute chunks nor pose as section titles.
- Tables (``page.find_tables()``) become Markdown pipe tables with their header row; a table
  that continues on the next page with its header repeated is joined into one.
- A PDF without any heading falls back to one section per page.
- Text flows across page breaks: a section ends at the next heading, wherever it is, and
  keeps the page it starts on plus the offsets where later pages begin (chunks cite the page
  their passage is on).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingestion.loaders.common import clean_meta, read_sidecar
from ingestion.models import Document, LoadError, Section

#: Top and bottom bands of a page (fraction of its height) where running headers/footers sit.
_MARGIN_BAND = 0.09
_BULLET_RE = re.compile(r"^(?:[-\u2022*]|\d+[.)])\s")
_PAGE_NUMBER_RE = re.compile(r"^(?:page\s*)?\d+(?:\s*(?:of|/)\s*\d+)?$", re.IGNORECASE)


@dataclass
class _Line:
    page: int
    y0: float
    y1: float
    x0: float
    text: str
    size: float
    bold: bool
    block: int


@dataclass
class _Table:
    page: int
    y0: float
    rows: list[list[str]]


@dataclass
class _Heading:
    level: int
    text: str


@dataclass
class _Open:
    """The section being filled while the pages are read."""

    path: list[str]
    page: int | None = None
    parts: list[str] = field(default_factory=list)
    length: int = 0
    page_offsets: list[int] = field(default_factory=list)
    last_page: int | None = None


def _is_bold(span: dict[str, Any]) -> bool:
    return bool(span["flags"] & 16) or "bold" in span["font"].lower()


def _cell_text(lines: list[_Line], bbox: tuple[float, float, float, float]) -> str:
    x0, y0, x1, y1 = bbox
    inside = [
        ln for ln in lines if y0 - 1 <= (ln.y0 + ln.y1) / 2 <= y1 + 1 and x0 - 1 <= ln.x0 <= x1
    ]
    return " ".join(ln.text for ln in sorted(inside, key=lambda ln: (round(ln.y0), ln.x0)))


def _read_pages(doc: Any) -> tuple[list[list[_Line]], list[list[_Table]], list[float]]:
    """Lines (outside tables) and tables of every page, in reading order."""
    pages_lines: list[list[_Line]] = []
    pages_tables: list[list[_Table]] = []
    heights: list[float] = []
    for number, page in enumerate(doc, start=1):
        heights.append(page.rect.height)
        lines: list[_Line] = []
        for b, block in enumerate(page.get_text("dict")["blocks"]):
            if block.get("type") != 0:
                continue
            for line in block["lines"]:
                spans = [s for s in line["spans"] if s["text"].strip()]
                if not spans:
                    continue
                text = " ".join("".join(s["text"] for s in spans).split())
                chars = sum(len(s["text"].strip()) for s in spans)
                size = sum(s["size"] * len(s["text"].strip()) for s in spans) / max(chars, 1)
                bold = all(_is_bold(s) for s in spans)
                x0, y0, _, y1 = line["bbox"]
                lines.append(_Line(number, y0, y1, x0, text, round(size, 1), bold, b))
        tables: list[_Table] = []
        try:
            found = page.find_tables().tables
        except Exception:  # table detection is a refinement; text is still read without it
            found = []
        taken: set[int] = set()
        for table in found:
            tx0, ty0, tx1, ty1 = table.bbox
            members = [
                i
                for i, ln in enumerate(lines)
                if ty0 - 1 <= (ln.y0 + ln.y1) / 2 <= ty1 + 1 and tx0 - 1 <= ln.x0 <= tx1
            ]
            if not members:
                continue
            inside = [lines[i] for i in members]
            rows = []
            for row in table.rows:
                cells = [_cell_text(inside, c) if c else "" for c in row.cells]
                if any(cells):
                    rows.append(cells)
            if len(rows) >= 2 and max(len(r) for r in rows) >= 2:
                tables.append(_Table(number, ty0, rows))
                taken.update(members)
        lines = [ln for i, ln in enumerate(lines) if i not in taken]
        pages_lines.append(lines)
        pages_tables.append(tables)
    return pages_lines, pages_tables, heights


def _running_lines(pages: list[list[_Line]], heights: list[float]) -> set[tuple[int, int]]:
    """(page, index) of running headers/footers and page numbers."""

    def key(text: str) -> str:
        return re.sub(r"\d+", "#", text.lower()).strip()

    in_band: list[tuple[int, int, str]] = []
    for p, lines in enumerate(pages):
        height = heights[p]
        for i, ln in enumerate(lines):
            if ln.y1 <= height * _MARGIN_BAND or ln.y0 >= height * (1 - _MARGIN_BAND):
                in_band.append((p, i, key(ln.text)))
    counts = Counter(k for _, k in {(p, k) for p, _, k in in_band})
    repeated = max(2, (len(pages) + 1) // 2)
    drop = set()
    for p, i, k in in_band:
        if counts[k] >= repeated or _PAGE_NUMBER_RE.match(pages[p][i].text.strip()):
            drop.add((p, i))
    return drop


def _table_markdown(rows: list[list[str]]) -> str:
    width = max(len(r) for r in rows)
    rows = [[c.replace("|", "/") for c in r] + [""] * (width - len(r)) for r in rows]
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * width]
    lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    return "\n".join(lines)


def pdf_sections(doc: Any) -> tuple[list[Section], str | None]:
    """Sections of an opened PyMuPDF document, and the title heading if it has one."""
    pages, tables, heights = _read_pages(doc)
    drop = _running_lines(pages, heights)
    body_lines = [
        ln for p, lines in enumerate(pages) for i, ln in enumerate(lines) if (p, i) not in drop
    ]
    sizes: Counter[float] = Counter()
    for ln in body_lines:
        sizes[ln.size] += len(ln.text)
    if not sizes:
        return [], None
    body = sizes.most_common(1)[0][0]

    def heading_size(ln: _Line) -> float | None:
        short = len(ln.text) <= 120 and not ln.text.endswith((".", ",", ";", ":"))
        if ln.size >= body + 0.9 and short and not _PAGE_NUMBER_RE.match(ln.text):
            return ln.size
        if ln.bold and abs(ln.size - body) < 0.9 and short and len(ln.text.split()) <= 12:
            return body  # a bold run-in heading at body size: the lowest level
        return None

    heading_sizes = sorted({s for ln in body_lines if (s := heading_size(ln)) is not None})
    levels = {s: n for n, s in enumerate(reversed(heading_sizes), start=1)}
    title_size = heading_sizes[-1] if heading_sizes else None
    if title_size is not None and sum(1 for ln in body_lines if heading_size(ln) == title_size) > 3:
        title_size = None  # the largest heading repeats: it is a chapter level, not a title

    # One stream of items in reading order: (page, y, kind, payload).
    items: list[tuple[int, float, int, Any]] = []
    for p, lines in enumerate(pages):
        for i, ln in enumerate(lines):
            if (p, i) not in drop:
                items.append((p + 1, ln.y0, 1, ln))
        for table in tables[p]:
            items.append((p + 1, table.y0, 0, table))
    items.sort(key=lambda t: (t[0], t[1], t[2]))

    sections: list[Section] = []
    title: str | None = None
    current = _Open(path=[])
    paragraph: list[tuple[str, int]] = []  # (line, page)
    last: _Line | None = None
    last_table: _Table | None = None
    pending_heading: _Line | None = None

    def add(text: str, page: int) -> None:
        if current.page is None:
            current.page = page
        elif page != current.last_page:
            current.page_offsets.append(current.length)
        current.last_page = page
        current.parts.append(text)
        current.length += len(text) + 2

    def flush_paragraph(page: int) -> None:
        """Add the paragraph on the page it starts on; a page break inside it is recorded
        where the first line of the next page starts."""
        if not paragraph:
            return
        start = current.length
        add(paragraph[0][0], paragraph[0][1])
        text, page_now = paragraph[0][0], paragraph[0][1]
        for line, line_page in paragraph[1:]:
            if line_page != page_now:
                current.page_offsets.append(start + len(text) + 1)
                page_now = current.last_page = line_page
            text += " " + line
        current.parts[-1] = text
        current.length = start + len(text) + 2
        paragraph.clear()

    def close() -> None:
        text = "\n\n".join(current.parts).strip()
        if text:
            path = current.path
            sections.append(
                Section(
                    text=text,
                    section=" > ".join(path) or None,
                    section_title=path[-1] if path else None,
                    page=current.page,
                    page_offsets=current.page_offsets,
                )
            )

    for page, _, _, item in items:
        if not heading_sizes and current.page is not None and page != current.page:
            # No headings at all (a flat PDF): a section per page is the best structure left.
            flush_paragraph(current.last_page or page)
            close()
            current = _Open(path=[])
            last = None
        if isinstance(item, _Table):
            flush_paragraph(page)
            if (
                last_table is not None
                and current.parts
                and current.parts[-1].startswith("| ")
                and item.rows[0] == last_table.rows[0]
                and page == last_table.page + 1
            ):
                # The same table running on over a page break (header row repeated): join it.
                last_table.rows.extend(item.rows[1:])
                last_table.page = page
                current.length -= len(current.parts[-1])
                current.parts[-1] = _table_markdown(last_table.rows)
                current.length += len(current.parts[-1])
            else:
                last_table = _Table(item.page, item.y0, [list(r) for r in item.rows])
                add(_table_markdown(last_table.rows), page)
            last = None
            continue
        ln: _Line = item
        size = heading_size(ln)
        if size is not None:
            # A heading wrapped over two lines: same size, next line of the same block.
            if (
                pending_heading is not None
                and last is pending_heading
                and ln.block == pending_heading.block
                and ln.size == pending_heading.size
                and ln.page == pending_heading.page
            ):
                joined = f"{current.path[-1]} {ln.text}" if current.path else ln.text
                if current.path:
                    current.path[-1] = joined
                else:
                    title = f"{title} {ln.text}" if title else ln.text
                last = ln
                pending_heading = ln
                continue
            flush_paragraph(page)
            if size == title_size and title is None and not sections and not current.parts:
                title = ln.text
                last = pending_heading = ln
                continue
            close()
            level = levels[size] - (1 if title_size is not None else 0)
            path = [*current.path[: max(level - 1, 0)], ln.text]
            current = _Open(path=path)
            last_table = None
            last = pending_heading = ln
            continue
        pending_heading = None
        new_paragraph = (
            last is None
            or ln.block != last.block
            or (ln.page != last.page and not paragraph)
            or _BULLET_RE.match(ln.text) is not None
        )
        if ln.page != (last.page if last else ln.page) and paragraph:
            # A paragraph running over a page break continues unless the line starts anew.
            starts_anew = ln.text[:1].isupper() and paragraph[-1][0].endswith((".", ":", "!", "?"))
            new_paragraph = _BULLET_RE.match(ln.text) is not None or starts_anew
        if new_paragraph:
            flush_paragraph(page)
        paragraph.append((ln.text, ln.page))
        last = ln
    flush_paragraph(items[-1][0] if items else 1)
    close()
    return sections, title


def load_pdf(path: Path, root: Path) -> list[Document]:
    import pymupdf

    source = path.relative_to(root).as_posix()
    if path.stat().st_size == 0:
        raise LoadError(source, "empty file")
    try:
        doc = pymupdf.open(path, filetype="pdf")
    except Exception as exc:  # PyMuPDF raises its own FileDataError and RuntimeErrors
        raise LoadError(source, f"corrupt PDF: {exc}") from exc
    with doc:
        if doc.needs_pass and not doc.authenticate(""):
            raise LoadError(source, "encrypted PDF (a password is needed)")
        try:
            sections, title_heading = pdf_sections(doc)
        except Exception as exc:
            raise LoadError(source, f"corrupt PDF: {exc}") from exc
        pdf_title = (doc.metadata or {}).get("title") or None
    if not sections:
        raise LoadError(source, "no extractable text (scanned PDF?)")
    meta = clean_meta(read_sidecar(path, root))
    return [
        Document(
            kind="manual",
            doc_id=source,
            source=source,
            title=meta.get("title") or pdf_title or title_heading or path.stem.replace("_", " "),
            vendor=meta.get("vendor"),
            model=meta.get("model"),
            doc_type=meta.get("doc_type"),
            language=meta.get("language"),
            sections=sections,
        )
    ]
