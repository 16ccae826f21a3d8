"""Editors: upload manuals and ticket exports into the knowledge base, re-index with progress.

Uploads go to ``<knowledge_base_dir>/manuals/uploads/`` or ``.../tickets/uploads/`` (the
ingester indexes every file under ``manuals/`` and ``tickets/``). A re-index runs
``ingestion.pipeline.ingest`` in a worker thread; ``GET /api/knowledge/reindex`` reports its
progress; one job at a time (the ingester's own lock also guards against the CLI).

An upload starts an incremental index of what it stored by itself (no separate "Re-index"
press, nothing lost when the editor's page reloads: the job lives here, the page only reads
it); files stored while a run is going are queued and indexed by one more run right after it.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from fastapi import APIRouter, Depends, File, Form, HTTPException, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import get_state, require_roles
from app.security.roles import Principal, Role
from app.state import AppState

router = APIRouter(prefix="/api/knowledge", tags=["knowledge admin"])
EDITORS = (Role.EDITOR,)
MAX_UPLOAD_BYTES = 30 * 1024 * 1024
SUFFIXES = {
    "manual": (".pdf", ".md", ".markdown", ".html", ".htm", ".txt"),
    "ticket": (".csv", ".json"),
}
FOLDER = {"manual": "manuals", "ticket": "tickets"}
SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class ReindexJob(BaseModel):
    state: Literal["idle", "running", "done", "failed"] = "idle"
    started_by: str | None = None
    started_at: float | None = None
    finished_at: float | None = None
    files_total: int = 0
    files_done: int = 0
    current_file: str | None = None
    chunks_total: int = 0
    chunks_done: int = 0
    summary: dict[str, Any] | None = None
    error: str | None = None
    sources: list[str] = Field(
        default_factory=list, description="The uploaded files this run was started for."
    )
    queued: list[str] = Field(
        default_factory=list,
        description="Files stored during this run: indexed by one more run right after it.",
    )


class Rejected(BaseModel):
    model_config = ConfigDict(extra="forbid")
    file: str
    reason: str


class Uploaded(BaseModel):
    model_config = ConfigDict(extra="forbid")
    stored: list[str] = Field(description="Paths under the knowledge base, to be indexed.")
    rejected: list[Rejected]
    by: str
    indexing: ReindexJob | None = Field(
        None, description="The index run that picks the stored files up (none if none stored)."
    )


class IndexedFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: str
    kind: str | None
    chunks: int
    issues: list[str] = Field(description="Why rows or the file were skipped.")


class IndexedFiles(BaseModel):
    model_config = ConfigDict(extra="forbid")
    generation: int = Field(description="0: nothing indexed yet.")
    updated_at: str | None
    chunk_count: int | None = Field(None, description="Absent before the first index.")
    files: list[IndexedFile]


class ReindexRequest(BaseModel):
    rebuild: bool = Field(False, description="Re-embed every file, not only the changed ones.")


class KnowledgeAdmin:
    """The named state object of this router: the current/last re-index job."""

    def __init__(self) -> None:
        self.job = ReindexJob()
        self.lock = threading.Lock()
        self.task: asyncio.Task[None] | None = None
        self.settled = asyncio.Event()  # set while no run is going and nothing is queued
        self.settled.set()

    def start(self, state: AppState, who: str, rebuild: bool, sources: list[str]) -> ReindexJob:
        """A run now, or, if one is going, ``sources`` queued for the run right after it."""
        with self.lock:
            if self.job.state == "running":
                self.job.queued = [
                    *self.job.queued,
                    *(s for s in sources if s not in self.job.queued),
                ]
                return self.job.model_copy()
            self.job = ReindexJob(
                state="running", started_by=who, started_at=time.time(), sources=sources
            )
            self.settled.clear()
            job = self.job.model_copy()
        self.task = asyncio.create_task(_run(state, self, rebuild), name="reindex")
        return job

    async def idle(self) -> ReindexJob:
        """Wait until every run, queued ones included, has ended; the last job."""
        await self.settled.wait()
        with self.lock:
            return self.job.model_copy()

    def progress(self) -> Any:
        from ingestion.pipeline import IngestProgress

        job, lock = self.job, self.lock

        class Progress(IngestProgress):
            def files(self, total: int) -> None:
                with lock:
                    job.files_total = total

            def file_done(self, source: str) -> None:
                with lock:
                    job.files_done += 1
                    job.current_file = source

            def chunks(self, total: int) -> None:
                with lock:
                    job.chunks_total = total

            def embedded(self, n: int) -> None:
                with lock:
                    job.chunks_done += n

        return Progress()


def get_admin(state: AppState = Depends(get_state)) -> KnowledgeAdmin:
    if state.knowledge_admin is None:
        state.knowledge_admin = KnowledgeAdmin()
    return state.knowledge_admin


def safe_name(name: str) -> str:
    """A file name without folders or odd characters (``../x y.pdf`` -> ``x_y.pdf``)."""
    base = Path(name.replace("\\", "/")).name
    cleaned = SAFE_NAME.sub("_", base).strip("._")
    if not cleaned:
        raise HTTPException(422, f"file name {name!r} has no usable characters")
    return cleaned


@router.post("/uploads", status_code=201, summary="Add manuals or ticket exports and index them")
async def add_and_index(
    files: Annotated[list[UploadFile], File(description="Manuals or ticket exports.")],
    kind: Annotated[Literal["manual", "ticket"], Form()],
    mapping: Annotated[
        str | None, Form(description="Ticket exports: column mapping YAML (see tickets/*.yaml).")
    ] = None,
    state: AppState = Depends(get_state),
    who: Principal = Depends(require_roles(*EDITORS)),
) -> Uploaded:
    folder = state.settings.knowledge_base_dir / FOLDER[kind] / "uploads"
    stored: list[str] = []
    rejected: list[Rejected] = []
    mapping_data = None
    if mapping:
        try:
            mapping_data = yaml.safe_load(mapping)
        except yaml.YAMLError as error:
            raise HTTPException(422, f"mapping: not valid YAML ({error})") from error
        if not isinstance(mapping_data, dict) or not isinstance(mapping_data.get("columns"), dict):
            raise HTTPException(422, "mapping: needs a 'columns:' table (source column: field)")
    for item in files:
        name = safe_name(item.filename or "upload")
        if not name.lower().endswith(SUFFIXES[kind]):
            rejected.append(
                Rejected(file=name, reason=f"a {kind} must be one of {', '.join(SUFFIXES[kind])}")
            )
            continue
        data = await item.read()
        if len(data) > MAX_UPLOAD_BYTES:
            rejected.append(Rejected(file=name, reason="larger than 30 MB"))
            continue
        if not data:
            rejected.append(Rejected(file=name, reason="empty file"))
            continue
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / name
        await asyncio.to_thread(target.write_bytes, data)
        stored.append(str(target.relative_to(state.settings.knowledge_base_dir)))
        if mapping_data is not None and kind == "ticket":
            body = {**mapping_data, "source": name}
            path = folder / f"{Path(name).stem}.mapping.yaml"
            await asyncio.to_thread(path.write_text, yaml.safe_dump(body, sort_keys=False))
    indexing = get_admin(state).start(state, who.name, False, stored) if stored else None
    return Uploaded(stored=stored, rejected=rejected, by=who.name, indexing=indexing)


@router.get("/files", response_model_exclude_unset=True)  # no chunk_count before an index
def indexed_files(
    state: AppState = Depends(get_state),
    _: Principal = Depends(require_roles(*EDITORS)),
) -> IndexedFiles:
    """Every file the index knows: kind, chunks, and why rows or the file were skipped."""
    from ingestion.store import IndexPaths, read_manifest

    manifest = read_manifest(IndexPaths(state.settings.resolved_index_dir))
    if manifest is None:
        return IndexedFiles(generation=0, files=[], updated_at=None)
    return IndexedFiles(
        generation=manifest.generation,
        updated_at=manifest.updated_at,
        chunk_count=manifest.chunk_count,
        files=[
            IndexedFile(
                source=source,
                kind=entry.kind,
                chunks=len(entry.chunk_ids),
                issues=[str(i) for i in entry.issues],
            )
            for source, entry in sorted(manifest.files.items())
        ],
    )


@router.post("/reindex", status_code=202)
async def reindex(
    body: ReindexRequest | None = None,
    state: AppState = Depends(get_state),
    admin: KnowledgeAdmin = Depends(get_admin),
    who: Principal = Depends(require_roles(*EDITORS)),
) -> ReindexJob:
    if admin.job.state == "running":
        raise HTTPException(409, "a re-index is already running; follow its progress")
    return admin.start(state, who.name, bool(body and body.rebuild), [])


@router.get("/reindex")
def reindex_status(
    admin: KnowledgeAdmin = Depends(get_admin),
    _: Principal = Depends(require_roles(*EDITORS)),
) -> ReindexJob:
    with admin.lock:
        return admin.job.model_copy()


async def _run(state: AppState, admin: KnowledgeAdmin, rebuild: bool) -> None:
    """One index run, then one more for the files queued meanwhile, until none are."""
    try:
        await _runs(state, admin, rebuild)
    except BaseException:  # cancelled at shutdown: nobody waits forever
        admin.settled.set()
        raise


async def _runs(state: AppState, admin: KnowledgeAdmin, rebuild: bool) -> None:
    while True:
        await _run_once(state, admin, rebuild)
        with admin.lock:
            queued = admin.job.queued
            if not queued:
                admin.settled.set()
                return
            admin.job = ReindexJob(
                state="running",
                started_by=admin.job.started_by,
                started_at=time.time(),
                sources=queued,
            )
        rebuild = False


async def _run_once(state: AppState, admin: KnowledgeAdmin, rebuild: bool) -> None:
    from ingestion.pipeline import ingest

    settings = state.settings
    job = admin.job
    try:
        summary = await asyncio.to_thread(
            ingest,
            settings.knowledge_base_dir,
            settings.resolved_index_dir,
            chroma_url=settings.chroma_url,
            rebuild=rebuild,
            progress=admin.progress(),
            max_file_bytes=settings.ingest_max_file_bytes,
            max_chunks_per_file=settings.ingest_max_chunks_per_file,
        )
    except Exception as error:  # reported to the editor through the job
        with admin.lock:
            job.state = "failed"
            job.error = f"{type(error).__name__}: {error}"
            job.finished_at = time.time()
        return
    with admin.lock:
        job.state = "done"
        job.summary = summary.model_dump(mode="json")
        job.finished_at = time.time()
