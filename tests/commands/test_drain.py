"""Drain first: a 1.6 reset goes only to a charger that accepted to refuse new charges.

Real backend, real websocket test chargers (tests/chargers.py). The race: a driver starts on
the other connector just as the backend's first command reaches the charger, after the
gateway's guard saw the charger idle.
"""

from __future__ import annotations

from typing import Any

import pytest

from app.commands.catalogue import ResetParams, UnlockParams
from app.commands.drain import (
    AvailabilityBaseline,
    DrainPlan,
    availability_baseline,
    plan_for,
    verdict,
)
from app.db.base import utcnow
from app.fleet.model import ActiveTransaction, ChargerLiveState, ConnectorState
from tests.chargers import connected, eventually
from tests.commands.test_gateway import audit_of
from tests.conftest import start_backend

CP = "SITE-051-AC-01"
INOPERATIVE_0 = ("ChangeAvailability", {"connector_id": 0, "type": "Inoperative"})
OPERATIVE_0 = ("ChangeAvailability", {"connector_id": 0, "type": "Operative"})


async def _idle(charger: Any, *, unavailable: tuple[int, ...] = ()) -> None:
    await charger.boot()
    for cid in (0, 1, 2):
        await charger.status(cid, "Unavailable" if cid in unavailable else "Available")


def _resets(charger: Any) -> list[Any]:
    return [r for r in charger.received if r[0] == "Reset"]


async def test_a_start_that_races_the_reset_ends_with_no_reset_sent(backend):
    await backend.register(CP)
    await backend.register_id_token("DRIVER")
    async with connected(backend.ocpp_url, CP) as charger, backend.client() as api:
        await _idle(charger)
        charger.driver_arrives = 2  # starts as the first command reaches the charger
        r = await api.post(f"/api/chargers/{CP}/commands/reset", json={"type": "soft"})
        assert r.status_code == 409, r.text
        assert r.json()["detail"]["kind"] == "ChargeInProgress"
        await backend.state.gateway.settle(CP)
        assert _resets(charger) == []  # the charge on connector 2 goes on
        assert charger.received == [INOPERATIVE_0, OPERATIVE_0]  # drained, then restored
        assert backend.state.live.get(CP).transaction_on(2) is not None
    rows = await audit_of(backend, CP)
    assert [(r.command, r.outcome) for r in rows] == [
        ("change_availability", "answered"),
        ("reset", "ChargeInProgress"),
        ("change_availability", "answered"),
    ]
    assert rows[0].response["step"] == "drain" and rows[0].response["status"] == "Scheduled"
    assert rows[1].response["drain"] == "Scheduled"
    assert rows[2].response["step"] == "restore" and rows[2].params["type"] == "operative"


async def test_a_charger_that_accepts_the_drain_but_starts_anyway_gets_no_reset(backend):
    await backend.register(CP)
    await backend.register_id_token("DRIVER")
    async with connected(backend.ocpp_url, CP) as charger, backend.client() as api:
        await _idle(charger)
        charger.availability_answer = "Accepted"  # not what 1.6 §5.2 says with a charge on
        charger.driver_arrives = 1
        r = await api.post(f"/api/chargers/{CP}/commands/reset", json={"type": "hard"})
        assert r.status_code == 409, r.text
        detail = r.json()["detail"]
        assert detail["kind"] == "ChargeInProgress" and detail["raced_transactions"]
        await backend.state.gateway.settle(CP)
        assert _resets(charger) == []
        assert charger.received[-1] == OPERATIVE_0


async def test_an_idle_charger_is_drained_reset_and_restored_after_its_boot(backend):
    await backend.register(CP)
    async with connected(backend.ocpp_url, CP) as charger, backend.client() as api:
        await _idle(charger)
        r = await api.post(f"/api/chargers/{CP}/commands/reset", json={"type": "soft"})
        assert r.status_code == 200, r.text
        assert charger.received == [INOPERATIVE_0, ("Reset", {"type": "Soft"})]
        # availability persists a reboot (1.6 §5.2): nothing is restored before the boot
        assert backend.state.gateway._restores[CP]
        assert charger.received[-1][0] == "Reset"
        await charger.boot()
        await backend.state.gateway.settle(CP)
        assert charger.received == [INOPERATIVE_0, ("Reset", {"type": "Soft"}), OPERATIVE_0]
    rows = await audit_of(backend, CP)
    steps = [(r.command, (r.response or {}).get("step")) for r in rows]
    assert steps == [
        ("change_availability", "drain"),
        ("reset", None),
        ("change_availability", "restore"),
    ]


