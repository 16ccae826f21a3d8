from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from app.cli.main import cli
from app.retrieval.models import SearchRequest
from app.retrieval.service import Retriever
from ingestion.embedding import SentenceTransformerEmbedder
from ingestion.pipeline import ingest
from ingestion.store import IndexPaths, VectorStore, make_chroma_client, read_manifest


class NoEmbedder:
    """Fails the test if anything is embedded."""

    name = "all-MiniLM-L6-v2"
    dimension = 384

    def embed(self, texts: Sequence[str], batch_size: int = 32, on_batch=None) -> np.ndarray:
        raise AssertionError(f"embedded {len(texts)} texts although nothing changed")


class DyingEmbedder:
    """Embeds a first batch for real, then dies (an interrupted run)."""

    name = "all-MiniLM-L6-v2"
    dimension = 384

    def __init__(self, real: SentenceTransformerEmbedder) -> None:
        self.real = real

    def embed(
        self, texts: Sequence[str], batch_size: int = 32, on_batch: Callable | None = None
    ) -> np.ndarray:
        self.real.embed(texts[:2])
        raise KeyboardInterrupt("power cut")


def _collection_ids(index_dir: Path) -> set[str]:
    paths = IndexPaths(index_dir)
    manifest = read_manifest(paths)
    assert manifest is not None
    return VectorStore(make_chroma_client(paths, None), manifest.collection).all_ids()


def test_full_ingest_indexes_every_kind(kb: Path, index_dir: Path, embedder) -> None:
    summary = ingest(kb, index_dir, embedder=embedder)
    assert summary.issues == []
    assert summary.files_seen == summary.files_added == 7
    manifest = read_manifest(IndexPaths(index_dir))
    assert manifest is not None and manifest.chunk_count == summary.chunks_total
    assert {e.kind for e in manifest.files.values()} == {"manual", "ticket", "procedure"}
    assert _collection_ids(index_dir) == manifest.live_ids()
    assert summary.chunks_per_second and summary.chunks_per_second > 0


def test_unchanged_reingest_costs_nothing(kb: Path, index_dir: Path, embedder) -> None:
    first = ingest(kb, index_dir, embedder=embedder)
    started = time.perf_counter()
    again = ingest(kb, index_dir, embedder=NoEmbedder())
    assert time.perf_counter() - started < 2.0
    assert again.files_unchanged == 7 and again.chunks_added == 0
    assert again.generation == first.generation  # nothing was rewritten


def test_add_change_delete(kb: Path, index_dir: Path, embedder) -> None:
    ingest(kb, index_dir, embedder=embedder)
    retriever = Retriever(index_dir, embedder=embedder)
    before = retriever.search(SearchRequest(text="coolant pump fuse F7", k=10))
    assert any(h.source == "manuals/kx300-bulletin.html" for h in before.manuals)

    # add a manual, change the tickets, delete the HTML bulletin
    (kb / "manuals" / "new.md").write_text("# Wallbox mounting\n\nUse M8 anchors, torque 12 Nm.\n")
    csv = kb / "tickets" / "tickets.csv"
    csv.write_text(
        csv.read_text().replace("Replaced air filter", "Replaced the dust filter cartridge")
    )
    (kb / "manuals" / "kx300-bulletin.html").unlink()
    old_ids = read_manifest(IndexPaths(index_dir)).live_ids()

    summary = ingest(kb, index_dir, embedder=embedder)
    assert (summary.files_added, summary.files_changed, summary.files_removed) == (1, 1, 1)
    assert summary.files_unchanged == 5
    manifest = read_manifest(IndexPaths(index_dir))
    assert "manuals/kx300-bulletin.html" not in manifest.files
    # only the changed and added files were embedded; unchanged chunks kept their ids
    assert summary.chunks_added == len(manifest.files["manuals/new.md"].chunk_ids) + len(
        manifest.files["tickets/tickets.csv"].chunk_ids
    )
    assert set(manifest.files["manuals/wb22.md"].chunk_ids) <= old_ids
    # the vectors in chroma are exactly the live ones (stale ones deleted)
    assert _collection_ids(index_dir) == manifest.live_ids()
    # the running retriever picks the new generation up by itself
    after = retriever.search(SearchRequest(text="torque anchors dust filter cartridge", k=10))
    sources = {h.source for h in after.all_hits()}
    assert "manuals/new.md" in sources and "manuals/kx300-bulletin.html" not in sources
    t1002 = next(h for h in after.tickets if h.id == "T-1002")
    assert "dust filter" in (t1002.resolution or "")
    # the old generation directory is gone
    gens = list(IndexPaths(index_dir).generations.iterdir())
    assert [g.name for g in gens] == [f"g{manifest.generation:06d}"]


def test_interrupted_run_leaves_previous_index_usable(kb: Path, index_dir: Path, embedder) -> None:
    ingest(kb, index_dir, embedder=embedder)
    before_manifest = IndexPaths(index_dir).manifest.read_text()
    retriever = Retriever(index_dir, embedder=embedder)
    expected = retriever.search(SearchRequest(text="lock actuator shutter debris")).manuals[0].id

    (kb / "manuals" / "wb22.md").write_text(
        (kb / "manuals" / "wb22.md").read_text().replace("debris", "sand")
    )
    (kb / "manuals" / "extra.md").write_text("# Extra\n\n" + "Filler sentence. " * 400)
    with pytest.raises(KeyboardInterrupt):
        ingest(kb, index_dir, embedder=DyingEmbedder(embedder))

    # the manifest is untouched and searches still serve the previous generation
    assert IndexPaths(index_dir).manifest.read_text() == before_manifest
    fresh = Retriever(index_dir, embedder=embedder)
    result = fresh.search(SearchRequest(text="lock actuator shutter debris"))
    assert result.manuals[0].id == expected
    assert "debris" in result.manuals[0].snippet
    assert all(h.source != "manuals/extra.md" for h in result.all_hits())

    # the next run completes the work and leaves no orphan vectors
    summary = ingest(kb, index_dir, embedder=embedder)
    assert summary.files_changed == 1 and summary.files_added == 1
    manifest = read_manifest(IndexPaths(index_dir))
    assert _collection_ids(index_dir) == manifest.live_ids()
    assert (
        "sand" in fresh.search(SearchRequest(text="lock actuator shutter sand")).manuals[0].snippet
    )


