"""Size chunking with langchain's splitter, and the metadata every chunk carries."""

from __future__ import annotations

import hashlib

from langchain_text_splitters import RecursiveCharacterTextSplitter

from app.fault_codes.text import ExtractedCodes, extract_codes, fault_to_ocpp
from ingestion.models import DEFAULT_CHUNK_SIZE, Chunk, Document, Section

DEFAULT_CHUNK_OVERLAP = 100


def make_splitter(chunk_size: int, overlap: int | None = None) -> RecursiveCharacterTextSplitter:
    return RecursiveCharacterTextSplitter(
        chunk_size=chunk_size,
        chunk_overlap=min(overlap if overlap is not None else chunk_size // 8, chunk_size // 2),
        separators=["\n\n", "\n", ". ", "; ", ", ", " ", ""],
        keep_separator="end",
    )


def _is_table_line(line: str) -> bool:
    return line.lstrip().startswith("|")


def _table_pieces(lines: list[str], chunk_size: int) -> list[str]:
    """A pipe table whole, or in row groups that each repeat the header row (and rule)."""
    text = "\n".join(lines)
    if len(text) <= chunk_size or len(lines) < 4:
        return [text]
    head = lines[:2] if set(lines[1].replace("|", "").strip()) <= set("-: ") else lines[:1]
    pieces: list[str] = []
    rows: list[str] = []
    size = sum(len(h) + 1 for h in head)
    for row in lines[len(head) :]:
        if rows and size + len(row) + 1 > chunk_size:
            pieces.append("\n".join(head + rows))
            rows, size = [], sum(len(h) + 1 for h in head)
        rows.append(row)
        size += len(row) + 1
    if rows:
        pieces.append("\n".join(head + rows))
    return pieces


def split_section(
    text: str, splitter: RecursiveCharacterTextSplitter, chunk_size: int
) -> list[tuple[int, str]]:
    """(offset, piece) of a section: prose through the splitter, pipe tables kept whole with
    their header row (a long table in row groups, each repeating the header), and small
    neighbours merged up to ``chunk_size`` (a table keeps the sentence that introduces it)."""
    blocks: list[tuple[int, str, bool]] = []  # (offset, text, is_table)
    offset = 0
    current: list[str] = []
    start = 0
    table = False
    for line in text.splitlines(keepends=True):
        is_table = _is_table_line(line)
        if current and is_table != table and line.strip():
            blocks.append((start, "".join(current), table))
            current, start = [], offset
        if not current:
            start, table = offset, is_table
        current.append(line)
        offset += len(line)
    if current:
        blocks.append((start, "".join(current), table))
    pieces: list[tuple[int, str, bool]] = []
    for start, block, is_table in blocks:
        if not block.strip():
            continue
        if is_table:
            lines = [ln.strip() for ln in block.splitlines() if ln.strip()]
            pieces.extend((start, p, True) for p in _table_pieces(lines, chunk_size))
            continue
        cursor = 0
        for piece in splitter.split_text(block):
            found = block.find(piece[: min(len(piece), 40)], cursor)
            at = found if found >= 0 else cursor
            cursor = at + 1 if found >= 0 else cursor
            pieces.append((start + at, piece, False))
    merged: list[tuple[int, str]] = []
    for start, piece, _ in pieces:
        piece = piece.strip()
        if not piece:
            continue
        if merged and len(merged[-1][1]) + len(piece) + 2 <= chunk_size:
            merged[-1] = (merged[-1][0], merged[-1][1] + "\n\n" + piece)
        else:
            merged.append((start, piece))
    return merged


def page_at(section: Section, offset: int) -> int | None:
    """The page a passage starting at ``offset`` of the section is on."""
    if section.page is None:
        return None
    return section.page + sum(1 for o in section.page_offsets if o <= offset)


def chunk_id(source: str, file_hash: str, doc_id: str, n: int) -> str:
    """Stable, content-addressed: a changed file gets new ids, an unchanged one keeps them."""
    digest = hashlib.sha1(f"{source}|{file_hash}|{doc_id}|{n}".encode()).hexdigest()
    return digest[:24]


def chunk_document(
    doc: Document, file_hash: str, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> list[Chunk]:
    """Chunks of one document with kind, source, title, section, page, vendor, model, codes."""
    splitter = make_splitter(chunk_size)
    chunks: list[Chunk] = []
    applies = doc.extra.get("applies_to") or {}
    doc_codes = extract_codes(
        " ".join(
            [
                doc.title,
                *applies.get("error_codes", []),
                *applies.get("vendor_error_codes", []),
                doc.extra.get("error_code", ""),
                doc.extra.get("vendor_error_code", ""),
            ]
        )
    )
    fault_ocpp = fault_to_ocpp()
    known_faults = [f for f in applies.get("fault_keys", []) if f in fault_ocpp]
    doc_codes = doc_codes.merge(
        ExtractedCodes(
            sorted({fault_ocpp[f] for f in known_faults if fault_ocpp[f]}),  # type: ignore[misc]
            [],
            sorted(known_faults),
        )
    )
    for section in doc.sections:
        pieces = (
            [(0, section.text)]
            if doc.kind == "ticket"
            else split_section(section.text, splitter, chunk_size)
        )
        for offset, piece in pieces:
            piece = piece.strip()
            if not piece:
                continue
            n = len(chunks)
            section_path = section.section
            if section_path and section_path.startswith(f"{doc.title} > "):
                section_path = section_path[len(doc.title) + 3 :]
            heading = doc.title
            names = " ".join(v for v in (doc.vendor, doc.model) if v and v not in doc.title)
            if names and doc.kind == "manual":
                heading = f"{names}: {heading}"
            if section_path and doc.kind != "ticket":
                heading = f"{heading} — {section_path}"
            embed_text = f"{heading}\n{piece}"
            codes = extract_codes(embed_text).merge(doc_codes)
            if doc.kind == "manual" and section.section_title:
                hit_id = f"{doc.source}#{section.section_title}"
            elif doc.kind == "manual" and section.page:
                hit_id = f"{doc.source}#page={section.page}"
            else:
                hit_id = doc.doc_id
            chunks.append(
                Chunk(
                    id=chunk_id(doc.source, file_hash, doc.doc_id, n),
                    doc_id=hit_id,
                    kind=doc.kind,
                    source=doc.source,
                    title=doc.title,
                    section=section_path,
                    section_title=section.section_title,
                    page=page_at(section, offset),
                    vendor=doc.vendor,
                    model=doc.model,
                    vendors=list(applies.get("vendors", []))
                    or ([doc.vendor] if doc.vendor else []),
                    models=list(applies.get("models", [])) or ([doc.model] if doc.model else []),
                    ocpp_codes=codes.ocpp_codes,
                    vendor_codes=codes.vendor_codes,
                    fault_keys=codes.fault_keys,
                    text=piece,
                    embed_text=embed_text,
                    extra=doc.extra,
                )
            )
    return chunks
