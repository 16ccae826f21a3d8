"""Firmware campaigns (OCPP 2.0.1 block L, 1.6 §5.19): one update across the chargers of one
model, a site at a time, stopped on the first failure; each charger followed through every
FirmwareStatusNotification and its boot (a boot into the old version is a rollback). Real
sockets, real database, each update through the command gateway and audited."""

from __future__ import annotations

import asyncio
import contextlib

from ocpp.v16 import call as call16
from sqlalchemy import select
from typer.testing import CliRunner

from app.cli.main import cli
from app.db.models import CommandRow
from tests.chargers import connected, eventually, now
from tests.conftest import make_settings, start_backend

UPDATE = {
    "location": "https://firmware.example.com/hx-5.3.0.bin",
    "install_date": "2026-12-01T03:00:00Z",
    "retries": 2,
    "retry_interval": 30,
}
URL = "/api/firmware/campaigns"


def _updates(charger) -> list[dict]:
    return [sent for action, sent in charger.received if action == "UpdateFirmware"]


async def _campaign(api, campaign_id: int) -> dict:
    r = await api.get(f"{URL}/{campaign_id}")
    assert r.status_code == 200, r.text
    return r.json()


def _states(body: dict) -> dict[str, str]:
    return {i["charger_id"]: i["state"] for i in body["items"]}


async def _install_201(charger, request_id: int, new_version: str) -> None:
    for status in ("Downloading", "Downloaded", "Installing", "InstallRebooting"):
        await charger.firmware_status(status, request_id)
    await charger.boot(firmware=new_version, reason="FirmwareUpdate")
    await charger.firmware_status("Installed", request_id)


async def test_201_campaign_one_site_at_a_time_until_the_first_failure(backend, api_client):
    ids = ["SITE-101-FW-A", "SITE-101-FW-B", "SITE-102-FW-A", "SITE-103-FW-X"]
    for cid in ids:
        await backend.register(cid)
    async with contextlib.AsyncExitStack() as stack:
        chargers = {}
        for cid in ids:
            chargers[cid] = await stack.enter_async_context(
                connected(backend.ocpp_url, cid, "2.0.1")
            )
            await chargers[cid].boot(model="HX-300" if cid.endswith("X") else "HX-150")
        a, b, c, x = (chargers[i] for i in ids)
        r = await api_client.post(
            URL, json={"name": "HX 5.3.0", "model": "HX-150", "update": UPDATE}
        )
        assert r.status_code == 201, r.text
        body = r.json()
        cid_ = body["id"]
        assert body["max_sites"] == 1 and body["stop_after_failures"] == 1  # the defaults
        assert sorted(i["charger_id"] for i in body["items"]) == ids[:3]  # one model only
        await eventually(lambda: _updates(a) and _updates(b))
        sent = _updates(a)[0]
        assert sent["firmware"]["install_date_time"] == "2026-12-01T03:00:00Z"
        assert sent["retries"] == 2 and sent["retry_interval"] == 30
        await eventually(
            lambda: (
                _states(_view(backend, cid_)) == {ids[0]: "sent", ids[1]: "sent", ids[2]: "pending"}
            )
        )
        assert _updates(c) == [] and _updates(x) == []  # the next site waits
        await _install_201(a, sent["request_id"], "HX 5.3.0")
        body = await _campaign(api_client, cid_)
        assert _states(body)[ids[0]] == "succeeded"
        item = next(i for i in body["items"] if i["charger_id"] == ids[0])
        assert item["old_version"] == "HX 5.2.7" and item["new_version"] == "HX 5.3.0"
        assert item["firmware_status"] == "Installed"
        assert _updates(c) == []  # site SITE-101 is still being updated (B)
        await _install_201(b, _updates(b)[0]["request_id"], "HX 5.3.0")
        await eventually(lambda: _updates(c))  # SITE-102 opens
        await c.firmware_status("Downloading", _updates(c)[0]["request_id"])
        await c.firmware_status("DownloadFailed", _updates(c)[0]["request_id"])
        body = await _campaign(api_client, cid_)
        assert _states(body) == {ids[0]: "succeeded", ids[1]: "succeeded", ids[2]: "failed"}
        assert body["status"] == "stopped" and body["failures"] == 1
        assert "DownloadFailed" in next(
            i["detail"] for i in body["items"] if i["charger_id"] == ids[2]
        )
    await backend.state.campaigns.flush()
    await backend.state.recorder.flush()
    with backend.state.session_factory() as db:
        rows = list(db.scalars(select(CommandRow).where(CommandRow.command == "update_firmware")))
    assert sorted(r.charger_id for r in rows) == ids[:3]
    assert {(r.origin, r.requested_by, r.on_behalf_of) for r in rows} == {
        ("campaign", "test-admin", f"firmware campaign {cid_}")
    }
    listed = await api_client.get(URL)
    assert [c["id"] for c in listed.json()] == [cid_] and listed.json()[0]["status"] == "stopped"


