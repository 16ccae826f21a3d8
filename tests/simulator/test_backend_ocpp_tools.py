"""The simulated fleet against the real backend with the troubleshooter's tools (issue 17):
a signed firmware update through the REST API, every state and the new version's boot in
the charger's firmware history; a remote start with a registered test token."""

from __future__ import annotations

from app.simulator.config import FleetConfig
from app.simulator.fleet import Fleet
from tests.chargers import eventually
from tests.conftest import TEST_CHARGER_PASSWORD
from tests.simulator.conftest import plan

CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


async def test_firmware_update_and_test_charge_on_simulated_chargers(backend, api_client, tmp_path):
    p201, p16 = plan("helion_hx150", "2.0.1", site=42), plan("northwind_duo", "1.6", site=43)
    for p in (p201, p16):
        await backend.register(p.charger_id)
    await backend.register_id_token("CHARGEFIX-TEST")
    config = FleetConfig(
        csms_url=backend.ocpp_url,
        speed=100,
        shared_password=TEST_CHARGER_PASSWORD,
        ground_truth_path=tmp_path / "truth.jsonl",
        outcomes="ideal",  # the update installs (field mode may draw a failure)
    )
    async with Fleet(config, plans=[p201, p16]) as fleet:
        await fleet.wait_online(timeout=15)
        ch201, ch16 = fleet.charger(p201.charger_id), fleet.charger(p16.charger_id)
        r = await api_client.post(
            f"/api/chargers/{p201.charger_id}/commands/update_firmware",
            json={
                "location": "https://fw.example.com/hx-5.3.0.bin",
                "signing_certificate": CERT,
                "signature": "c2ln",
            },
        )
        assert r.status_code == 200 and r.json()["status"] == "Accepted", r.text
        await ch201.wait_for(lambda s: s.boot_count == 2 and s.online and s.outbox == 0, 10)
        await backend.state.recorder.flush()
        body = (await api_client.get(f"/api/chargers/{p201.charger_id}/firmware")).json()
        assert body["status"] == "Installed" and body["version"] == "hx-5.3.0"
        statuses = [e["status"] for e in reversed(body["history"]) if e["kind"] == "status"]
        assert statuses == [
            "Downloading",
            "Downloaded",
            "SignatureVerified",
            "Installing",
            "InstallRebooting",
            "Installed",
        ]
        assert body["history"][0] == {**body["history"][0], "kind": "boot", "version": "hx-5.3.0"}

        r = await api_client.post(
            f"/api/chargers/{p16.charger_id}/commands/remote_start",
            json={"id_token": "CHARGEFIX-TEST", "connector_id": 1},
        )
        assert r.status_code == 200 and r.json()["status"] == "Accepted", r.text
        await ch16.wait_for(lambda s: s.outbox == 0 and s.connector(1).transaction, 10)
        assert await backend.state.live.wait_for(
            p16.charger_id, lambda st: st is not None and st.transaction_on(1) is not None, 10
        )
        tx = backend.state.live.get(p16.charger_id).transaction_on(1)
        assert tx.id_tag == "CHARGEFIX-TEST"


async def test_variables_split_to_the_simulated_stations_limit(backend, api_client, tmp_path):
    p = plan("helion_hx150", "2.0.1", site=44)
    await backend.register(p.charger_id)
    config = FleetConfig(
        csms_url=backend.ocpp_url,
        speed=100,
        shared_password=TEST_CHARGER_PASSWORD,
        ground_truth_path=tmp_path / "truth.jsonl",
    )
    async with Fleet(config, plans=[p]):
        assert await backend.state.live.wait_for(
            p.charger_id, lambda st: st is not None and st.boot_count >= 1, 15
        )
        names = ["HeartbeatInterval", "OfflineThreshold"] * 10  # 20 > ItemsPerMessage 16
        r = await api_client.post(
            f"/api/chargers/{p.charger_id}/commands/get_variables",
            json={"variables": [{"component": "OCPPCommCtrlr", "variable": n} for n in names]},
        )
        assert r.status_code == 200, r.text
        assert [len(part["getVariableData"]) for part in r.json()["request"]["requests"]] == [
            16,
            4,
        ]
        assert len(r.json()["response"]["getVariableResult"]) == 20


async def test_firmware_campaign_on_simulated_chargers_stops_at_a_rollback(
    backend, api_client, tmp_path
):
    plans = [plan("helion_hx150", "2.0.1", site=s) for s in (51, 52, 53)]
    for p in plans:
        await backend.register(p.charger_id)
    config = FleetConfig(
        csms_url=backend.ocpp_url,
        speed=100,
        shared_password=TEST_CHARGER_PASSWORD,
        ground_truth_path=tmp_path / "truth.jsonl",
    )
    async with Fleet(config, plans=plans) as fleet:
        await fleet.wait_online(timeout=15)
        r = await api_client.post(
            "/api/firmware/campaigns",
            json={
                "name": "HX rollback",
                "model": "HX-150",
                "update": {"location": "https://fw.example.com/hx-rolls-back.bin"},
            },
        )
        assert r.status_code == 201, r.text
        campaign_id = r.json()["id"]
        campaigns = backend.state.campaigns
        first = fleet.charger(plans[0].charger_id)
        await first.wait_for(lambda s: s.boot_count == 2 and s.online and s.outbox == 0, 10)
        assert campaigns.get(campaign_id).status == "stopped"
        body = (await api_client.get(f"/api/firmware/campaigns/{campaign_id}")).json()
        states = {i["charger_id"]: i["state"] for i in body["items"]}
        assert states == {
            plans[0].charger_id: "failed",
            plans[1].charger_id: "skipped",
            plans[2].charger_id: "skipped",
        }
        assert "rollback" in body["items"][0]["detail"]
        assert body["items"][0]["firmware_status"] == "Installed"  # it said so, and was wrong


