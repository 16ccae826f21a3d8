"""`chargefix command CHARGER COMMAND`: any catalogue command from the shell, through the
running backend's API (so the command gateway checks, sends and audits it like any other)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import typer

from app.cli.common import console, fail
from app.commands.catalogue import COMMANDS, PARAMS, V201_ONLY
from app.config import get_settings


def command(
    charger_id: str = typer.Argument(..., help="The charger's id."),
    name: str = typer.Argument(..., help=f"The command: {', '.join(COMMANDS)}."),
    params: str = typer.Option(
        "{}", "--params", "-p", help='The parameters as JSON, e.g. \'{"type": "soft"}\'.'
    ),
    force: bool = typer.Option(False, help="Override a guard (consultants, admins)."),
    reason: str | None = typer.Option(None, help="Why: required with --force."),
    api_url: str | None = typer.Option(None, help="The API (default: settings api_url)."),
    token: str = typer.Option(..., envvar="CHARGEFIX_API_TOKEN", help="An API token."),
) -> None:
    """Send one command to a charger and print the charger's answer."""
    if name not in COMMANDS:
        fail(f"unknown command {name!r}; known: {', '.join(COMMANDS)}")
    try:
        body: Any = json.loads(params)
    except ValueError as error:
        fail(f"--params is not JSON: {error}")
    if not isinstance(body, dict):
        fail("--params must be a JSON object")
    if force:
        body["force"] = True
    if reason:
        body["reason"] = reason
    url = (api_url or get_settings().api_url).rstrip("/")
    try:
        response = httpx.post(
            f"{url}/api/chargers/{charger_id}/commands/{name}",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            timeout=60.0,
        )
    except httpx.HTTPError as error:
        fail(f"cannot reach the API at {url}: {error}")
    if response.status_code != 200:
        try:
            detail = response.json().get("detail")
        except ValueError:
            detail = response.text[:500]
        fail(f"{response.status_code}: {json.dumps(detail)}")
    console.print_json(data=response.json())


def commands() -> None:
    """List the command catalogue: each command, its parameters and its OCPP versions."""
    for name, model in PARAMS.items():
        versions = "2.0.1" if name in V201_ONLY else "1.6, 2.0.1"
        fields = ", ".join(model.model_fields) or "-"
        console.print(f"[bold]{name}[/] ({versions}): {fields}", highlight=False)
