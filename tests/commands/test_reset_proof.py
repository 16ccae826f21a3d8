"""A reset is proven only by the charger's reports after its reboot, never by the statuses it
sent before the reset (a fault the reboot cleared still reads Faulted until the charger says
otherwise)."""

from __future__ import annotations

from app.commands.runner import baseline, effect_seen
from app.fleet.store import FleetStore

CID = "SITE-001-DC-01"


def boot(live: FleetStore) -> None:
    live.apply_boot(
        CID,
        vendor="Helion Power",
        model="HX-150",
        serial_number="S1",
        firmware_version="HX 5.2.7",
        reason="RemoteReset",
        registration_status="Accepted",
        heartbeat_interval=300,
    )


def faulted_two_connector_charger() -> FleetStore:
    live = FleetStore()
    live.set_connected(CID, "2.0.1", "node-1")
    boot(live)
    live.apply_status(CID, 1, "Available")
    live.apply_status(CID, 2, "Faulted", raw_error_code="OverCurrentFailure")
    return live


def test_a_reset_is_not_seen_until_every_connector_reported_after_the_boot() -> None:
    live = faulted_two_connector_charger()
    before = baseline(live.get(CID))
    assert not effect_seen("reset", before, live.get(CID))

    boot(live)  # the reboot: connector 2 still holds its pre-reset Faulted
    assert live.get(CID).connectors[2].status == "Faulted"
    assert not effect_seen("reset", before, live.get(CID))

    live.apply_status(CID, 1, "Available")
    assert not effect_seen("reset", before, live.get(CID))  # connector 2 has not spoken

    live.apply_status(CID, 2, "Available")
    assert effect_seen("reset", before, live.get(CID))


def test_reports_before_the_boot_do_not_count() -> None:
    live = faulted_two_connector_charger()
    before = baseline(live.get(CID))
    live.apply_status(CID, 1, "Available")
    live.apply_status(CID, 2, "Faulted", raw_error_code="OverCurrentFailure")
    boot(live)
    assert live.get(CID).reported_since_boot == set()
    assert not effect_seen("reset", before, live.get(CID))


def test_a_reset_is_not_seen_while_the_charger_is_offline() -> None:
    live = faulted_two_connector_charger()
    before = baseline(live.get(CID))
    boot(live)
    live.apply_status(CID, 1, "Available")
    live.apply_status(CID, 2, "Available")
    live.set_disconnected(CID)
    assert not effect_seen("reset", before, live.get(CID))
