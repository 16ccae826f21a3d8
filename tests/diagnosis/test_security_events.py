"""Security events reach diagnosis with their type; routine ones (reboots) are not evidence."""

from __future__ import annotations

from ocpp.v201 import call as call201

from app.diagnosis.engine import SECURITY_EVENT
from tests.chargers import connected, now


async def test_only_non_routine_security_events_count(backend):
    await backend.register("SITE-050-DC-01")
    service = backend.state.diagnosis
    async with connected(backend.ocpp_url, "SITE-050-DC-01", "2.0.1") as charger:
        await charger.boot()
        for _ in range(5):  # what a charger reports after every reboot
            await charger.call(
                call201.SecurityEventNotification(type="StartupOfTheDevice", timestamp=now())
            )
        await charger.call(
            call201.SecurityEventNotification(type="TamperDetectionActivated", timestamp=now())
        )
        live = backend.state.live.get("SITE-050-DC-01")
        assert live.last_security_event == "TamperDetectionActivated"
    seen = [
        o.data.get("type")
        for o in service.memory["SITE-050-DC-01"].window
        if o.kind == SECURITY_EVENT
    ]
    assert seen == ["TamperDetectionActivated"]


async def test_a04_a_reported_security_event_is_answered_stored_and_listed(backend):
    """A04 (SecurityEventNotification): answered (empty), stored with its type and techInfo,
    and listed by GET /api/security-events for consultants."""
    cid = "SITE-050-DC-02"
    await backend.register(cid)
    async with connected(backend.ocpp_url, cid, "2.0.1") as charger:
        await charger.boot()
        # queued on the station an hour before it could be sent: its own time is kept
        answer = await charger.call(
            call201.SecurityEventNotification(
                type="InvalidFirmwareSignature",
                timestamp="2026-01-02T03:04:05Z",
                tech_info="fw 2.3.1 sig",
            )
        )
        assert answer is not None
    await backend.state.recorder.flush()
    async with backend.client(backend.token("consultant")) as api:
        r = await api.get("/api/security-events", params={"charger_id": cid})
        assert r.status_code == 200, r.text
    (event,) = [e for e in r.json() if e["kind"] == "InvalidFirmwareSignature"]
    assert event["charger_id"] == cid and event["detail"] == "fw 2.3.1 sig"
    assert event["reported_at"].startswith("2026-01-02T03:04:05"), event
    assert event["ts"] > event["reported_at"]  # when the backend heard of it
