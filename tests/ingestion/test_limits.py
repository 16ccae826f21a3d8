"""Ingestion caps: an oversized file or one that makes too many chunks is refused by name in
the report, and nothing indexed before is lost."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from ingestion.pipeline import ingest

NOTE = "Northwind Duo service note 17\nPower-cycle the meter bus, then update to 2.11.1.\n"


class FakeEmbedder:
    """Deterministic vectors: the caps are about loading and chunking, not the model."""

    name = "all-MiniLM-L6-v2"
    dimension = 384

    def embed(
        self, texts: Sequence[str], batch_size: int = 32, on_batch: Callable | None = None
    ) -> np.ndarray:
        rng = np.random.default_rng(len(texts))
        vectors = rng.random((len(texts), self.dimension), dtype=np.float32)
        if on_batch:
            on_batch(len(texts))
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _messages(summary) -> dict[str, str]:
    return {issue.file: issue.message for issue in summary.issues}


def test_oversized_and_overchunked_files_are_refused_by_name(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    (kb / "manuals").mkdir(parents=True)
    (kb / "manuals" / "note.txt").write_text(NOTE)
    (kb / "manuals" / "other.txt").write_text("Kestrel KX-300: check the pump fuse F7.\n")
    index = tmp_path / "index"
    first = ingest(kb, index, embedder=FakeEmbedder(), max_file_bytes=4096)
    assert first.ok and first.chunks_total == 2

    # the note grows past the size cap; a new file would make too many chunks
    (kb / "manuals" / "note.txt").write_text(NOTE + "x" * 5000)
    paragraphs = "\n\n".join(f"Step {i}: " + "check the contactor wiring. " * 30 for i in range(40))
    (kb / "manuals" / "huge.txt").write_text(paragraphs[:4000])
    second = ingest(kb, index, embedder=FakeEmbedder(), max_file_bytes=4096, max_chunks_per_file=3)
    messages = _messages(second)
    assert messages["manuals/note.txt"].startswith("not indexed: file of ")
    assert "the limit is 4096" in messages["manuals/note.txt"]
    assert messages["manuals/huge.txt"] == "not indexed: more than 3 chunks (the limit)"
    # what was indexed before is still there: both earlier files, nothing of the refused new one
    assert second.chunks_total == 2

    third = ingest(kb, index, embedder=FakeEmbedder(), max_file_bytes=4096, max_chunks_per_file=3)
    assert set(_messages(third)) == {"manuals/note.txt", "manuals/huge.txt"}
    assert third.chunks_total == 2
