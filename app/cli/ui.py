"""`chargefix ui`: the Streamlit app on settings.ui_port, talking to settings.api_url."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import typer

from app.cli.children import die_with_parent, forward_stop_signals
from app.config import Settings, get_settings

UI_MAIN = Path(__file__).resolve().parents[1] / "ui" / "main.py"
REPO = UI_MAIN.parents[2]  # where .streamlit/config.toml lives


def ui_command(settings: Settings, port: int | None = None) -> tuple[list[str], dict[str, str]]:
    """The command line and environment that start the UI (also used by ``chargefix run``)."""
    argv = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(UI_MAIN),
        "--server.port",
        str(port if port is not None else settings.ui_port),
        "--server.address",
        settings.host,
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    env = {**os.environ, "CHARGEFIX_API_URL": settings.api_url}
    return argv, env


def start_ui(settings: Settings, port: int | None = None, **popen: object) -> subprocess.Popen:
    """Start the UI as a child process (cwd = the repository, for the theme)."""
    argv, env = ui_command(settings, port)
    popen.setdefault("preexec_fn", die_with_parent)
    return subprocess.Popen(argv, env=env, cwd=REPO, **popen)  # type: ignore[call-overload]


def ui(
    port: int | None = typer.Option(None, help="UI port [CHARGEFIX_UI_PORT, 8501]."),
    api_url: str | None = typer.Option(None, help="Backend API URL [CHARGEFIX_API_URL]."),
    host: str | None = typer.Option(None, help="Address to listen on [CHARGEFIX_HOST]."),
) -> None:
    """Run the troubleshooting app (Streamlit) against a running backend."""
    settings = get_settings(ui_port=port, api_url=api_url, host=host)
    typer.echo(
        f"ChargeFix UI on http://{settings.host}:{settings.ui_port} (API {settings.api_url})"
    )
    process = start_ui(settings)
    forward_stop_signals(lambda: [process])  # SIGTERM/SIGINT stop Streamlit too
    raise typer.Exit(process.wait())
