"""Helpers shared by CLI commands: settings from flags, storage, clean error exits."""

from __future__ import annotations

import json
import logging
from typing import Any, NoReturn

import httpx
import typer
from rich.console import Console
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings, get_settings
from app.db.engine import make_engine, make_session_factory
from app.db.migrate import upgrade_to_head

console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def open_storage(settings: Settings | None = None) -> sessionmaker[Session]:
    settings = settings or get_settings()
    settings.ensure_dirs()
    upgrade_to_head(settings.resolved_database_url)
    return make_session_factory(make_engine(settings.resolved_database_url))


def setup_logging(verbose: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("ocpp").setLevel(logging.WARNING)
    logging.getLogger("websockets").setLevel(logging.WARNING)
    logging.getLogger("chargefix.ws").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)


def call_api(method: str, api_url: str | None, token: str, path: str, body: Any = None) -> Any:
    """One request to the running backend's API with a bearer token; a refusal or an
    unreachable API ends the command with the API's own words."""
    url = (api_url or get_settings().api_url).rstrip("/")
    try:
        response = httpx.request(
            method,
            f"{url}{path}",
            headers={"Authorization": f"Bearer {token}"},
            json=body,
            timeout=60.0,
        )
    except httpx.HTTPError as error:
        fail(f"cannot reach the API at {url}: {error}")
    if response.status_code >= 400:
        try:
            detail = response.json().get("detail")
        except ValueError:
            detail = response.text[:500]
        fail(f"{response.status_code}: {json.dumps(detail)}")
    return response.json()
