"""Safety in sessions over the real API, database and websockets: the qualification gate, the
hazard acknowledgement, and a reset that waits for a running charge to end."""

from __future__ import annotations

from typing import Any

from ocpp.v16 import call as call16

from tests.chargers import connected, eventually, now
from tests.conftest import RunningBackend
from tests.sessions.test_sessions_api import CHARGER, PROCEDURE, _close, _faulted_charger, _post

HAZARD = """
id: test-hazard
title: Test hazard
status: published
safety_level: electrical
qualifications: [electrician]
start: ask
nodes:
  - id: ask
    type: question
    kind: yes_no
    title: Open the charger?
    on_yes: lockout
    on_no: done
  - id: lockout
    type: instruction
    title: Lock off and prove dead
    text: SECRET-STEP-TEXT isolate, lock off, prove dead.
    safety_level: electrical
    qualifications: [electrician]
    next: done
  - id: done
    type: terminal
    title: Done
    outcome: resolved
"""


async def _clients(backend: RunningBackend, **quals: tuple[str, ...]) -> dict[str, Any]:
    await backend.register(CHARGER)
    clients = {
        name: backend.client(
            backend.token("partner", name=name, sites=("SITE-001",), qualifications=q)
        )
        for name, q in quals.items()
    }
    clients["editor"] = backend.client(backend.token("editor", name="editor-1"))
    r = await clients["editor"].post("/api/procedures", json={"yaml": PROCEDURE, "publish": True})
    assert r.status_code == 201, r.text
    # hazardous steps: a draft, approved by a second editor, then published (four eyes)
    draft = await clients["editor"].post("/api/procedures", json={"yaml": HAZARD})
    assert draft.status_code == 201, draft.text
    where = f"/api/procedures/{draft.json()['procedure_id']}"
    version = {"version": draft.json()["version"]}
    async with backend.client(backend.token("editor", name="editor-2")) as reviewer:
        assert (await reviewer.post(f"{where}/approve", params=version)).status_code == 200
    r = await clients["editor"].post(f"{where}/publish", params=version)
    assert r.status_code == 200, r.text
    return clients


async def test_unqualified_partner_is_handed_over_qualified_one_acknowledges(
    backend: RunningBackend,
) -> None:
    clients = await _clients(backend, pat=(), elena=("electrician",))
    try:
        async with connected(backend.ocpp_url, CHARGER) as charger:
            await _faulted_charger(charger)
            await eventually(lambda: backend.state.live.get(CHARGER).online)
            body = {"charger_id": CHARGER, "procedure_id": "test-hazard"}
            for name in ("pat", "elena"):
                r = await clients[name].post("/api/sessions", json=body)
                assert r.status_code == 201, r.text
                s = r.json()
                sid = f"/api/sessions/{s['id']}"
                s = await _post(
                    clients[name],
                    f"{sid}/answer",
                    {"expected_version": s["version"], "value": "yes"},
                )
                s = (await clients[name].get(sid)).json()
                if name == "pat":
                    assert s["status"] == "escalated" and s["current_node"] is None
                    assert s["handoff"]["status"] == "waiting"
                    assert "SECRET-STEP-TEXT" not in str(s)  # never shown the step
                    assert "qualified electrician" in s["steps"][-1]["note"]
                    continue
                assert s["directive"]["action"] == "acknowledge" and s["directive"]["hazard"]
                assert s["hazard"]["acknowledged"] is False
                r = await clients[name].post(
                    f"{sid}/answer", json={"expected_version": s["version"], "value": "done"}
                )
                assert r.status_code == 422  # no answer before the acknowledgement
                s = await _post(
                    clients[name],
                    f"{sid}/answer",
                    {"expected_version": s["version"], "kind": "acknowledge", "value": True},
                )
                s = (await clients[name].get(sid)).json()
                assert s["directive"]["action"] == "ask" and s["directive"]["hazard"] is True
                assert s["hazard"]["acknowledged"] is True
                logged = [st for st in s["steps"] if st["kind"] == "acknowledge"]
                assert logged and logged[0]["answer"]["acknowledged"] is True
                assert "proven it dead" in logged[0]["answer"]["text"]
                assert logged[0]["actor"] == "elena"
    finally:
        await _close(clients)


