"""PDF manuals with pypdf: one section per page, page numbers kept; sidecar metadata."""

from __future__ import annotations

import re
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from ingestion.loaders.common import clean_meta, read_sidecar
from ingestion.models import Document, LoadError, Section

_HEADING_RE = re.compile(r"^(?:\d+(?:\.\d+)*\.?\s+)?[A-Z][^\n]{2,80}$")


def _page_heading(text: str) -> str | None:
    """The first short line of a page that looks like a heading (a hint for the UI)."""
    for line in text.splitlines()[:3]:
        line = line.strip()
        if line and _HEADING_RE.match(line) and not line.endswith((".", ",", ":")):
            return line
    return None


def load_pdf(path: Path, root: Path) -> list[Document]:
    source = path.relative_to(root).as_posix()
    if path.stat().st_size == 0:
        raise LoadError(source, "empty file")
    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except Exception as exc:  # pypdf raises several types for unsupported crypto
                raise LoadError(source, f"encrypted PDF cannot be opened: {exc}") from exc
            if not opened:
                raise LoadError(source, "encrypted PDF (a password is needed)")
        pages = [(n, page.extract_text() or "") for n, page in enumerate(reader.pages, start=1)]
        pdf_title = (reader.metadata.title if reader.metadata else None) or None
    except LoadError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise LoadError(source, f"corrupt PDF: {exc}") from exc
    sections = []
    for number, text in pages:
        text = text.strip()
        if text:
            heading = _page_heading(text)
            sections.append(Section(text=text, page=number, section=heading, section_title=heading))
    if not sections:
        raise LoadError(source, "no extractable text (scanned PDF?)")
    meta = clean_meta(read_sidecar(path, root))
    return [
        Document(
            kind="manual",
            doc_id=source,
            source=source,
            title=meta.get("title") or pdf_title or path.stem.replace("_", " "),
            vendor=meta.get("vendor"),
            model=meta.get("model"),
            doc_type=meta.get("doc_type"),
            language=meta.get("language"),
            sections=sections,
        )
    ]