async def test_a_charger_that_accepts_a_reset_but_never_reboots_is_restored(backend):
    await backend.register(CP)
    backend.state.gateway.reboot_wait = 0.3
    async with connected(backend.ocpp_url, CP) as charger, backend.client() as api:
        await _idle(charger)
        r = await api.post(f"/api/chargers/{CP}/commands/reset", json={"type": "soft"})
        assert r.status_code == 200, r.text
        await backend.state.gateway.settle(CP)  # no boot came: restored all the same
        assert charger.received == [INOPERATIVE_0, ("Reset", {"type": "Soft"}), OPERATIVE_0]


async def test_a_connector_inoperative_before_the_reset_stays_inoperative(backend):
    await backend.register(CP)
    async with connected(backend.ocpp_url, CP) as charger, backend.client() as api:
        await _idle(charger, unavailable=(2,))
        r = await api.post(f"/api/chargers/{CP}/commands/reset", json={"type": "soft"})
        assert r.status_code == 200, r.text
        await charger.boot()
        await backend.state.gateway.settle(CP)
        assert charger.received[-2:] == [
            OPERATIVE_0,
            ("ChangeAvailability", {"connector_id": 2, "type": "Inoperative"}),
        ]


async def test_a_charger_inoperative_before_the_reset_is_not_put_back_in_service(backend):
    await backend.register(CP)
    async with connected(backend.ocpp_url, CP) as charger, backend.client() as api:
        await _idle(charger, unavailable=(0, 1, 2))
        r = await api.post(f"/api/chargers/{CP}/commands/reset", json={"type": "soft"})
        assert r.status_code == 200, r.text
        await charger.boot()
        await backend.state.gateway.settle(CP)
        assert charger.received == [INOPERATIVE_0, ("Reset", {"type": "Soft"})]


async def test_an_unlock_drains_its_connector_and_a_racing_start_there_stops_it(backend):
    await backend.register(CP)
    await backend.register_id_token("DRIVER")
    async with connected(backend.ocpp_url, CP) as charger, backend.client() as api:
        await _idle(charger)
        charger.driver_arrives = 1
        r = await api.post(f"/api/chargers/{CP}/commands/unlock_connector", json={})
        assert r.status_code == 409 and r.json()["detail"]["kind"] == "ChargeInProgress"
        await backend.state.gateway.settle(CP)
        assert charger.received == [
            ("ChangeAvailability", {"connector_id": 1, "type": "Inoperative"}),
            ("ChangeAvailability", {"connector_id": 1, "type": "Operative"}),
        ]


async def test_an_idle_unlock_is_drained_and_restored_at_once(backend):
    await backend.register(CP)
    await backend.register_id_token("DRIVER")
    async with connected(backend.ocpp_url, CP) as charger, backend.client() as api:
        await _idle(charger)
        charger.driver_arrives = 2  # a charge on the other connector does not matter
        r = await api.post(f"/api/chargers/{CP}/commands/unlock_connector", json={})
        assert r.status_code == 200, r.text
        await backend.state.gateway.settle(CP)
        assert charger.received == [
            ("ChangeAvailability", {"connector_id": 1, "type": "Inoperative"}),
            ("UnlockConnector", {"connector_id": 1}),
            ("ChangeAvailability", {"connector_id": 1, "type": "Operative"}),
        ]


async def test_a_restore_a_restart_left_pending_is_sent_when_the_charger_is_back(settings):
    first = await start_backend(settings)
    try:
        await first.register(CP)
        async with connected(first.ocpp_url, CP) as charger, first.client() as api:
            await _idle(charger)
            r = await api.post(f"/api/chargers/{CP}/commands/reset", json={"type": "soft"})
            assert r.status_code == 200, r.text
    finally:
        await first.backend.stop()  # stopped while the restore waited for the boot
    second = await start_backend(settings)
    try:
        async with connected(second.ocpp_url, CP) as charger:
            await charger.boot()
            await second.state.gateway.settle(CP)
            assert charger.received == [OPERATIVE_0]
        rows = await audit_of(second, CP)
        assert [(r.response or {}).get("step") for r in rows] == ["drain", None, "restore"]
        assert rows[-1].requested_by == "test-admin" and rows[-1].origin == "api"
    finally:
        await second.backend.stop()


async def test_a_charger_that_will_not_drain_is_not_reset(backend):
    await backend.register(CP)
    async with connected(backend.ocpp_url, CP) as charger, backend.client() as api:
        await _idle(charger)
        charger.availability_answer = "Rejected"
        r = await api.post(f"/api/chargers/{CP}/commands/reset", json={"type": "soft"})
        assert r.status_code == 409 and r.json()["detail"]["kind"] == "NotDrained"
        await backend.state.gateway.settle(CP)
        assert _resets(charger) == []