async def test_reset_during_a_charge_waits_says_why_then_runs(backend: RunningBackend) -> None:
    clients = await _clients(backend, pat=())
    partner = clients["pat"]
    try:
        async with connected(backend.ocpp_url, CHARGER) as charger:
            await _faulted_charger(charger)
            started = await charger.call(
                call16.StartTransaction(
                    connector_id=1, id_tag="DRIVER-7", meter_start=0, timestamp=now()
                )
            )
            await eventually(lambda: backend.state.live.get(CHARGER).transactions)
            body = {"charger_id": CHARGER, "procedure_id": "test-reset"}
            s = (await partner.post("/api/sessions", json=body)).json()
            sid = f"/api/sessions/{s['id']}"
            assert s["directive"]["action"] == "confirm"
            assert "waiting: connector 1 is charging (started" in s["directive"]["text"]
            s = await _post(
                partner, f"{sid}/answer", {"expected_version": s["version"], "kind": "confirm"}
            )
            view = (await partner.get(sid)).json()
            assert view["cursor"]["phase"] == "idle"
            assert view["progress"]["waiting_for"].startswith("waiting: connector 1 is charging")
            assert view["progress"]["seconds_left"] > 0
            assert not [m for m in charger.received if m[0] == "Reset"]
            await charger.call(
                call16.StopTransaction(
                    transaction_id=started.transaction_id, meter_stop=1000, timestamp=now()
                )
            )

            async def waiting_for_boot() -> bool:
                return (await partner.get(sid)).json()["cursor"]["phase"] == "wait"

            await eventually(waiting_for_boot)
            assert ("Reset", {"type": "Soft"}) in charger.received
            log = (await partner.get(sid)).json()["steps"]
            assert any("connector 1 is charging" in (st["note"] or "") for st in log)
            assert any(st["note"] == "the charge has ended" for st in log)
    finally:
        await _close(clients)


async def test_2_0_1_scheduled_reset_waits_for_the_charge_end_and_the_reboot(
    backend: RunningBackend,
) -> None:
    from datetime import UTC, datetime

    from app.fleet.model import ActiveTransaction

    clients = await _clients(backend, pat=())
    partner = clients["pat"]
    try:
        async with connected(backend.ocpp_url, CHARGER, version="2.0.1") as charger:
            charger.reset_answer = "Scheduled"
            await charger.boot()
            await charger.status(1, "Faulted")
            await eventually(lambda: backend.state.live.get(CHARGER).online)
            tx = ActiveTransaction(
                transaction_id="tx-9", connector_id=1, started_at=datetime.now(UTC)
            )
            backend.state.live.start_transaction(CHARGER, tx)
            body = {"charger_id": CHARGER, "procedure_id": "test-reset"}
            s = (await partner.post("/api/sessions", json=body)).json()
            sid = f"/api/sessions/{s['id']}"
            s = await _post(
                partner, f"{sid}/answer", {"expected_version": s["version"], "kind": "confirm"}
            )

            async def waiting() -> dict[str, Any] | None:
                view = (await partner.get(sid)).json()
                return view if view["cursor"]["phase"] == "wait" else None

            view = await eventually(waiting)
            assert ("Reset", {"type": "OnIdle"}) in charger.received
            assert view["progress"]["waiting_for"].startswith("waiting: connector 1 is charging")
            assert view["progress"]["seconds_left"] > 10  # the step's 10 s plus the idle bound
            # the charge ends and the connector is Available, but no reboot yet: no advance
            backend.state.live.stop_transaction(CHARGER, "tx-9", meter_stop_wh=None, reason="Local")
            await charger.status(1, "Available")
            view = (await partner.get(sid)).json()
            assert view["cursor"]["phase"] == "wait"
            await charger.boot()
            await charger.status(1, "Available")

            async def asked() -> bool:
                return (await partner.get(sid)).json()["cursor"]["node_id"] == "works"

            await eventually(asked)
    finally:
        await _close(clients)
