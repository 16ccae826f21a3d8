"""BootNotification Pending (a charger being commissioned) and Rejected (a blocked charger):
the interval, what such a charger may send (B02.FR.09, B03.FR.07: anything else is answered
with a CALLERROR SecurityError) and what the CSMS may send it (2.0.1 B02; 1.6 §4.2); the
status set by admins through the API and the CLI; real sockets."""

from __future__ import annotations

import asyncio

import pytest
from ocpp.exceptions import SecurityError
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201
from typer.testing import CliRunner

from app.cli.main import cli
from tests.chargers import connected, now


async def _status(api, cid: str, status: str) -> dict:
    r = await api.put(f"/api/chargers/{cid}/status", json={"status": status})
    assert r.status_code == 200, r.text
    return r.json()


async def test_commissioning_201_is_pending_until_activated(backend, api_client):
    cid = "SITE-017-REG-01"
    await backend.register(cid)
    assert (await _status(api_client, cid, "commissioning"))["boot_answer"] == "Pending"
    settings = backend.state.settings
    async with connected(backend.ocpp_url, cid, "2.0.1") as charger:
        answer = await charger.boot()
        assert (answer.status, answer.interval) == ("Pending", settings.boot_retry_interval)
        # B02.FR.09: nothing the CSMS did not ask for
        with pytest.raises(SecurityError):
            await charger.call(call201.Heartbeat(), suppress=False)
        with pytest.raises(SecurityError):
            await charger.call(
                call201.StatusNotification(
                    timestamp=now(), connector_status="Available", evse_id=1, connector_id=1
                ),
                suppress=False,
            )
        # B02: the CSMS may read and configure it, ask for reports and trigger messages
        url = f"/api/chargers/{cid}/commands"
        r = await api_client.post(f"{url}/reset", json={"type": "soft"})
        assert r.status_code == 409 and "Pending" in r.text, r.text
        r = await api_client.post(
            f"{url}/set_variables",
            json={
                "variables": [
                    {"component": "OCPPCommCtrlr", "variable": "HeartbeatInterval", "value": "90"}
                ]
            },
        )
        assert r.status_code == 200, r.text
        charger.inventory = [
            {
                "component": {"name": "OCPPCommCtrlr"},
                "variable": {"name": "HeartbeatInterval"},
                "variable_attribute": [{"value": "90"}],
            }
        ]
        r = await api_client.post(f"{url}/get_base_report", json={"report_base": "FullInventory"})
        assert r.status_code == 200, r.text
        await charger.wait_report(r.json()["request"]["requestId"])  # NotifyReport accepted
        r = await api_client.post(
            f"{url}/trigger_message", json={"message": "StatusNotification", "evse_id": 1}
        )
        assert r.status_code == 200, r.text
        await charger.status(1, "Available")  # asked for: answered, not refused
        # activated: its next BootNotification is Accepted and it may send anything
        await _status(api_client, cid, "active")
        answer = await charger.boot()
        assert (answer.status, answer.interval) == ("Accepted", settings.heartbeat_interval)
        await charger.call(call201.Heartbeat(), suppress=False)
        r = await api_client.post(f"{url}/reset", json={"type": "soft"})
        assert r.status_code == 200, r.text
    await backend.state.recorder.flush()
    r = await api_client.get(f"/api/chargers/{cid}/inventory")
    assert len(r.json()["reports"][0]["items"]) == 1


async def test_blocked_16_is_rejected_and_sent_nothing(backend, api_client):
    cid = "SITE-017-REG-02"
    await backend.register(cid)
    await _status(api_client, cid, "blocked")
    async with connected(backend.ocpp_url, cid, "1.6") as charger:
        answer = await charger.boot()
        assert answer.status == "Rejected"
        assert answer.interval == backend.state.settings.boot_retry_interval
        with pytest.raises(SecurityError):  # B03.FR.07
            await charger.call(call16.Heartbeat(), suppress=False)
        for command, params in (
            ("trigger_message", {"message": "StatusNotification"}),
            ("get_configuration", {}),
        ):
            r = await api_client.post(f"/api/chargers/{cid}/commands/{command}", json=params)
            assert r.status_code == 409 and "Rejected" in r.text, r.text
        assert charger.received == []
    r = await api_client.get(f"/api/chargers/{cid}")
    assert r.json()["registration_status"] == "Rejected"


async def test_pending_16_may_not_start_or_stop_remotely(backend, api_client):
    cid = "SITE-017-REG-03"
    await backend.register(cid)
    await _status(api_client, cid, "commissioning")
    async with connected(backend.ocpp_url, cid, "1.6") as charger:
        assert (await charger.boot()).status == "Pending"
        url = f"/api/chargers/{cid}/commands"
        r = await api_client.post(f"{url}/remote_start", json={"id_token": "TAG-1"})
        assert r.status_code == 409, r.text  # OCPP 1.6 §4.2
        r = await api_client.post(
            f"{url}/change_configuration", json={"key": "HeartbeatInterval", "value": "120"}
        )
        assert r.status_code == 200, r.text


async def test_only_admins_set_the_status_and_the_cli_does(backend, api_client):
    cid = "SITE-017-REG-04"
    await backend.register(cid)
    consultant = backend.token("consultant", name="casey")
    async with backend.client(token=consultant) as api:
        r = await api.put(f"/api/chargers/{cid}/status", json={"status": "blocked"})
        assert r.status_code == 403
    r = await api_client.put(f"/api/chargers/{cid}/status", json={"status": "paused"})
    assert r.status_code == 422 and "status" in r.text
    r = await api_client.put("/api/chargers/NOPE-1/status", json={"status": "active"})
    assert r.status_code == 404
    runner = CliRunner()
    args = ["--api-url", backend.api_url, "--token", backend.admin_token]
    result = await asyncio.to_thread(
        runner.invoke, cli, ["chargers", "status", cid, "blocked", *args]
    )
    assert result.exit_code == 0, result.output
    assert "answered Rejected" in result.output
    assert backend.state.csms.directory.status_of(cid) == "blocked"
