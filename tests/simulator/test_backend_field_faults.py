"""Field faults that are not one charger's, against the real backend: a site power outage
(the backend sees the site go dark and the chargers boot PowerUp, the cut-off charge ends)
and a silent hang (a reset sent through the REST API times out; the socket stays open)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.authorization.store import TokenChange
from app.config import Settings
from app.simulator.config import FleetConfig
from app.simulator.fleet import Fleet
from tests.conftest import TEST_CHARGER_PASSWORD, make_settings
from tests.simulator.conftest import plan


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, command_timeout=1.0)  # a hung charger's CALL times out


def _fleet(backend, plans, tmp_path: Path) -> Fleet:
    config = FleetConfig(
        outcomes="ideal",
        csms_url=backend.ocpp_url,
        speed=1000,
        shared_password=TEST_CHARGER_PASSWORD,
        ground_truth_path=tmp_path / "truth.jsonl",
    )
    return Fleet(config, plans=plans)


async def _live(client, charger_id: str) -> dict:
    resp = await client.get(f"/api/chargers/{charger_id}")
    assert resp.status_code == 200, resp.text
    return resp.json()


async def test_site_power_outage_seen_by_the_backend(backend, api_client, tmp_path) -> None:
    plans = [plan("voltara_wb22", "1.6", n=1, site=50), plan("kestrel_kx300", "2.0.1", site=50)]
    for p in plans:
        await backend.register(p.charger_id)
    backend.state.tokens.save(TokenChange(token="CARD-1"), "test")
    store = backend.state.live
    async with _fleet(backend, plans, tmp_path) as fleet:
        await fleet.wait_online(timeout=15)
        chargers = [fleet.charger(p.charger_id) for p in plans]
        for ch in chargers:
            ch.start_transaction(1, "CARD-1")
        for ch in chargers:
            assert await store.wait_for(ch.charger_id, lambda s: bool(s and s.transactions), 5)
        for ch in chargers:  # the site's mains fail for 20 simulated minutes
            ch.inject_now("site_power_outage", 0, clear_after_s=1200)
        for ch in chargers:
            await ch.wait_for(lambda s: s.phase == "off", timeout=3)
        for ch in chargers:  # the backend sees them go (after its offline debounce)
            assert await store.wait_for(ch.charger_id, lambda s: bool(s and not s.online), 5)
        for ch in chargers:
            await ch.wait_for(lambda s: s.online and s.boot_count == 2 and s.outbox == 0, 10)
            assert await store.wait_for(
                ch.charger_id, lambda s: bool(s and s.online and not s.transactions), 5
            )
            assert await store.wait_for(
                ch.charger_id, lambda s: bool(s and s.online and not s.transactions), 5
            )
        for ch in chargers:
            live = await _live(api_client, ch.charger_id)
            assert live["online"] and live["boot_count"] >= 2
            assert live["transactions"] == {}, live["transactions"]  # ended by PowerLoss
            assert live["open_faults"] == []
        assert (await _live(api_client, plans[1].charger_id))["boot_reason"] == "PowerUp"


async def test_reset_of_a_hung_charger_times_out(backend, api_client, tmp_path) -> None:
    p = plan("northwind_duo", "1.6", site=51)
    await backend.register(p.charger_id)
    async with _fleet(backend, [p], tmp_path) as fleet:
        await fleet.wait_online(timeout=15)
        ch = fleet.charger(p.charger_id)
        ch.inject_now("silent_hang", 0)
        resp = await api_client.post(
            f"/api/chargers/{p.charger_id}/commands/reset", json={"type": "hard"}
        )
        assert resp.status_code == 504, resp.text
        assert ch.connected
        assert (await _live(api_client, p.charger_id))["online"]  # the socket is open
        assert not fleet.truth.tail(kind="command")  # it never reached the application
