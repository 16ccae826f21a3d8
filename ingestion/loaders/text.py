"""Plain-text manuals: one section (size chunking splits it further); sidecar metadata."""

from __future__ import annotations

from pathlib import Path

from ingestion.loaders.common import clean_meta, read_sidecar, read_text
from ingestion.models import Document, Section


def load_text(path: Path, root: Path) -> list[Document]:
    source = path.relative_to(root).as_posix()
    text = read_text(path, source)
    meta = clean_meta(read_sidecar(path, root))
    first_line = text.strip().splitlines()[0].strip()
    title = meta.get("title") or (first_line if len(first_line) <= 100 else path.stem)
    return [
        Document(
            kind="manual",
            doc_id=source,
            source=source,
            title=title,
            vendor=meta.get("vendor"),
            model=meta.get("model"),
            doc_type=meta.get("doc_type"),
            language=meta.get("language"),
            sections=[Section(text=text.strip())],
        )
    ]
