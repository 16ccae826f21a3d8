"""Field faults that are not one charger's (issue 15): a site's power or network outage, the
DC insulation monitor, a silent hang; each with its truth logged for the benchmark only."""

from __future__ import annotations

import asyncio

import pytest
from ocpp.v16 import call as c16
from ocpp.v201 import call as c201

from app.fault_codes import load_catalogue
from app.simulator.charger import SimulatorError
from app.simulator.faults import get_fault
from tests.simulator.conftest import plan
from tests.simulator.mini_csms import MiniCSMS


def _sent_after(csms: MiniCSMS, cid: str, mark: int) -> list[str]:
    return [a for a, _p in csms.messages[cid][mark:]]


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_site_power_outage_goes_dark_then_boots_power_up(
    csms: MiniCSMS, make_fleet, version: str
) -> None:
    plans = [plan("northwind_duo", version, n=1), plan("helion_hx150", version, n=2)]
    fleet = await make_fleet(plans, speed=1000)
    a, b = (fleet.charger(p.charger_id) for p in plans)
    tx = a.start_transaction(1, "CARD-1")
    await csms.wait_message(
        a.charger_id, "StartTransaction" if version == "1.6" else "TransactionEvent"
    )
    marks = {c.charger_id: csms.mark(c.charger_id) for c in (a, b)}
    connections = {c.charger_id: csms.connections[c.charger_id] for c in (a, b)}
    for ch in (a, b):  # the whole site at once, for 20 simulated minutes
        ch.inject_now("site_power_outage", 0, source="test", clear_after_s=1200, site="SITE-001")
    for ch in (a, b):
        await ch.wait_for(lambda s: s.phase == "off" and not s.connected, timeout=3)
    assert a.connectors[1].transaction is None  # the power loss ended it
    with pytest.raises(SimulatorError, match="dark"):
        b.start_transaction(1, "CARD-2")
    assert all(_sent_after(csms, c.charger_id, marks[c.charger_id]) == [] for c in (a, b))
    for ch in (a, b):  # 1.2 s real later the grid is back and each charger boots cold
        await ch.wait_for(lambda s: s.online and s.boot_count == 2, timeout=6)
        assert csms.connections[ch.charger_id] == connections[ch.charger_id] + 1
    boot = await csms.wait_message(a.charger_id, "BootNotification", after=marks[a.charger_id])
    if version == "1.6":
        stop = await csms.wait_message(a.charger_id, "StopTransaction", after=marks[a.charger_id])
        assert stop["reason"] == "PowerLoss"
    else:
        assert boot["reason"] == "PowerUp"
        ended = await csms.wait_message(
            a.charger_id,
            "TransactionEvent",
            lambda p: p["event_type"] == "Ended",
            after=marks[a.charger_id],
        )
        assert ended["transaction_info"]["stopped_reason"] == "PowerLoss"
        assert ended["transaction_info"]["transaction_id"] == tx.tx_id
        assert ended["offline"] is True
        # a power-up is no reset: no ResetOrReboot security event
        assert not csms.of(a.charger_id, "SecurityEventNotification")
    injected = fleet.truth.tail(charger_id=a.charger_id, kind="fault_injected")[-1]
    assert injected["root_cause"] == "grid" and injected["remote_fixable"] is False
    assert injected["site"] == "SITE-001"
    cleared = fleet.truth.tail(charger_id=a.charger_id, kind="fault_cleared")[-1]
    assert cleared["how"] == "grid"
    stopped = fleet.truth.tail(charger_id=a.charger_id, kind="transaction_stopped")[-1]
    assert stopped["reason"] == "PowerLoss"


