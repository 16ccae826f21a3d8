"""Normal life: boot retries, auth, lost sockets and queued messages, fleet plan, scenario,
control API and CLI."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from app.cli.simulate import app as simulate_cli
from app.simulator.config import FleetConfig, plan_fleet, read_password_file
from app.simulator.fleet import Fleet
from app.simulator.scenario import ScenarioError, load_scenario, parse_scenario
from tests.simulator.conftest import PASSWORD, plan
from tests.simulator.mini_csms import MiniCSMS


async def test_boot_retries_when_rejected_or_pending(csms: MiniCSMS, make_fleet) -> None:
    p = plan("voltara_wb22", "1.6")
    csms.boot_statuses[p.charger_id] = ["Rejected", "Pending"]
    fleet = await make_fleet([p], speed=10)  # CSMS says retry in 1 s -> 0.1 s
    assert len(csms.of(p.charger_id, "BootNotification")) == 3
    assert fleet.charger(p.charger_id).true_state().boot_count == 1


async def test_wrong_password_is_refused_and_retried(csms: MiniCSMS, make_fleet) -> None:
    p = plan("voltara_wb22", "1.6")
    fleet = await make_fleet([p], online=False, passwords={p.charger_id: "wrong"})
    ch = fleet.charger(p.charger_id)
    await ch.wait_for(lambda s: csms.refused.count(p.charger_id) >= 2, timeout=5)
    assert ch.true_state().last_error and "401" in ch.true_state().last_error
    assert not csms.of(p.charger_id, "BootNotification")


async def test_lost_socket_reconnects_and_flushes_queued_messages(
    csms: MiniCSMS, make_fleet
) -> None:
    p16, p201 = plan("northwind_duo", "1.6"), plan("helion_hx150", "2.0.1")
    fleet = await make_fleet([p16, p201], speed=20)  # reconnect back-off 5 s -> 0.25 s
    for p in (p16, p201):
        ch = fleet.charger(p.charger_id)
        ch.start_transaction(1, "TAG-Q")
    await csms.wait_message(p16.charger_id, "StartTransaction")
    await csms.wait_message(p201.charger_id, "TransactionEvent")
    await csms.stop()  # the CSMS goes away: sockets drop, reconnects fail
    for p in (p16, p201):
        await fleet.charger(p.charger_id).wait_for(lambda s: not s.connected, timeout=3)
    for p in (p16, p201):
        ch = fleet.charger(p.charger_id)
        ch.stop_transaction(1, reason="Local")
        ch.inject_now("over_current", 2)
        assert ch.true_state().outbox >= 2
    await asyncio.sleep(0.3)  # a few failed reconnects
    csms.messages.clear()
    await csms.start(port=csms.port)  # the CSMS is back on the same address
    stop = await csms.wait_message(p16.charger_id, "StopTransaction", timeout=8)
    assert stop["transaction_id"] == 1000 and stop["reason"] == "Local"
    ended = await csms.wait_message(
        p201.charger_id, "TransactionEvent", lambda m: m["event_type"] == "Ended", timeout=8
    )
    assert ended["transaction_info"]["stopped_reason"] == "Local"
    await csms.wait_message(
        p16.charger_id,
        "StatusNotification",
        lambda m: m["error_code"] == "OverCurrentFailure",
    )
    await csms.wait_message(p201.charger_id, "NotifyEvent")
    # a lost socket is not a reboot: no BootNotification after the reconnect
    assert not csms.of(p16.charger_id, "BootNotification")
    assert not csms.of(p201.charger_id, "BootNotification")
    for p in (p16, p201):
        state = await fleet.charger(p.charger_id).wait_for(lambda s: s.outbox == 0)
        assert state.online and state.boot_count == 1


def test_fleet_plan_is_deterministic_and_realistic() -> None:
    a, b = plan_fleet(200, "mixed", seed=7), plan_fleet(200, "mixed", seed=7)
    assert [(p.charger_id, p.model.key, p.ocpp_version) for p in a] == [
        (p.charger_id, p.model.key, p.ocpp_version) for p in b
    ]
    assert [p.charger_id for p in plan_fleet(200, "mixed", seed=8)] != [p.charger_id for p in a]
    assert len({p.charger_id for p in a}) == 200
    assert all(re.fullmatch(r"SITE-\d{3,}-(AC|DC|HPC)-\d{2}", p.charger_id) for p in a)
    assert {p.model.key for p in a} == {
        "voltara_wb22",
        "northwind_duo",
        "helion_hx150",
        "kestrel_kx300",
    }
    assert {p.ocpp_version for p in a} == {"1.6", "2.0.1"}
    assert all(p.ocpp_version == "1.6" for p in plan_fleet(50, "1.6"))
    assert "kestrel_kx300" not in {p.model.key for p in plan_fleet(100, "1.6")}
    assert 10 < len({p.site for p in a}) < 100


def test_password_file(tmp_path: Path) -> None:
    shared = tmp_path / "shared.txt"
    shared.write_text("s3cret\n")
    assert read_password_file(shared) == ({}, "s3cret")
    per = tmp_path / "per.txt"
    per.write_text("# comment\nSITE-001-AC-01:a:b\nSITE-001-DC-01:pw2\n")
    assert read_password_file(per) == ({"SITE-001-AC-01": "a:b", "SITE-001-DC-01": "pw2"}, None)
    bad = tmp_path / "bad.txt"
    bad.write_text("SITE-001-AC-01:x\nno-colon-here\n")
    with pytest.raises(ValueError, match=r"bad.txt:2"):
        read_password_file(bad)


# ---------------------------------------------------------------- scenario
def test_scenario_errors_name_the_line(tmp_path: Path) -> None:
    cases = {
        "events:\n  - at: 5\n    charger: 0\n    inject: ground_fault\n"
        "  - at: 10\n    charger: 0\n    inject: bogus_fault\n": (7, "unknown fault 'bogus_fault'"),
        "events:\n  - at: 5\n    charger: 0\n    inject: ground_fault\n    colour: red\n": (
            5,
            "unknown key 'colour'",
        ),
        "events:\n  - at: soon\n    charger: 0\n    clear: ground_fault\n": (2, "not a duration"),
        "events:\n  - at: 1m\n    charger: 0\n": (2, "exactly one of"),
        "events:\n  - at: 1m\n    charger: [0\n": (4, "invalid YAML"),
        "events:\n  - at: 1m\n    charger: 0\n    inject: ground_fault\n    connector: -1\n": (
            5,
            "connector",
        ),
    }
    for i, (text, (line, message)) in enumerate(cases.items()):
        path = tmp_path / f"s{i}.yaml"
        path.write_text(text)
        with pytest.raises(ScenarioError) as err:
            load_scenario(path)
        assert f"{path}:{line}:" in str(err.value), (text, str(err.value))
        assert message in str(err.value)


def test_scenario_parses_durations_and_actions() -> None:
    scenario = parse_scenario(
        "events:\n"
        "  - {at: 1h30m, charger: SITE-001-AC-01, inject: ground_fault, connector: 1}\n"
        "  - {at: 90s, charger: 2, start_transaction: TAG-9}\n"
        "  - {at: 2m, charger: 2, stop_transaction: true}\n"
        "  - {at: 3m, charger: 2, clear: ground_fault, how: site_visit}\n"
    )
    assert [(e.line, e.at, e.action) for e in scenario.events] == [
        (2, 5400.0, "inject"),
        (3, 90.0, "start_transaction"),
        (4, 120.0, "stop_transaction"),
        (5, 180.0, "clear"),
    ]
    assert scenario.events[1].id_tag == "TAG-9"


async def test_scenario_runs_on_the_timeline(csms: MiniCSMS, tmp_path: Path) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text(
        "events:\n"
        "  - {at: 10, charger: 0, inject: over_current, connector: 1}\n"
        "  - {at: 20, charger: 0, clear: over_current, how: site_visit}\n"
        "  - {at: 20, charger: 1, start_transaction: TAG-S}\n"
    )
    config = FleetConfig(
        outcomes="ideal",  # these tests assume deterministic outcomes
        csms_url=csms.url,
        chargers=2,
        ocpp="1.6",
        speed=100,
        shared_password=PASSWORD,
    )
    async with Fleet(config, scenario=path) as fleet:
        first, second = fleet.chargers
        await first.wait_for(lambda s: s.has_fault("over_current", 1), timeout=3)
        await first.wait_for(lambda s: not s.faults, timeout=3)
        await second.wait_for(lambda s: s.connector(1).transaction is not None, timeout=3)
        injected = fleet.truth.tail(kind="fault_injected")
        assert injected[0]["source"] == "scenario"
        assert fleet.truth.tail(kind="fault_cleared")[0]["how"] == "site_visit"
    bad = tmp_path / "bad.yaml"
    bad.write_text("events:\n  - {at: 1, charger: SITE-999-AC-01, inject: ground_fault}\n")
    fleet = Fleet(config, scenario=bad)
    with pytest.raises(ScenarioError, match=r"bad.yaml:2: no charger 'SITE-999-AC-01'"):
        await fleet.start()
    await fleet.stop()


# ---------------------------------------------------------------- control API + CLI
async def test_control_api_and_cli(csms: MiniCSMS, tmp_path: Path) -> None:
    truth_path = tmp_path / "truth.jsonl"
    config = FleetConfig(
        outcomes="ideal",  # these tests assume deterministic outcomes
        csms_url=csms.url,
        chargers=3,
        ocpp="mixed",
        seed=3,
        speed=100,
        shared_password=PASSWORD,
        control_port=0,
        ground_truth_path=truth_path,
    )
    async with Fleet(config) as fleet:
        await fleet.wait_online()
        target = fleet.chargers[0].charger_id
        async with httpx.AsyncClient(base_url=fleet.control_url) as client:
            rows = (await client.get("/chargers")).json()
            assert [r["charger_id"] for r in rows] == [c.charger_id for c in fleet.chargers]
            r = await client.post(f"/chargers/{target}/faults", json={"fault": "ground_fault"})
            assert r.status_code == 200 and r.json()["faults"][0]["fault"] == "ground_fault"
            r = await client.post(f"/chargers/{target}/faults", json={"fault": "nope"})
            assert r.status_code == 422 and "unknown fault" in r.json()["detail"]
            assert (await client.get("/chargers/NOPE")).status_code == 404
            r = await client.post(f"/chargers/{target}/transactions", json={"connector_id": 1})
            assert r.status_code == 409  # faulted
            r = await client.post(
                f"/chargers/{target}/faults/ground_fault/clear", json={"how": "site_visit"}
            )
            assert r.status_code == 200 and r.json()["faults"] == []
            r = await client.post(f"/chargers/{target}/transactions", json={"connector_id": 1})
            assert r.json()["connectors"][1]["transaction"] is not None
            r = await client.post(f"/chargers/{target}/transactions/1/stop")
            assert r.status_code == 200
            truth = (await client.get("/ground-truth", params={"charger_id": target})).json()
            kinds = [t["kind"] for t in truth]
            assert "fault_injected" in kinds and "transaction_stopped" in kinds
            assert len((await client.get("/faults")).json()) >= 15

        runner = CliRunner()
        port = str(fleet.control_port)

        def cli(*args: str) -> str:
            result = runner.invoke(simulate_cli, [*args, "--port", port])
            assert result.exit_code == 0, result.output
            return result.output

        out = await asyncio.to_thread(cli, "list")
        assert target in out
        await asyncio.to_thread(cli, "inject", target, "firmware_hang")
        assert fleet.charger(target).true_state().has_fault("firmware_hang")
        state = json.loads(await asyncio.to_thread(cli, "state", target))
        assert state["faults"][0]["fault"] == "firmware_hang"
        await asyncio.to_thread(cli, "clear", target, "firmware_hang")
        assert not fleet.charger(target).true_state().faults
        bad = await asyncio.to_thread(
            runner.invoke, simulate_cli, ["inject", target, "bogus", "--port", port]
        )
        assert bad.exit_code == 1 and "unknown fault" in bad.output
    lines = [json.loads(line) for line in truth_path.read_text().splitlines()]
    assert {"fault_injected", "fault_cleared", "connected", "booted"} <= {x["kind"] for x in lines}
