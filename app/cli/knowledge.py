"""``chargefix ingest`` and ``chargefix search``.

Exit codes: ``ingest`` 0 = everything indexed, 1 = some file or row skipped (0 with
``--keep-going``), 2 = nothing could run (no such folder, another ingest running).
``search`` 0 = searched, 2 = no index / charger unknown / bad arguments.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from app.config import get_settings
from ingestion.models import DEFAULT_CHUNK_SIZE, IngestSummary
from ingestion.pipeline import IngestProgress
from ingestion.pipeline import ingest as run_ingest

err = Console(stderr=True)
out = Console()


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        unit = task.fields.get("unit", "")
        if not unit or task.speed is None:
            return Text("")
        return Text(f"{task.speed:.1f} {unit}/s", style="cyan")


class RichIngestProgress(IngestProgress):
    """Files, then chunks embedded (with embeddings/s), on stderr."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.files_task = progress.add_task("files", total=None, unit="")
        self.chunks_task = progress.add_task("embeddings", total=None, unit="chunks", visible=False)

    def files(self, total: int) -> None:
        self.progress.update(self.files_task, total=total)

    def file_done(self, source: str) -> None:
        self.progress.update(self.files_task, advance=1, description=f"files ({source[-40:]})")

    def chunks(self, total: int) -> None:
        self.progress.update(self.files_task, description="files")
        self.progress.update(self.chunks_task, total=total, visible=total > 0)

    def embedded(self, n: int) -> None:
        self.progress.update(self.chunks_task, advance=n)


def _print_summary(summary: IngestSummary) -> None:
    table = Table(title="Ingest summary", show_header=False)
    rows = [
        ("knowledge base", summary.kb_path),
        ("index", f"{summary.index_dir} (generation {summary.generation})"),
        (
            "files",
            f"{summary.files_seen} seen: {summary.files_added} added, {summary.files_changed} "
            f"changed, {summary.files_removed} removed, {summary.files_unchanged} unchanged, "
            f"{summary.files_skipped} skipped",
        ),
        (
            "chunks",
            f"{summary.chunks_added} added, {summary.chunks_removed} removed, "
            f"{summary.chunks_total} in index",
        ),
        ("time", f"{summary.seconds:.2f} s"),
    ]
    if summary.chunks_per_second:
        rows.append(("embedding", f"{summary.chunks_per_second} chunks/s"))
    for key, value in rows:
        table.add_row(key, value)
    err.print(table)
    for issue in summary.issues:
        err.print(f"[yellow]skipped[/yellow] {issue}", highlight=False)


