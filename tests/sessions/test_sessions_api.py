"""Sessions over the real API, real DB and a real backend with an OCPP 1.6 test charger."""

from __future__ import annotations

import asyncio
import csv
from typing import Any

import httpx
import pytest

from tests.chargers import connected, eventually
from tests.conftest import RunningBackend, make_settings, start_backend

CHARGER = "SITE-001-AC-01"

PROCEDURE = """
id: test-reset
title: Test soft reset
status: published
applies_to: {error_codes: [InternalError], connector_statuses: [Faulted]}
start: is_faulted
nodes:
  - id: is_faulted
    type: check_state
    title: Is the connector faulted?
    branches:
      - when: {connector: $connector, status_in: [Faulted]}
        next: reset
    otherwise: not_reproducible
  - id: reset
    type: remote_action
    title: Soft reset
    command: reset
    params: {type: soft}
    confirmation: The charger restarts.
    wait: {connector: $connector, status_in: [Available], error_code: NoError}
    timeout_seconds: 60  # the restart test stops one backend and starts another inside it
    on_success: works
    on_failure: escalate
    on_timeout: escalate
  - id: works
    type: question
    kind: yes_no
    title: Does charging start?
    on_yes: resolved
    on_no: escalate
  - id: resolved
    type: terminal
    title: Fixed
    outcome: resolved
    diagnosis: Firmware hang
    resolution: Soft reset
  - id: escalate
    type: terminal
    title: Needs a consultant
    outcome: escalate
    priority: high
    diagnosis: Reset did not help
  - id: not_reproducible
    type: terminal
    title: Not faulted
    outcome: not_reproducible
"""


SITES = {"partner": ("SITE-001",), "consultant": (), "editor": ()}


async def _setup(backend: RunningBackend) -> dict[str, httpx.AsyncClient]:
    await backend.register(CHARGER)
    clients = {
        role: backend.client(backend.token(role, name=f"{role}-1", sites=SITES[role]))
        for role in ("partner", "consultant", "editor")
    }
    clients["other_partner"] = backend.client(backend.token("partner", name="partner-2"))
    r = await clients["editor"].post("/api/procedures", json={"yaml": PROCEDURE, "publish": True})
    assert r.status_code == 201, r.text
    return clients


async def _close(clients: dict[str, httpx.AsyncClient]) -> None:
    for c in clients.values():
        await c.aclose()


async def _faulted_charger(charger: Any) -> None:
    await charger.boot()
    await charger.status(1, "Faulted", "InternalError", vendor_error_code="E-201")


async def _start(partner: httpx.AsyncClient, **extra: Any) -> dict[str, Any]:
    body = {"charger_id": CHARGER, "procedure_id": "test-reset", "symptom": "display frozen"}
    r = await partner.post("/api/sessions", json={**body, **extra})
    assert r.status_code == 201, r.text
    return r.json()


