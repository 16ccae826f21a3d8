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