async def test_a_technician_cannot_bring_the_grid_back(csms: MiniCSMS, make_fleet) -> None:
    p = plan("voltara_wb22", "1.6")
    fleet = await make_fleet([p], speed=100)
    ch = fleet.charger(p.charger_id)
    ch.inject_now("site_power_outage", 0, clear_after_s=3600)
    assert ch.site_visit() == {"fixed": [], "unfixed": []}
    assert ch.true_state().has_fault("site_power_outage")


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_site_network_outage_queues_and_sends_after(
    csms: MiniCSMS, make_fleet, version: str
) -> None:
    p = plan("kestrel_kx300", version)
    fleet = await make_fleet([p], speed=1000)
    ch = fleet.charger(p.charger_id)
    tx = ch.start_transaction(1, "CARD-1")
    await csms.wait_message(
        p.charger_id, "StartTransaction" if version == "1.6" else "TransactionEvent"
    )
    connections = csms.connections[p.charger_id]
    ch.inject_now("site_network_outage", 0, clear_after_s=3600)
    await ch.wait_for(lambda s: s.phase == "offline" and not s.connected, timeout=3)
    mark = csms.mark(p.charger_id)
    assert ch.connectors[1].transaction is tx  # powered: the charge goes on
    ch.post_meter_values(ch.connectors[1], tx)
    assert ch.stop_transaction(1, reason="Local")
    await asyncio.sleep(0.3)  # 300 simulated s, past the reconnect back-off: still offline
    assert not ch.connected and csms.connections[p.charger_id] == connections
    assert _sent_after(csms, p.charger_id, mark) == []
    ch.clear_fault("site_network_outage", how="self_clear")
    await ch.wait_for(lambda s: s.online, timeout=5)
    if version == "1.6":
        await csms.wait_message(p.charger_id, "MeterValues", after=mark)
        stop = await csms.wait_message(p.charger_id, "StopTransaction", after=mark)
        assert stop["reason"] == "Local"
    else:
        events = [
            await csms.wait_message(
                p.charger_id, "TransactionEvent", lambda e, t=t: e["event_type"] == t, after=mark
            )
            for t in ("Updated", "Ended")
        ]
        assert all(e["offline"] is True for e in events)
    assert not csms.of(p.charger_id, "BootNotification")[1:]  # reconnected, no reboot
    injected = fleet.truth.tail(kind="fault_injected")[-1]
    assert injected["root_cause"] == "network" and injected["remote_fixable"] is False


async def test_insulation_fault_face_and_safety_class(csms: MiniCSMS, make_fleet) -> None:
    p, ac = plan("helion_hx150", "1.6"), plan("voltara_wb22", "1.6")
    fleet = await make_fleet([p, ac])
    ch = fleet.charger(p.charger_id)
    with pytest.raises(SimulatorError, match="needs a DC connector"):
        fleet.charger(ac.charger_id).inject_now("insulation_fault", 1)
    mark = csms.mark(p.charger_id)
    ch.inject_now("insulation_fault", 2)
    status = await csms.wait_message(
        p.charger_id, "StatusNotification", lambda m: m["connector_id"] == 2, after=mark
    )
    assert (status["status"], status["error_code"]) == ("Faulted", "OtherError")
    verdict = load_catalogue().classify(
        ocpp_version="1.6",
        error_code=status["error_code"],
        vendor_error_code=status["vendor_error_code"],
        info=status["info"],
    )
    assert verdict.fault_key == "insulation_fault" and verdict.safety_class == "never_reset"
    causes = {c.key: c for c in get_fault("insulation_fault").field_causes()}
    assert set(causes) == {"damaged_cable_insulation", "moisture", "imd_self_test_failure"}
    assert not any(c.remote_fixable for c in causes.values())


async def test_moisture_dries_within_hours(csms: MiniCSMS, make_fleet) -> None:
    p = plan("kestrel_kx300", "2.0.1")
    speed = 1000.0
    fleet = await make_fleet([p], speed=speed, outcomes="field")
    ch = fleet.charger(p.charger_id)
    loop = asyncio.get_running_loop()
    ch.inject_now("insulation_fault", 1, cause="moisture")
    handle = ch.faults[("insulation_fault", 1)].handle
    assert handle is not None
    assert 2 * 3600 <= (handle.when() - loop.time()) * speed <= 12 * 3600 + 1
    ch.clear_fault("insulation_fault", how="site_visit")
    ch.inject_now("insulation_fault", 1, cause="damaged_cable_insulation")
    assert ch.faults[("insulation_fault", 1)].handle is None  # only a technician


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_silent_hang_answers_nothing_until_the_watchdog(
    csms: MiniCSMS, make_fleet, version: str
) -> None:
    p = plan("northwind_duo", version)
    fleet = await make_fleet([p], speed=1000)
    ch = fleet.charger(p.charger_id)
    connections = csms.connections[p.charger_id]
    ch.inject_now("silent_hang", 0)
    mark = csms.mark(p.charger_id)
    reset = c16.Reset(type="Hard") if version == "1.6" else c201.Reset(type="Immediate")
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(csms.command(p.charger_id, reset), 0.6)  # 600 simulated s
    assert ch.connected and csms.connections[p.charger_id] == connections  # socket open
    assert _sent_after(csms, p.charger_id, mark) == []  # not even a heartbeat (300 s)
    assert not fleet.truth.tail(charger_id=p.charger_id, kind="command")
    with pytest.raises(SimulatorError, match="dark"):
        ch.start_transaction(1, "CARD-1")
    ch._self_clear(get_fault("silent_hang"), 0)  # the hardware watchdog fires
    boot = await csms.wait_message(p.charger_id, "BootNotification", after=mark)
    if version == "2.0.1":
        assert boot["reason"] == "Watchdog"
    cleared = fleet.truth.tail(charger_id=p.charger_id, kind="fault_cleared")[-1]
    assert cleared["how"] == "self_clear"
    reboot = fleet.truth.tail(charger_id=p.charger_id, kind="reboot")[-1]
    assert reboot["reason"] == "Watchdog"


