"""Request bodies above the limit are refused before they are read (real uvicorn backend)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from app.config import Settings
from tests.conftest import RunningBackend, make_settings

LIMIT = 64 * 1024


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, request_max_bytes=LIMIT, photo_max_bytes=256 * 1024)


async def _raw_request(backend: RunningBackend, head: str, body_parts: list[bytes]) -> bytes:
    """Send a request by hand (the client never gets to send the whole body) and read the
    answer."""
    address = urlsplit(backend.api_url)
    reader, writer = await asyncio.open_connection(address.hostname, address.port)
    try:
        writer.write(head.encode())
        for part in body_parts:
            writer.write(part)
            try:
                await writer.drain()
            except ConnectionError:
                break
        return await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()


def _head(backend: RunningBackend, path: str, extra: str) -> str:
    return (
        f"POST {path} HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {backend.admin_token}\r\n"
        f"Content-Type: application/json\r\n{extra}\r\n"
    )


async def test_declared_length_over_the_limit_is_refused_at_once(backend: RunningBackend) -> None:
    # 100 MB declared, only a few bytes sent: the answer comes without waiting for the body
    head = _head(backend, "/api/procedures/validate", f"Content-Length: {100 * 1024 * 1024}\r\n")
    started = time.perf_counter()
    answer = await _raw_request(backend, head, [b'{"yaml": "'])
    assert time.perf_counter() - started < 5
    assert answer.startswith(b"HTTP/1.1 413")
    assert f"larger than {LIMIT} bytes".encode() in answer
    assert b"/api/procedures/validate" in answer


async def test_chunked_body_is_stopped_at_the_limit(backend: RunningBackend) -> None:
    chunk = b"x" * 8192
    parts = [f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" for _ in range(LIMIT // 8192 + 4)]
    head = _head(backend, "/api/procedures/validate", "Transfer-Encoding: chunked\r\n")
    answer = await _raw_request(backend, head, [*parts, b"0\r\n\r\n"])
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert f"larger than {LIMIT} bytes".encode() in answer


async def test_bodies_under_the_limit_still_work(api_client) -> None:
    response = await api_client.post("/api/procedures/validate", json={"yaml": "id: x\n"})
    assert response.status_code == 200


async def test_photo_route_has_its_own_larger_limit(
    backend: RunningBackend, api_client, tmp_path: Path
) -> None:
    # above the general limit but under the photo limit: reaches the route (404: no session)
    photo = b"\xff\xd8\xff" + b"0" * (128 * 1024)
    response = await api_client.post(
        "/api/sessions/none/photos", files={"file": ("p.jpg", photo, "image/jpeg")}
    )
    assert response.status_code == 404
    head = _head(backend, "/api/sessions/none/photos", f"Content-Length: {300 * 1024 * 1024}\r\n")
    answer = await _raw_request(backend, head, [b"--x"])
    assert answer.startswith(b"HTTP/1.1 413")
