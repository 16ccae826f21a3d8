"""Retrieval benchmark: quality (hybrid vs dense vs BM25), latency, ingestion throughput.

    .venv/bin/python bench/retrieval_eval.py                      # sample KB, 800-char chunks
    .venv/bin/python bench/retrieval_eval.py --chunk-size 500,800,1200 --no-synthetic
    .venv/bin/python bench/retrieval_eval.py --json

For each labelled query (``knowledge_base/eval/retrieval_queries.yaml``: charger state + the
partner's words -> expected procedure, optionally a manual section and a ticket) it searches
in each mode and reports hit@1, hit@3 and MRR of the expected procedure (within the
procedures group, which the UI shows first), plus hit@3 of the expected manual section and
ticket. It also reports ingestion throughput, the time of an unchanged re-ingest, query
latency p50/p95 on the sample index and on a synthetic 10,000-chunk index built from the
sample chunks (texts varied, vectors perturbed, so no re-embedding is needed).
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
from ingestion.embedding import get_embedder  # noqa: E402
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


def _manual_matches(hit: Hit, expected: str) -> bool:
    source, _, section = expected.partition("#")
    if hit.source != source:
        return False
    if not section:
        return True
    section = section.strip().lower()
    return hit.id.lower() == expected.lower() or section in (hit.section or "").lower()


def rank_of(hits: list[Hit], kind: str, expected: str) -> int | None:
    for n, hit in enumerate(hits, start=1):
        if (kind == "manual" and _manual_matches(hit, expected)) or (
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
    for query in queries:
        results = retriever.search(to_request(query, 10), mode=search_mode, boosts=boosts)
        expected = query.get("expected") or {}
        for kind, group in (
            ("procedure", results.procedures),
            ("manual", results.manuals),
            ("ticket", results.tickets),
        ):
            if expected.get(kind):
                rank = rank_of(group, kind, str(expected[kind]))
                ranks[kind].append(rank)
                if kind == "procedure" and (rank is None or rank > 1):
                    misses.append(
                        {
                            "id": query.get("id"),
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


def run(args: argparse.Namespace) -> dict[str, Any]:
    queries = load_queries(Path(args.queries))
    embedder = get_embedder()
    embedder.embed(["load the model before timing"])
    report: dict[str, Any] = {"queries": len(queries), "runs": []}
    work = Path(tempfile.mkdtemp(prefix="chargefix-bench-"))
    for chunk_size in [int(x) for x in str(args.chunk_size).split(",")]:
        index = work / f"index-{chunk_size}"
        summary = ingest(Path(args.kb), index, chunk_size=chunk_size, embedder=embedder)
        started = time.perf_counter()
        ingest(Path(args.kb), index, chunk_size=chunk_size, embedder=embedder)
        reingest_s = time.perf_counter() - started
        retriever = Retriever(index, embedder=embedder)
        run_report: dict[str, Any] = {
            "chunk_size": chunk_size,
            "chunks": summary.chunks_total,
            "ingest_s": round(summary.seconds, 2),
            "ingest_chunks_per_s": summary.chunks_per_second,
            "reingest_unchanged_s": round(reingest_s, 3),
            "issues": [str(i) for i in summary.issues],
            "modes": {},
        }
        for mode in MODES:
            metrics, misses = evaluate(retriever, queries, mode)
            run_report["modes"][mode] = metrics
            if mode == "hybrid":
                run_report["hybrid_misses"] = misses
        requests = [to_request(q, 5) for q in queries] or [SearchRequest(text="ground fault")]
        run_report["latency_sample"] = latency(retriever, requests, repeat=args.repeat)
        if args.synthetic:
            synthetic_dir = work / f"synthetic-{chunk_size}"
            started = time.perf_counter()
            count = build_synthetic(index, synthetic_dir, args.synthetic)
            big = Retriever(synthetic_dir, embedder=embedder)
            run_report["latency_synthetic"] = {
                "chunks": count,
                "build_s": round(time.perf_counter() - started, 1),
                **latency(big, requests, repeat=args.repeat),
            }
        report["runs"].append(run_report)
    shutil.rmtree(work, ignore_errors=True)
    return report


def print_table(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    for run in report["runs"]:
        table = Table(
            title=f"chunk size {run['chunk_size']} chars: {run['chunks']} chunks, "
            f"{report['queries']} queries"
        )
        columns = (
            "mode",
            "proc hit@1",
            "proc hit@3",
            "proc MRR",
            "manual hit@3",
            "ticket hit@3",
            "all hit@3",
        )
        for col in columns:
            table.add_column(col, justify="right" if col != "mode" else "left")
        for mode, m in run["modes"].items():
            p, man, t = m["procedure"], m["manual"], m["ticket"]
            table.add_row(
                mode,
                str(p.get("hit@1", "-")),
                str(p.get("hit@3", "-")),
                str(p.get("mrr", "-")),
                f"{man.get('hit@3', '-')} (n={man['n']})",
                f"{t.get('hit@3', '-')} (n={t['n']})",
                f"{m['all'].get('hit@3', '-')} (n={m['all']['n']})",
            )
        console.print(table)
        lat = run["latency_sample"]
        console.print(
            f"ingest: {run['ingest_s']} s, {run['ingest_chunks_per_s']} chunks/s (embedding); "
            f"unchanged re-ingest {run['reingest_unchanged_s']} s"
        )
        console.print(f"latency sample index: p50 {lat['p50_ms']} ms, p95 {lat['p95_ms']} ms")
        if "latency_synthetic" in run:
            syn = run["latency_synthetic"]
            console.print(
                f"latency {syn['chunks']}-chunk index: p50 {syn['p50_ms']} ms, "
                f"p95 {syn['p95_ms']} ms ({syn['queries']} queries)"
            )
        for miss in run.get("hybrid_misses", []):
            console.print(
                f"  [dim]hybrid miss {miss['id']}: {miss['query']!r} expected {miss['expected']}"
                f" rank {miss['rank']} got {miss['got']}[/dim]",
                highlight=False,
            )
        if run["issues"]:
            console.print(f"[yellow]ingest issues:[/yellow] {run['issues']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", default=str(ROOT / "knowledge_base"))
    parser.add_argument("--queries", default=None, help="default: KB/eval/retrieval_queries.yaml")
    parser.add_argument("--chunk-size", default="800", help="one size or a comma list to sweep")
    parser.add_argument("--synthetic", type=int, default=10_000, help="0 to skip")
    parser.add_argument("--no-synthetic", dest="synthetic", action="store_const", const=0)
    parser.add_argument("--repeat", type=int, default=3, help="latency passes over the queries")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    args.queries = args.queries or str(Path(args.kb) / "eval" / "retrieval_queries.yaml")
    report = run(args)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_table(report)


if __name__ == "__main__":
    main()
