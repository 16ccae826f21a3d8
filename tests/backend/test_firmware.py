"""Firmware (OCPP 2.0.1 block L, 1.6 §5.19 and its security extension): UpdateFirmware as a
catalogue command through the gateway, admins only and held like a reset; every reported
state tracked in the fleet model and kept in the charger's firmware history; real sockets."""

from __future__ import annotations

from ocpp.v16 import call as call16
from sqlalchemy import select

from app.db.models import CommandRow
from app.fleet.events import FirmwareStatusChanged
from tests.chargers import connected

CERT = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n"
SIGNED = {
    "location": "https://firmware.example.com/hx-5.3.0.bin",
    "retrieve_date": "2026-12-01T02:00:00Z",
    "install_date": "2026-12-01T03:00:00+00:00",
    "signing_certificate": CERT,
    "signature": "MEUCIQDx3t1PN3l9bWx0ZXN0c2lnbmF0dXJl",
    "retries": 3,
    "retry_interval": 120,
}
# L01: a secure update's states, in order, ending in the reboot into the new firmware
SECURE_STATES = (
    "DownloadScheduled",
    "Downloading",
    "Downloaded",
    "SignatureVerified",
    "InstallScheduled",
    "Installing",
    "InstallRebooting",
    "Installed",
)


async def _firmware(api, charger_id: str) -> dict:
    r = await api.get(f"/api/chargers/{charger_id}/firmware")
    assert r.status_code == 200, r.text
    return r.json()


async def test_signed_update_201_tracked_through_every_state(backend, api_client):
    cid = "SITE-017-FW-01"
    await backend.register(cid)
    seen: list[str] = []
    backend.state.live.add_listener(
        lambda e: seen.append(e.status) if isinstance(e, FirmwareStatusChanged) else None
    )
    async with connected(backend.ocpp_url, cid, "2.0.1") as charger:
        await charger.boot()
        r = await api_client.post(f"/api/chargers/{cid}/commands/update_firmware", json=SIGNED)
        assert r.status_code == 200, r.text
        assert r.json()["ocpp_action"] == "UpdateFirmware" and r.json()["status"] == "Accepted"
        action, sent = charger.received[-1]
        assert action == "UpdateFirmware"
        assert sent["firmware"] == {
            "location": SIGNED["location"],
            "retrieve_date_time": "2026-12-01T02:00:00Z",
            "install_date_time": "2026-12-01T03:00:00Z",
            "signing_certificate": CERT,
            "signature": SIGNED["signature"],
        }
        assert sent["retries"] == 3 and sent["retry_interval"] == 120
        request_id = sent["request_id"]
        for status in SECURE_STATES:
            await charger.firmware_status(status, request_id)
            assert backend.state.live.get(cid).firmware_status == status
        assert seen == list(SECURE_STATES)  # each state reached the fleet model's listeners
        await charger.boot(model="HX-150")  # the station comes back (same test firmware name)
        await backend.state.recorder.flush()
        body = await _firmware(api_client, cid)
    assert body["status"] == "Installed" and body["failed"] is False
    assert body["version"] == "HX 5.2.7"
    history = list(reversed(body["history"]))  # oldest first
    assert [e["kind"] for e in history] == ["boot", "update_requested", *["status"] * 8, "boot"]
    assert history[1]["request_id"] == request_id
    assert history[1]["location"] == SIGNED["location"]
    assert history[1]["install_at"] == "2026-12-01T03:00:00Z"
    assert [e["status"] for e in history[2:10]] == list(SECURE_STATES)
    assert all(e["request_id"] == request_id for e in history[2:10])


async def test_firmware_version_history_from_the_boots(backend, api_client):
    cid = "SITE-017-FW-05"
    await backend.register(cid)
    async with connected(backend.ocpp_url, cid, "2.0.1") as charger:
        for version in ("HX 5.2.7", "HX 5.2.7", "HX 5.3.0", "HX 5.2.7"):  # the last: rollback
            await charger.boot(firmware=version)
        await backend.state.recorder.flush()
        body = await _firmware(api_client, cid)
    assert [(v["version"], v["boots"]) for v in body["versions"]] == [
        ("HX 5.2.7", 2),
        ("HX 5.3.0", 1),
        ("HX 5.2.7", 1),
    ]
    first = body["versions"][0]
    assert first["first_boot"] <= first["last_boot"] <= body["versions"][1]["first_boot"]


