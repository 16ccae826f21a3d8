"""`chargefix backend`: the OCPP central system and the REST API in one process."""

from __future__ import annotations

import asyncio
import contextlib
import resource

import typer

from app.backend import Backend
from app.cli.common import setup_logging
from app.config import get_settings


def raise_file_limit() -> int:
    """Allow as many sockets as the hard limit permits (10,000 chargers need it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else 1_048_576
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def backend(
    host: str | None = typer.Option(None, help="Address to listen on [CHARGEFIX_HOST]."),
    ocpp_port: int | None = typer.Option(None, help="OCPP websocket port [9000]."),
    api_port: int | None = typer.Option(None, help="REST API port [8000]."),
    auto_register: bool = typer.Option(
        False, "--auto-register", help="Demo only: accept unknown chargers and register them."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Run the OCPP backend (ws://HOST:OCPP_PORT/ocpp/{id}) and the API (http://HOST:API_PORT/api)."""
    setup_logging(verbose)
    raise_file_limit()
    settings = get_settings(
        host=host, ocpp_port=ocpp_port, api_port=api_port, auto_register=auto_register or None
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(Backend(settings).serve_forever())
