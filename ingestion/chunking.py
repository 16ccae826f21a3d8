"""Size chunking with langchain's splitter, and the metadata every chunk carries."""

from __future__ import annotations

import hashlib

from langchain_text_splitters import RecursiveCharacterTextSplitter

from app.fault_codes.text import ExtractedCodes, extract_codes, fault_to_ocpp
from ingestion.models import DEFAULT_CHUNK_SIZE, Chunk, Document

DEFAULT_CHUNK_OVERLAP = 100


def make_splitter(chunk_size: int, overlap: int | None = None) -> RecursiveCharacterTextSplitter:
    return RecursiveCharacterTextSplitter(
        chunk_size=chunk_size,
        chunk_overlap=min(overlap if overlap is not None else chunk_size // 8, chunk_size // 2),
        separators=["\n\n", "\n", ". ", "; ", ", ", " ", ""],
        keep_separator="end",
    )


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
        pieces = [section.text] if doc.kind == "ticket" else splitter.split_text(section.text)
        for piece in pieces:
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
                    page=section.page,
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