def _view(backend, campaign_id: int) -> dict:
    campaign = backend.state.campaigns.get(campaign_id)
    return {"items": [vars(i) for i in campaign.items.values()]}


async def test_16_rollback_fails_the_item_and_stops_the_rest(backend, api_client):
    ids = ["SITE-111-FW-A", "SITE-112-FW-A", "SITE-113-FW-A"]
    for cid in ids:
        await backend.register(cid)
    async with contextlib.AsyncExitStack() as stack:
        chargers = [
            await stack.enter_async_context(connected(backend.ocpp_url, cid)) for cid in ids
        ]
        for charger in chargers:
            await charger.boot()
        # the second charger is charging: its update waits for the charge to end
        await chargers[1].call(
            call16.StartTransaction(connector_id=1, id_tag="T1", meter_start=0, timestamp=now())
        )
        plain = {"location": "ftp://fw.example.com/vt-3.5.0.bin", "retries": 1}
        r = await api_client.post(
            URL,
            json={
                "name": "VT 3.5.0",
                "model": "WB-22",
                "from_version": "VT-WB 3.4.2",
                "update": plain,
                "max_sites": 2,
            },
        )
        assert r.status_code == 201, r.text
        campaign_id = r.json()["id"]
        await eventually(lambda: _updates(chargers[0]))
        await eventually(
            lambda: "waiting: " in str(_view(backend, campaign_id)["items"][1]["detail"])
        )
        assert _updates(chargers[1]) == [] and _updates(chargers[2]) == []  # 2 sites at most
        first = chargers[0]
        for status in ("Downloading", "Downloaded", "Installing"):
            await first.call(call16.FirmwareStatusNotification(status=status))
        await first.boot()  # the same version: the update did not take
        body = await _campaign(api_client, campaign_id)
        assert _states(body) == {ids[0]: "failed", ids[1]: "skipped", ids[2]: "skipped"}
        assert "rollback" in body["items"][0]["detail"]
        assert body["status"] == "stopped"
        await chargers[1].call(
            call16.StopTransaction(transaction_id=1, meter_stop=10, timestamp=now())
        )
        assert _updates(chargers[1]) == [] and _updates(chargers[2]) == []


async def test_campaigns_are_started_by_admins_with_checked_input(backend, api_client):
    cid = "SITE-121-FW-A"
    await backend.register(cid)
    consultant = backend.token("consultant", name="casey")
    async with connected(backend.ocpp_url, cid, "2.0.1") as charger:
        await charger.boot()
        spec = {"name": "x", "model": "HX-150", "update": UPDATE}
        async with backend.client(consultant) as api:
            r = await api.post(URL, json=spec)
            assert r.status_code == 403
            assert (await api.get(URL)).status_code == 200  # consultants follow them
        for bad, word in (
            ({**spec, "update": {"location": "file:///etc/passwd"}}, "location"),
            ({**spec, "model": "NOPE-1"}, "NOPE-1"),
            ({**spec, "max_sites": 0}, "max_sites"),
            ({**spec, "stop_after_failures": 0}, "stop_after_failures"),
        ):
            r = await api_client.post(URL, json=bad)
            assert r.status_code == 422 and word in r.text, r.text
        assert _updates(charger) == []
        r = await api_client.post(URL, json=spec)
        campaign_id = r.json()["id"]
        await eventually(lambda: _updates(charger))
        r = await api_client.post(f"{URL}/{campaign_id}/stop", json={"reason": "wrong file"})
        assert r.status_code == 200 and r.json()["status"] == "stopped"
        assert "wrong file" in r.json()["stop_reason"]
        r = await api_client.post(f"{URL}/{campaign_id}/stop", json={"reason": "again"})
        assert r.status_code == 409


async def test_cli_starts_shows_and_stops_a_campaign(backend):
    cid = "SITE-131-FW-A"
    await backend.register(cid)
    runner = CliRunner()
    auth = ["--api-url", backend.api_url, "--token", backend.admin_token]
    async with connected(backend.ocpp_url, cid, "2.0.1") as charger:
        await charger.boot()
        started = await asyncio.to_thread(
            runner.invoke,
            cli,
            ["firmware", "campaign", "HX 5.3.0", "--model", "HX-150", "--location",
             UPDATE["location"], "--retries", "3", *auth],
        )  # fmt: skip
        assert started.exit_code == 0, started.output
        assert "running" in started.output and cid in started.output
        await eventually(lambda: _updates(charger))
        assert _updates(charger)[0]["retries"] == 3
        campaign_id = backend.state.campaigns.list()[0].id
        shown = await asyncio.to_thread(
            runner.invoke, cli, ["firmware", "show", str(campaign_id), *auth]
        )
        assert shown.exit_code == 0 and "sent" in shown.output
        stopped = await asyncio.to_thread(
            runner.invoke,
            cli,
            ["firmware", "stop", str(campaign_id), "--reason", "bad build", *auth],
        )
        assert stopped.exit_code == 0 and "bad build" in stopped.output
        again = await asyncio.to_thread(
            runner.invoke, cli, ["firmware", "stop", str(campaign_id), "--reason", "x", *auth]
        )
        assert again.exit_code == 1 and "409" in again.output
        listed = await asyncio.to_thread(runner.invoke, cli, ["firmware", "campaigns", *auth])
        assert listed.exit_code == 0 and "stopped" in listed.output


