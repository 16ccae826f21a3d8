"""The retrieval service: one :class:`Retriever` per process holds the model and the index.

A search embeds the query once, asks chromadb and BM25 for candidates, fuses them by
reciprocal rank fusion, boosts chunks whose vendor/model/codes match the charger, groups the
chunks by document and returns procedures, manual passages and tickets.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from app.retrieval.models import Hit, Mode, SearchRequest, SearchResults
from app.retrieval.query import BuiltQuery, build_query
from ingestion.embedding import Embedder, get_embedder
from ingestion.models import KINDS, Chunk
from ingestion.store import (
    IndexPaths,
    Manifest,
    VectorStore,
    bm25_tokens,
    load_bm25,
    make_chroma_client,
    read_chunks,
    read_manifest,
)

RRF_K = 60
#: Weight of the dense ranking in the fusion (BM25 has 1.0). Partners type codes and jargon
#: that the keyword side matches exactly; on the labelled set 0.5 gave the best hit@1/MRR.
DENSE_WEIGHT = 0.5


class IndexNotFoundError(RuntimeError):
    """No index yet at the given place."""


@dataclass(frozen=True)
class Boosts:
    """Multipliers on the fused score (tuned with bench/retrieval_eval.py)."""

    vendor: float = 0.1  # chunk is about the charger's vendor
    model: float = 0.1  # ... and its model
    code: float = 0.3  # chunk names the charger's error (OCPP code, vendor code or fault)
    other_vendor: float = 0.7  # chunk is only about other vendors: score * this


NO_BOOSTS = Boosts(vendor=0.0, model=0.0, code=0.0, other_vendor=1.0)


def _edit_distance_at_most(a: str, b: str, limit: int) -> int | None:
    """Levenshtein distance of a and b if it is <= limit (banded, early exit), else None."""
    if abs(len(a) - len(b)) > limit:
        return None
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
        if min(current) > limit:
            return None
        previous = current
    return previous[-1] if previous[-1] <= limit else None


class SpellingFixer:
    """Maps a misspelt query word to an index word ("chargr ofline" -> charger, offline).

    Only plain words of 4+ letters that are missing from the keyword vocabulary, or rare in it
    (tickets carry typos too), are touched; the candidate is the most frequent index word
    within edit distance 1 (2 for 7+ letters) sharing the first letter, and it must be
    clearly more common than the word itself.
    """

    def __init__(self, vocab: dict[str, int], doc_freq: dict[str, int]) -> None:
        self.vocab = vocab
        self.by_initial: dict[str, list[str]] = {}
        for word in vocab:
            if word.isalpha() and len(word) >= 3:
                self.by_initial.setdefault(word[0], []).append(word)
        self.doc_freq = doc_freq

    def fix(self, token: str) -> str | None:
        if not token.isalpha() or len(token) < 4:
            return None
        own = self.doc_freq.get(token, 0) if token in self.vocab else 0
        if own >= 3:
            return None
        limit = 1 if len(token) < 7 else 2
        best: tuple[int, int, str] | None = None
        for word in self.by_initial.get(token[0], []):
            if word == token or (own and self.doc_freq.get(word, 0) < max(3, 5 * own)):
                continue
            distance = _edit_distance_at_most(token, word, limit)
            if distance is None:
                continue
            key = (distance, -self.doc_freq.get(word, 0), word)
            if best is None or key < best:
                best = key
        return best[2] if best else None


@dataclass
class _Loaded:
    manifest: Manifest
    mtime_ns: int
    chunks: list[Chunk]
    by_id: dict[str, int]
    kinds: np.ndarray  # kind per chunk position
    bm25: Any | None
    store: VectorStore
    speller: SpellingFixer | None = None


def _norm(value: str | None) -> str:
    return re.sub(r"[^a-z0-9]+", "", (value or "").lower())


class Retriever:
    """Hybrid search over an index built by ``chargefix ingest``; thread-safe, reloads itself
    when a new index generation is published."""

    def __init__(
        self,
        index_dir: Path,
        *,
        chroma_url: str | None = None,
        embedder: Embedder | None = None,
        boosts: Boosts | None = None,
        candidates: int = 50,
        rrf_k: int = RRF_K,
        dense_weight: float = DENSE_WEIGHT,
        bm25_weight: float = 1.0,
    ) -> None:
        self.paths = IndexPaths(Path(index_dir))
        self.chroma_url = chroma_url
        self._embedder = embedder
        self.boosts = boosts or Boosts()
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.weights = {"dense": dense_weight, "bm25": bm25_weight}
        self._loaded: _Loaded | None = None
        self._lock = threading.Lock()
        self._client: Any = None

    @classmethod
    def from_settings(cls, settings: Any, **kwargs: Any) -> Retriever:
        return cls(settings.resolved_index_dir, chroma_url=settings.chroma_url, **kwargs)

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = get_embedder()
        return self._embedder

    # --- loading -----------------------------------------------------------------------------

    def _current(self) -> _Loaded:
        try:
            mtime = self.paths.manifest.stat().st_mtime_ns
        except FileNotFoundError as exc:
            raise IndexNotFoundError(
                f"no knowledge index at {self.paths.root}: run `chargefix ingest` first"
            ) from exc
        loaded = self._loaded
        if loaded is not None and loaded.mtime_ns == mtime:
            return loaded
        with self._lock:
            if self._loaded is None or self._loaded.mtime_ns != mtime:
                self._loaded = self._load(mtime)
            return self._loaded

    def _load(self, mtime: int) -> _Loaded:
        manifest = read_manifest(self.paths)
        if manifest is None:
            raise IndexNotFoundError(f"no knowledge index at {self.paths.root}")
        chunks = read_chunks(self.paths, manifest.generation)
        if self._client is None:
            self._client = make_chroma_client(self.paths, self.chroma_url)
        bm25 = load_bm25(self.paths, manifest.generation)
        speller = None
        if bm25 is not None:
            indptr = np.asarray(bm25.scores["indptr"])
            doc_freq = {
                w: int(indptr[i + 1] - indptr[i])
                for w, i in bm25.vocab_dict.items()
                if i + 1 < len(indptr)
            }
            speller = SpellingFixer(bm25.vocab_dict, doc_freq)
        return _Loaded(
            manifest=manifest,
            mtime_ns=mtime,
            chunks=chunks,
            by_id={c.id: i for i, c in enumerate(chunks)},
            kinds=np.array([c.kind for c in chunks], dtype=object),
            bm25=bm25,
            store=VectorStore(self._client, manifest.collection),
            speller=speller,
        )

    def warm_up(self) -> None:
        """Load the index and the model now (first query otherwise pays for it)."""
        self._current()
        self.embedder.embed(["warm up"])

    @property
    def chunk_count(self) -> int:
        return len(self._current().chunks)

    # --- candidates --------------------------------------------------------------------------

    def _dense(
        self, loaded: _Loaded, query: BuiltQuery, kinds: list[str] | None, n: int
    ) -> list[int]:
        vector = self.embedder.embed([query.dense_text])[0]
        where: dict[str, Any] | None = None
        if kinds and set(kinds) != set(KINDS):
            where = {"kind": kinds[0]} if len(kinds) == 1 else {"kind": {"$in": list(kinds)}}
        n = min(n, len(loaded.chunks))
        hits = loaded.store.query(vector, n, where)
        # Ids outside this generation (an unfinished ingest's vectors) are never served.
        return [loaded.by_id[i] for i, _ in hits if i in loaded.by_id]

    def _bm25(
        self, loaded: _Loaded, query: BuiltQuery, kinds: list[str] | None, n: int
    ) -> list[int]:
        if loaded.bm25 is None or not query.tokens:
            return []
        ids = loaded.bm25.get_tokens_ids(query.tokens)
        if not ids:
            return []
        scores = loaded.bm25.get_scores(ids)
        if kinds and set(kinds) != set(KINDS):
            scores = np.where(np.isin(loaded.kinds, list(kinds)), scores, 0.0)
        n = min(n, len(scores))
        top = np.argpartition(-scores, n - 1)[:n] if n < len(scores) else np.arange(len(scores))
        top = top[np.argsort(-scores[top], kind="stable")]
        return [int(i) for i in top if scores[i] > 0]

    # --- scoring -----------------------------------------------------------------------------

    def _boost(self, chunk: Chunk, query: BuiltQuery, boosts: Boosts) -> tuple[float, list[str]]:
        factor = 1.0
        vendors = {_norm(v) for v in [chunk.vendor, *chunk.vendors] if v}
        models = {_norm(m) for m in [chunk.model, *chunk.models] if m}
        if query.vendor and vendors:
            if _norm(query.vendor) in vendors:
                factor += boosts.vendor
                if query.model and _norm(query.model) in models:
                    factor += boosts.model
            else:
                factor *= boosts.other_vendor
        matched_codes = sorted(
            (query.codes & (set(chunk.ocpp_codes) | set(chunk.vendor_codes)))
            | {f for f in query.fault_keys if f in chunk.fault_keys}
        )
        if matched_codes:
            factor += boosts.code
        return factor, matched_codes

    def search(
        self, req: SearchRequest, *, mode: Mode = "hybrid", boosts: Boosts | None = None
    ) -> SearchResults:
        started = time.perf_counter()
        loaded = self._current()
        query = build_query(req)
        if loaded.speller is not None:
            fixes = {t: loaded.speller.fix(t) for t in dict.fromkeys(query.tokens)}
            fixes = {t: f for t, f in fixes.items() if f}
            if fixes:
                query.tokens += list(fixes.values())
                query.dense_text += ". " + " ".join(fixes.values())
        boosts = boosts if boosts is not None else (self.boosts if mode == "hybrid" else NO_BOOSTS)
        n = max(self.candidates, req.k * 10)
        kinds = list(req.kinds) if req.kinds else None
        ranked: list[tuple[float, list[int]]] = []
        if mode in ("hybrid", "dense") and loaded.chunks:
            ranked.append((self.weights["dense"], self._dense(loaded, query, kinds, n)))
        if mode in ("hybrid", "bm25") and loaded.chunks:
            ranked.append((self.weights["bm25"], self._bm25(loaded, query, kinds, n)))
        fused: dict[int, float] = {}
        for weight, ranking in ranked:
            for rank, pos in enumerate(ranking, start=1):
                fused[pos] = fused.get(pos, 0.0) + weight / (self.rrf_k + rank)
        # Best chunk per document, boosted.
        best: dict[str, tuple[float, int, list[str]]] = {}
        for pos, score in fused.items():
            chunk = loaded.chunks[pos]
            factor, codes = self._boost(chunk, query, boosts)
            score *= factor
            key = f"{chunk.kind}:{chunk.doc_id}"
            if key not in best or score > best[key][0]:
                best[key] = (score, pos, codes)
        results = SearchResults(query=query.info(req.text), generation=loaded.manifest.generation)
        query_tokens = set(query.tokens)
        shown: set[tuple[str, str]] = set()
        for score, pos, codes in sorted(best.values(), key=lambda t: -t[0]):
            chunk = loaded.chunks[pos]
            group = results.group(chunk.kind)
            if len(group) >= req.k:
                continue
            if chunk.kind == "manual" and chunk.section:
                # One manual in two formats (a PDF copy of a Markdown manual): its section
                # is shown once, from the better-ranked file.
                same = (chunk.title.lower(), chunk.section.lower())
                if same in shown:
                    continue
                shown.add(same)
            group.append(self._hit(chunk, score, codes, query_tokens))
        results.took_ms = round((time.perf_counter() - started) * 1000, 2)
        return results

    def _hit(self, chunk: Chunk, score: float, codes: list[str], query_tokens: set[str]) -> Hit:
        chunk_tokens = set(bm25_tokens(chunk))
        terms = sorted(
            t for t in query_tokens & chunk_tokens if t not in {c.lower() for c in codes}
        )
        extra = chunk.extra
        return Hit(
            kind=chunk.kind,
            id=chunk.doc_id,
            title=chunk.title,
            source=chunk.source,
            section=chunk.section,
            section_path=chunk.section,
            page=chunk.page,
            citation=citation(chunk) if chunk.kind == "manual" else None,
            score=round(score * 1000, 3),
            matched_terms=terms,
            matched_codes=codes,
            snippet=make_snippet(chunk.text, codes + terms),
            vendor=chunk.vendor,
            model=chunk.model,
            resolution=extra.get("resolution") if chunk.kind == "ticket" else None,
            outcome=extra.get("outcome") if chunk.kind == "ticket" else None,
            summary=extra.get("summary") if chunk.kind == "procedure" else None,
            chunk_id=chunk.id,
        )


def citation(chunk: Chunk) -> str:
    """Where a manual passage is: file name, section path and page ("p. 3")."""
    parts = [chunk.source.rsplit("/", 1)[-1]]
    if chunk.section:
        parts.append(chunk.section)
    if chunk.page:
        parts.append(f"p. {chunk.page}")
    return ", ".join(parts)


def make_snippet(text: str, terms: list[str], width: int = 280) -> str:
    """A window of ``text`` around the first matched term (whole text when short)."""
    flat = " ".join(text.split())
    if len(flat) <= width:
        return flat
    lower = flat.lower()
    positions = [lower.find(t.lower()) for t in terms if t and lower.find(t.lower()) >= 0]
    start = max(0, min(positions) - width // 3) if positions else 0
    if start:
        space = flat.find(" ", start)
        start = space + 1 if 0 <= space < start + 20 else start
    end = min(len(flat), start + width)
    return ("… " if start else "") + flat[start:end].strip() + (" …" if end < len(flat) else "")
