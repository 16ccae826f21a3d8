"""Upload a diagnostics log over HTTP: PUT to the location, multipart POST if PUT is refused."""

from __future__ import annotations

import httpx


def upload_url(location: str, file_name: str) -> str:
    """A location ending in ``/`` is a folder: the file name is appended."""
    return location + file_name if location.endswith("/") else location


async def upload_log(
    client: httpx.AsyncClient, location: str, file_name: str, content: bytes
) -> bool:
    """True when the server accepted the file (2xx). Non-HTTP locations fail."""
    if not location.startswith(("http://", "https://")):
        return False
    url = upload_url(location, file_name)
    try:
        resp = await client.put(url, content=content, headers={"Content-Type": "text/plain"})
        if resp.status_code in (405, 501):
            resp = await client.post(url, files={"file": (file_name, content, "text/plain")})
    except httpx.HTTPError:
        return False
    return resp.is_success
