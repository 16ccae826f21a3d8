"""The new-handoff webhook, against a real local HTTP receiver and a real backend."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from app.sessions.notify import HandoffWebhook
from tests.chargers import connected, eventually
from tests.conftest import TEST_CHARGER_PASSWORD, make_settings, start_backend

CHARGER = "SITE-001-AC-01"


@dataclass
class Receiver:
    """An HTTP server that answers with the given statuses in turn (then 200), holds each
    answer until ``release`` is set, and tells the test's loop about every request."""

    statuses: list[int]
    loop: asyncio.AbstractEventLoop
    release: threading.Event = field(default_factory=threading.Event)
    requests: list[dict[str, Any]] = field(default_factory=list)
    arrived: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    url: str = ""


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    box = Receiver(statuses=[], loop=asyncio.get_running_loop())

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            seen = {"path": self.path, "headers": dict(self.headers), "raw": raw}
            box.requests.append(seen)
            box.loop.call_soon_threadsafe(box.arrived.put_nowait, seen)
            box.release.wait(10)
            status = box.statuses.pop(0) if box.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/chargefix"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield box
    finally:
        box.release.set()
        server.shutdown()
        server.server_close()


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
