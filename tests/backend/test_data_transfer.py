"""DataTransfer from a charger (1.6 §4.3, 2.0.1 P02): always a DataTransferResponse, from the
handler registered for the vendorId/messageId, never a CALLERROR; over real sockets."""

from __future__ import annotations

import pytest
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from app.csms.data_transfer import DataTransferAnswer, DataTransferRequest
from tests.chargers import connected

SEEN: list[DataTransferRequest] = []


def _echo(request: DataTransferRequest) -> DataTransferAnswer:
    SEEN.append(request)
    if request.data == "bad":
        return DataTransferAnswer("Rejected")
    return DataTransferAnswer("Accepted", data={"echo": request.data})


def _broken(request: DataTransferRequest) -> DataTransferAnswer:
    raise RuntimeError("handler bug")


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_data_transfer_answers_by_vendor_and_message(backend, version):
    registry = backend.state.csms.context.data_transfer
    registry.register("com.voltara", _echo, message_id="Ping")
    registry.register("com.broken", _broken)
    call = call16 if version == "1.6" else call201
    charger_id = f"SITE-017-DT-{version[0]}"
    await backend.register(charger_id)
    async with connected(backend.ocpp_url, charger_id, version) as charger:
        await charger.boot()
        unknown_vendor = await charger.call(call.DataTransfer(vendor_id="org.nobody"))
        assert unknown_vendor.status == "UnknownVendorId"
        assert unknown_vendor.data is None  # the data element SHALL not be present
        unknown_message = await charger.call(
            call.DataTransfer(vendor_id="com.voltara", message_id="Pong", data="x")
        )
        assert unknown_message.status == "UnknownMessageId"
        accepted = await charger.call(
            call.DataTransfer(vendor_id="COM.VOLTARA", message_id="ping", data="hello")
        )
        assert accepted.status == "Accepted"
        if version == "1.6":  # 1.6 data is a string
            assert accepted.data == '{"echo": "hello"}'
        else:
            assert accepted.data == {"echo": "hello"}
        assert SEEN[-1].charger_id == charger_id and SEEN[-1].ocpp_version == version
        rejected = await charger.call(
            call.DataTransfer(vendor_id="com.voltara", message_id="Ping", data="bad")
        )
        assert rejected.status == "Rejected"
        broken = await charger.call(call.DataTransfer(vendor_id="com.broken", message_id="Any"))
        assert broken.status == "Rejected"


async def test_data_transfer_from_the_csms_is_an_admin_command(backend, api_client):
    """P01 / 1.6 §5.6: the charger's status comes back; a vendor message may do anything, so
    only admins send it."""
    await backend.register("SITE-017-DT-3")
    await backend.register("SITE-017-DT-4")
    consultant = backend.token("consultant", name="casey")
    async with (
        connected(backend.ocpp_url, "SITE-017-DT-3", "2.0.1") as c201,
        connected(backend.ocpp_url, "SITE-017-DT-4") as c16,
    ):
        await c201.boot()
        await c16.boot()
        url = "/api/chargers/SITE-017-DT-3/commands/data_transfer"
        r = await api_client.post(
            url, json={"vendor_id": "com.helion", "message_id": "Ping", "data": {"n": 1}}
        )
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "Accepted"
        assert r.json()["response"]["data"] == {"pong": {"n": 1}}
        r = await api_client.post(url, json={"vendor_id": "com.helion", "message_id": "X"})
        assert r.json()["status"] == "UnknownMessageId"
        async with backend.client(consultant) as api:
            assert (await api.post(url, json={"vendor_id": "com.helion"})).status_code == 403
        r = await api_client.post(
            "/api/chargers/SITE-017-DT-4/commands/data_transfer",
            json={"vendor_id": "com.voltara", "data": {"n": 1}},
        )
        assert r.json()["status"] == "Accepted"
        assert c16.received[-1] == (
            "DataTransfer",
            {"vendor_id": "com.voltara", "data": '{"n": 1}'},
        )
        too_long = await api_client.post(url, json={"vendor_id": "v" * 256})
        assert too_long.status_code == 422 and "vendor_id" in too_long.text
