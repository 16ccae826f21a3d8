"""``ingest()``: scan a knowledge base, load and chunk what changed, embed, index, swap.

Unchanged files (same content hash, sidecar and mapping files included) cost a hash and
nothing else: when nothing changed the model, chromadb and bm25s are not even imported.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from ingestion.embedding import MODEL_NAME, Embedder, get_embedder
from ingestion.models import (
    CHUNKER_VERSION,
    DEFAULT_CHUNK_SIZE,
    DEFAULT_MAX_CHUNKS_PER_FILE,
    DEFAULT_MAX_FILE_BYTES,
    Chunk,
    Document,
    IngestSummary,
    Issue,
    LoadError,
)
from ingestion.sources import KIND_BY_FOLDER, is_source, mapping_path, sidecar_paths
from ingestion.store import (
    COLLECTION_PREFIX,
    FileEntry,
    IndexPaths,
    Manifest,
    VectorStore,
    ingest_lock,
    make_chroma_client,
    now_iso,
    read_chunks,
    read_manifest,
    remove_old_generations,
    write_generation,
    write_manifest,
)


class IngestProgress:
    """Progress callbacks; the CLI draws a rich progress bar, the default does nothing."""

    def files(self, total: int) -> None: ...

    def file_done(self, source: str) -> None: ...

    def chunks(self, total: int) -> None: ...

    def embedded(self, n: int) -> None: ...


@dataclass
class ScannedFile:
    path: Path
    source: str
    sha256: str


def file_hash(path: Path) -> str:
    """SHA-256 of a file plus its companions (sidecar metadata, ticket mapping)."""
    with path.open("rb") as stream:  # in blocks: a huge file is not read into memory
        digest = hashlib.file_digest(stream, "sha256")
    for companion in [*sidecar_paths(path), mapping_path(path)]:
        if companion != path and companion.is_file():
            digest.update(b"\0" + companion.name.encode() + b"\0" + companion.read_bytes())
    return digest.hexdigest()


def scan(kb_path: Path) -> list[ScannedFile]:
    files = []
    for path in sorted(kb_path.rglob("*")):
        if path.is_file() and is_source(path, kb_path):
            source = path.relative_to(kb_path).as_posix()
            files.append(ScannedFile(path, source, file_hash(path)))
    return files


class _Refused(Exception):
    """A file over the ingestion limits."""


def _dedupe_procedures(
    docs: list[Document], source: str, owners: dict[str, str]
) -> tuple[list[Document], list[Issue]]:
    """Keep the first file that defines a procedure id; report later ones."""
    kept, issues = [], []
    for doc in docs:
        if doc.kind == "procedure":
            owner = owners.get(doc.doc_id)
            if owner is not None and owner != source:
                issues.append(
                    Issue(file=source, message=f"duplicate procedure id {doc.doc_id} (in {owner})")
                )
                continue
            owners[doc.doc_id] = source
        kept.append(doc)
    return kept, issues


def ingest(
    kb_path: Path,
    index_dir: Path,
    *,
    chroma_url: str | None = None,
    rebuild: bool = False,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    embedder: Embedder | None = None,
    progress: IngestProgress | None = None,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    max_chunks_per_file: int = DEFAULT_MAX_CHUNKS_PER_FILE,
) -> IngestSummary:
    """Bring the index at ``index_dir`` up to date with the knowledge base at ``kb_path``.

    A file larger than ``max_file_bytes`` is not loaded and one that would make more than
    ``max_chunks_per_file`` chunks is not indexed: the report says so, naming the file, and
    what was indexed from an earlier version of it stays served."""
    started = time.perf_counter()
    progress = progress or IngestProgress()
    kb_path = Path(kb_path)
    if not kb_path.is_dir():
        raise FileNotFoundError(f"knowledge base folder not found: {kb_path}")
    paths = IndexPaths(Path(index_dir))
    old = read_manifest(paths)
    model_name = embedder.name if embedder else MODEL_NAME
    full = (
        rebuild
        or old is None
        or old.chunk_size != chunk_size
        or old.chunker != CHUNKER_VERSION
        or old.embedding_model != model_name
        or (old.collection and chroma_url is None and not paths.chroma.is_dir())
    )
    scanned = scan(kb_path)
    progress.files(len(scanned))
    old_files = {} if (full or old is None) else old.files
    current = {f.source for f in scanned}
    unchanged = [
        f for f in scanned if f.source in old_files and old_files[f.source].sha256 == f.sha256
    ]
    to_load = [f for f in scanned if f not in unchanged]
    removed = sorted(set(old_files) - current)
    summary = IngestSummary(
        kb_path=str(kb_path),
        index_dir=str(paths.root),
        generation=old.generation if old else 0,
        files_seen=len(scanned),
        files_unchanged=len(unchanged),
        files_removed=len(removed),
        files_added=sum(1 for f in to_load if f.source not in old_files),
        files_changed=sum(1 for f in to_load if f.source in old_files),
    )
    for f in unchanged:
        summary.issues.extend(old_files[f.source].issues)
        progress.file_done(f.source)
    if old is not None and not full and not to_load and not removed:
        summary.chunks_total = old.chunk_count
        summary.files_skipped = sum(1 for f in unchanged if not old_files[f.source].chunk_ids)
        summary.seconds = time.perf_counter() - started
        return summary

    # Loaders and splitters are imported only when something has to be (re)loaded.
    from ingestion.chunking import chunk_document
    from ingestion.loaders import load_file

    with ingest_lock(paths):
        # Load and chunk the new and changed files.
        old_chunks: list[Chunk] = []
        if old is not None and not full:
            old_chunks = read_chunks(paths, old.generation)
        keep_sources = {f.source for f in unchanged}
        kept_chunks = [c for c in old_chunks if c.source in keep_sources]
        owners = {c.doc_id: c.source for c in kept_chunks if c.kind == "procedure"}
        entries: dict[str, FileEntry] = {f.source: old_files[f.source] for f in unchanged}
        new_chunks: list[Chunk] = []
        for f in to_load:
            issues: list[Issue] = []
            chunks: list[Chunk] = []
            kind = KIND_BY_FOLDER[f.source.split("/", 1)[0]]
            try:
                size = f.path.stat().st_size
                if size > max_file_bytes:
                    raise _Refused(f"file of {size} bytes; the limit is {max_file_bytes}")
                docs, issues = load_file(f.path, kb_path)
                docs, dup_issues = _dedupe_procedures(docs, f.source, owners)
                issues += dup_issues
                for doc in docs:
                    chunks.extend(chunk_document(doc, f.sha256, chunk_size))
                    if len(chunks) > max_chunks_per_file:
                        raise _Refused(f"more than {max_chunks_per_file} chunks (the limit)")
            except _Refused as exc:
                chunks = []
                issues = [Issue(file=f.source, message=f"not indexed: {exc}")]
                previous = [c for c in old_chunks if c.source == f.source]
                if previous:  # the version indexed before stays served
                    kept_chunks.extend(previous)
                    entries[f.source] = old_files[f.source].model_copy(update={"issues": issues})
                    summary.issues.extend(issues)
                    progress.file_done(f.source)
                    continue
            except LoadError as exc:
                issues = [Issue(file=exc.file, line=exc.line, message=exc.message)]
                chunks = []
            except Exception as exc:  # a loader bug must not stop the other files
                issues = [Issue(file=f.source, message=f"{type(exc).__name__}: {exc}")]
                chunks = []
            entries[f.source] = FileEntry(
                sha256=f.sha256, kind=kind, chunk_ids=[c.id for c in chunks], issues=issues
            )
            summary.issues.extend(issues)
            new_chunks.extend(chunks)
            progress.file_done(f.source)
        summary.files_skipped = sum(1 for e in entries.values() if not e.chunk_ids and e.issues)

        # Vectors: the same collection for incremental runs, a fresh one for a full rebuild.
        client = make_chroma_client(paths, chroma_url)
        collection = (
            f"{COLLECTION_PREFIX}_{uuid.uuid4().hex[:8]}" if full or old is None else old.collection
        )
        store = VectorStore(client, collection)
        if old is not None and not full:
            # Vectors of an earlier interrupted run are not in the manifest: drop them.
            orphans = store.all_ids() - old.live_ids()
            store.delete(sorted(orphans))
        progress.chunks(len(new_chunks))
        if new_chunks:
            embedder = embedder or get_embedder()
            getattr(embedder, "model", None)  # load the model before timing the embeddings
            t0 = time.perf_counter()
            vectors = embedder.embed([c.embed_text for c in new_chunks], on_batch=progress.embedded)
            summary.embed_seconds = time.perf_counter() - t0
            store.add(new_chunks, vectors)

        # New generation, then the atomic switch, then clean-up of what is no longer served.
        all_chunks = kept_chunks + new_chunks
        generation = (old.generation if old else 0) + 1
        write_generation(paths, generation, all_chunks)
        manifest = Manifest(
            generation=generation,
            collection=collection,
            embedding_model=model_name,
            chunk_size=chunk_size,
            chunker=CHUNKER_VERSION,
            kb_path=str(kb_path.resolve()),
            updated_at=now_iso(),
            chunk_count=len(all_chunks),
            files=dict(sorted(entries.items())),
        )
        write_manifest(paths, manifest)
        if old is not None and old.collection != collection:
            VectorStore(client, old.collection).drop()
        elif old is not None:
            store.delete(sorted(old.live_ids() - manifest.live_ids()))
        remove_old_generations(paths, keep=generation)

    summary.generation = generation
    summary.chunks_added = len(new_chunks)
    summary.chunks_removed = len(old.live_ids() - manifest.live_ids()) if old else 0
    summary.chunks_total = len(all_chunks)
    summary.seconds = time.perf_counter() - started
    if new_chunks and summary.embed_seconds:
        summary.chunks_per_second = round(len(new_chunks) / summary.embed_seconds, 1)
    return summary
