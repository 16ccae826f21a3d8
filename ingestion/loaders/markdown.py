"""Markdown manuals: front matter or sidecar metadata, split on headings first."""

from __future__ import annotations

from pathlib import Path

from langchain_text_splitters import MarkdownHeaderTextSplitter

from ingestion.loaders.common import clean_meta, read_sidecar, read_text, split_front_matter
from ingestion.models import Document, LoadError, Section

_HEADERS = [("#", "h1"), ("##", "h2"), ("###", "h3"), ("####", "h4")]


def markdown_sections(body: str) -> tuple[list[Section], str | None]:
    """Sections of a Markdown body split on headings, and the first H1 (a fallback title)."""
    splitter = MarkdownHeaderTextSplitter(_HEADERS, strip_headers=True)
    sections: list[Section] = []
    first_h1: str | None = None
    for piece in splitter.split_text(body):
        headings = [piece.metadata[key] for _, key in _HEADERS if piece.metadata.get(key)]
        if first_h1 is None and piece.metadata.get("h1"):
            first_h1 = piece.metadata["h1"]
        text = piece.page_content.replace("  \n", "\n").strip()
        if not text:
            continue
        sections.append(
            Section(
                text=text,
                section=" > ".join(headings) or None,
                section_title=headings[-1] if headings else None,
            )
        )
    return sections, first_h1


def load_markdown(path: Path, root: Path) -> list[Document]:
    source = path.relative_to(root).as_posix()
    text = read_text(path, source)
    front, body, _ = split_front_matter(text, source)
    meta = {**clean_meta(read_sidecar(path, root)), **clean_meta(front)}
    sections, first_h1 = markdown_sections(body)
    if not sections:
        raise LoadError(source, "no text after the front matter")
    return [
        Document(
            kind="manual",
            doc_id=source,
            source=source,
            title=meta.get("title") or first_h1 or path.stem.replace("_", " "),
            vendor=meta.get("vendor"),
            model=meta.get("model"),
            doc_type=meta.get("doc_type"),
            language=meta.get("language"),
            sections=sections,
        )
    ]
