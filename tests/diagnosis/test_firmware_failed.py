"""A failed firmware update is a finding (issue 13): FirmwareStatusNotification with a failure
status (1.6 DownloadFailed / InstallationFailed; 2.0.1 also InstallVerificationFailed and
InvalidSignature) -> the maker's problem, logs collected, no reset, and a hand-off that names
the firmware version before the update and now. Both OCPP versions, real backend."""

from __future__ import annotations

import asyncio

import pytest
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from tests.chargers import eventually
from tests.diagnosis.test_real_faces import FAST, charger_at, closed, commands, rows


@pytest.mark.parametrize(
    ("version", "failure"),
    [("1.6", "InstallationFailed"), ("1.6", "DownloadFailed"), ("2.0.1", "InvalidSignature")],
)
async def test_failed_firmware_update_is_escalated_with_versions(
    make_backend, version: str, failure: str
) -> None:
    backend = await make_backend(**FAST)
    cid = f"SITE-88{['1.6', '2.0.1'].index(version)}-DC-0{len(failure) % 9 + 1}"
    async with charger_at(backend, cid, version) as charger:
        before = backend.state.live.get(cid).firmware_version
        if version == "1.6":
            await charger.status(1, "Available")
            for status in ("Downloading", failure):
                await charger.call(call16.FirmwareStatusNotification(status=status))
        else:
            await charger.status(1, "Available")
            for status in ("Downloading", "Downloaded", failure):
                await charger.firmware_status(status, request_id=1)
        row = await eventually(lambda: closed(backend, cid), timeout=20)
        assert (row.rule_id, row.status) == ("firmware-update-failed", "escalated")
        assert row.responsible == "charger_maker"
        note = row.outcome_note or ""
        assert f"Firmware update {failure}" in note
        assert f"version before the update {before}, now {before} (unchanged" in note
        sent = [c.command for c in await commands(backend, cid) if c.origin == "diagnosis"]
        assert "get_diagnostics" in sent and "reset" not in sent
        assert "Reset" not in [name for name, _ in charger.received]


async def test_a_successful_update_is_no_finding(make_backend) -> None:
    backend = await make_backend(**FAST)
    async with charger_at(backend, "SITE-889-DC-01") as charger:
        await charger.status(1, "Available")
        for status in ("Downloading", "Downloaded", "Installing", "Installed"):
            await charger.call(call16.FirmwareStatusNotification(status=status))
        await asyncio.sleep(1.0)
        assert "firmware-update-failed" not in [r.rule_id for r in rows(backend, "SITE-889-DC-01")]


async def reboot_201(charger, firmware: str) -> None:  # type: ignore[no-untyped-def]
    await charger.call(
        call201.BootNotification(
            charging_station={
                "model": "Everest-DC",
                "vendor_name": "Pionix",
                "firmware_version": firmware,
            },
            reason="FirmwareUpdate",
        )
    )
    await charger.status(1, "Available")


@pytest.mark.parametrize(("firmware", "rolled_back"), [("HX 5.2.7", True), ("HX 5.3.0", False)])
async def test_reboot_after_install_on_the_old_version_is_a_rollback(
    make_backend, firmware: str, rolled_back: bool
) -> None:
    """2.0.1 L01: InstallRebooting, then the station boots. Still on the version it had:
    the new image was rolled back (a finding). On the new version: a good update."""
    backend = await make_backend(**FAST)
    cid = f"SITE-89{int(rolled_back)}-DC-01"
    async with charger_at(backend, cid, "2.0.1") as charger:
        await charger.status(1, "Available")
        before = backend.state.live.get(cid).firmware_version
        assert before == "HX 5.2.7"
        for status in ("Downloading", "Downloaded", "Installing", "InstallRebooting"):
            await charger.firmware_status(status, request_id=3)
        await reboot_201(charger, firmware)
        if not rolled_back:
            await charger.firmware_status("Installed", request_id=3)
            await asyncio.sleep(1.0)
            assert "firmware-update-failed" not in [r.rule_id for r in rows(backend, cid)]
            return
        row = await eventually(lambda: closed(backend, cid), timeout=20)
        assert (row.rule_id, row.status) == ("firmware-update-failed", "escalated")
        note = row.outcome_note or ""
        assert "rolled back (rebooted on the old version)" in note
        assert "version before the update HX 5.2.7, now HX 5.2.7" in note
