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


async def test_the_drain_before_a_reset_with_a_simulated_16_charger(backend, api_client, tmp_path):
    """The real backend drains a simulated 1.6 charger (app/commands/drain.py): a driver who
    starts as the drain arrives keeps charging (Scheduled, no Reset); an idle charger is
    reset and put back in service after its boot; a connector that was Inoperative stays so."""
    p = plan("northwind_duo", "1.6", site=42)
    await backend.register(p.charger_id)
    await backend.register_id_token("TAG-RACE")
    config = FleetConfig(
        outcomes="ideal",
        csms_url=backend.ocpp_url,
        speed=100,
        shared_password=TEST_CHARGER_PASSWORD,
        ground_truth_path=tmp_path / "truth.jsonl",
    )
    url = f"/api/chargers/{p.charger_id}/commands"
    async with Fleet(config, plans=[p]) as fleet:
        await fleet.wait_online(timeout=15)
        ch = fleet.charger(p.charger_id)
        await ch.wait_for(lambda s: s.outbox == 0, timeout=5)
        # the race: the guard sees it idle, the driver starts as the drain reaches it
        answer_availability = ch.set_availability

        def driver_first(connector_id: int, operative: bool) -> str:
            if not operative and ch.connectors[2].transaction is None:
                ch.start_transaction(2, "TAG-RACE")
            return answer_availability(connector_id, operative)

        ch.set_availability = driver_first  # type: ignore[method-assign]
        resp = await api_client.post(f"{url}/reset", json={"type": "soft"})
        assert resp.status_code == 409 and resp.json()["detail"]["kind"] == "ChargeInProgress"
        ch.set_availability = answer_availability  # type: ignore[method-assign]
        await backend.state.gateway.settle(p.charger_id)
        commands = [c["action"] for c in fleet.truth.tail(kind="command")]
        assert "Reset" not in commands and ch.boot_count == 1
        assert ch.connectors[2].transaction is not None  # the charge goes on
        ch.stop_transaction(2)
        assert {c.status for c in ch.true_state().connectors} == {"Available"}  # restored

        # idle: drained, reset, restored after the boot; connector 2 Inoperative before
        resp = await api_client.post(
            f"{url}/change_availability", json={"connector_id": 2, "type": "inoperative"}
        )
        assert resp.status_code == 200, resp.text
        await ch.wait_for(lambda s: s.outbox == 0, timeout=5)
        resp = await api_client.post(f"{url}/reset", json={"type": "soft"})
        assert resp.status_code == 200, resp.text
        await ch.wait_for(lambda s: s.boot_count == 2 and s.online, timeout=10)
        await backend.state.gateway.settle(p.charger_id)
        await ch.wait_for(lambda s: s.outbox == 0, timeout=5)
        status = {c.connector_id: c.status for c in ch.true_state().connectors}
        assert status == {0: "Available", 1: "Available", 2: "Unavailable"}
        live = await _live(api_client, p.charger_id)
        assert live["connectors"]["1"]["status"] == "Available"
        assert live["connectors"]["2"]["status"] == "Unavailable"
