"""Remote control and availability (OCPP 2.0.1 blocks F, G, E14; 1.6 §5.2, §5.11, §5.17):
TriggerMessage for every message the version allows, ChangeAvailability of a connector, an
EVSE or the station, GetTransactionStatus, a remote start with a test token; real sockets."""

from __future__ import annotations

import pytest
from ocpp.v201 import call as call201

from app.commands.catalogue import TRIGGERABLE, TRIGGERABLE_201, TRIGGERABLE_EXTENDED_16
from tests.chargers import connected

TEST_TOKEN = "CHARGEFIX-TEST-01"


async def test_every_201_trigger_with_evse_targeting(backend, api_client):
    await backend.register("SITE-017-DC-01")
    async with connected(backend.ocpp_url, "SITE-017-DC-01", "2.0.1") as charger:
        await charger.boot()
        for message in TRIGGERABLE_201:
            r = await api_client.post(
                "/api/chargers/SITE-017-DC-01/commands/trigger_message",
                json={"message": message, "evse_id": 2, "connector_id": 1},
            )
            assert r.status_code == 200, r.text
            assert r.json()["status"] == "Accepted"
        triggers = [r[1] for r in charger.received if r[0] == "TriggerMessage"]
        assert [t["requested_message"] for t in triggers] == list(TRIGGERABLE_201)
        assert all(t["evse"] == {"id": 2, "connector_id": 1} for t in triggers)
        # 1.6 names of the same requests are translated
        r = await api_client.post(
            "/api/chargers/SITE-017-DC-01/commands/trigger_message",
            json={"message": "DiagnosticsStatusNotification"},
        )
        assert r.status_code == 200
        assert charger.received[-1] == (
            "TriggerMessage",
            {"requested_message": "LogStatusNotification"},
        )


async def test_every_16_trigger_and_the_security_extension(backend, api_client):
    await backend.register("SITE-017-AC-01")
    async with connected(backend.ocpp_url, "SITE-017-AC-01") as charger:
        await charger.boot()
        for message in (*TRIGGERABLE, *TRIGGERABLE_EXTENDED_16):
            r = await api_client.post(
                "/api/chargers/SITE-017-AC-01/commands/trigger_message",
                json={"message": message, "connector_id": 1},
            )
            assert r.status_code == 200, r.text
        assert [(a, p["requested_message"]) for a, p in charger.received] == [
            *(("TriggerMessage", m) for m in TRIGGERABLE),
            *(("ExtendedTriggerMessage", m) for m in TRIGGERABLE_EXTENDED_16),
        ]
        assert all(p["connector_id"] == 1 for _, p in charger.received)
        # a 2.0.1-only message, or a 2.0.1 evse, is a clear 422 that reaches no charger
        for body in ({"message": "TransactionEvent"}, {"message": "Heartbeat", "evse_id": 1}):
            r = await api_client.post(
                "/api/chargers/SITE-017-AC-01/commands/trigger_message", json=body
            )
            assert r.status_code == 422, r.text
        assert len(charger.received) == len(TRIGGERABLE) + len(TRIGGERABLE_EXTENDED_16)


@pytest.mark.parametrize(
    ("body", "evse"),
    [
        ({"type": "inoperative"}, None),  # G04: the whole station
        ({"type": "inoperative", "evse_id": 2}, {"id": 2}),  # G03: one EVSE
        ({"type": "inoperative", "evse_id": 2, "connector_id": 1}, {"id": 2, "connector_id": 1}),
        ({"type": "operative", "connector_id": 1}, {"id": 1}),  # the catalogue's EVSE alias
    ],
)
async def test_change_availability_station_evse_connector_201(backend, api_client, body, evse):
    await backend.register("SITE-017-DC-02")
    async with connected(backend.ocpp_url, "SITE-017-DC-02", "2.0.1") as charger:
        await charger.boot()
        r = await api_client.post(
            "/api/chargers/SITE-017-DC-02/commands/change_availability", json=body
        )
        assert r.status_code == 200, r.text
        sent = next(p for a, p in charger.received if a == "ChangeAvailability")
        assert sent.get("evse") == evse
        assert sent["operational_status"] == body["type"].capitalize()


