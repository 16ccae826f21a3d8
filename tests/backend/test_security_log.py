"""GetLog with SecurityLog beside DiagnosticsLog (OCPP 2.0.1 N01; 1.6 security whitepaper
GetLog), with the time window, uploaded to this backend and tracked by LogStatusNotification."""

from __future__ import annotations

import httpx
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from tests.chargers import connected

WINDOW = {"oldest": "2026-11-29T00:00:00Z", "latest": "2026-11-30T00:00:00+00:00"}


async def test_security_log_201_uploaded_and_tracked(backend, api_client):
    cid = "SITE-017-LOG-01"
    await backend.register(cid)
    async with connected(backend.ocpp_url, cid, "2.0.1") as charger:
        await charger.boot()
        r = await api_client.post(
            f"/api/chargers/{cid}/commands/get_diagnostics",
            json={"log_type": "SecurityLog", **WINDOW},
        )
        assert r.status_code == 200, r.text
        action, sent = charger.received[-1]
        assert action == "GetLog" and sent["log_type"] == "SecurityLog"
        assert sent["log"]["oldest_timestamp"] == "2026-11-29T00:00:00Z"
        assert sent["log"]["latest_timestamp"] == "2026-11-30T00:00:00Z"
        location = sent["log"]["remote_location"]
        for status in ("Uploading", "Uploaded"):
            await charger.call(
                call201.LogStatusNotification(status=status, request_id=sent["request_id"])
            )
            assert backend.state.live.get(cid).diagnostics_status == status
        async with httpx.AsyncClient() as plain:
            assert (await plain.put(location, content=b"sec event\n")).status_code == 201
        await backend.state.recorder.flush()
        uploads = (await api_client.get(f"/api/chargers/{cid}/diagnostics")).json()
        assert uploads[0]["status"] == "uploaded"
        # tracked by its requestId: the charger's own status beside the file's
        assert uploads[0]["log_type"] == "SecurityLog"
        assert uploads[0]["request_id"] == sent["request_id"]
        assert uploads[0]["charger_status"] == "Uploaded"
        assert uploads[0]["charger_status_at"] is not None


async def test_16_security_log_uses_the_security_extension(backend, api_client):
    cid = "SITE-017-LOG-02"
    await backend.register(cid)
    async with connected(backend.ocpp_url, cid) as charger:
        await charger.boot()
        url = f"/api/chargers/{cid}/commands/get_diagnostics"
        r = await api_client.post(url, json={"log_type": "SecurityLog"})
        assert r.status_code == 200, r.text
        action, sent = charger.received[-1]
        assert action == "GetLog" and sent["log_type"] == "SecurityLog"
        await charger.call(
            call16.LogStatusNotification(status="UploadFailure", request_id=sent["request_id"])
        )
        assert backend.state.live.get(cid).diagnostics_status == "UploadFailure"
        r = await api_client.post(url, json=WINDOW)  # the diagnostics log stays GetDiagnostics
        assert r.status_code == 200, r.text
        action, sent = charger.received[-1]
        assert action == "GetDiagnostics"
        assert sent["start_time"] == "2026-11-29T00:00:00Z"
        assert sent["stop_time"] == "2026-11-30T00:00:00Z"
        # 1.6 DiagnosticsStatusNotification names no request: the latest DiagnosticsLog upload
        await charger.call(call16.DiagnosticsStatusNotification(status="Uploading"))
        await backend.state.recorder.flush()
        uploads = (await api_client.get(f"/api/chargers/{cid}/diagnostics")).json()
        assert [(u["log_type"], u["charger_status"]) for u in uploads] == [
            ("DiagnosticsLog", "Uploading"),
            ("SecurityLog", "UploadFailure"),
        ]
        bad = await api_client.post(url, json={"log_type": "AuditLog"})
        assert bad.status_code == 422 and "log_type" in bad.text
