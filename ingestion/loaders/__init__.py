"""Loaders per source type; :func:`load_file` dispatches on the folder and extension."""

from __future__ import annotations

from pathlib import Path

from ingestion.loaders.html import load_html
from ingestion.loaders.markdown import load_markdown
from ingestion.loaders.pdf import load_pdf
from ingestion.loaders.procedures import load_procedures
from ingestion.loaders.text import load_text
from ingestion.loaders.tickets import load_tickets
from ingestion.models import Document, Issue, LoadError
from ingestion.sources import is_companion, is_source

MANUAL_LOADERS = {
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".pdf": load_pdf,
    ".html": load_html,
    ".htm": load_html,
    ".txt": load_text,
}


def load_file(path: Path, root: Path) -> tuple[list[Document], list[Issue]]:
    """Documents of one source file and per-row issues; raises :class:`LoadError` for a bad file."""
    top = path.relative_to(root).parts[0]
    suffix = path.suffix.lower()
    if top == "tickets":
        return load_tickets(path, root)
    if top == "procedures":
        return load_procedures(path, root), []
    if suffix in MANUAL_LOADERS:
        return MANUAL_LOADERS[suffix](path, root), []
    raise LoadError(path.relative_to(root).as_posix(), f"no loader for {suffix} files")


__all__ = ["Document", "Issue", "LoadError", "is_companion", "is_source", "load_file"]
