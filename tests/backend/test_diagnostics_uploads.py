"""Diagnostics upload URLs: every form is size-capped, and a one-time URL is used once."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from app.api.routers.diagnostics import upload_slot_factory
from app.config import Settings
from tests.conftest import RunningBackend, make_settings

LIMIT = 256 * 1024


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, diagnostics_max_bytes=LIMIT)


def _slot(backend: RunningBackend) -> str:
    return upload_slot_factory(backend.state)("CP-DIAG-1", "DiagnosticsLog")[0]


async def test_multipart_upload_is_capped_like_a_raw_put(backend: RunningBackend) -> None:
    url = _slot(backend)
    async with httpx.AsyncClient(timeout=15) as client:
        # over the limit, within the form overhead the middleware allows: refused by the route
        over = await client.post(url, files={"file": ("d.log", b"x" * (LIMIT + 1))})
        assert over.status_code == 413 and f"larger than {LIMIT} bytes" in over.text
        # (far over, the middleware refuses it before it is read: tests/backend/test_body_limits)
        # a refused upload does not use the slot up
        ok = await client.post(url, files={"file": ("d.log", b"y" * LIMIT)})
        assert ok.status_code == 201 and ok.json()["size_bytes"] == LIMIT
        again = await client.post(url, files={"file": ("d.log", b"z")})
        assert again.status_code == 404


async def test_concurrent_uploads_on_one_url_only_one_wins(backend: RunningBackend) -> None:
    url = _slot(backend)
    body = b"log line\n" * 20_000  # ~180 KB: each upload takes several reads

    async def put(client: httpx.AsyncClient) -> int:
        return (await client.put(url, content=body)).status_code

    async with httpx.AsyncClient(timeout=15) as client:
        codes = await asyncio.gather(*(put(client) for _ in range(3)))
    assert sorted(codes) == [201, 404, 404]
    stored = list((backend.state.settings.uploads_dir / "CP-DIAG-1").iterdir())
    assert len(stored) == 1 and stored[0].read_bytes() == body
