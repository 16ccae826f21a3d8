"""`chargefix diagnosis`: list and show automatic diagnoses, read or switch the policy.

Over the REST API of a running backend (``settings.api_url``, token from
``CHARGEFIX_API_TOKEN``), or with ``--db`` straight from the database (read-only: the kill
switch and dry-run live in the running backend).
"""

from __future__ import annotations

import json
import os
from typing import Any

import httpx
import typer
from rich.table import Table

from app.cli.common import console, fail, open_storage
from app.config import get_settings

app = typer.Typer(help="Automatic diagnoses and the remediation policy.", no_args_is_help=True)

DB_OPTION = typer.Option(False, "--db", help="Read the database instead of the REST API.")
JSON_OPTION = typer.Option(False, "--json", help="Print JSON.")


def _on_off(value: str | None, name: str) -> bool | None:
    if value is None:
        return None
    if value.lower() not in ("on", "off"):
        fail(f"--{name}: expected on or off, got {value!r}")
    return value.lower() == "on"


def _api(method: str, path: str, **kw: Any) -> Any:
    settings = get_settings()
    token = os.environ.get("CHARGEFIX_API_TOKEN")
    if not token:
        fail("set CHARGEFIX_API_TOKEN to an API token (or use --db to read the database)")
    url = f"{settings.api_url.rstrip('/')}{path}"
    try:
        response = httpx.request(
            method, url, headers={"Authorization": f"Bearer {token}"}, timeout=10, **kw
        )
    except httpx.HTTPError as error:
        fail(f"{url}: {error} (is the backend running? or use --db)")
    if response.status_code == 404:
        fail(f"{path}: not found")
    if response.status_code in (401, 403):
        fail(f"{path}: {response.status_code} (token refused or role not allowed)")
    if response.status_code >= 400:
        fail(f"{path}: {response.status_code} {response.text[:300]}")
    return response.json()


def _from_db(diagnosis_id: int | None = None, **filters: Any) -> Any:
    from app.db.models_diagnosis import DiagnosisRow
    from app.diagnosis import storage

    factory = open_storage()
    with factory() as db:
        if diagnosis_id is None:
            return [storage.view(row) for row in storage.query(db, **filters)]
        row = db.get(DiagnosisRow, diagnosis_id)
        if row is None:
            fail(f"diagnosis {diagnosis_id}: not found")
        return storage.view(row, storage.actions_of(db, diagnosis_id))


def _print(data: Any) -> None:
    console.print_json(json.dumps(data, default=str))


@app.command("list")
def list_diagnoses(
    charger: str | None = typer.Option(None, help="Only this charger."),
    status: str | None = typer.Option(None, help="resolved, site_visit, escalated, ..."),
    limit: int = typer.Option(50, min=1, max=1000),
    db: bool = DB_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Diagnoses, newest first."""
    if db:
        rows = _from_db(charger_id=charger, status=status, limit=limit)
    else:
        params = {k: v for k, v in {"charger_id": charger, "status": status}.items() if v}
        rows = _api("GET", "/api/diagnoses", params={**params, "limit": limit})
    if as_json:
        _print(rows)
        return
    table = Table("id", "charger", "conn", "rule", "status", "opened")
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["charger_id"],
            str(r.get("connector_id", "")),
            r["rule_id"],
            r["status"],
            str(r.get("opened_at", ""))[:19],
        )
    console.print(table)


@app.command("show")
def show(
    diagnosis_id: int = typer.Argument(..., help="Diagnosis id."),
    db: bool = DB_OPTION,
) -> None:
    """One diagnosis with its evidence and actions (JSON)."""
    _print(_from_db(diagnosis_id) if db else _api("GET", f"/api/diagnoses/{diagnosis_id}"))


@app.command("policy")
def policy(
    kill_switch: str | None = typer.Option(None, "--kill-switch", help="on or off"),
    dry_run: str | None = typer.Option(None, "--dry-run", help="on or off"),
    db: bool = DB_OPTION,
) -> None:
    """Show the remediation policy; switch the kill switch / dry-run (admin token)."""
    changes = {
        k: v
        for k, v in {
            "kill_switch": _on_off(kill_switch, "kill-switch"),
            "dry_run": _on_off(dry_run, "dry-run"),
        }.items()
        if v is not None
    }
    if db:
        if changes:
            fail("the kill switch and dry-run live in the running backend: use the REST API")
        s = get_settings()
        _print(
            {
                "kill_switch": s.diagnosis_kill_switch,
                "dry_run": s.diagnosis_dry_run,
                "max_resets_per_day": s.diagnosis_max_resets_per_day,
                "cooldown_seconds": s.diagnosis_cooldown_seconds,
                "site_concurrent_limit": s.diagnosis_site_concurrent_limit,
                "wait_for_idle": s.diagnosis_wait_for_idle,
                "recovery_hold_seconds": s.diagnosis_recovery_hold_seconds,
                "source": "settings (the running backend may differ)",
            }
        )
        return
    if changes:
        _api("PATCH", "/api/diagnosis/policy", json=changes)
    _print(_api("GET", "/api/diagnosis/policy"))