async def test_a_charging_charger_is_updated_when_its_charge_ends(backend, api_client):
    cid = "SITE-141-FW-A"
    await backend.register(cid)
    async with connected(backend.ocpp_url, cid) as charger:
        await charger.boot()
        started = await charger.call(
            call16.StartTransaction(connector_id=1, id_tag="T1", meter_start=0, timestamp=now())
        )
        r = await api_client.post(
            URL,
            json={
                "name": "VT",
                "model": "WB-22",
                "update": {"location": "https://fw.example.com/v.bin"},
            },
        )
        assert r.status_code == 201, r.text
        campaign_id = r.json()["id"]
        await eventually(
            lambda: "waiting: " in str(_view(backend, campaign_id)["items"][0]["detail"])
        )
        assert _updates(charger) == []  # the guard holds it: a charge runs
        await charger.call(
            call16.StopTransaction(
                transaction_id=started.transaction_id, meter_stop=10, timestamp=now()
            )
        )
        await eventually(lambda: _updates(charger))  # sent once the charge ended
        await eventually(lambda: _states(_view(backend, campaign_id)) == {cid: "sent"})
    await backend.state.recorder.flush()
    with backend.state.session_factory() as db:
        outcomes = [
            r.outcome
            for r in db.scalars(select(CommandRow).where(CommandRow.charger_id == cid))
            if r.command == "update_firmware"
        ]
    assert outcomes == ["TransactionActive", "answered"]  # both attempts audited


async def test_a_charger_with_a_safety_fault_open_is_skipped_not_failed(backend, api_client):
    """The gateway refuses the update (a ground fault is open): that says nothing about the
    firmware, so the charger is skipped with the reason, the campaign (stopped at its first
    failure by default) goes on to the next site, and is completed."""
    ids = ["SITE-151-FW-A", "SITE-152-FW-A"]
    for cid in ids:
        await backend.register(cid)
    async with contextlib.AsyncExitStack() as stack:
        faulted, healthy = [
            await stack.enter_async_context(connected(backend.ocpp_url, cid)) for cid in ids
        ]
        for charger in (faulted, healthy):
            await charger.boot()
        await faulted.status(1, "Faulted", "GroundFailure")
        r = await api_client.post(
            URL,
            json={"name": "VT", "model": "WB-22", "update": {"location": "https://fw/v.bin"}},
        )
        assert r.status_code == 201, r.text
        campaign_id = r.json()["id"]
        await eventually(lambda: _updates(healthy))  # the next site opened
        assert _updates(faulted) == []
        await healthy.call(call16.FirmwareStatusNotification(status="Installed"))
        await healthy.boot(firmware="VT-WB 3.5.0")
        body = await _campaign(api_client, campaign_id)
        assert _states(body) == {ids[0]: "skipped", ids[1]: "succeeded"}
        assert body["status"] == "completed" and body["failures"] == 0
        detail = body["items"][0]["detail"]
        assert detail.startswith("not updated: ") and "safety fault is open" in detail


async def test_a_running_campaign_resumes_after_a_restart(tmp_path):
    settings = make_settings(tmp_path)
    ids = ["SITE-151-FW-A", "SITE-152-FW-A"]
    running = await start_backend(settings)
    try:
        for cid in ids:
            await running.register(cid)
        async with contextlib.AsyncExitStack() as stack:
            chargers = [
                await stack.enter_async_context(connected(running.ocpp_url, cid, "2.0.1"))
                for cid in ids
            ]
            for charger in chargers:
                await charger.boot()
            async with running.client() as api:
                r = await api.post(URL, json={"name": "HX", "model": "HX-150", "update": UPDATE})
                assert r.status_code == 201, r.text
                campaign_id = r.json()["id"]
            await eventually(lambda: _updates(chargers[0]))
            request_id = _updates(chargers[0])[0]["request_id"]
            for status in ("Downloading", "Downloaded", "Installing"):
                await chargers[0].firmware_status(status, request_id)
    finally:
        await running.backend.stop()
    running = await start_backend(settings)  # the same database
    try:
        async with contextlib.AsyncExitStack() as stack:
            first, second = [
                await stack.enter_async_context(connected(running.ocpp_url, cid, "2.0.1"))
                for cid in ids
            ]
            await first.firmware_status("InstallRebooting", request_id)
            await first.boot(firmware="HX 5.3.0", reason="FirmwareUpdate")
            await eventually(lambda: _updates(second))  # the next site opens
            async with running.client() as api:
                body = await _campaign(api, campaign_id)
            assert _states(body) == {ids[0]: "succeeded", ids[1]: "sent"}
    finally:
        await running.backend.stop()
