"""End to end against the real ChargeFix backend: fault injected in the simulator, seen in the
backend's live state over its REST API, cleared by a reset sent through that REST API."""

from __future__ import annotations

from app.simulator.config import FleetConfig
from app.simulator.fleet import Fleet
from tests.conftest import TEST_CHARGER_PASSWORD
from tests.simulator.conftest import plan


async def _live(client, charger_id: str) -> dict:
    resp = await client.get(f"/api/chargers/{charger_id}")
    assert resp.status_code == 200, resp.text
    return resp.json()


async def test_fault_seen_in_backend_and_cleared_by_rest_reset(backend, api_client, tmp_path):
    p16, p201 = plan("voltara_wb22", "1.6", site=40), plan("kestrel_kx300", "2.0.1", site=41)
    for p in (p16, p201):
        await backend.register(p.charger_id)
    config = FleetConfig(
        outcomes="ideal",  # these tests assume deterministic outcomes
        csms_url=backend.ocpp_url,
        speed=100,
        shared_password=TEST_CHARGER_PASSWORD,
        ground_truth_path=tmp_path / "truth.jsonl",
    )
    async with Fleet(config, plans=[p16, p201]) as fleet:
        await fleet.wait_online(timeout=15)
        ch16, ch201 = fleet.charger(p16.charger_id), fleet.charger(p201.charger_id)
        ch16.inject_now("firmware_hang")
        ch201.inject_now("stuck_process")
        for ch in (ch16, ch201):
            await ch.wait_for(lambda s: s.outbox == 0, timeout=5)

        live = await _live(api_client, p16.charger_id)
        assert live["connectors"]["0"]["status"] == "Faulted"
        assert live["connectors"]["0"]["error_code"] == "InternalError"
        assert live["connectors"]["0"]["vendor_error_code"] == "E-201"
        assert live["open_faults"]
        live = await _live(api_client, p201.charger_id)
        assert live["open_faults"], live

        for p, reset_type in ((p16, "soft"), (p201, "hard")):
            resp = await api_client.post(
                f"/api/chargers/{p.charger_id}/commands/reset", json={"type": reset_type}
            )
            assert resp.status_code == 200, resp.text
            assert resp.json()["status"] == "Accepted"
        for ch in (ch16, ch201):
            await ch.wait_for(lambda s: s.boot_count == 2 and s.online and s.outbox == 0, 10)
            assert not ch.true_state().faults
        live = await _live(api_client, p16.charger_id)
        assert live["connectors"]["0"]["error_code"] == "NoError"
        assert live["open_faults"] == []
        cleared = fleet.truth.tail(kind="fault_cleared")
        assert {(c["charger_id"], c["how"]) for c in cleared} == {
            (p16.charger_id, "soft_reset"),
            (p201.charger_id, "hard_reset"),
        }
        commands = fleet.truth.tail(kind="command")
        assert {c["action"] for c in commands} >= {"Reset"}
        live = await _live(api_client, p201.charger_id)
        assert live["open_faults"] == [], live