async def test_password_rotation_on_simulated_chargers(backend, api_client, tmp_path):
    plans = [plan("helion_hx150", "2.0.1", site=61), plan("voltara_wb22", "1.6", site=62)]
    for p in plans:
        await backend.register(p.charger_id)
    config = FleetConfig(
        csms_url=backend.ocpp_url,
        speed=100,
        shared_password=TEST_CHARGER_PASSWORD,
        ground_truth_path=tmp_path / "truth.jsonl",
    )
    directory = backend.state.directory
    async with Fleet(config, plans=plans) as fleet:
        await fleet.wait_online(timeout=15)
        for p in plans:
            sim = fleet.charger(p.charger_id)
            r = await api_client.post(
                f"/api/chargers/{p.charger_id}/commands/rotate_basic_auth_password", json={}
            )
            assert r.status_code == 200 and r.json()["status"] == "Accepted", r.text
            # the charger reconnects with the new password: the backend adopts it
            await eventually(lambda cid=p.charger_id: directory.cached(cid).pending_hash is None)
            assert sim.basic_auth_password and sim.basic_auth_password != TEST_CHARGER_PASSWORD
            assert await backend.state.live.wait_for(
                p.charger_id, lambda st: st is not None and st.online, 10
            )
            assert directory.login(directory.cached(p.charger_id), TEST_CHARGER_PASSWORD) is None
            assert directory.login(directory.cached(p.charger_id), sim.basic_auth_password)


async def test_a_commissioning_station_waits_pending_until_activated(backend, api_client, tmp_path):
    """B02: a simulated station answered Pending boots again after the interval; the CSMS
    may ask it for its inventory meanwhile; once active, its next boot is Accepted."""
    p = plan("helion_hx150", "2.0.1", site=45)
    await backend.register(p.charger_id)
    r = await api_client.put(
        f"/api/chargers/{p.charger_id}/status", json={"status": "commissioning"}
    )
    assert r.status_code == 200, r.text
    config = FleetConfig(
        csms_url=backend.ocpp_url,
        speed=100,
        shared_password=TEST_CHARGER_PASSWORD,
        ground_truth_path=tmp_path / "truth.jsonl",
    )
    live = backend.state.live
    async with Fleet(config, plans=[p]) as fleet:
        assert await live.wait_for(
            p.charger_id, lambda st: st is not None and st.registration_status == "Pending", 15
        )
        r = await api_client.post(
            f"/api/chargers/{p.charger_id}/commands/get_base_report",
            json={"report_base": "FullInventory"},
        )
        assert r.status_code == 200 and r.json()["status"] == "Accepted", r.text
        r = await api_client.post(
            f"/api/chargers/{p.charger_id}/commands/reset", json={"type": "soft"}
        )
        assert r.status_code == 409, r.text
        assert fleet.charger(p.charger_id).boot_count == 0  # still booting
        r = await api_client.put(f"/api/chargers/{p.charger_id}/status", json={"status": "active"})
        assert r.status_code == 200, r.text
        await fleet.wait_online(timeout=15)  # the retry after the interval is Accepted
        assert live.get(p.charger_id).registration_status == "Accepted"
        ch = fleet.charger(p.charger_id)
        await ch.wait_for(lambda s: s.outbox == 0, 10)
    await backend.state.recorder.flush()
    r = await api_client.get(f"/api/chargers/{p.charger_id}/inventory")
    (report,) = r.json()["reports"]
    assert report["report_base"] == "FullInventory" and len(report["items"]) >= 10


async def test_network_profile_on_a_simulated_station(backend, api_client, tmp_path):
    """B09: the simulated 2.0.1 station stores an accepted profile in its slot and rejects
    one below the security profile it runs (1), as a station never lowers it (A05)."""
    p = plan("helion_hx150", "2.0.1", site=45)
    await backend.register(p.charger_id)
    config = FleetConfig(
        csms_url=backend.ocpp_url,
        speed=100,
        shared_password=TEST_CHARGER_PASSWORD,
        ground_truth_path=tmp_path / "truth.jsonl",
    )
    async with Fleet(config, plans=[p]) as fleet:
        await fleet.wait_online(timeout=15)
        profile = {
            "configuration_slot": 1,
            "ocpp_csms_url": "ws://csms-b.example.com/ocpp",
            "security_profile": 1,
            "ocpp_interface": "Wireless0",
        }
        url = f"/api/chargers/{p.charger_id}/commands/set_network_profile"
        r = await api_client.post(url, json=profile)
        assert r.status_code == 200 and r.json()["status"] == "Accepted", r.text
        stored = fleet.charger(p.charger_id).network_profiles[1]
        assert stored["ocpp_csms_url"] == "ws://csms-b.example.com/ocpp"
        assert stored["ocpp_interface"] == "Wireless0"
        r = await api_client.post(
            url, json={**profile, "configuration_slot": 2, "security_profile": 0}
        )
        assert r.status_code == 200 and r.json()["status"] == "Rejected", r.text
        assert 2 not in fleet.charger(p.charger_id).network_profiles
