"""HTML manuals: headings and block text turned into Markdown, then split on headings."""

from __future__ import annotations

from pathlib import Path

from bs4 import BeautifulSoup

from ingestion.loaders.common import clean_meta, read_sidecar, read_text
from ingestion.loaders.markdown import markdown_sections
from ingestion.models import Document, LoadError

_BLOCKS = ("h1", "h2", "h3", "h4", "p", "li", "pre", "td", "th", "dt", "dd", "blockquote")


def html_to_markdown(html: str) -> tuple[str, str | None, dict[str, str]]:
    """(Markdown text, <title>, <meta name=...> values) of an HTML page."""
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "nav", "footer"]):
        tag.decompose()
    metas = {
        str(m.get("name")).lower(): str(m.get("content"))
        for m in soup.find_all("meta")
        if m.get("name") and m.get("content")
    }
    title = soup.title.get_text(" ", strip=True) if soup.title else None
    lines: list[str] = []
    for element in soup.find_all(_BLOCKS):
        if element.find_parent(_BLOCKS[4:]):  # text of nested blocks is in the parent already
            continue
        text = element.get_text(" ", strip=True)
        if not text:
            continue
        if element.name in ("h1", "h2", "h3", "h4"):
            lines.append(f"\n{'#' * int(element.name[1])} {text}\n")
        elif element.name == "li":
            lines.append(f"- {text}")
        else:
            lines.append(f"{text}\n")
    return "\n".join(lines), title, metas


def load_html(path: Path, root: Path) -> list[Document]:
    source = path.relative_to(root).as_posix()
    markdown, html_title, metas = html_to_markdown(read_text(path, source))
    meta = {**clean_meta(metas), **clean_meta(read_sidecar(path, root))}
    sections, first_h1 = markdown_sections(markdown)
    if not sections:
        raise LoadError(source, "no text in the HTML page")
    return [
        Document(
            kind="manual",
            doc_id=source,
            source=source,
            title=meta.get("title") or html_title or first_h1 or path.stem,
            vendor=meta.get("vendor"),
            model=meta.get("model"),
            doc_type=meta.get("doc_type"),
            language=meta.get("language"),
            sections=sections,
        )
    ]
