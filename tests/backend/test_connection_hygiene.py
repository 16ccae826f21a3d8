"""One live socket per charger, and answers nobody asked for are dropped (real sockets)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import time
from urllib.parse import urlsplit

import websockets
from sqlalchemy import select

from app.db.models import CommandRow, EventRow, SecurityEventRow
from tests.chargers import basic_auth, connected, eventually
from tests.conftest import TEST_CHARGER_PASSWORD, make_settings, start_backend


def _security_events(backend, charger_id: str, kind: str) -> list[SecurityEventRow]:
    with backend.state.session_factory() as session:
        return list(
            session.scalars(
                select(SecurityEventRow).where(
                    SecurityEventRow.charger_id == charger_id, SecurityEventRow.kind == kind
                )
            )
        )


async def test_unsolicited_answers_are_dropped_and_commands_still_work(backend, api_client):
    charger_id = "SITE-040-AC-01"
    await backend.register(charger_id)
    async with connected(backend.ocpp_url, charger_id) as charger:
        await charger.boot()
        for i in range(1000):
            await charger._connection.send(json.dumps([3, f"never-asked-{i}", {}]))
        await charger._connection.send(json.dumps([4, "never-asked-x", "GenericError", "", {}]))
        response = await api_client.post(
            f"/api/chargers/{charger_id}/commands/reset", json={"type": "soft"}
        )
        assert response.status_code == 200, response.text
        assert response.json()["response"]["status"] == "Accepted"
        charge_point = backend.state.csms.connections[charger_id].charge_point
        assert charge_point.unsolicited_responses == 1001
        assert charge_point._response_queue.qsize() == 0
    await backend.state.recorder.flush()
    with backend.state.session_factory() as session:
        audited = session.scalars(
            select(CommandRow).where(CommandRow.charger_id == charger_id)
        ).all()
        assert [(row.command, row.outcome) for row in audited] == [
            ("change_availability", "answered"),  # the drain before the reset
            ("reset", "answered"),
        ]
        recorded = session.scalars(
            select(EventRow.unique_id).where(
                EventRow.charger_id == charger_id,
                EventRow.direction == "in",
                EventRow.message_type == 3,
            )
        ).all()
    assert sum(1 for uid in recorded if uid.startswith("never-asked-")) == 1000
    events = _security_events(backend, charger_id, "UnsolicitedResponses")
    assert len(events) == 1  # once per connection, not once per frame
    assert "more than 20" in events[0].detail


async def test_a_few_stray_answers_raise_no_security_event(backend):
    charger_id = "SITE-040-AC-02"
    await backend.register(charger_id)
    async with connected(backend.ocpp_url, charger_id) as charger:
        await charger.boot()
        for i in range(20):
            await charger._connection.send(json.dumps([3, f"stray-{i}", {}]))
        await charger.boot()  # answered after the strays: they have been read
    await backend.state.recorder.flush()
    assert _security_events(backend, charger_id, "UnsolicitedResponses") == []


async def test_late_answer_to_a_timed_out_command_is_not_kept(tmp_path):
    running = await start_backend(make_settings(tmp_path, command_timeout=0.3))
    charger_id = "SITE-040-AC-03"
    try:
        await running.register(charger_id)
        async with connected(running.ocpp_url, charger_id) as charger:
            await charger.boot()
            late: list[str] = []
            original = charger.route_message

            async def hold_the_first_call(message):  # it does not answer that one in time
                if json.loads(message)[0] == 2 and not late:
                    late.append(json.loads(message)[1])
                    return
                await original(message)

            charger.route_message = hold_the_first_call
            async with running.client() as client:
                url = f"/api/chargers/{charger_id}/commands/reset"
                timed_out = await client.post(url, json={"type": "soft"})
                assert timed_out.status_code == 504
                await charger._connection.send(json.dumps([3, late[0], {"status": "Accepted"}]))
                answered = await client.post(url, json={"type": "soft"})
                assert answered.status_code == 200
            charge_point = running.state.csms.connections[charger_id].charge_point
            assert charge_point.unsolicited_responses == 0
            assert charge_point._pending_actions == {}
    finally:
        await running.backend.stop()


async def test_newest_of_several_simultaneous_connections_wins(backend):
    charger_id = "SITE-040-AC-04"
    await backend.register(charger_id)
    async with connected(backend.ocpp_url, charger_id) as first:
        await first.boot()
        newcomers = await asyncio.gather(
            *[
                websockets.connect(
                    f"{backend.ocpp_url}/{charger_id}",
                    subprotocols=["ocpp1.6"],
                    additional_headers=basic_auth(charger_id, TEST_CHARGER_PASSWORD),
                )
                for _ in range(3)
            ]
        )
        try:
            await asyncio.wait_for(first._connection.wait_closed(), 3)

            def settled():
                return sum(1 for ws in newcomers if ws.close_code is None) == 1

            await eventually(settled, timeout=3)
            survivor = next(ws for ws in newcomers if ws.close_code is None)
            held = backend.state.csms.connections[charger_id].websocket
            assert held.remote_address[1] == survivor.local_address[1]
            for ws in newcomers:
                if ws is not survivor:
                    assert ws.close_code == 1000
                    assert ws.close_reason == "replaced by a new connection"
            # the survivor is the charger: it is answered and its frames count
            await survivor.send(json.dumps([2, "b1", "Heartbeat", {}]))
            answer = json.loads(await asyncio.wait_for(survivor.recv(), 3))
            assert answer[:2] == [3, "b1"]
            assert backend.state.live.get(charger_id).online
        finally:
            for ws in newcomers:
                await ws.close()


def _masked_text_frame(text: str) -> bytes:
    payload = text.encode()
    mask = os.urandom(4)
    assert len(payload) < 126
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x81, 0x80 | len(payload)]) + mask + masked


async def _half_open_socket(ocpp_url: str, charger_id: str):
    """A client that completes the websocket handshake and then never reads again."""
    url = urlsplit(f"{ocpp_url}/{charger_id}")
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    key = base64.b64encode(os.urandom(16)).decode()
    auth = basic_auth(charger_id, TEST_CHARGER_PASSWORD)["Authorization"]
    writer.write(
        (
            f"GET {url.path} HTTP/1.1\r\nHost: {url.netloc}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Sec-WebSocket-Protocol: ocpp1.6\r\nAuthorization: {auth}\r\n\r\n"
        ).encode()
    )
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101"), head
    return reader, writer


async def test_half_open_old_socket_does_not_delay_the_new_one(tmp_path):
    running = await start_backend(make_settings(tmp_path, superseded_close_timeout=3.0))
    charger_id = "SITE-040-AC-05"
    try:
        await running.register(charger_id)
        reader, writer = await _half_open_socket(running.ocpp_url, charger_id)
        await eventually(lambda: charger_id in running.state.csms.connections)
        old = running.state.csms.connections[charger_id]
        started = time.monotonic()
        async with connected(running.ocpp_url, charger_id) as charger:
            assert (await charger.boot()).status == "Accepted"
            boot_seconds = time.monotonic() - started
            assert boot_seconds < 1.0, boot_seconds
            assert old.charge_point.superseded
            # the old socket still sends: recorded, but the live state does not change
            writer.write(
                _masked_text_frame(
                    json.dumps(
                        [
                            2,
                            "from-old-socket",
                            "StatusNotification",
                            {"connectorId": 1, "status": "Faulted", "errorCode": "GroundFailure"},
                        ]
                    )
                )
            )
            await writer.drain()

            async def recorded():
                await running.state.recorder.flush()
                with running.state.session_factory() as session:
                    return session.scalar(
                        select(EventRow).where(EventRow.unique_id == "from-old-socket")
                    )

            await eventually(recorded)
            state = running.state.live.get(charger_id)
            assert state.online
            assert not state.open_faults
            assert 1 not in state.connectors or state.connectors[1].status != "Faulted"
            # and it is gone within the close timeout (aborted: it never answers the close)
            rest = await asyncio.wait_for(reader.read(), 5)
            assert rest.startswith(b"\x88")  # the close frame, then end of stream
            assert running.state.csms.connections[charger_id].charge_point is not old
        writer.close()
    finally:
        await running.backend.stop()


async def test_socket_dying_under_a_call_is_a_charger_gone_not_a_crash(tmp_path):
    """The socket closes under the send, before the close handler ran: the caller gets
    ChargerOffline (retryable), not a raw websockets error that failed a diagnosis."""
    from ocpp.v16 import call as call16
    from websockets.exceptions import ConnectionClosedError

    from app.errors import ChargerOffline

    running = await start_backend(make_settings(tmp_path))
    charger_id = "SITE-040-AC-04"
    try:
        await running.register(charger_id)
        async with connected(running.ocpp_url, charger_id) as charger:
            await charger.boot()
            conn = running.state.csms.connections[charger_id]
            socket = conn.charge_point._connection

            async def dead_send(message, *args, **kwargs):  # the boundary: a dead socket
                raise ConnectionClosedError(None, None)

            socket.send = dead_send
            try:
                await running.state.csms.call(charger_id, call16.Reset(type="Soft"))
            except ChargerOffline as error:
                assert "disconnected before answering Reset" in str(error)
            else:
                raise AssertionError("a dead socket answered")
    finally:
        await running.backend.stop()
