"""A procedure's test charge (issue 17): a remote_start step with the configured test token
($test_token), proven by a transaction on the connector whose meter shows energy flowing
(energy_flowing), then a remote_stop step; both through the command gateway, whose guards
still apply (no start on a connector with a safety fault). Real backend, real websockets, a
scripted 1.6 charger on the ocpp package's client side."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from ocpp.v16 import call as call16

from tests.chargers import connected, eventually, now
from tests.conftest import RunningBackend

PROCEDURE = """
id: test-charge
title: Test charge
status: published
applies_to: {error_codes: [NoError]}
start: start_charge
nodes:
  - id: start_charge
    type: remote_action
    title: Test charge
    text: ChargeFix starts a short charge with its test card to see that energy flows.
    command: remote_start
    params: {id_token: $test_token}
    confirmation: Plug the vehicle (or the test adapter) in; a test charge starts now.
    wait: {connector: $connector, in_transaction: true, energy_flowing: true}
    timeout_seconds: 3
    on_success: stop_charge
    on_failure: no_start
    on_timeout: charging_without_energy
  - id: stop_charge
    type: remote_action
    title: End the test charge
    command: remote_stop
    params: {id_token: $test_token}
    allow_during_transaction: true
    confirmation: The test charge delivered energy; ChargeFix ends it now.
    wait: {connector: $connector, in_transaction: false}
    timeout_seconds: 3
    on_success: works
    on_failure: stop_failed
  - id: charging_without_energy
    type: check_state
    title: Did the charge start at all?
    branches:
      - when: {connector: $connector, in_transaction: true}
        next: stop_no_energy
    otherwise: no_start
  - id: stop_no_energy
    type: remote_action
    title: End the test charge
    command: remote_stop
    params: {id_token: $test_token}
    allow_during_transaction: true
    confirmation: The test charge started but no energy flowed; ChargeFix ends it now.
    wait: {connector: $connector, in_transaction: false}
    timeout_seconds: 3
    on_success: no_energy
    on_failure: stop_failed
  - id: works
    type: terminal
    title: The test charge delivered energy and stopped cleanly
    outcome: resolved
    resolution: Test charge with the test card delivered energy and stopped.
  - id: no_start
    type: terminal
    title: The charger did not start the test charge
    outcome: escalate
  - id: no_energy
    type: terminal
    title: The test charge started but no energy flowed
    outcome: escalate
  - id: stop_failed
    type: terminal
    title: The test charge did not stop
    outcome: escalate
    priority: urgent