async def test_a_forced_reset_overrides_without_a_drain(backend):
    await backend.register(CP)
    async with connected(backend.ocpp_url, CP) as charger, backend.client() as api:
        await _idle(charger)
        r = await api.post(
            f"/api/chargers/{CP}/commands/reset",
            json={"type": "hard", "force": True, "reason": "charger frozen, site asked"},
        )
        assert r.status_code == 200, r.text
        assert charger.received == [("Reset", {"type": "Hard"})]


async def test_a_201_reset_is_onidle_unless_an_admin_forces_immediate(backend):
    cp = "SITE-051-DC-01"
    await backend.register(cp)
    async with connected(backend.ocpp_url, cp, "2.0.1") as charger, backend.client() as api:
        await charger.boot()
        for body in (
            {"type": "soft"},
            {"type": "hard"},
            {"type": "hard", "force": True, "reason": "frozen"},
        ):
            r = await api.post(f"/api/chargers/{cp}/commands/reset", json=body)
            assert r.status_code == 200, r.text
        resets = [r[1]["type"] for r in charger.received if r[0] == "Reset"]
        assert resets == ["OnIdle", "OnIdle", "Immediate"]
        assert not any(r[0] == "ChangeAvailability" for r in charger.received)


async def test_self_diagnosis_and_sessions_pass_the_same_drain(backend):
    """Not only the API: the runner (sessions, self-diagnosis) goes through the drain."""
    from app.commands.gateway import Actor, CommandRequest
    from app.commands.runner import ActionRunner
    from app.security.roles import Principal

    await backend.register(CP)
    await backend.register_id_token("DRIVER")
    runner = ActionRunner(backend.state.gateway, backend.state.live)
    system = Principal(name="diagnosis", role="admin")
    actor = Actor(system, "diagnosis", "diagnosis #1")
    async with connected(backend.ocpp_url, CP) as charger:
        await _idle(charger)
        charger.driver_arrives = 1
        request = CommandRequest(charger_id=CP, command="reset", params={"type": "soft"})
        outcome = await runner.run(request, actor, timeout=2.0)
        assert outcome.status == "ChargeInProgress" and not outcome.proven
        await backend.state.gateway.settle(CP)
        assert _resets(charger) == []
        await eventually(lambda: charger.starts and charger.starts[0].done())


# -- the pure part ----------------------------------------------------------------------------
def _state(statuses: dict[int, str], tx_on: int | None = None) -> ChargerLiveState:
    state = ChargerLiveState(charger_id=CP, ocpp_version="1.6")
    for cid, status in statuses.items():
        state.connectors[cid] = ConnectorState(connector_id=cid, status=status)
    if tx_on is not None:
        state.transactions["7"] = ActiveTransaction(
            transaction_id="7", connector_id=tx_on, id_tag="DRIVER", started_at=utcnow()
        )
    return state


@pytest.mark.parametrize(
    ("answer", "raced", "tx_on", "expected"),
    [
        ("Accepted", False, None, "go"),
        ("Scheduled", False, None, "charge_in_progress"),
        ("Accepted", True, None, "charge_in_progress"),
        ("Accepted", False, 2, "charge_in_progress"),
        ("Rejected", False, None, "not_drained"),
        (None, False, None, "not_drained"),
    ],
)
def test_the_drain_verdict(answer, raced, tx_on, expected):
    state = _state({0: "Available", 1: "Available", 2: "Available"}, tx_on)
    assert verdict(answer, [1] if raced else [], state) == expected


def test_an_unlock_drain_minds_only_its_connector():
    busy_2 = _state({0: "Available", 1: "Available", 2: "Charging"}, tx_on=2)
    assert verdict("Accepted", [2], busy_2, connector_id=1) == "go"
    assert verdict("Accepted", [1], busy_2, connector_id=1) == "charge_in_progress"
    assert verdict("Accepted", [], busy_2, connector_id=2) == "charge_in_progress"
    assert plan_for(UnlockParams(connector_id=2), "1.6", forced=False) == DrainPlan(2, False)
    assert plan_for(ResetParams(type="hard"), "1.6", forced=False) == DrainPlan(0, True)
    assert plan_for(ResetParams(), "1.6", forced=True) is None
    assert plan_for(ResetParams(), "2.0.1", forced=False) is None
    assert plan_for(UnlockParams(), "2.0.1", forced=False) is None


def test_the_baseline_remembers_what_was_inoperative():
    assert availability_baseline(_state({0: "Available", 2: "Unavailable"})) == (
        AvailabilityBaseline(0, False, (2,))
    )
    assert AvailabilityBaseline(0, False, (2,)).restore_steps() == (
        (0, "operative"),
        (2, "inoperative"),
    )
    assert AvailabilityBaseline(0, True, (1, 2)).restore_steps() == ()
    assert AvailabilityBaseline(1, False, (2,)).restore_steps() == ((1, "operative"),)
    assert AvailabilityBaseline(2, False, (2,)).restore_steps() == ()
