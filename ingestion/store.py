"""The index on disk: manifest pointer, per-generation chunk store + BM25, chromadb vectors.

Layout under the index directory::

    manifest.json              the pointer: generation, collection, files (hash -> chunk ids)
    generations/g000007/       chunks.jsonl (texts + metadata) and bm25/ (bm25s index)
    chroma/                    chromadb PersistentClient (unless a Chroma server is used)
    .ingest.lock               one ingest at a time

Atomicity: vector ids are content-addressed (a changed file gets new ids), so a run adds its
new vectors beside the served ones, writes a new generation directory, and only then swaps
``manifest.json`` with ``os.replace``. Readers only trust ids listed in the manifest's
generation, so vectors of an interrupted run are invisible and are garbage-collected by the
next run; stale vectors and old generations are deleted after the swap.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np
from pydantic import BaseModel, Field

from ingestion.models import Chunk, Issue
from ingestion.tokenize import tokenize

MANIFEST_NAME = "manifest.json"
FORMAT_VERSION = 1
COLLECTION_PREFIX = "chargefix_kb"


class FileEntry(BaseModel):
    sha256: str
    kind: str | None = None
    chunk_ids: list[str] = Field(default_factory=list)
    issues: list[Issue] = Field(default_factory=list)  # why it (or rows of it) were skipped


class Manifest(BaseModel):
    format: int = FORMAT_VERSION
    generation: int
    collection: str
    embedding_model: str
    chunk_size: int
    chunker: int = 1  # ingestion.models.CHUNKER_VERSION of the run that wrote it
    kb_path: str
    updated_at: str
    chunk_count: int = 0
    files: dict[str, FileEntry] = Field(default_factory=dict)

    def live_ids(self) -> set[str]:
        return {cid for entry in self.files.values() for cid in entry.chunk_ids}


class IndexPaths:
    def __init__(self, index_dir: Path) -> None:
        self.root = Path(index_dir)
        self.manifest = self.root / MANIFEST_NAME
        self.generations = self.root / "generations"
        self.chroma = self.root / "chroma"
        self.lock = self.root / ".ingest.lock"

    def generation_dir(self, generation: int) -> Path:
        return self.generations / f"g{generation:06d}"


def read_manifest(paths: IndexPaths) -> Manifest | None:
    if not paths.manifest.is_file():
        return None
    return Manifest.model_validate_json(paths.manifest.read_text(encoding="utf-8"))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_manifest(paths: IndexPaths, manifest: Manifest) -> None:
    """Write the manifest atomically: a temporary file, fsync, then ``os.replace``."""
    tmp = paths.manifest.with_suffix(".json.tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(manifest.model_dump_json(indent=1))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, paths.manifest)
    _fsync_dir(paths.root)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@contextmanager
def ingest_lock(paths: IndexPaths) -> Iterator[None]:
    """One ingest per index at a time (a second one fails fast instead of interleaving)."""
    paths.root.mkdir(parents=True, exist_ok=True)
    with paths.lock.open("w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise RuntimeError(f"another ingest is running on {paths.root}") from exc
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


# --- chunk store and BM25 (one generation directory) ---------------------------------------


def bm25_tokens(chunk: Chunk) -> list[str]:
    """Keyword tokens of a chunk: its text plus vendor, model and the normalised codes."""
    extra = [chunk.vendor or "", chunk.model or "", *chunk.vendors, *chunk.models]
    tokens = tokenize(chunk.embed_text + " " + " ".join(extra))
    tokens += [c.lower() for c in chunk.ocpp_codes + chunk.vendor_codes]
    tokens += chunk.fault_keys
    return tokens


def write_generation(paths: IndexPaths, generation: int, chunks: Sequence[Chunk]) -> Path:
    """Write chunks.jsonl and the BM25 index of a generation (before the manifest points to it)."""
    import bm25s

    gen_dir = paths.generation_dir(generation)
    if gen_dir.exists():
        shutil.rmtree(gen_dir)
    gen_dir.mkdir(parents=True)
    with (gen_dir / "chunks.jsonl").open("w", encoding="utf-8") as fh:
        for chunk in chunks:
            fh.write(chunk.model_dump_json() + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    if chunks:
        bm25 = bm25s.BM25()
        bm25.index([bm25_tokens(c) for c in chunks], show_progress=False)
        bm25.save(str(gen_dir / "bm25"), show_progress=False)
    return gen_dir


def read_chunks(paths: IndexPaths, generation: int) -> list[Chunk]:
    path = paths.generation_dir(generation) / "chunks.jsonl"
    if not path.is_file():
        return []
    with path.open(encoding="utf-8") as fh:
        return [Chunk.model_validate_json(line) for line in fh if line.strip()]


def load_bm25(paths: IndexPaths, generation: int) -> Any | None:
    import bm25s

    bm25_dir = paths.generation_dir(generation) / "bm25"
    if not bm25_dir.is_dir():
        return None
    return bm25s.BM25.load(str(bm25_dir), show_progress=False)


def remove_old_generations(paths: IndexPaths, keep: int) -> None:
    if not paths.generations.is_dir():
        return
    for gen_dir in paths.generations.iterdir():
        if gen_dir.name != f"g{keep:06d}":
            shutil.rmtree(gen_dir, ignore_errors=True)


# --- vectors ---------------------------------------------------------------------------------


class VectorStore:
    """A chromadb collection that is always given our embeddings (never embeds by itself)."""

    def __init__(self, client: Any, collection_name: str) -> None:
        self.client = client
        self.name = collection_name
        self.collection = client.get_or_create_collection(
            collection_name, metadata={"hnsw:space": "cosine"}, embedding_function=None
        )

    def add(self, chunks: Sequence[Chunk], vectors: np.ndarray, batch: int = 1000) -> None:
        for start in range(0, len(chunks), batch):
            part = chunks[start : start + batch]
            self.collection.upsert(
                ids=[c.id for c in part],
                embeddings=vectors[start : start + batch],
                metadatas=[c.chroma_metadata() for c in part],
            )

    def delete(self, ids: Sequence[str], batch: int = 1000) -> None:
        ids = list(ids)
        for start in range(0, len(ids), batch):
            self.collection.delete(ids=ids[start : start + batch])

    def all_ids(self) -> set[str]:
        return set(self.collection.get(include=[])["ids"])

    def query(
        self, vector: np.ndarray, n: int, where: dict[str, Any] | None = None
    ) -> list[tuple[str, float]]:
        """(id, cosine similarity) best first."""
        if n <= 0:
            return []
        result = self.collection.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32)],
            n_results=n,
            where=where or None,
            include=["distances"],
        )
        ids = result["ids"][0]
        distances = result["distances"][0] if result.get("distances") else [0.0] * len(ids)
        return [(i, 1.0 - float(d)) for i, d in zip(ids, distances, strict=True)]

    def drop(self) -> None:
        with contextlib.suppress(Exception):  # already gone
            self.client.delete_collection(self.name)


def make_chroma_client(paths: IndexPaths, chroma_url: str | None) -> Any:
    """A PersistentClient under the index directory, or an HttpClient for a Chroma server."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if chroma_url:
        url = urlparse(chroma_url)
        return chromadb.HttpClient(
            host=url.hostname or "localhost",
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=chroma_settings,
        )
    paths.chroma.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(paths.chroma), settings=chroma_settings)


def dump_json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=str)
