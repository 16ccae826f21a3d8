"""The new-handoff webhook, against a real local HTTP receiver and a real backend."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from app.sessions.notify import HandoffWebhook
from tests.chargers import connected, eventually
from tests.conftest import TEST_CHARGER_PASSWORD, make_settings, start_backend
from tests.http_receiver import Receiver

CHARGER = "SITE-001-AC-01"


async def test_a_new_handoff_is_posted_off_the_request_path_and_retried(
    tmp_path: Path, receiver: Receiver
) -> None:
    settings = make_settings(
        tmp_path,
        handoff_webhook_url=receiver.url,
        handoff_webhook_backoff_seconds=0.05,
        public_ui_url="https://chargefix.example/app",
    )
    backend = await start_backend(settings)
    try:
        await backend.register(CHARGER)
        token = backend.token("partner", name="partner-1", sites=("SITE-001",))
        receiver.statuses[:] = [503]  # the chat tool is down once: the notice is sent again
        async with connected(backend.ocpp_url, CHARGER) as charger, backend.client(token) as pat:
            await charger.boot()
            r = await pat.post("/api/sessions", json={"charger_id": CHARGER, "symptom": "dark"})
            assert r.status_code == 201, r.text
            body = {
                "expected_version": r.json()["version"],
                "reason": "no display",
                "priority": "urgent",
            }
            # the receiver holds its answer: the partner's request must not wait for it
            r = await asyncio.wait_for(
                pat.post(f"/api/sessions/{r.json()['id']}/escalate", json=body), 5
            )
            assert r.status_code == 200, r.text
            handoff_id = r.json()["handoff"]["id"]
            first = await asyncio.wait_for(receiver.arrived.get(), 10)
            receiver.release.set()
            second = await asyncio.wait_for(receiver.arrived.get(), 10)
        assert first["raw"] == second["raw"] and first["path"] == "/hooks/chargefix"
        assert first["headers"]["Content-Type"] == "application/json"
        notice = json.loads(first["raw"])
        assert notice == {
            "event": "handoff.created",
            "id": handoff_id,
            "charger_id": CHARGER,
            "site_id": "SITE-001",
            "reason": "no display",
            "urgency": "urgent",
            "link": f"https://chargefix.example/app/desk?handoff={handoff_id}",
            "text": f"New handoff {handoff_id} (urgent): {CHARGER} at site SITE-001",
        }
        raw = first["raw"].decode()
        assert token not in raw and TEST_CHARGER_PASSWORD not in raw  # no secrets
        assert "authorization" not in {k.lower() for k in first["headers"]}
        hook = backend.state.sessions.webhook
        assert hook is not None
        # the receiver records the retry before its answer reaches the hook: wait for the count
        await eventually(lambda: hook.sent == 1, timeout=10)
        assert hook.failed == 0
    finally:
        await backend.backend.stop()


async def test_the_queue_is_bounded_and_a_refused_notice_is_not_retried(
    receiver: Receiver,
) -> None:
    hook = HandoffWebhook(receiver.url, queue_size=1, attempts=3, backoff_seconds=0.01)
    await hook.start()
    try:
        receiver.statuses[:] = [400]  # the receiver refuses the first body: no retry
        hook.offer({"id": 1})
        await asyncio.wait_for(receiver.arrived.get(), 5)  # the worker holds notice 1
        hook.offer({"id": 2})  # waits in the queue (size 1)
        hook.offer({"id": 3})  # dropped: the queue is full
        await asyncio.sleep(0)  # offer() hands over to the loop
        assert hook.dropped == 1
        receiver.release.set()
        second = await asyncio.wait_for(receiver.arrived.get(), 5)
        assert json.loads(second["raw"]) == {"id": 2}
        await asyncio.wait_for(hook._queue.join(), 5)
        assert (hook.sent, hook.failed) == (1, 1)
        assert [json.loads(r["raw"])["id"] for r in receiver.requests] == [1, 2]
    finally:
        await hook.stop()


def test_the_webhook_url_must_be_http() -> None:
    with pytest.raises(ValueError, match="handoff_webhook_url"):
        make_settings(Path("/tmp"), handoff_webhook_url="file:///etc/passwd")
