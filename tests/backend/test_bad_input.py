"""Malformed frames, unknown actions, schema violations and oversized payloads."""

from __future__ import annotations

import json

import pytest
import websockets

from tests.chargers import basic_auth
from tests.conftest import TEST_CHARGER_PASSWORD


async def _raw(backend, charger_id: str, version: str = "ocpp1.6"):
    await backend.register(charger_id)
    return await websockets.connect(
        f"{backend.ocpp_url}/{charger_id}",
        subprotocols=[version],
        additional_headers=basic_auth(charger_id, TEST_CHARGER_PASSWORD),
    )


async def _exchange(ws, frame: str) -> list:
    await ws.send(frame)
    return json.loads(await ws.recv())


async def test_malformed_json_gets_callerror_and_connection_stays(backend):
    ws = await _raw(backend, "SITE-006-AC-01")
    answer = await _exchange(ws, '[2, "abc-1", "Heartbeat", {')
    assert answer[0] == 4
    assert answer[1] == "abc-1"
    assert answer[2] == "FormationViolation"  # 1.6 spelling
    ok = await _exchange(ws, '[2, "abc-2", "Heartbeat", {}]')
    assert ok[0] == 3 and "currentTime" in ok[2]
    await ws.close()


async def test_malformed_json_201_spelling(backend):
    ws = await _raw(backend, "SITE-006-DC-01", "ocpp2.0.1")
    answer = await _exchange(ws, "not json at all")
    assert answer[:3] == [4, "-1", "FormatViolation"]
    await ws.close()


async def test_unknown_action_is_not_implemented(backend):
    ws = await _raw(backend, "SITE-006-AC-02")
    answer = await _exchange(ws, '[2, "u1", "MakeCoffee", {}]')
    assert answer[:3] == [4, "u1", "NotImplemented"]
    known_unsupported = await _exchange(ws, '[2, "u2", "Reset", {"type": "Hard"}]')
    assert known_unsupported[:3] == [4, "u2", "NotSupported"]
    await ws.close()


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"chargePointModel": "WB-22"}, "ProtocolError"),  # required field missing
        ({"chargePointVendor": 5, "chargePointModel": "WB-22"}, "TypeConstraintViolation"),
    ],
)
async def test_schema_violations_get_proper_callerror(backend, payload, code):
    ws = await _raw(backend, "SITE-006-AC-03")
    answer = await _exchange(ws, json.dumps([2, "s1", "BootNotification", payload]))
    assert answer[:3] == [4, "s1", code]
    assert len(json.dumps(answer[4])) < 400  # never the whole payload echoed back
    still_up = await _exchange(ws, '[2, "s2", "Heartbeat", {}]')
    assert still_up[0] == 3
    await ws.close()


async def test_missing_status_field_is_protocol_error(backend):
    ws = await _raw(backend, "SITE-006-AC-04")
    answer = await _exchange(ws, '[2, "m1", "StatusNotification", {"connectorId": 1}]')
    assert answer[:3] == [4, "m1", "ProtocolError"]
    await ws.close()


async def test_oversized_frame_is_refused(backend):
    ws = await _raw(backend, "SITE-006-AC-05")
    limit = backend.state.settings.ws_max_message_bytes
    huge = json.dumps([2, "big", "DataTransfer", {"vendorId": "x", "data": "a" * (limit + 10)}])
    await ws.send(huge)
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await ws.recv()
    assert closed.value.rcvd.code == 1009  # message too big


async def test_malformed_frame_is_logged_raw(backend):
    ws = await _raw(backend, "SITE-006-AC-06")
    await _exchange(ws, '[2, "r1", "Heartbeat"')
    await ws.close()
    await backend.state.recorder.flush()
    from sqlalchemy import select

    from app.db.models import EventRow

    with backend.state.session_factory() as session:
        row = session.scalar(
            select(EventRow).where(
                EventRow.charger_id == "SITE-006-AC-06", EventRow.direction == "in"
            )
        )
    assert row.message_type == 0
    assert row.frame == '[2, "r1", "Heartbeat"'
