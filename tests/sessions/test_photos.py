"""Photos taken during a session: stored by the backend, visible with the session's rights."""

from __future__ import annotations

from tests.chargers import connected
from tests.sessions.test_sessions_api import CHARGER, _close, _faulted_charger, _setup, _start

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def test_photo_upload_view_and_rights(backend):
    clients = await _setup(backend)
    try:
        async with connected(backend.ocpp_url, CHARGER) as charger:
            await _faulted_charger(charger)
            session = await _start(clients["partner"])
            upload = await clients["partner"].post(
                f"/api/sessions/{session['id']}/photos",
                files={"file": ("cable.png", PNG, "image/png")},
            )
            assert upload.status_code == 201, upload.text
            url = upload.json()["url"]
            assert (await clients["partner"].get(url)).content == PNG
            assert (await clients["consultant"].get(url)).status_code == 200
            assert (await clients["other_partner"].get(url)).status_code == 404  # as if missing
            assert (await clients["editor"].get(url)).status_code == 403
            not_image = await clients["partner"].post(
                f"/api/sessions/{session['id']}/photos",
                files={"file": ("x.png", b"<script>alert(1)</script>", "image/png")},
            )
            assert not_image.status_code == 415
            stranger = await clients["other_partner"].post(
                f"/api/sessions/{session['id']}/photos",
                files={"file": ("cable.png", PNG, "image/png")},
            )
            assert stranger.status_code == 404
            traversal = await clients["partner"].get(
                f"/api/sessions/{session['id']}/photos/..%2F..%2Fchargefix.db"
            )
            assert traversal.status_code == 404
    finally:
        await _close(clients)