async def test_taking_an_evse_out_during_its_charge_is_refused(backend, api_client):
    await backend.register("SITE-017-DC-03")
    async with connected(backend.ocpp_url, "SITE-017-DC-03", "2.0.1") as charger:
        await charger.boot()
        await _start_201(charger, "TX-G03", evse_id=2)
        url = "/api/chargers/SITE-017-DC-03/commands/change_availability"
        r = await api_client.post(url, json={"type": "inoperative", "evse_id": 2})
        assert r.status_code == 409, r.text
        r = await api_client.post(url, json={"type": "inoperative", "evse_id": 1})
        assert r.status_code == 200, r.text  # the other EVSE is idle


async def test_get_transaction_status_201_only(backend, api_client):
    await backend.register("SITE-017-DC-04")
    await backend.register("SITE-017-AC-04")
    async with connected(backend.ocpp_url, "SITE-017-DC-04", "2.0.1") as charger:
        await charger.boot()
        charger.ongoing_transaction = "TX-E14"
        r = await api_client.post(
            "/api/chargers/SITE-017-DC-04/commands/get_transaction_status",
            json={"transaction_id": "TX-E14"},
        )
        assert r.status_code == 200, r.text
        assert r.json()["response"] == {"messagesInQueue": False, "ongoingIndicator": True}
        assert charger.received[-1] == ("GetTransactionStatus", {"transaction_id": "TX-E14"})
    async with connected(backend.ocpp_url, "SITE-017-AC-04") as charger16:
        await charger16.boot()
        r = await api_client.post(
            "/api/chargers/SITE-017-AC-04/commands/get_transaction_status", json={}
        )
        assert r.status_code == 422 and "2.0.1" in r.text
        assert charger16.received == []


async def test_remote_start_with_a_test_token_201(backend, api_client):
    await backend.register_id_token(TEST_TOKEN)  # the token store must accept it
    await backend.register("SITE-017-DC-05")
    async with connected(backend.ocpp_url, "SITE-017-DC-05", "2.0.1") as charger:
        await charger.boot()
        await _start_201(charger, "TX-OTHER", evse_id=2)  # a charge elsewhere does not block it
        r = await api_client.post(
            "/api/chargers/SITE-017-DC-05/commands/remote_start",
            json={"id_token": TEST_TOKEN, "connector_id": 1},
        )
        assert r.status_code == 200, r.text
        action, sent = charger.received[-1]
        assert action == "RequestStartTransaction"
        assert sent["id_token"] == {"id_token": TEST_TOKEN, "type": "Central"}
        assert sent["evse_id"] == 1 and sent["remote_start_id"] >= 1
        # the station authorizes the token (AuthorizeRemoteStart): the store accepts it
        answer = await charger.call(
            call201.Authorize(id_token={"id_token": TEST_TOKEN, "type": "Central"})
        )
        assert answer.id_token_info["status"] == "Accepted"
        unknown = await charger.call(
            call201.Authorize(id_token={"id_token": "NOT-REGISTERED", "type": "Central"})
        )
        assert unknown.id_token_info["status"] == "Invalid"


async def test_remote_start_16_and_the_safety_interlock(backend, api_client):
    await backend.register_id_token(TEST_TOKEN)
    await backend.register("SITE-017-AC-05")
    async with connected(backend.ocpp_url, "SITE-017-AC-05") as charger:
        await charger.boot()
        url = "/api/chargers/SITE-017-AC-05/commands/remote_start"
        r = await api_client.post(url, json={"id_token": TEST_TOKEN, "connector_id": 1})
        assert r.status_code == 200, r.text
        assert charger.received[-1] == (
            "RemoteStartTransaction",
            {"id_tag": TEST_TOKEN, "connector_id": 1},
        )
        too_long = await api_client.post(url, json={"id_token": "X" * 21})  # CiString20
        assert too_long.status_code == 422
        # a start re-energises: never with a ground fault open
        await charger.status(1, "Faulted", "GroundFailure")
        r = await api_client.post(url, json={"id_token": TEST_TOKEN, "connector_id": 1})
        assert r.status_code == 409 and r.json()["detail"]["kind"] == "SafetyInterlock"
        assert len([a for a, _ in charger.received if a == "RemoteStartTransaction"]) == 1


async def _start_201(charger, tx_id: str, evse_id: int) -> None:
    await charger.start_transaction(tx_id, evse_id)
