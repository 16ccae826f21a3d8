"""Live state survives a backend restart and is refreshed when chargers reconnect."""

from __future__ import annotations

from tests.chargers import connected, eventually
from tests.conftest import make_settings, start_backend


async def test_state_survives_restart_and_refreshes_on_reconnect(tmp_path):
    settings = make_settings(tmp_path, refresh_state_on_connect=True, recorder_mode="process")
    first = await start_backend(settings)
    await first.register("SITE-010-AC-01")
    async with connected(first.ocpp_url, "SITE-010-AC-01") as charger:
        await charger.boot()
        await charger.status(1, "Faulted", "InternalError", vendor_error_code="E-201")
    await first.backend.stop()

    second = await start_backend(make_settings(tmp_path, refresh_state_on_connect=True))
    try:
        state = second.state.live.get("SITE-010-AC-01")
        assert state is not None and not state.online
        assert state.vendor == "Voltara"
        assert state.connectors[1].error_code == "InternalError"
        assert [f.error_code for f in state.open_faults] == ["InternalError"]
        async with connected(second.ocpp_url, "SITE-010-AC-01") as charger:
            # no BootNotification (the charger did not reboot): the backend asks for status
            await eventually(
                lambda: (
                    ("TriggerMessage", {"requested_message": "StatusNotification"})
                    in charger.received
                ),
                timeout=8,
            )
            await charger.status(1, "Available")
            assert second.state.live.get("SITE-010-AC-01").open_faults == []
    finally:
        await second.backend.stop()
