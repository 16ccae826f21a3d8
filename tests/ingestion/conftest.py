"""Fixtures: one real embedding model per test session, a small KB in a temp dir."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingestion.embedding import SentenceTransformerEmbedder, get_embedder
from tests.ingestion.kb import write_kb


@pytest.fixture(scope="session")
def embedder() -> SentenceTransformerEmbedder:
    """The process-wide embedder (loaded once for the whole session)."""
    return get_embedder()


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    return write_kb(tmp_path / "kb")


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    return tmp_path / "index"
