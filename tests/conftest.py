"""Shared fixtures: settings in a temp dir, a real backend on free ports, an API client."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from app.authorization.store import TokenChange
from app.backend import Backend
from app.config import Settings
from app.fault_code_tables.store import published_texts
from app.fault_codes import load_catalogue
from app.security.tokens import create_token
from app.security.users import set_qualifications
from app.state import AppState
from tests.http_receiver import Receiver, serving_receiver

logging.getLogger("ocpp").setLevel(logging.WARNING)

TEST_CHARGER_PASSWORD = "test-password-0123456789"


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": tmp_path / "data",
        "host": "127.0.0.1",
        "ocpp_port": 0,
        "api_port": 0,
        "heartbeat_interval": 60,
        "offline_debounce_seconds": 1.0,
        "command_timeout": 5.0,
        "event_flush_interval": 0.05,
        "refresh_state_on_connect": False,
        "recorder_mode": "thread",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A real local HTTP server that records what a webhook posts to it."""
    async with serving_receiver() as box:
        yield box


@dataclass
class RunningBackend:
    backend: Backend
    state: AppState
    ocpp_url: str
    api_url: str
    admin_token: str

    def client(self, token: str | None = None) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.api_url,
            headers={"Authorization": f"Bearer {token or self.admin_token}"},
            timeout=15.0,
        )

    def token(
        self,
        role: str,
        name: str | None = None,
        sites: tuple[str, ...] = (),
        qualifications: tuple[str, ...] = (),
    ) -> str:
        """A token; ``sites`` are assigned to the account (partners act only there) and
        ``qualifications`` granted to it (hazardous procedure steps need them)."""
        name = name or f"test-{role}"
        if sites:
            self.state.scope.assign(name, list(sites), by="test")
        if qualifications:
            set_qualifications(self.state.session_factory, name, add=qualifications, by="test")
        return create_token(self.state.session_factory, name=name, role=role)

    async def register(self, charger_id: str, password: str = TEST_CHARGER_PASSWORD) -> None:
        await self.state.csms.register(charger_id, password)

    async def register_id_token(self, token: str) -> None:
        """A driver's card the backend accepts (unknown cards are Invalid)."""
        change = TokenChange(token=token)
        await asyncio.to_thread(self.state.tokens.save, change, "test")


async def start_backend(settings: Settings) -> RunningBackend:
    backend = Backend(settings)
    state = await backend.start()
    admin_token = create_token(state.session_factory, name="test-admin", role="admin")
    return RunningBackend(backend, state, backend.ocpp_url, backend.api_url, admin_token)


@pytest.fixture
async def backend(settings: Settings) -> AsyncIterator[RunningBackend]:
    running = await start_backend(settings)
    try:
        yield running
    finally:
        published = _published_tables(running)
        await running.backend.stop()
        if published:
            # A published vendor table replaces the shipped one in the process-wide catalogue
            # of its folder (as it should in a backend); the tests after this one expect the
            # shipped catalogue, so it is loaded again.
            folder = Path(settings.knowledge_base_dir) / "fault_codes"
            load_catalogue(folder if folder.is_dir() else None, reload=True)


def _published_tables(running: RunningBackend) -> bool:
    with running.state.session_factory() as db:
        return bool(published_texts(db))


@pytest.fixture
async def api_client(backend: RunningBackend) -> AsyncIterator[httpx.AsyncClient]:
    async with backend.client() as client:
        yield client


def postgres_url() -> str | None:
    return os.environ.get("CHARGEFIX_TEST_POSTGRES_URL")
