"""Silence is a symptom (issue 13): a hung controller often says nothing. Each test drives a
real backend with a scripted charger sending exactly the frames (or the silence) of such a
charger, and fails if its rule (app/diagnosis/rules/behaviour.yaml) is removed.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from app.commands.gateway import Actor, CommandRequest
from app.errors import ChargerTimeout
from app.security.roles import Principal, Role
from tests.chargers import connected, eventually, now
from tests.diagnosis.test_real_faces import FAST, closed, commands, rows

ADMIN = Actor(Principal("test-admin", Role.ADMIN), "api")


def opened(backend: Any, charger_id: str, rule_id: str) -> Any:
    return next((r for r in rows(backend, charger_id) if r.rule_id == rule_id), None)


async def test_calls_that_time_out_are_a_hung_charger(make_backend) -> None:
    """The socket stays up, the charger reads our CALLs and never answers (a hung OCPP
    stack): two timeouts -> calls-unanswered, escalated, no reset (it would not arrive)."""
    backend = await make_backend(**FAST, command_timeout=0.3)
    await backend.register("SITE-800-DC-01")
    async with connected(backend.ocpp_url, "SITE-800-DC-01") as charger:
        await charger.boot()
        await charger.status(1, "Available")

        async def swallow(_message: str) -> None:  # reads the frame, answers nothing
            return None

        charger.route_message = swallow
        for _ in range(2):
            request = CommandRequest(
                charger_id="SITE-800-DC-01",
                command="trigger_message",
                params={"message": "Heartbeat"},
            )
            try:
                await backend.state.gateway.execute(request, ADMIN)
            except ChargerTimeout:
                pass
            else:  # pragma: no cover - the charger must not answer
                raise AssertionError("the hung charger answered")
        row = await eventually(lambda: closed(backend, "SITE-800-DC-01"), timeout=20)
        assert (row.rule_id, row.status) == ("calls-unanswered", "escalated")
        assert row.responsible == "charger_maker"
        sent = [
            c.command for c in await commands(backend, "SITE-800-DC-01") if c.origin == "diagnosis"
        ]
        assert "reset" not in sent


async def test_meter_values_that_stop_during_a_transaction(make_backend) -> None:
    """A transaction runs, one MeterValues arrives, then none: meter-values-stopped."""
    backend = await make_backend(**FAST)
    await backend.register("SITE-801-DC-01")
    await backend.register_id_token("DRIVER-801")
    async with connected(backend.ocpp_url, "SITE-801-DC-01") as charger:
        await charger.boot()
        await charger.status(1, "Preparing")
        started = await charger.call(
            call16.StartTransaction(
                connector_id=1, id_tag="DRIVER-801", meter_start=1000, timestamp=now()
            )
        )
        await charger.status(1, "Charging")
        await charger.meter(1, started.transaction_id, 1250)
        # then silence: 1800 s of the rule are 1.8 s at x1000
        row = await eventually(
            lambda: opened(backend, "SITE-801-DC-01", "meter-values-stopped"), timeout=20
        )
        assert row.connector_id == 1
        assert backend.state.live.get("SITE-801-DC-01").transaction_on(1) is not None


async def test_heartbeats_with_no_status(make_backend) -> None:
    """Boot and heartbeats, but never a StatusNotification: heartbeats-without-status asks
    for a status (TriggerMessage) and then hands it to a consultant."""
    backend = await make_backend(**FAST)
    await backend.register("SITE-802-DC-01")
    async with connected(backend.ocpp_url, "SITE-802-DC-01") as charger:
        await charger.boot()
        await charger.call(call16.Heartbeat())
        row = await eventually(lambda: closed(backend, "SITE-802-DC-01"), timeout=20)
        assert (row.rule_id, row.status) == ("heartbeats-without-status", "escalated")
        assert [name for name, _ in charger.received][:1] == ["TriggerMessage"]


async def test_a_heartbeat_with_status_is_no_finding(make_backend) -> None:
    """The same charger that also reported its connectors is healthy: the rule needs silence."""
    backend = await make_backend(**FAST)
    await backend.register("SITE-803-DC-01")
    async with connected(backend.ocpp_url, "SITE-803-DC-01") as charger:
        await charger.boot()
        await charger.status(1, "Available")
        await charger.call(call16.Heartbeat())
        await asyncio.sleep(3.0)  # well past the rule's 1800 s (1.8 s at x1000)
        assert rows(backend, "SITE-803-DC-01") == []


async def test_a_status_older_than_the_window_is_still_a_status(make_backend) -> None:
    """A charger connected for longer than the event window (4 h) whose status never
    changed reported it once, hours ago: not silence. (Every long-connected charger was
    escalated as "heartbeats but no status" once that one report aged out of the window, and
    the triggered status, a repeat, was not counted either.)"""
    backend = await make_backend(**{**FAST, "diagnosis_time_scale": 3000.0})
    await backend.register("SITE-804-DC-01")
    await backend.register_id_token("TAG-LONG")
    async with connected(backend.ocpp_url, "SITE-804-DC-01") as charger:
        await charger.boot()
        await charger.status(1, "Available")
        tx = await charger.call(
            call16.StartTransaction(
                connector_id=1, id_tag="TAG-LONG", meter_start=0, timestamp=now()
            )
        )
        await charger.status(1, "Charging")
        for n in range(1, 26):  # 7.5 s real: six simulated hours of a long, healthy charge
            await charger.call(call16.Heartbeat())
            await charger.meter(1, tx.transaction_id, 100 * n)
            await asyncio.sleep(0.3)
        assert [r.rule_id for r in rows(backend, "SITE-804-DC-01")] == []


async def test_watchdog_boot_reason_gets_logs_and_a_consultant(make_backend) -> None:
    """2.0.1 BootNotification reason Watchdog (BootReasonEnumType): the station says its
    software hung. Logs first (GetLog), then a consultant; no reset."""
    backend = await make_backend(**FAST)
    await backend.register("SITE-804-DC-01")
    async with connected(backend.ocpp_url, "SITE-804-DC-01", "2.0.1") as charger:
        await charger.call(
            call201.BootNotification(
                charging_station={"model": "HX-150", "vendor_name": "Helion Power"},
                reason="Watchdog",
            )
        )
        await charger.status(1, "Available")
        row = await eventually(lambda: closed(backend, "SITE-804-DC-01"), timeout=20)
        assert (row.rule_id, row.status) == ("watchdog-reboot", "escalated")
        received = [name for name, _ in charger.received]
        assert "GetLog" in received and "Reset" not in received


async def start_charging(charger, token: str) -> None:
    """Boot and start a charge on connector 1 with one meter value."""
    await charger.boot()
    await charger.status(1, "Preparing")
    started = await charger.call(
        call16.StartTransaction(connector_id=1, id_tag=token, meter_start=1000, timestamp=now())
    )
    await charger.status(1, "Charging")
    await charger.meter(1, started.transaction_id, 1250)


async def test_a_hung_charger_is_handed_off_once_while_it_stays_silent(make_backend) -> None:
    """A charger hangs mid-charge: the socket stays up, it sends nothing and answers no CALL.
    It looks healthy to the live state (online, no fault), but that is no recovery: while its
    findings still hold, what was handed off stays handed off. (It used to be forgotten after
    the hold time, and each probe's timeouts opened a new hand-off: in the bench, one hang
    made 30 escalations in seven simulated hours.)"""
    backend = await make_backend(**FAST, command_timeout=0.2)
    cid = "SITE-805-DC-01"
    await backend.register(cid)
    await backend.register_id_token("DRIVER-805")
    async with connected(backend.ocpp_url, cid) as charger:
        await start_charging(charger, "DRIVER-805")

        async def swallow(_message: str) -> None:  # hung: reads our frames, answers nothing
            return None

        charger.route_message = swallow
        await eventually(lambda: len([r for r in rows(backend, cid) if r.closed_at]) >= 2, 20)
        # 3 s at x1000 is 50 simulated minutes, ten times the recovery hold
        await asyncio.sleep(3.0)
        handed_off = [(r.rule_id, r.connector_id) for r in rows(backend, cid)]
        assert sorted(handed_off) == sorted(set(handed_off)), handed_off


async def test_a_handed_off_problem_that_still_holds_is_not_handed_off_again(
    make_backend,
) -> None:
    """Meter values stop during a charge, but the charger stays online, answers our requests
    and sends heartbeats (a link that flaps, a meter that froze): healthy-looking, heard from,
    and still the same problem. It is handed off once; while its finding still holds it is
    not released and handed off again. (In the bench a flapping charger's stopped meter was
    escalated 1,168 times in nine simulated days.)"""
    backend = await make_backend(**FAST)
    cid = "SITE-806-DC-01"
    await backend.register(cid)
    await backend.register_id_token("DRIVER-806")
    async with connected(backend.ocpp_url, cid) as charger:
        await start_charging(charger, "DRIVER-806")
        await eventually(lambda: opened(backend, cid, "meter-values-stopped"), timeout=20)
        for _ in range(20):  # 4 s at x1000: over an hour, sixty recovery holds, heard from
            await charger.call(call16.Heartbeat())
            await asyncio.sleep(0.2)
        assert [r.rule_id for r in rows(backend, cid)].count("meter-values-stopped") == 1
