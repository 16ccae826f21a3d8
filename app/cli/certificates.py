"""`chargefix certificates server|check CHARGER`: the certificate expiry watch from the shell,
through the running backend's API (a charger's check is a gateway command there)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from app.cli.common import call_api, console

app = typer.Typer(help="Certificate expiry: the server's TLS certificate and chargers'.")

_API = typer.Option(None, help="The API (default: settings api_url).")
_TOKEN = typer.Option(..., envvar="CHARGEFIX_API_TOKEN", help="An API token.")


def _print(body: dict[str, Any]) -> None:
    rows = body["certificates"]
    if not rows:
        console.print("no certificates reported", highlight=False)
        return
    for c in rows:  # one line each: subjects and serials are long for a table
        state = c["severity"].upper() if c["finding"] else c["severity"]
        days = "" if c["days_left"] is None else f", {c['days_left']} days left"
        console.print(
            f"{state}: {c['where']} {c['certificate_type'] or ''} {c['subject'] or '?'} "
            f"serial {c['serial'] or '?'} expires {c['not_after'] or 'unknown'}{days}",
            highlight=False,
            soft_wrap=True,
        )
    console.print(f"findings: within {body['warning_days']} days of expiry", highlight=False)


@app.command("server")
def server(api_url: str | None = _API, token: str = _TOKEN) -> None:
    """The server's TLS certificate (when the backend serves wss)."""
    _print(call_api("GET", api_url, token, "/api/certificates/server"))


@app.command("check")
def check(charger_id: str, api_url: str | None = _API, token: str = _TOKEN) -> None:
    """Ask a charger for its installed certificates and show when each expires."""
    _print(call_api("POST", api_url, token, f"/api/chargers/{charger_id}/certificates/check"))


@app.command("profile")
def profile(
    charger_id: str,
    security_profile: int = typer.Argument(..., min=1, max=3, help="1, 2 or 3 (client cert)."),
    api_url: str | None = _API,
    token: str = _TOKEN,
) -> None:
    """Set the OCPP security profile a charger must connect with (admins)."""
    body = call_api(
        "PUT",
        api_url,
        token,
        f"/api/chargers/{charger_id}/security-profile",
        {"profile": security_profile},
    )
    console.print(f"{charger_id}: security profile {body['profile']}", highlight=False)


def _command(
    charger_id: str, command: str, params: dict[str, Any], api_url: str | None, token: str
) -> None:
    body = call_api(
        "POST", api_url, token, f"/api/chargers/{charger_id}/commands/{command}", params
    )
    answer = body.get("status") or body.get("response")
    console.print(
        f"{charger_id}: {body.get('ocpp_action')} answered {answer}",
        highlight=False,
        soft_wrap=True,
    )


@app.command("renew")
def renew(charger_id: str, api_url: str | None = _API, token: str = _TOKEN) -> None:
    """Ask a charger for a new certificate (TriggerMessage SignChargingStationCertificate;
    1.6: ExtendedTriggerMessage SignChargePointCertificate). Its CSR is signed by the operator
    CA and sent back with CertificateSigned (admins)."""
    _command(
        charger_id, "trigger_message", {"message": "SignChargingStationCertificate"}, api_url, token
    )


@app.command("install")
def install(
    charger_id: str,
    certificate_file: Path = typer.Argument(..., exists=True, dir_okay=False, help="PEM file."),
    certificate_type: str = typer.Option(
        "CSMSRootCertificate",
        "--type",
        help="CSMSRootCertificate, ManufacturerRootCertificate, V2GRootCertificate, "
        "MORootCertificate (1.6: the first two).",
    ),
    api_url: str | None = _API,
    token: str = _TOKEN,
) -> None:
    """Install a root certificate on a charger (InstallCertificate; admins)."""
    certificate = certificate_file.read_text(encoding="utf-8", errors="replace")
    params = {"certificate_type": certificate_type, "certificate": certificate}
    _command(charger_id, "install_certificate", params, api_url, token)