"""


@asynccontextmanager
async def _partner(backend: RunningBackend, charger_id: str) -> AsyncIterator[httpx.AsyncClient]:
    """The charger and the test token registered, the procedure published, the partner's
    client (the charger's site assigned to them)."""
    await backend.register(charger_id)
    await backend.register_id_token(backend.state.settings.test_charge_id_tag)
    site = charger_id.rsplit("-", 2)[0]
    async with backend.client(backend.token("editor", name="ed")) as editor:
        r = await editor.post("/api/procedures", json={"yaml": PROCEDURE, "publish": True})
        assert r.status_code in (200, 201), r.text
    async with backend.client(backend.token("partner", name="pat", sites=(site,))) as partner:
        yield partner


async def _confirm(
    partner: httpx.AsyncClient, sid: str, node: str, timeout: float = 5.0
) -> dict[str, Any]:
    async def at_node() -> dict[str, Any] | None:
        view = (await partner.get(sid)).json()
        ok = view["cursor"]["node_id"] == node and view["directive"]["action"] == "confirm"
        return view if ok else None

    view = await eventually(at_node, timeout=timeout)
    r = await partner.post(
        f"{sid}/answer", json={"expected_version": view["version"], "kind": "confirm"}
    )
    assert r.status_code == 200, r.text
    return view


async def _finished(partner: httpx.AsyncClient, sid: str) -> dict[str, Any]:
    async def done() -> dict[str, Any] | None:
        view = (await partner.get(sid)).json()
        return view if view["cursor"]["phase"] == "finished" else None

    try:
        return await eventually(done, timeout=10)
    except AssertionError:
        raise AssertionError((await partner.get(sid)).json()) from None


async def _test_charge_started(
    backend: RunningBackend, partner: httpx.AsyncClient, charger: Any, id_tag: str
) -> tuple[str, Any]:
    """A session of the test-charge procedure on a charger with a vehicle plugged in, its start
    confirmed; the charger starts a charge with ``id_tag``. Returns the session's path and the
    StartTransaction answer."""
    cid = charger.id
    await charger.boot()
    await charger.status(1, "Preparing")
    await eventually(lambda: backend.state.live.get(cid).online)
    r = await partner.post(
        "/api/sessions",
        json={"charger_id": cid, "procedure_id": "test-charge", "symptom": "no charge"},
    )
    assert r.status_code == 201, r.text
    sid = f"/api/sessions/{r.json()['id']}"
    await _confirm(partner, sid, "start_charge")
    await eventually(lambda: [a for a, _ in charger.received if a == "RemoteStartTransaction"])
    tx = await charger.call(
        call16.StartTransaction(connector_id=1, id_tag=id_tag, meter_start=1000, timestamp=now())
    )
    return sid, tx


async def test_test_charge_starts_sees_energy_and_stops(backend: RunningBackend) -> None:
    cid = "SITE-017-TC-01"
    async with _partner(backend, cid) as partner, connected(backend.ocpp_url, cid) as charger:
        # the charger starts the charge; the step waits for energy, not the start alone
        sid, tx = await _test_charge_started(backend, partner, charger, "CHARGEFIX-TEST")
        started = [p for a, p in charger.received if a == "RemoteStartTransaction"]
        assert started[0]["id_tag"] == "CHARGEFIX-TEST" and started[0]["connector_id"] == 1
        assert tx.id_tag_info["status"] == "Accepted"
        await eventually(lambda: backend.state.live.get(cid).transaction_on(1))
        assert (await partner.get(sid)).json()["cursor"]["node_id"] == "start_charge"
        await charger.meter(1, tx.transaction_id, 1040)
        view = await _confirm(partner, sid, "stop_charge")
        assert "delivered energy" in view["directive"]["text"]
        stopped = await eventually(
            lambda: [p for a, p in charger.received if a == "RemoteStopTransaction"]
        )
        assert stopped == [{"transaction_id": tx.transaction_id}]
        await charger.call(
            call16.StopTransaction(
                meter_stop=1040, timestamp=now(), transaction_id=tx.transaction_id
            )
        )
        view = await _finished(partner, sid)
    assert view["outcome"] == "resolved"
    assert view["current_node"]["title"] == "The test charge delivered energy and stopped cleanly"


async def test_test_charge_without_energy_times_out(backend: RunningBackend) -> None:
    cid = "SITE-017-TC-02"
    async with _partner(backend, cid) as partner, connected(backend.ocpp_url, cid) as charger:
        sid, tx = await _test_charge_started(backend, partner, charger, "CHARGEFIX-TEST")
        # no meter value: the step times out and the charge is ended, not left running
        view = await _confirm(partner, sid, "stop_no_energy", timeout=10)
        assert "no energy flowed" in view["directive"]["text"]
        await eventually(lambda: [a for a, _ in charger.received if a == "RemoteStopTransaction"])
        await charger.call(
            call16.StopTransaction(
                meter_stop=1000, timestamp=now(), transaction_id=tx.transaction_id
            )
        )
        view = await _finished(partner, sid)
    assert view["cursor"]["outcome"] == "escalate"
    assert view["current_node"]["title"] == "The test charge started but no energy flowed"


async def test_no_test_charge_on_a_connector_with_a_safety_fault(backend: RunningBackend) -> None:
    cid = "SITE-017-TC-03"
    async with _partner(backend, cid) as partner, connected(backend.ocpp_url, cid) as charger:
        await charger.boot()
        await charger.status(1, "Faulted", "GroundFailure")
        await eventually(lambda: backend.state.live.get(cid).safety_faults())
        r = await partner.post(
            "/api/sessions",
            json={"charger_id": cid, "procedure_id": "test-charge", "symptom": "no charge"},
        )
        sid = f"/api/sessions/{r.json()['id']}"
        await _confirm(partner, sid, "start_charge")
        view = await _finished(partner, sid)
        assert not [a for a, _ in charger.received if a == "RemoteStartTransaction"]
    assert view["cursor"]["outcome"] == "escalate"
    assert view["current_node"]["title"] == "The charger did not start the test charge"
    command = next(s for s in view["steps"] if s["kind"] == "command")
    assert "SafetyInterlock" in str(command)


async def test_the_test_charge_stop_leaves_a_drivers_charge_alone(backend: RunningBackend) -> None:
    """The charger ignored the test start and a driver started charging with their own card:
    energy flows on the connector, but the stop (which names the test token) is refused by the
    gateway, nothing is sent, the driver keeps charging and the session goes to a person."""
    cid = "SITE-017-TC-04"
    await backend.register_id_token("DRIVER-CARD")
    async with _partner(backend, cid) as partner, connected(backend.ocpp_url, cid) as charger:
        sid, tx = await _test_charge_started(backend, partner, charger, "DRIVER-CARD")
        await charger.meter(1, tx.transaction_id, 1040)
        await _confirm(partner, sid, "stop_charge")
        view = await _finished(partner, sid)
        assert not [a for a, _ in charger.received if a == "RemoteStopTransaction"]
        assert backend.state.live.get(cid).transaction_on(1) is not None
    assert view["cursor"]["outcome"] == "escalate"
    assert view["current_node"]["title"] == "The test charge did not stop"
