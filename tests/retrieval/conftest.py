"""The ingestion tests' fixtures (one embedding model per session, a small KB)."""

from tests.ingestion.conftest import embedder, index_dir, kb

__all__ = ["embedder", "index_dir", "kb"]
