"""`chargefix procedures ...`: validate procedure YAML, export the JSON Schema, draw a graph."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from app.procedures.graph import to_dot
from app.procedures.schema import procedure_json_schema
from app.procedures.validation import validate_file, validate_paths

procedures_cli = typer.Typer(
    help="Troubleshooting procedures (decision trees).", no_args_is_help=True
)


@procedures_cli.command("validate")
def validate(
    paths: list[Path] = typer.Argument(..., help="YAML files or folders."),
    strict: bool = typer.Option(False, help="Treat warnings as errors."),
) -> None:
    """Check procedures; print every problem as FILE:LINE: node ID field: message."""
    reports = validate_paths(paths)
    if not reports:
        typer.echo("no procedure files found", err=True)
        raise typer.Exit(2)
    failed = 0
    for report in reports:
        for issue in report.issues:
            typer.echo(str(issue))
        bad = not report.ok or (strict and report.issues)
        failed += bool(bad)
        if not bad and report.procedure is not None:
            p = report.procedure
            typer.echo(f"{report.file}: OK ({p.id} v{p.version}, {len(p.nodes)} nodes)")
    typer.echo(f"{len(reports)} file(s), {failed} with errors")
    raise typer.Exit(1 if failed else 0)


@procedures_cli.command("schema")
def schema(
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file."),
) -> None:
    """Print (or write) the JSON Schema of the procedure format."""
    text = json.dumps(procedure_json_schema(), indent=2)
    if output:
        output.write_text(text + "\n", encoding="utf-8")
        typer.echo(f"wrote {output}")
    else:
        typer.echo(text)


@procedures_cli.command("graph")
def graph(path: Path = typer.Argument(..., help="A procedure YAML file.")) -> None:
    """Print the procedure as Graphviz DOT."""
    report = validate_file(path)
    if report.procedure is None:
        for issue in report.issues:
            typer.echo(str(issue), err=True)
        raise typer.Exit(1)
    typer.echo(to_dot(report.procedure), nl=False)
