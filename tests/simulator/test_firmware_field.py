"""Firmware updates that fail in the field (issue 15): in field mode an update with no steering
word in its name fails with the odds of ``FIELD_ODDS`` (download, rollback, boot loop), the
same draws in every benchmark arm; a boot-looping image leaves the charger in the fault
``firmware_boot_failure`` until a site visit."""

from __future__ import annotations

import random

from ocpp.v201 import call as c201

from app.simulator.firmware_updates import FIELD_ODDS, field_failure, outcome
from tests.simulator.conftest import plan
from tests.simulator.mini_csms import MiniCSMS


def test_field_failures_follow_their_odds() -> None:
    rng = random.Random(7)
    draws = [field_failure(rng) for _ in range(40_000)]
    for failure, p in FIELD_ODDS:
        share = draws.count(failure) / len(draws)
        assert abs(share - p) < 0.006, (failure, share, p)
    assert draws.count(None) / len(draws) > 0.9


def test_a_drawn_failure_shapes_the_update_and_a_steering_name_wins() -> None:
    plain = "https://fw.example.com/hx-5.3.0.bin"
    assert outcome(plain, signed=False).installed_version == "hx-5.3.0"
    rolled = outcome(plain, signed=False, drawn="rolls-back")
    assert rolled.installed_version is None and rolled.reboots and not rolled.boot_loop
    assert rolled.states[-1] == "Installed"  # reports Installed, then boots the old image
    looped = outcome(plain, signed=False, drawn="boot-loops")
    assert looped.boot_loop and "Installed" not in looped.states
    core16 = outcome(plain, signed=False, core16=True, drawn="download-fails")
    assert core16.states == ("Downloading", "DownloadFailed")
    steered = outcome("https://fw.example.com/x-install-fails.bin", signed=False, drawn=None)
    assert steered.states[-1] == "InstallationFailed"


async def test_field_draws_are_the_same_for_the_same_seed(csms: MiniCSMS, make_fleet) -> None:
    p = plan("northwind_duo", "1.6")

    async def draws(seed: int) -> list[str]:
        fleet = await make_fleet([p], outcomes="field", seed=seed)
        charger = fleet.charger(p.charger_id)
        results = [
            charger.firmware_outcome("https://fw.example.com/nw.bin", signed=False, core16=True)
            for _ in range(300)
        ]
        await fleet.stop()
        return [r.states[-1] + ("/loop" if r.boot_loop else "") for r in results]

    first, again, other = await draws(3), await draws(3), await draws(4)
    assert first == again
    assert first != other
    failed = [s for s in first if s != "Installed"]
    assert 0 < len(failed) < 60  # about 8 % of 300 fail, a few loop
    assert "Installed" in first


async def test_201_update_into_a_boot_loop(csms: MiniCSMS, make_fleet) -> None:
    p = plan("helion_hx150", "2.0.1")
    fleet = await make_fleet([p])
    await csms.wait_message(p.charger_id, "BootNotification")
    mark = csms.mark(p.charger_id)
    firmware = {
        "location": "https://fw.example.com/hx-5.3.0-boot-loops.bin",
        "retrieve_date_time": "2026-12-01T02:00:00Z",
    }
    answer = await csms.command(p.charger_id, c201.UpdateFirmware(request_id=4, firmware=firmware))
    assert answer.status == "Accepted"
    booted = await csms.wait_message(p.charger_id, "BootNotification", after=mark)
    assert booted["charging_station"]["firmware_version"] == "HX 5.2.7"  # the new one never ran
    states = [m["status"] for m in csms.of(p.charger_id, "FirmwareStatusNotification")]
    assert states == ["Downloading", "Downloaded", "Installing", "InstallRebooting"]
    charger = fleet.charger(p.charger_id)
    assert ("firmware_boot_failure", 0) in charger.faults
    truth = charger.ctx.truth.tail(0, charger_id=p.charger_id)
    update = next(t for t in truth if t["kind"] == "firmware_update")
    assert update["boot_loop"] is True and update["installed"] is None
    injected = [t for t in truth if t.get("fault") == "firmware_boot_failure"]
    assert injected and injected[0]["source"] == "firmware-update", injected