async def _post(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    r = await client.post(path, json=body)
    assert r.status_code == 200, r.text
    return r.json()


async def test_full_session_reset_observed_resolved_and_exported(backend: RunningBackend) -> None:
    clients = await _setup(backend)
    partner = clients["partner"]
    try:
        async with connected(backend.ocpp_url, CHARGER) as charger:
            await _faulted_charger(charger)
            await eventually(lambda: backend.state.live.get(CHARGER).online)
            s = await _start(partner)
            assert s["cursor"]["node_id"] == "reset" and s["directive"]["action"] == "confirm"
            assert s["current_node"]["title"] == "Soft reset"
            sid = f"/api/sessions/{s['id']}"
            s = await _post(
                partner, f"{sid}/answer", {"expected_version": s["version"], "kind": "confirm"}
            )

            async def waiting() -> bool:
                view = (await partner.get(sid)).json()
                return view["cursor"]["phase"] == "wait"

            await eventually(waiting)
            assert ("Reset", {"type": "Soft"}) in charger.received
            view = (await partner.get(sid)).json()
            assert view["progress"]["phase"] == "wait" and view["progress"]["seconds_left"] > 0
            # an Available report without a reboot proves nothing: the step keeps waiting
            await charger.status(1, "Available")
            await asyncio.sleep(0.3)
            assert (await partner.get(sid)).json()["cursor"]["phase"] == "wait"
            await charger.status(1, "Faulted", "InternalError")
            # the charger reboots and reports its connector healthy again
            await charger.boot()
            await charger.status(1, "Available")

            async def asked() -> dict[str, Any] | None:
                view = (await partner.get(sid)).json()
                return view if view["cursor"]["node_id"] == "works" else None

            view = await eventually(asked)
            view = await _post(
                partner,
                f"{sid}/answer",
                {"expected_version": view["version"], "value": "yes", "note": "ok now"},
            )
        assert view["status"] == "finished" and view["outcome"] == "resolved"
        kinds = [s["kind"] for s in view["steps"]]
        assert kinds == [
            "created",
            "procedure",
            "confirm",
            "command",
            "state",
            "answer",
            "finished",
        ]
        command_step = view["steps"][3]
        assert command_step["command"] == "reset"
        assert command_step["command_result"]["status"] == "Accepted"
        assert command_step["procedure_version"] == 1 and command_step["actor"] == "system"
        state_step = view["steps"][4]
        assert state_step["branch"] == "success" and state_step["entered"] == ["works"]
        full = (await clients["consultant"].get(sid)).json()
        assert full["partner"] == "partner-1"
        # exported as a past ticket
        inbox = backend.state.settings.data_dir / "knowledge_base_inbox" / "session_tickets.csv"
        rows = list(csv.DictReader(inbox.open()))
        assert rows[-1]["charger_id"] == CHARGER and rows[-1]["outcome"] == "resolved"
        assert (
            rows[-1]["error_code"] == "InternalError" and rows[-1]["vendor_error_code"] == "E-201"
        )
        assert rows[-1]["diagnosis"] == "Firmware hang" and rows[-1]["symptom"] == "display frozen"
        eff = (await clients["editor"].get("/api/procedures/test-reset/effectiveness")).json()
        assert eff["runs"] == 1 and eff["resolution_rate"] == 1.0 and eff["escalation_rate"] == 0
    finally:
        await _close(clients)


async def test_roles_partners_see_only_their_sessions(backend: RunningBackend) -> None:
    clients = await _setup(backend)
    try:
        s = await _start(clients["partner"])
        assert (await clients["other_partner"].get(f"/api/sessions/{s['id']}")).status_code == 404
        assert (await clients["other_partner"].get("/api/sessions")).json() == []
        assert len((await clients["consultant"].get("/api/sessions")).json()) == 1
        assert (await clients["editor"].get(f"/api/sessions/{s['id']}")).status_code == 403
        r = await clients["partner"].post("/api/procedures", json={"yaml": PROCEDURE})
        assert r.status_code == 403
        assert (await clients["partner"].get("/api/handoffs")).status_code == 403
    finally:
        await _close(clients)


async def test_escalation_claimed_messaged_pushed_and_closed(backend: RunningBackend) -> None:
    clients = await _setup(backend)
    partner, consultant = clients["partner"], clients["consultant"]
    try:
        async with connected(backend.ocpp_url, CHARGER) as charger:
            await _faulted_charger(charger)
            await eventually(lambda: backend.state.live.get(CHARGER).online)
            s = await _start(partner)
            sid = f"/api/sessions/{s['id']}"
            s = await _post(
                partner,
                f"{sid}/answer",
                {
                    "expected_version": s["version"],
                    "kind": "note",
                    "note": "LED blinks red",
                    "photo": "uploads/led.jpg",
                },
            )
            s = await _post(
                partner,
                f"{sid}/escalate",
                {"expected_version": s["version"], "reason": "unsure", "priority": "urgent"},
            )
            assert s["status"] == "escalated" and s["handoff"]["status"] == "waiting"
            queue = (await consultant.get("/api/handoffs")).json()
            assert len(queue) == 1 and queue[0]["priority"] == "urgent"
            assert queue[0]["charger_id"] == CHARGER and queue[0]["waiting_seconds"] >= 0
            text = queue[0]["summary_text"]
            assert (
                "InternalError" in text and "LED blinks red" in text and "uploads/led.jpg" in text
            )
            hid = queue[0]["id"]
            # push before claim is refused
            r = await consultant.post(f"/api/handoffs/{hid}/push", json={"text": "x"})
            assert r.status_code == 409
            claimed = await _post(consultant, f"/api/handoffs/{hid}/claim", {})
            assert claimed["claimed_by"] == "consultant-1"
            r = await consultant.post(
                f"/api/handoffs/{hid}/messages", json={"text": "Check the fuse F2"}
            )
            assert r.status_code == 201
            r = await partner.post(f"/api/handoffs/{hid}/messages", json={"text": "F2 is fine"})
            assert r.status_code == 201
            await _post(
                consultant, f"/api/handoffs/{hid}/push", {"text": "Power-cycle at the breaker"}
            )
            result = await _post(
                consultant,
                f"/api/handoffs/{hid}/commands/trigger_message",
                {"message": "StatusNotification", "connector_id": 1},
            )
            assert result["status"] == "Accepted"
            view = (await partner.get(sid)).json()
            assert [m["text"] for m in view["messages"]] == ["Check the fuse F2", "F2 is fine"]
            assert view["consultant_step"]["text"] == "Power-cycle at the breaker"
            view = await _post(
                partner,
                f"{sid}/answer",
                {"expected_version": view["version"], "kind": "ack", "note": "done"},
            )
            assert view["consultant_step"] is None
            closed = await _post(
                consultant,
                f"/api/handoffs/{hid}/close",
                {"resolution": "Replaced the RCD", "outcome": "site_visit"},
            )
            assert closed["status"] == "closed"
        view = (await partner.get(sid)).json()
        assert view["status"] == "finished" and view["outcome"] == "site_visit"
        assert view["steps"][-2]["kind"] == "handoff_closed"
        assert view["steps"][-2]["note"] == "Replaced the RCD"
        kinds = [s["kind"] for s in view["steps"]]
        for kind in ("escalated", "claimed", "message", "push", "consultant_command", "ack"):
            assert kind in kinds
        assert (await consultant.get(sid)).status_code == 200  # an audited read
        # procedure statistics are the editors' (and admins'): not the consultants'
        r = await consultant.get("/api/procedures/test-reset/effectiveness")
        assert r.status_code == 403, r.text
        eff = (await clients["editor"].get("/api/procedures/test-reset/effectiveness")).json()
        assert eff["escalation_rate"] == 1.0 and eff["most_left_step"] == "reset"
        assert eff["runs"] == 1 and eff["escalated"] == 1 and eff["most_left_count"] == 1
        # the step the partner was on when they called the consultant
        assert eff["consultant_called_at"] == [{"node_id": "reset", "count": 1}]
        assert eff["left_at"] == [] and eff["resolved"] == 0
        from sqlalchemy import select

        from app.db.models_sessions import SessionAudit

        with backend.state.session_factory() as db:
            actions = [(a.actor, a.action) for a in db.scalars(select(SessionAudit))]
        for entry in [
            ("partner-1", "session.create"),
            ("partner-1", "session.escalate"),
            ("consultant-1", "handoff.claim"),
            ("consultant-1", "handoff.message"),
            ("consultant-1", "handoff.command"),
            ("consultant-1", "handoff.close"),
            ("consultant-1", "session.read"),
            ("editor-1", "procedure.save"),
        ]:
            assert entry in actions, entry
    finally:
        await _close(clients)


async def test_two_tablets_conflict(backend: RunningBackend) -> None:
    clients = await _setup(backend)
    partner = clients["partner"]
    try:
        s = await _start(partner, procedure_id=None)
        assert s["procedure"] is None and "suggestions" in s
        sid = f"/api/sessions/{s['id']}"
        first = await partner.post(
            f"{sid}/answer",
            json={"expected_version": s["version"], "kind": "note", "note": "tablet A"},
        )
        second = await partner.post(
            f"{sid}/answer",
            json={"expected_version": s["version"], "kind": "note", "note": "tablet B"},
        )
        assert first.status_code == 200 and second.status_code == 409
        assert "reload" in second.json()["detail"]["error"]
        # concurrent writers with the same version: exactly one wins
        v = first.json()["version"]
        results = await asyncio.gather(
            *[
                partner.post(
                    f"{sid}/answer", json={"expected_version": v, "kind": "note", "note": str(i)}
                )
                for i in range(4)
            ]
        )
        assert sorted(r.status_code for r in results) == [200, 409, 409, 409]
        view = (await partner.get(sid)).json()
        assert [s["seq"] for s in view["steps"]] == list(range(1, len(view["steps"]) + 1))
    finally:
        await _close(clients)


async def test_guardrail_blocks_reset_during_transaction(backend: RunningBackend) -> None:
    clients = await _setup(backend)
    try:
        from datetime import UTC, datetime

        from app.fleet.model import ActiveTransaction

        async with connected(backend.ocpp_url, CHARGER) as charger:
            await _faulted_charger(charger)
            await eventually(lambda: backend.state.live.get(CHARGER).online)
            backend.state.live.start_transaction(
                CHARGER,
                ActiveTransaction(transaction_id="9", connector_id=1, started_at=datetime.now(UTC)),
            )
            s = await _start(clients["partner"])
            # a reset never interrupts the charge: the step says so and waits for its end
            # (tests/sessions/test_safety_api.py follows it to the end)
            assert s["status"] == "active" and s["directive"]["action"] == "confirm"
            assert "connector 1 is charging" in s["directive"]["text"]
            assert not [m for m in charger.received if m[0] == "Reset"]
    finally:
        await _close(clients)


async def test_restart_resumes_a_waiting_session(tmp_path: Any) -> None:
    settings = make_settings(tmp_path)
    backend = await start_backend(settings)
    clients = await _setup(backend)
    try:
        async with connected(backend.ocpp_url, CHARGER) as charger:
            await _faulted_charger(charger)
            await eventually(lambda: backend.state.live.get(CHARGER).online)
            s = await _start(clients["partner"])
            sid = f"/api/sessions/{s['id']}"
            await _post(
                clients["partner"],
                f"{sid}/answer",
                {"expected_version": s["version"], "kind": "confirm"},
            )

            async def waiting() -> bool:
                return (await clients["partner"].get(sid)).json()["cursor"]["phase"] == "wait"

            await eventually(waiting)
    finally:
        await _close(clients)
        # until Backend.stop() does it: the old backend's runner must not race the new one
        await backend.state.sessions.stop()
        await backend.backend.stop()
    # a new backend on the same data dir: the session is still waiting and finishes on its own
    settings2 = make_settings(tmp_path)
    backend2 = await start_backend(settings2)
    partner = backend2.client(backend2.token("partner", name="partner-1"))
    try:
        view = (await partner.get(sid)).json()
        assert view["cursor"]["node_id"] == "reset" and view["cursor"]["phase"] == "wait"
        async with connected(backend2.ocpp_url, CHARGER) as charger:
            await charger.boot()
            await charger.status(1, "Available")

            async def asked() -> dict[str, Any] | None:
                v = (await partner.get(sid)).json()
                return v if v["cursor"]["node_id"] == "works" else None

            view = await eventually(asked, timeout=8)
        assert [s["kind"] for s in view["steps"]][-1] == "state"
    finally:
        await partner.aclose()
        await backend2.backend.stop()


@pytest.mark.parametrize("publish", [True, False])
async def test_invalid_procedure_saved_as_draft_never_published(
    backend: RunningBackend, publish: bool
) -> None:
    editor = backend.client(backend.token("editor", name="ed"))
    try:
        bad = PROCEDURE.replace("on_no: escalate", "on_no: nowhere").replace(
            "id: test-reset", "id: bad-one"
        )
        r = await editor.post("/api/procedures", json={"yaml": bad, "publish": publish})
        if publish:
            assert r.status_code == 422
            assert "reference to unknown node 'nowhere'" in str(r.json())
        else:
            assert r.status_code == 201 and r.json()["status"] == "draft"
            assert r.json()["valid"] is False
            r = await editor.post("/api/procedures/bad-one/publish")
            assert r.status_code == 422
        good = await editor.post("/api/procedures", json={"yaml": PROCEDURE})
        assert good.json()["version"] == 1
        again = await editor.post(
            "/api/procedures", json={"yaml": PROCEDURE.replace("Fixed", "Fixed!")}
        )
        assert again.json()["version"] == 2
        dot = await editor.get("/api/procedures/test-reset/graph")
        assert dot.text.startswith('digraph "test-reset"')
    finally:
        await editor.aclose()


async def test_procedure_statistics_count_where_partners_leave(backend: RunningBackend) -> None:
    """Issue 18: per procedure, how often it was used, how often it fixed the fault, and the
    step where partners most often leave (here: twice at the reset's confirmation)."""
    clients = await _setup(backend)
    partner, editor = clients["partner"], clients["editor"]
    try:
        async with connected(backend.ocpp_url, CHARGER) as charger:
            await _faulted_charger(charger)
            await eventually(lambda: backend.state.live.get(CHARGER).online)
            for _ in range(2):
                s = await _start(partner)
                assert s["cursor"]["node_id"] == "reset", s["cursor"]
                await _post(
                    partner,
                    f"/api/sessions/{s['id']}/abandon",
                    {"expected_version": s["version"], "note": "no time"},
                )
        eff = (await editor.get("/api/procedures/test-reset/effectiveness")).json()
        assert eff["runs"] == 2 and eff["abandoned"] == 2 and eff["resolved"] == 0
        assert eff["left_at"] == [{"node_id": "reset", "count": 2}]
        assert eff["most_left_step"] == "reset" and eff["most_left_count"] == 2
        assert eff["consultant_called_at"] == [] and eff["escalation_rate"] == 0
        r = await editor.get("/api/procedures/no-such-procedure/effectiveness")
        assert r.status_code == 404 and "no-such-procedure" in r.text, r.text
    finally:
        await _close(clients)
