"""Retrieval benchmark: quality (hybrid vs dense vs BM25) on two sets, latency, ingestion.

    .venv/bin/python bench/retrieval_eval.py                      # both sets, 800-char chunks
    .venv/bin/python bench/retrieval_eval.py --chunk-size 500,800,1200 --no-synthetic
    .venv/bin/python bench/retrieval_eval.py --json

Two evaluation sets, reported separately:

- **sample**: the sample knowledge base (``knowledge_base/``) and its labelled queries
  (``knowledge_base/eval/retrieval_queries.yaml``: charger state + the partner's words ->
  expected procedure, optionally a manual section and a ticket). The fusion weights, boosts
  and query expansion were tuned on this set.
- **heldout**: ``knowledge_base/eval/heldout/``, two vendors the pipeline was never tuned on
  (a PDF handbook with running headers, a Markdown guide, field tickets) and its queries
  (expected manual section and/or ticket). Never tune on it.

For each set and mode it reports hit@1, hit@3 and MRR over all labelled targets (each target
ranked within its group: procedures, manual passages, tickets, as the UI shows them), plus
hit@3 per kind. It also reports ingestion throughput, the time of an unchanged re-ingest,
query latency p50/p95 on the sample index and on a synthetic 10,000-chunk index built from
the sample chunks (texts varied, vectors perturbed, so no re-embedding is needed).

Embeddings are cached by text in ``data/bench-cache/embeddings.sqlite`` (``--no-cache`` to
measure a cold ingest), so a rerun only embeds chunks whose text changed.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.retrieval.models import Hit, SearchRequest  # noqa: E402
from app.retrieval.service import NO_BOOSTS, Retriever  # noqa: E402
from ingestion.embedding import CachingEmbedder, get_embedder  # noqa: E402
from ingestion.pipeline import ingest  # noqa: E402
from ingestion.store import (  # noqa: E402
    FileEntry,
    IndexPaths,
    Manifest,
    VectorStore,
    make_chroma_client,
    now_iso,
    read_chunks,
    read_manifest,
    write_generation,
    write_manifest,
)

MODES = ("hybrid", "hybrid-noboost", "dense", "bm25")


def load_queries(path: Path) -> list[dict[str, Any]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if isinstance(data, dict):
        data = data.get("queries", [])
    return list(data or [])


def to_request(query: dict[str, Any], k: int) -> SearchRequest:
    state = query.get("charger_state") or {}
    return SearchRequest(
        text=str(query.get("query") or ""),
        vendor=state.get("vendor"),
        model=state.get("model"),
        ocpp_version=str(state["ocpp_version"]) if state.get("ocpp_version") else None,
        status=state.get("status"),
        error_code=state.get("error_code"),
        vendor_error_code=state.get("vendor_error_code"),
        info=state.get("info"),
        k=k,
    )


def _manual_matches(hit: Hit, expected: str, titles: dict[str, str]) -> bool:
    """The expected section of the expected manual. A hit from another file of the same
    manual (the PDF copy of a Markdown manual: same title) counts too: the search shows such a
    section once, from whichever file ranks better."""
    source, _, section = expected.partition("#")
    same_manual = hit.source == source or (
        titles.get(source) is not None and hit.title == titles[source]
    )
    if not same_manual:
        return False
    if not section:
        return True
    section = section.strip().lower()
    if hit.id.lower() == expected.lower():
        return True
    path = (hit.section or "").lower()
    return path == section or path.endswith(f"> {section}") or section in path


def rank_of(hits: list[Hit], kind: str, expected: str, titles: dict[str, str]) -> int | None:
    for n, hit in enumerate(hits, start=1):
        if (kind == "manual" and _manual_matches(hit, expected, titles)) or (
            kind != "manual" and hit.id == expected
        ):
            return n
    return None


def evaluate(
    retriever: Retriever, queries: list[dict[str, Any]], mode: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    ranks: dict[str, list[int | None]] = {"procedure": [], "manual": [], "ticket": []}
    misses = []
    search_mode = "hybrid" if mode.startswith("hybrid") else mode
    boosts = NO_BOOSTS if mode == "hybrid-noboost" else None
    titles = {c.source: c.title for c in retriever._current().chunks if c.kind == "manual"}
    for query in queries:
        results = retriever.search(to_request(query, 10), mode=search_mode, boosts=boosts)
        expected = query.get("expected") or {}
        for kind, group in (
            ("procedure", results.procedures),
            ("manual", results.manuals),
            ("ticket", results.tickets),
        ):
            if expected.get(kind):
                rank = rank_of(group, kind, str(expected[kind]), titles)
                ranks[kind].append(rank)
                if rank is None or rank > (1 if kind == "procedure" else 3):
                    misses.append(
                        {
                            "id": query.get("id"),
                            "kind": kind,
                            "query": query.get("query"),
                            "expected": expected[kind],
                            "rank": rank,
                            "got": [h.id for h in group[:3]],
                        }
                    )

    def metrics(values: list[int | None]) -> dict[str, float | int]:
        if not values:
            return {"n": 0}
        n = len(values)
        return {
            "n": n,
            "hit@1": round(sum(1 for r in values if r == 1) / n, 3),
            "hit@3": round(sum(1 for r in values if r is not None and r <= 3) / n, 3),
            "mrr": round(sum(1.0 / r for r in values if r) / n, 3),
        }

    report = {kind: metrics(values) for kind, values in ranks.items()}
    report["all"] = metrics([r for values in ranks.values() for r in values])
    return report, misses


def latency(retriever: Retriever, requests: list[SearchRequest], repeat: int) -> dict[str, float]:
    retriever.warm_up()
    timings = []
    for _ in range(repeat):
        for req in requests:
            started = time.perf_counter()
            retriever.search(req)
            timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {
        "queries": len(timings),
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 2),
    }


_VENDOR_SWAPS = [
    ("Voltara", "Ampero"),
    ("WB-22", "AW-11"),
    ("Helion Power", "Sunline"),
    ("HX-150", "SL-90"),
    ("Kestrel EV", "Falcon DC"),
    ("Northwind Charging", "Eastgate"),
]


def build_synthetic(source_index: Path, target: Path, size: int, seed: int = 7) -> int:
    """A ``size``-chunk index from the sample chunks: texts varied, vectors perturbed."""
    rng = random.Random(seed)
    np_rng = np.random.default_rng(seed)
    src_paths = IndexPaths(source_index)
    manifest = read_manifest(src_paths)
    assert manifest is not None
    chunks = read_chunks(src_paths, manifest.generation)
    src_store = VectorStore(make_chroma_client(src_paths, None), manifest.collection)
    got = src_store.collection.get(ids=[c.id for c in chunks], include=["embeddings"])
    vectors = dict(zip(got["ids"], np.asarray(got["embeddings"], dtype=np.float32), strict=True))
    paths = IndexPaths(target)
    store = VectorStore(make_chroma_client(paths, None), "chargefix_kb_synthetic")
    out_chunks = list(chunks)
    out_vectors = [vectors[c.id] for c in chunks]
    n = 0
    while len(out_chunks) < size:
        base = chunks[n % len(chunks)]
        n += 1
        text = base.text
        for old, new in rng.sample(_VENDOR_SWAPS, 2):
            text = text.replace(old, new)
        words = text.split()
        if len(words) > 8:
            i = rng.randrange(len(words) - 4)
            words[i : i + 3] = words[i : i + 3][::-1]
        text = " ".join(words) + f" rev{rng.randrange(10_000)}"
        variant = base.model_copy(
            update={
                "id": f"syn{n:07d}",
                "doc_id": f"{base.doc_id}~{n}",
                "text": text,
                "embed_text": f"{base.title}\n{text}",
            }
        )
        vector = vectors[base.id] + np_rng.normal(0, 0.04, size=vectors[base.id].shape)
        out_vectors.append((vector / np.linalg.norm(vector)).astype(np.float32))
        out_chunks.append(variant)
    store.add(out_chunks, np.vstack(out_vectors))
    write_generation(paths, 1, out_chunks)
    write_manifest(
        paths,
        Manifest(
            generation=1,
            collection=store.name,
            embedding_model=manifest.embedding_model,
            chunk_size=manifest.chunk_size,
            kb_path="synthetic",
            updated_at=now_iso(),
            chunk_count=len(out_chunks),
            # every chunk is live in this index: one pseudo-file lists them all
            files={"synthetic": FileEntry(sha256="-", chunk_ids=[c.id for c in out_chunks])},
        ),
    )
    return len(out_chunks)


def evaluate_set(
    name: str, kb: Path, queries_path: Path, chunk_size: int, embedder: Any, work: Path
) -> tuple[dict[str, Any], Path]:
    """Ingest ``kb`` into a fresh index and score every mode on its queries."""
    queries = load_queries(queries_path)
    index = work / f"{name}-{chunk_size}"
    summary = ingest(kb, index, chunk_size=chunk_size, embedder=embedder)
    started = time.perf_counter()
    ingest(kb, index, chunk_size=chunk_size, embedder=embedder)  # nothing changed
    reingest_s = time.perf_counter() - started
    retriever = Retriever(index, embedder=embedder)
    report: dict[str, Any] = {
        "set": name,
        "queries": len(queries),
        "chunks": summary.chunks_total,
        "ingest_s": round(summary.seconds, 2),
        "ingest_chunks_per_s": summary.chunks_per_second,
        "reingest_unchanged_s": round(reingest_s, 3),
        "issues": [str(i) for i in summary.issues],
        "modes": {},
    }
    for mode in MODES:
        metrics, misses = evaluate(retriever, queries, mode)
        report["modes"][mode] = metrics
        if mode == "hybrid":
            report["hybrid_misses"] = misses
    return report, index


def run(args: argparse.Namespace) -> dict[str, Any]:
    embedder: Any = get_embedder()
    embedder.embed(["load the model before timing"])
    if args.cache:
        embedder = CachingEmbedder(embedder, Path(args.cache))
    sets = [("sample", Path(args.kb), Path(args.queries))]
    if args.heldout:
        sets.append(("heldout", Path(args.heldout_kb), Path(args.heldout_queries)))
    report: dict[str, Any] = {"runs": []}
    work = Path(tempfile.mkdtemp(prefix="chargefix-bench-"))
    try:
        for chunk_size in [int(x) for x in str(args.chunk_size).split(",")]:
            run_report: dict[str, Any] = {"chunk_size": chunk_size, "sets": {}}
            for name, kb, queries_path in sets:
                set_report, index = evaluate_set(name, kb, queries_path, chunk_size, embedder, work)
                run_report["sets"][name] = set_report
                if name != "sample":
                    continue
                queries = load_queries(queries_path)
                requests = [to_request(q, 5) for q in queries] or [SearchRequest(text="fault")]
                # Latency with the plain model: a cached query vector would hide the embedding.
                timed = Retriever(index, embedder=get_embedder())
                run_report["latency_sample"] = latency(timed, requests, repeat=args.repeat)
                if args.synthetic:
                    synthetic_dir = work / f"synthetic-{chunk_size}"
                    started = time.perf_counter()
                    count = build_synthetic(index, synthetic_dir, args.synthetic)
                    big = Retriever(synthetic_dir, embedder=get_embedder())
                    run_report["latency_synthetic"] = {
                        "chunks": count,
                        "build_s": round(time.perf_counter() - started, 1),
                        **latency(big, requests, repeat=args.repeat),
                    }
            report["runs"].append(run_report)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if isinstance(embedder, CachingEmbedder):
        report["embedding_cache"] = {"hits": embedder.hits, "misses": embedder.misses}
    return report


def print_table(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    for run in report["runs"]:
        for name, rep in run["sets"].items():
            tuned = "tuned on" if name == "sample" else "held out, never tuned on"
            table = Table(
                title=f"{name} set ({tuned}): chunk size {run['chunk_size']} chars, "
                f"{rep['chunks']} chunks, {rep['queries']} queries"
            )
            columns = (
                "mode",
                "hit@1",
                "hit@3",
                "MRR",
                "procedure hit@3",
                "manual hit@3",
                "ticket hit@3",
            )
            for col in columns:
                table.add_column(col, justify="right" if col != "mode" else "left")
            for mode, m in rep["modes"].items():
                a = m["all"]

                def cell(kind: str, m: dict[str, Any] = m) -> str:
                    part = m[kind]
                    return f"{part['hit@3']} (n={part['n']})" if part["n"] else "-"

                table.add_row(
                    mode,
                    str(a.get("hit@1", "-")),
                    str(a.get("hit@3", "-")),
                    str(a.get("mrr", "-")),
                    cell("procedure"),
                    cell("manual"),
                    cell("ticket"),
                )
            console.print(table)
            console.print(
                f"ingest: {rep['ingest_s']} s, {rep['ingest_chunks_per_s']} chunks/s "
                f"(embedding); unchanged re-ingest {rep['reingest_unchanged_s']} s"
            )
            for miss in rep.get("hybrid_misses", []):
                console.print(
                    f"  [dim]hybrid miss {miss['id']} ({miss['kind']}): {miss['query']!r} "
                    f"expected {miss['expected']} rank {miss['rank']} got {miss['got']}[/dim]",
                    highlight=False,
                )
            if rep["issues"]:
                console.print(f"[yellow]ingest issues:[/yellow] {rep['issues']}")
        if "latency_sample" in run:
            lat = run["latency_sample"]
            console.print(f"latency sample index: p50 {lat['p50_ms']} ms, p95 {lat['p95_ms']} ms")
        if "latency_synthetic" in run:
            syn = run["latency_synthetic"]
            console.print(
                f"latency {syn['chunks']}-chunk index: p50 {syn['p50_ms']} ms, "
                f"p95 {syn['p95_ms']} ms ({syn['queries']} queries)"
            )
    if "embedding_cache" in report:
        console.print(f"embedding cache: {report['embedding_cache']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", default=str(ROOT / "knowledge_base"))
    parser.add_argument("--queries", default=None, help="default: KB/eval/retrieval_queries.yaml")
    parser.add_argument("--heldout-kb", default=str(ROOT / "knowledge_base" / "eval" / "heldout"))
    parser.add_argument("--heldout-queries", default=None, help="default: HELDOUT_KB/queries.yaml")
    parser.add_argument("--no-heldout", dest="heldout", action="store_false")
    parser.add_argument("--chunk-size", default="800", help="one size or a comma list to sweep")
    parser.add_argument("--synthetic", type=int, default=10_000, help="0 to skip")
    parser.add_argument("--no-synthetic", dest="synthetic", action="store_const", const=0)
    parser.add_argument("--repeat", type=int, default=3, help="latency passes over the queries")
    parser.add_argument("--cache", default=str(ROOT / "data" / "bench-cache" / "embeddings.sqlite"))
    parser.add_argument("--no-cache", dest="cache", action="store_const", const=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    args.queries = args.queries or str(Path(args.kb) / "eval" / "retrieval_queries.yaml")
    args.heldout_queries = args.heldout_queries or str(Path(args.heldout_kb) / "queries.yaml")
    report = run(args)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_table(report)


if __name__ == "__main__":
    main()