async def test_a_failed_update_is_recorded_as_failed(backend, api_client):
    cid = "SITE-017-FW-02"
    await backend.register(cid)
    async with connected(backend.ocpp_url, cid, "2.0.1") as charger:
        await charger.boot()
        for status in ("Downloading", "Downloaded", "InvalidSignature"):
            await charger.firmware_status(status, 7)
        await backend.state.recorder.flush()
        body = await _firmware(api_client, cid)
        assert body["status"] == "InvalidSignature" and body["failed"] is True
        assert [e["failed"] for e in body["history"][:3]] == [True, False, False]
        await charger.firmware_status("Idle")
        assert (await _firmware(api_client, cid))["failed"] is False


async def test_update_firmware_16_plain_and_signed(backend, api_client):
    cid = "SITE-017-FW-03"
    await backend.register(cid)
    async with connected(backend.ocpp_url, cid) as charger:
        await charger.boot()
        url = f"/api/chargers/{cid}/commands/update_firmware"
        plain = {
            "location": "ftp://fw.example.com/vt-3.5.0.bin",
            "retrieve_date": "2026-12-01T02:00:00Z",
            "retries": 2,
            "retry_interval": 60,
        }
        r = await api_client.post(url, json=plain)
        assert r.status_code == 200, r.text
        assert charger.received[-1] == (
            "UpdateFirmware",
            {
                "location": plain["location"],
                "retrieve_date": "2026-12-01T02:00:00Z",
                "retries": 2,
                "retry_interval": 60,
            },
        )
        # 1.6 has no install date outside the security extension's signed update
        r = await api_client.post(url, json={**plain, "install_date": "2026-12-02T00:00:00Z"})
        assert r.status_code == 422 and "install date" in r.text
        r = await api_client.post(url, json=SIGNED)
        assert r.status_code == 200, r.text
        action, sent = charger.received[-1]
        assert action == "SignedUpdateFirmware" and sent["firmware"]["signature"]
        # the states of the plain update arrive as FirmwareStatusNotification, the signed
        # one's as SignedFirmwareStatusNotification: both tracked
        await charger.call(call16.FirmwareStatusNotification(status="Downloading"))
        assert backend.state.live.get(cid).firmware_status == "Downloading"
        await charger.call(
            call16.SignedFirmwareStatusNotification(
                status="InstallVerificationFailed", request_id=sent["request_id"]
            )
        )
        assert backend.state.live.get(cid).firmware_status == "InstallVerificationFailed"
        await backend.state.recorder.flush()
        body = await _firmware(api_client, cid)
        assert body["failed"] is True
        assert [e["kind"] for e in body["history"][:4]] == [
            "status",
            "status",
            "update_requested",
            "update_requested",
        ]


async def test_firmware_updates_are_for_admins_and_wait_for_the_charge(backend, api_client):
    cid = "SITE-017-FW-04"
    await backend.register(cid)
    consultant = backend.token("consultant", name="casey")
    partner = backend.token("partner", name="pat", sites=("SITE-017",))
    async with connected(backend.ocpp_url, cid) as charger:
        await charger.boot()
        url = f"/api/chargers/{cid}/commands/update_firmware"
        body = {"location": "https://fw.example.com/x.bin"}
        for token in (consultant, partner):
            async with backend.client(token) as api:
                r = await api.post(url, json=body)
                assert r.status_code == 403, r.text
        await charger.call(
            call16.StartTransaction(
                connector_id=1, id_tag="T1", meter_start=0, timestamp="2026-11-30T00:00:00Z"
            )
        )
        r = await api_client.post(url, json=body)
        assert r.status_code == 409 and r.json()["detail"]["kind"] == "TransactionActive"
        # bad input is named
        for bad, word in (
            ({"location": "file:///etc/passwd"}, "location"),
            ({**body, "signature": "abc"}, "signing_certificate"),
            ({**body, "signing_certificate": "x", "signature": "abc"}, "PEM"),
            ({**body, "retrieve_date": "2026-12-01T02:00:00"}, "retrieve_date"),
        ):
            r = await api_client.post(url, json=bad)
            assert r.status_code == 422 and word in r.text, r.text
        assert charger.received == []
    await backend.state.recorder.flush()
    rows = backend.state.session_factory().scalars(
        select(CommandRow).where(CommandRow.charger_id == cid)
    )
    outcomes = [r.outcome for r in rows]
    assert outcomes.count("OutOfScope") == 2 and "TransactionActive" in outcomes  # audited
