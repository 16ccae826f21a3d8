"""`chargefix firmware campaign|campaigns|show|stop`: firmware campaigns from the shell, through
the running backend's API (each charger's update passes the command gateway there)."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from app.cli.common import call_api, console

app = typer.Typer(help="Firmware campaigns: one update across the chargers of one model.")

_API = typer.Option(None, help="The API (default: settings api_url).")
_TOKEN = typer.Option(..., envvar="CHARGEFIX_API_TOKEN", help="An API token.")


def _call(method: str, api_url: str | None, token: str, path: str, body: Any = None) -> Any:
    return call_api(method, api_url, token, f"/api/firmware/campaigns{path}", body)


def _print(campaign: dict[str, Any]) -> None:
    console.print(
        f"campaign {campaign['id']} [bold]{campaign['name']}[/]: {campaign['status']} "
        f"(model {campaign['model']}, {campaign['max_sites']} site(s) at a time, stop after "
        f"{campaign['stop_after_failures']} failure(s), {campaign['failures']} failed)",
        highlight=False,
    )
    if campaign.get("stop_reason"):
        console.print(f"stopped: {campaign['stop_reason']}", highlight=False)
    table = Table("charger", "site", "state", "firmware status", "old", "new", "detail")
    for item in campaign["items"]:
        table.add_row(
            item["charger_id"],
            item["site_id"] or "",
            item["state"],
            item["firmware_status"] or "",
            item["old_version"] or "",
            item["new_version"] or "",
            item["detail"] or "",
        )
    console.print(table)


@app.command("campaign")
def create(
    name: str = typer.Argument(..., help="A name for the campaign."),
    model: str = typer.Option(..., help="The chargers' model (as in their BootNotification)."),
    location: str = typer.Option(..., help="The firmware's URL."),
    from_version: str | None = typer.Option(None, help="Only chargers on this firmware."),
    install_date: str | None = typer.Option(None, help="Install at (ISO 8601 with zone)."),
    retries: int | None = typer.Option(None, help="Download retries (the charger's)."),
    retry_interval: int | None = typer.Option(None, help="Seconds between retries."),
    max_sites: int = typer.Option(1, help="Sites updated at a time."),
    stop_after_failures: int = typer.Option(1, help="Stop on this many failed chargers."),
    api_url: str | None = _API,
    token: str = _TOKEN,
) -> None:
    """Start a campaign (admins): every known charger of the model, a site at a time."""
    update: dict[str, Any] = {"location": location}
    for key, value in (
        ("install_date", install_date),
        ("retries", retries),
        ("retry_interval", retry_interval),
    ):
        if value is not None:
            update[key] = value
    body = {
        "name": name,
        "model": model,
        "from_version": from_version,
        "update": update,
        "max_sites": max_sites,
        "stop_after_failures": stop_after_failures,
    }
    _print(_call("POST", api_url, token, "", body))


@app.command("campaigns")
def campaigns(api_url: str | None = _API, token: str = _TOKEN) -> None:
    """List the campaigns, newest first."""
    table = Table("id", "name", "model", "status", "chargers", "failed")
    for c in _call("GET", api_url, token, ""):
        table.add_row(
            str(c["id"]), c["name"], c["model"], c["status"], str(len(c["items"])),
            str(c["failures"]),
        )  # fmt: skip
    console.print(table)


@app.command("show")
def show(campaign_id: int, api_url: str | None = _API, token: str = _TOKEN) -> None:
    """One campaign, charger by charger."""
    _print(_call("GET", api_url, token, f"/{campaign_id}"))


@app.command("stop")
def stop(
    campaign_id: int,
    reason: str = typer.Option(..., help="Why (kept with the campaign)."),
    api_url: str | None = _API,
    token: str = _TOKEN,
) -> None:
    """Stop a running campaign: chargers not yet sent are skipped."""
    _print(_call("POST", api_url, token, f"/{campaign_id}/stop", {"reason": reason}))
