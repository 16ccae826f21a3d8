"""Data shapes of the ingestion pipeline: loaded documents, chunks, issues, summaries."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Kind = Literal["procedure", "manual", "ticket"]
KINDS: tuple[Kind, ...] = ("procedure", "manual", "ticket")

#: Characters per chunk, chosen with bench/retrieval_eval.py (see the issue-4 report).
DEFAULT_CHUNK_SIZE = 800
#: Version of the loaders + chunking: an index built by another version is rebuilt in full
#: (file hashes alone would keep serving chunks cut the old way). 2: structure-aware PDFs.
CHUNKER_VERSION = 2
DEFAULT_MAX_FILE_BYTES = 20 * 1024 * 1024  # a manual or ticket export; larger files are refused
DEFAULT_MAX_CHUNKS_PER_FILE = 5000


class LoadError(Exception):
    """A source file (or one row of it) that cannot be indexed, with where and why."""

    def __init__(self, file: str, message: str, line: int | None = None) -> None:
        self.file = file
        self.line = line
        self.message = message
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {message}")


class Issue(BaseModel):
    """A skipped file or row, reported to the user."""

    file: str
    line: int | None = None
    message: str

    def __str__(self) -> str:
        return (
            f"{self.file}:{self.line}: {self.message}"
            if self.line
            else f"{self.file}: {self.message}"
        )


class Section(BaseModel):
    """A piece of a document before size chunking (a Markdown section, a PDF page, ...)."""

    text: str
    section: str | None = None  # heading path, "Troubleshooting > Ground fault"
    section_title: str | None = None  # the innermost heading
    page: int | None = None  # 1-based PDF page the section starts on
    #: character offsets in ``text`` where the next pages begin (a section over a page break)
    page_offsets: list[int] = Field(default_factory=list)


class Document(BaseModel):
    """One loaded unit: a manual, one ticket, one procedure."""

    kind: Kind
    doc_id: str  # procedure id, ticket id, or the manual's source path
    source: str  # path relative to the knowledge base root
    title: str
    vendor: str | None = None
    model: str | None = None
    doc_type: str | None = None
    language: str | None = None
    sections: list[Section]
    extra: dict[str, Any] = Field(default_factory=dict)  # ticket outcome, procedure applies-to


class Chunk(BaseModel):
    """What the index stores per chunk (also the BM25 corpus and the snippets)."""

    id: str
    doc_id: str  # hits are grouped by it; manual passages: "manuals/x.md#Section title"
    kind: Kind
    source: str
    title: str
    section: str | None = None
    section_title: str | None = None
    page: int | None = None
    vendor: str | None = None
    model: str | None = None
    vendors: list[str] = Field(default_factory=list)  # procedures: applies_to.vendors
    models: list[str] = Field(default_factory=list)
    ocpp_codes: list[str] = Field(default_factory=list)
    vendor_codes: list[str] = Field(default_factory=list)
    fault_keys: list[str] = Field(default_factory=list)
    text: str  # the passage as shown (snippet source)
    embed_text: str  # what is embedded and keyword-indexed (title + section + passage)
    extra: dict[str, Any] = Field(default_factory=dict)

    def chroma_metadata(self) -> dict[str, str | int]:
        """Flat scalar metadata for chromadb (filters by kind, vendor, source)."""
        meta: dict[str, str | int] = {
            "kind": self.kind,
            "doc_id": self.doc_id,
            "source": self.source,
            "title": self.title,
        }
        if self.vendor:
            meta["vendor"] = self.vendor
        if self.model:
            meta["model"] = self.model
        if self.page:
            meta["page"] = self.page
        if self.section:
            meta["section"] = self.section
        return meta


class IngestSummary(BaseModel):
    """The result of one ingest run (printed, and as JSON with ``--json``)."""

    kb_path: str
    index_dir: str
    generation: int
    files_seen: int = 0
    files_added: int = 0
    files_changed: int = 0
    files_removed: int = 0
    files_unchanged: int = 0
    files_skipped: int = 0
    chunks_added: int = 0
    chunks_removed: int = 0
    chunks_total: int = 0
    embed_seconds: float = 0.0
    seconds: float = 0.0
    chunks_per_second: float | None = None
    issues: list[Issue] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.issues