def test_interrupted_vectors_are_never_served(kb: Path, index_dir: Path, embedder) -> None:
    """Vectors added by a run that died before the manifest swap are filtered out."""
    ingest(kb, index_dir, embedder=embedder)
    paths = IndexPaths(index_dir)
    manifest = read_manifest(paths)
    store = VectorStore(make_chroma_client(paths, None), manifest.collection)
    from ingestion.models import Chunk

    ghost = Chunk(
        id="ghost-chunk-id-000000000",
        doc_id="GHOST",
        kind="procedure",
        source="procedures/ghost.yaml",
        title="Ghost",
        text="lock actuator shutter",
        embed_text="lock actuator shutter debris",
    )
    store.add([ghost], embedder.embed([ghost.embed_text]))
    result = Retriever(index_dir, embedder=embedder).search(
        SearchRequest(text="lock actuator shutter debris")
    )
    assert all(h.id != "GHOST" for h in result.all_hits())


def test_bad_inputs_are_skipped_and_reported(kb: Path, index_dir: Path, embedder) -> None:
    (kb / "manuals" / "broken.pdf").write_bytes(b"%PDF-1.4 this is not a pdf")
    (kb / "manuals" / "empty.md").write_text("")
    (kb / "tickets" / "partial.csv").write_text("ticket_id,symptom\nX-1,broken\n")
    (kb / "procedures" / "bad.yaml").write_text("id: P\ntitle: [x\n")
    summary = ingest(kb, index_dir, embedder=embedder)
    by_file = {i.file: i for i in summary.issues}
    assert set(by_file) == {
        "manuals/broken.pdf",
        "manuals/empty.md",
        "tickets/partial.csv",
        "procedures/bad.yaml",
    }
    assert by_file["procedures/bad.yaml"].line == 3  # end of file, where the parser gave up
    assert "flow sequence at line 2" in by_file["procedures/bad.yaml"].message
    assert summary.files_skipped == 4
    manifest = read_manifest(IndexPaths(index_dir))
    assert len([e for e in manifest.files.values() if e.chunk_ids]) == 7  # the rest is indexed
    # an unchanged broken file is reported again without being reloaded
    again = ingest(kb, index_dir, embedder=NoEmbedder())
    assert {i.file for i in again.issues} == set(by_file)


def test_cli_exit_codes_and_json(kb: Path, tmp_path: Path, embedder) -> None:
    runner = CliRunner()
    index = str(tmp_path / "cli-index")
    ok = runner.invoke(cli, ["ingest", str(kb), "--index", index, "--json"])
    assert ok.exit_code == 0, ok.output
    data = json.loads(ok.stdout)
    assert data["files_added"] == 7 and data["issues"] == []

    (kb / "tickets" / "partial.csv").write_text("ticket_id,symptom\nX-1,broken\n")
    bad = runner.invoke(cli, ["ingest", str(kb), "--index", index, "--json"])
    assert bad.exit_code == 1
    assert json.loads(bad.stdout)["issues"][0]["file"] == "tickets/partial.csv"
    kept = runner.invoke(cli, ["ingest", str(kb), "--index", index, "--keep-going"])
    assert kept.exit_code == 0
    missing = runner.invoke(cli, ["ingest", str(tmp_path / "nope"), "--index", index])
    assert missing.exit_code == 2

    found = runner.invoke(cli, ["search", "E-101", "--index", index, "--json", "--k", "3"])
    assert found.exit_code == 0, found.output
    results = json.loads(found.stdout)
    assert results["tickets"][0]["id"] == "T-1001"
    assert results["procedures"][0]["id"] == "PROC-GROUND-FAULT"
    assert set(results["tickets"][0]) >= {
        "kind",
        "id",
        "title",
        "source",
        "section",
        "page",
        "score",
        "matched_terms",
        "matched_codes",
        "snippet",
    }
    no_index = runner.invoke(cli, ["search", "x", "--index", str(tmp_path / "none")])
    assert no_index.exit_code == 2


def test_an_index_chunked_by_an_older_loader_version_is_rebuilt(
    kb: Path, index_dir: Path, embedder: SentenceTransformerEmbedder
) -> None:
    from ingestion.models import CHUNKER_VERSION

    first = ingest(kb, index_dir, embedder=embedder)
    paths = IndexPaths(index_dir)
    manifest = read_manifest(paths)
    assert manifest is not None and manifest.chunker == CHUNKER_VERSION
    # An index written before structure-aware PDFs: unchanged file hashes must not keep it.
    paths.manifest.write_text(manifest.model_copy(update={"chunker": 1}).model_dump_json())
    again = ingest(kb, index_dir, embedder=embedder)
    assert again.chunks_added == again.chunks_total == first.chunks_total
    assert read_manifest(paths).chunker == CHUNKER_VERSION
