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
    answer = _api("POST", api_url, token, f"/api/chargers/{charger_id}/commands/{name}", body)
    console.print_json(data=answer)


def _api(
    method: str,
    api_url: str | None,
    token: str,
    path: str,
    body: Any = None,
    params: dict[str, Any] | None = None,
) -> Any:
    """One API call; a refusal or an unreachable API ends the command with the reason."""
    url = (api_url or get_settings().api_url).rstrip("/")
    try:
        response = httpx.request(
            method,
            f"{url}{path}",
            json=body,
            params={k: v for k, v in (params or {}).items() if v is not None},
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
    return response.json()


def inventory(
    charger_id: str = typer.Argument(..., help="The charger's id."),
    report_base: str | None = typer.Option(
        None,
        help="Only this report: FullInventory, ConfigurationInventory, SummaryInventory, "
        "Custom (get_report) or Unrequested.",
    ),
    component: str | None = typer.Option(None, help="Only this component."),
    as_json: bool = typer.Option(False, "--json", help="The API's answer as JSON."),
    api_url: str | None = typer.Option(None, help="The API (default: settings api_url)."),
    token: str = typer.Option(..., envvar="CHARGEFIX_API_TOKEN", help="An API token."),
) -> None:
    """A 2.0.1 charger's stored inventory (ask for it with the get_base_report command)."""
    answer = _api(
        "GET",
        api_url,
        token,
        f"/api/chargers/{charger_id}/inventory",
        params={"report_base": report_base, "component": component},
    )
    if as_json:
        console.print_json(data=answer)
        return
    if not answer["reports"]:
        console.print(f"no inventory stored for {charger_id}: send get_base_report first")
        return
    for report in answer["reports"]:
        console.print(
            f"[bold]{report['report_base']}[/] request {report['request_id']}, generated "
            f"{report['generated_at']}, {len(report['items'])} item(s)"
            + (" [red](truncated)[/]" if report["truncated"] else ""),
            highlight=False,
            soft_wrap=True,
        )
        for item in report["items"]:
            console.print(f"  {_item_line(item)}", highlight=False, markup=False, soft_wrap=True)


def _item_line(item: dict[str, Any]) -> str:
    where = item["component"]
    if item.get("component_instance"):
        where += f"[{item['component_instance']}]"
    if item.get("evse_id") is not None:
        where += f"@{item['evse_id']}"
        if item.get("connector_id") is not None:
            where += f".{item['connector_id']}"
    name = item["variable"]
    if item.get("variable_instance"):
        name += f"[{item['variable_instance']}]"
    values = ", ".join(
        f"{a.get('type') or 'Actual'}={a.get('value')}" for a in item.get("attributes") or []
    )
    unit = (item.get("characteristics") or {}).get("unit")
    return f"{where}.{name}: {values}" + (f" {unit}" if unit else "")


def commands() -> None:
    """List the command catalogue: each command, its parameters and its OCPP versions."""
    for name, model in PARAMS.items():
        versions = "2.0.1" if name in V201_ONLY else "1.6, 2.0.1"
        fields = ", ".join(model.model_fields) or "-"
        console.print(f"[bold]{name}[/] ({versions}): {fields}", highlight=False)


def monitors(
    charger_id: str = typer.Argument(..., help="The charger's id."),
    as_json: bool = typer.Option(False, "--json", help="The API's answer as JSON."),
    api_url: str | None = typer.Option(None, help="The API (default: settings api_url)."),
    token: str = typer.Option(..., envvar="CHARGEFIX_API_TOKEN", help="An API token."),
) -> None:
    """A 2.0.1 charger's stored monitors (ask for them with get_monitoring_report)."""
    answer = _api("GET", api_url, token, f"/api/chargers/{charger_id}/monitors")
    if as_json:
        console.print_json(data=answer)
        return
    if not answer["reports"]:
        console.print(f"no monitors stored for {charger_id}: send get_monitoring_report first")
        return
    for report in answer["reports"]:
        console.print(
            f"[bold]{report['selection']}[/] request {report['request_id']}, generated "
            f"{report['generated_at']}, {len(report['monitors'])} monitor(s)"
            + (" [red](truncated)[/]" if report["truncated"] else ""),
            highlight=False,
            soft_wrap=True,
        )
        for m in report["monitors"]:
            where = _item_line({**m, "attributes": [], "characteristics": None}).rstrip(": ")
            line = (
                f"  #{m['monitor_id']} {where} {m['type']} {m['value']} severity {m['severity']}"
                + (" (during transactions)" if m["transaction"] else "")
            )
            console.print(line, highlight=False, markup=False, soft_wrap=True)


def charger_status(
    charger_id: str = typer.Argument(..., help="The charger's id."),
    status: str = typer.Argument(
        ..., help="commissioning (boot Pending), active (Accepted) or blocked (Rejected)."
    ),
    api_url: str | None = typer.Option(None, help="The API (default: settings api_url)."),
    token: str = typer.Option(..., envvar="CHARGEFIX_API_TOKEN", help="An admin's API token."),
) -> None:
    """Commission, activate or block a charger (through the running backend, which answers
    its next BootNotification accordingly)."""
    answer = _api("PUT", api_url, token, f"/api/chargers/{charger_id}/status", {"status": status})
    console.print(
        f"{charger_id}: {answer['status']} (its next BootNotification is answered "
        f"{answer['boot_answer']})",
        highlight=False,
    )