async def test_a_hang_the_watchdog_misses_needs_a_visit(csms: MiniCSMS, make_fleet) -> None:
    p = plan("helion_hx150", "2.0.1")
    fleet = await make_fleet([p], speed=1000)
    ch = fleet.charger(p.charger_id)
    ch.inject_now("silent_hang", 0)
    mark = csms.mark(p.charger_id)
    assert ch.site_visit()["fixed"] == ["silent_hang"]
    boot = await csms.wait_message(p.charger_id, "BootNotification", after=mark)
    assert boot["reason"] == "PowerUp"  # power-cycled on site
    causes = {c.key: c for c in get_fault("silent_hang").field_causes()}
    assert 0 < causes["app_deadlock"].self_clear_p < 1
    assert not any(c.remote_fixable for c in causes.values())


@pytest.mark.parametrize(
    ("version", "cause", "events"),
    [
        ("2.0.1", "clock_lost", ["InvalidCsmsCertificate", "SettingSystemTime"]),
        ("1.6", "clock_lost", ["InvalidCentralSystemCertificate", "SettingSystemTime"]),
        ("2.0.1", "station_certificate_expired", ["FailedToAuthenticateAtCsms"]),
        ("1.6", "station_certificate_expired", ["FailedToAuthenticateAtCentralSystem"]),
    ],
)
async def test_tls_failure_is_offline_until_fixed_then_reports_its_security_events(
    csms: MiniCSMS, make_fleet, version: str, cause: str, events: list[str]
) -> None:
    p = plan("northwind_duo", version)
    fleet = await make_fleet([p], speed=1000)
    ch = fleet.charger(p.charger_id)
    connections = csms.connections[p.charger_id]
    ch.inject_now("tls_connection_failure", 0, cause=cause)
    await ch.wait_for(lambda s: s.phase == "offline" and not s.connected, timeout=3)
    mark = csms.mark(p.charger_id)
    await asyncio.sleep(0.3)  # 300 simulated s, past the reconnect back-off: still offline
    assert not ch.connected and csms.connections[p.charger_id] == connections
    assert _sent_after(csms, p.charger_id, mark) == []
    assert ch.site_visit()["fixed"] == ["tls_connection_failure"]
    await ch.wait_for(lambda s: s.online, timeout=5)
    for event in events:
        await csms.wait_message(
            p.charger_id, "SecurityEventNotification", lambda m, e=event: m["type"] == e, after=mark
        )
    injected = fleet.truth.tail(kind="fault_injected")[-1]
    assert injected["cause"] == cause and injected["remote_fixable"] is False


def test_tls_failure_causes_a_clock_may_fix_itself_a_certificate_never() -> None:
    causes = {c.key: c for c in get_fault("tls_connection_failure").field_causes()}
    assert causes["clock_lost"].self_clear_s and 0 < causes["clock_lost"].self_clear_p < 1
    assert causes["station_certificate_expired"].self_clear_s is None
    assert not any(c.remote_fixable for c in causes.values())


async def test_an_outage_the_caller_times_ends_then_whatever_the_cause_says(
    csms: MiniCSMS, make_fleet
) -> None:
    """A payment processor outage (the benchmark's, every terminal at once) ends when the
    processor is back: the caller's duration wins over the cause's own self-clear draw (20
    minutes to 6 hours for a lost processor link), in field mode too."""
    p = plan("helion_hx150", "1.6")
    fleet = await make_fleet([p], speed=1000, outcomes="field", seed=5)
    ch = fleet.charger(p.charger_id)
    ch.inject_now("payment_terminal_failure", 0, cause="processor_link_down", clear_after_s=60)
    assert ch.true_state().has_fault("payment_terminal_failure")
    # 60 simulated s are 0.06 s real; the cause's shortest own delay would be 1.2 s
    await ch.wait_for(lambda s: not s.has_fault("payment_terminal_failure"), timeout=1.0)
    cleared = fleet.truth.tail(charger_id=p.charger_id, kind="fault_cleared")[-1]
    assert (cleared["fault"], cleared["how"]) == ("payment_terminal_failure", "self_clear")