def ingest(
    path: Annotated[
        Path | None, typer.Argument(help="Knowledge base folder (default: settings).")
    ] = None,
    index: Annotated[Path | None, typer.Option("--index", help="Index folder.")] = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Re-index every file.")] = False,
    keep_going: Annotated[
        bool, typer.Option("--keep-going", help="Exit 0 even if some input was skipped.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    chunk_size: Annotated[int, typer.Option(help="Characters per chunk.")] = DEFAULT_CHUNK_SIZE,
) -> None:
    """Index a knowledge base (manuals, tickets, procedures) for search; only changes cost."""
    settings = get_settings(index_dir=index)
    kb_path = path or settings.knowledge_base_dir
    if not kb_path.is_dir():
        err.print(f"[red]error:[/red] knowledge base folder not found: {kb_path}")
        raise typer.Exit(2)
    columns = [
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _RateColumn(),
        TimeElapsedColumn(),
    ]
    try:
        with Progress(*columns, console=err, transient=True) as bar:
            summary = run_ingest(
                kb_path,
                settings.resolved_index_dir,
                chroma_url=settings.chroma_url,
                rebuild=rebuild,
                chunk_size=chunk_size,
                progress=RichIngestProgress(bar),
                max_file_bytes=settings.ingest_max_file_bytes,
                max_chunks_per_file=settings.ingest_max_chunks_per_file,
            )
    except RuntimeError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    if as_json:
        out.print_json(summary.model_dump_json())
    else:
        _print_summary(summary)
    if summary.issues and not keep_going:
        raise typer.Exit(1)


def fetch_live_state(settings: Any, charger_id: str) -> Any:
    """The charger's live state from the backend API (``GET /api/chargers/{id}``).

    The token comes from ``CHARGEFIX_API_TOKEN``. Returns an object with the attributes of
    ``ChargerLiveState`` (a namespace over the JSON).
    """
    import httpx

    headers = {}
    token = os.environ.get("CHARGEFIX_API_TOKEN")
    if token:
        headers["Authorization"] = f"Bearer {token}"
    url = f"{settings.api_url.rstrip('/')}/api/chargers/{charger_id}"
    response = httpx.get(url, headers=headers, timeout=10)
    if response.status_code == 404:
        raise LookupError(f"charger {charger_id} is unknown to the backend")
    response.raise_for_status()
    data = response.json()
    live = data.get("live") or data.get("state") or data
    return _Namespace(live)


class _Namespace:
    def __init__(self, data: dict[str, Any]) -> None:
        self.__dict__.update(data)


def _print_results(results: Any) -> None:
    q = results.query
    understood = ", ".join(
        p for p in (q.vendor, q.model, " ".join(q.codes), " ".join(q.fault_keys)) if p
    )
    if understood:
        out.print(f"[dim]charger/codes: {understood}[/dim]", highlight=False)
    for label, hits in (
        ("Procedures", results.procedures),
        ("Manual passages", results.manuals),
        ("Past tickets", results.tickets),
    ):
        if not hits:
            continue
        out.print(f"\n[bold]{label}[/bold]")
        for n, hit in enumerate(hits, start=1):
            where = hit.section or ""
            if hit.page:
                where = f"{where} p.{hit.page}".strip()
            out.print(
                f"{n}. [bold]{hit.title}[/bold]  [dim]{hit.source}{' · ' + where if where else ''}"
                f" · score {hit.score:.1f}[/dim]",
                highlight=False,
            )
            why = hit.matched_codes + hit.matched_terms
            if why:
                out.print(f"   [green]matched:[/green] {', '.join(why)}", highlight=False)
            if hit.kind == "ticket" and hit.resolution:
                out.print(
                    f"   resolution: {hit.resolution} ({hit.outcome or '?'})", highlight=False
                )
            else:
                out.print(f"   {hit.snippet}", highlight=False)
    out.print(f"\n[dim]{results.took_ms:.1f} ms[/dim]")


def search(
    text: Annotated[str, typer.Argument(help="What the partner sees, in their words.")] = "",
    charger: Annotated[
        str | None, typer.Option("--charger", help="Charger id: use its live state.")
    ] = None,
    vendor: Annotated[str | None, typer.Option("--vendor")] = None,
    model: Annotated[str | None, typer.Option("--model")] = None,
    error_code: Annotated[
        str | None, typer.Option("--error-code", help="OCPP or vendor code.")
    ] = None,
    kind: Annotated[
        list[str] | None, typer.Option("--kind", help="procedure, manual or ticket.")
    ] = None,
    k: Annotated[int, typer.Option("--k", help="Hits per group.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print results as JSON.")] = False,
    index: Annotated[Path | None, typer.Option("--index", help="Index folder.")] = None,
) -> None:
    """Search procedures, manual passages and past tickets (hybrid dense + keyword)."""
    from app.fault_codes.text import normalize_error_code
    from app.retrieval.models import SearchRequest
    from app.retrieval.query import request_from_live_state
    from app.retrieval.service import IndexNotFoundError, Retriever

    settings = get_settings(index_dir=index)
    if not text.strip() and not (charger or error_code):
        err.print("[red]error:[/red] give search words, --error-code or --charger")
        raise typer.Exit(2)
    bad_kinds = [x for x in kind or [] if x not in ("procedure", "manual", "ticket")]
    if bad_kinds:
        err.print(f"[red]error:[/red] unknown --kind {', '.join(bad_kinds)}")
        raise typer.Exit(2)
    ocpp_code, vendor_code = None, None
    if error_code:
        normalized = normalize_error_code(error_code, vendor)
        if normalized and normalized.recognized_as == "vendor_code":
            vendor_code = error_code
            vendor = vendor or normalized.vendor
        else:
            ocpp_code = error_code
    overrides: dict[str, Any] = {
        "vendor": vendor,
        "model": model,
        "error_code": ocpp_code,
        "vendor_error_code": vendor_code,
        "kinds": kind or None,
        "k": k,
    }
    try:
        if charger:
            try:
                live = fetch_live_state(settings, charger)
            except Exception as exc:
                err.print(f"[red]error:[/red] cannot get the state of {charger}: {exc}")
                raise typer.Exit(2) from exc
            req = request_from_live_state(live, text, **overrides)
        else:
            req = SearchRequest(text=text, **{k_: v for k_, v in overrides.items() if v})
        retriever = Retriever.from_settings(settings)
        results = retriever.search(req)
    except IndexNotFoundError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    if as_json:
        sys.stdout.write(json.dumps(results.to_json_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        _print_results(results)
