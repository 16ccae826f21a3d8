"""OCPP 2.0.1 CSMS answers checked against the functional requirements (docs/conformance-201.md),
over real sockets with a charger on the ``ocpp`` package's client side."""

from __future__ import annotations

from datetime import UTC, datetime

from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from tests.chargers import connected, now


def _event(event_type: str, tx_id: str, seq_no: int, **kw) -> call201.TransactionEvent:
    return call201.TransactionEvent(
        event_type=event_type,
        timestamp=now(),
        trigger_reason=kw.pop("trigger_reason", "Authorized"),
        seq_no=seq_no,
        transaction_info={"transaction_id": tx_id, **kw.pop("info", {})},
        evse={"id": 1, "connector_id": 1},
        **kw,
    )


async def test_a_no_authorization_start_is_accepted(backend):
    """IdTokenEnumType NoAuthorization (a start button, idToken empty): nothing to check, so
    the idTokenInfo is Accepted, not Invalid (which would end the charge under
    StopTxOnInvalidId, E05)."""
    await backend.register("SITE-017-AC-01")
    async with connected(backend.ocpp_url, "SITE-017-AC-01", "2.0.1") as charger:
        await charger.boot()
        answer = await charger.call(
            _event(
                "Started",
                "tx-button",
                0,
                trigger_reason="ChargingStateChanged",
                id_token={"id_token": "", "type": "NoAuthorization"},
            )
        )
        assert answer.id_token_info == {"status": "Accepted"}
        assert answer.total_cost is None  # only ever sent when charging has ended
        # an unknown token of another type is still refused
        refused = await charger.call(
            _event("Started", "tx-card", 0, id_token={"id_token": "NOBODY", "type": "ISO14443"})
        )
        assert refused.id_token_info == {"status": "Invalid"}


async def test_events_queued_after_ended_do_not_revive_the_transaction(backend):
    """TC_E_31_CSMS: after an offline Ended (seqNo skipping), the station delivers the rest of
    its queue for that transaction. Each is answered, and the transaction stays ended (an
    active record would block the connector's unlock)."""
    charger_id = "SITE-017-DC-01"
    await backend.register(charger_id)
    async with connected(backend.ocpp_url, charger_id, "2.0.1") as charger:
        await charger.boot()
        await charger.call(_event("Started", "tx-queued", 0))
        live = backend.state.live
        assert "tx-queued" in live.get(charger_id).transactions
        await charger.call(
            _event(
                "Ended",
                "tx-queued",
                3,
                trigger_reason="EVCommunicationLost",
                offline=True,
                info={"charging_state": "Idle", "stopped_reason": "EVDisconnected"},
            )
        )
        assert "tx-queued" not in live.get(charger_id).transactions
        late = await charger.call(
            _event(
                "Updated",
                "tx-queued",
                1,
                trigger_reason="MeterValuePeriodic",
                offline=True,
                meter_value=[
                    {
                        "timestamp": now(),
                        "sampled_value": [
                            {"value": 1200, "measurand": "Energy.Active.Import.Register"}
                        ],
                    }
                ],
            )
        )
        assert late.id_token_info is None  # no idToken in the request: none in the answer
        assert "tx-queued" not in live.get(charger_id).transactions
        # an Updated for a transaction never seen (its Started lost) still opens it
        await charger.call(_event("Updated", "tx-unseen", 5, trigger_reason="MeterValuePeriodic"))
        assert "tx-unseen" in live.get(charger_id).transactions


async def test_plain_answers(backend):
    """Heartbeat currentTime in UTC; empty NotifyEvent and StatusNotification answers, also
    for an EVSE the CSMS has not seen before; a DataTransfer nobody handles is
    UnknownVendorId without data (P02). Guards of behaviour already right (no fix)."""
    await backend.register("SITE-017-AC-02")
    async with connected(backend.ocpp_url, "SITE-017-AC-02", "2.0.1") as charger:
        await charger.boot()
        beat = await charger.call(call201.Heartbeat())
        assert beat.current_time.endswith("Z")
        moment = datetime.fromisoformat(beat.current_time.replace("Z", "+00:00"))
        assert abs((datetime.now(UTC) - moment).total_seconds()) < 60
        status = await charger.call(
            call201.StatusNotification(
                timestamp=now(), connector_status="Available", evse_id=7, connector_id=2
            )
        )
        assert status is not None
        event = await charger.call(
            call201.NotifyEvent(
                generated_at=now(),
                seq_no=0,
                event_data=[
                    {
                        "event_id": 1,
                        "timestamp": now(),
                        "trigger": "Delta",
                        "actual_value": "Available",
                        "event_notification_type": "HardWiredNotification",
                        "component": {"name": "Connector", "evse": {"id": 7, "connector_id": 2}},
                        "variable": {"name": "AvailabilityState"},
                    }
                ],
            )
        )
        assert event is not None
        transfer = await charger.call(call201.DataTransfer(vendor_id="com.example.nobody"))
        assert transfer.status == "UnknownVendorId"
        assert transfer.data is None


async def test_unlock_names_the_evse_and_the_connector(backend, api_client):
    """F05 UnlockConnectorRequest carries evseId AND connectorId: connector 2 of EVSE 2 can be
    unlocked; a lone connector_id still names the EVSE (its connector 1); a charge on the EVSE
    blocks the unlock of any of its connectors (the guard, app/commands/guards.py)."""
    charger_id = "SITE-017-AC-03"
    await backend.register(charger_id)
    async with connected(backend.ocpp_url, charger_id, "2.0.1") as charger:
        await charger.boot()
        url = f"/api/chargers/{charger_id}/commands/unlock_connector"
        answer = await api_client.post(url, json={"evse_id": 2, "connector_id": 2})
        assert answer.status_code == 200, answer.text
        assert answer.json()["request"] == {"evseId": 2, "connectorId": 2}
        lone = await api_client.post(url, json={"connector_id": 1})
        assert lone.status_code == 200, lone.text
        unlocks = [r[1] for r in charger.received if r[0] == "UnlockConnector"]
        assert unlocks == [{"evse_id": 2, "connector_id": 2}, {"evse_id": 1, "connector_id": 1}]
        started = _event("Started", "tx-evse-2", 0)
        started.evse = {"id": 2, "connector_id": 1}
        await charger.call(started)
        refused = await api_client.post(url, json={"evse_id": 2, "connector_id": 2})
        assert refused.status_code == 409, refused.text
        assert "tx-evse-2" in refused.text
        assert len([r for r in charger.received if r[0] == "UnlockConnector"]) == 2
        bad = await api_client.post(url, json={"evse_id": 0, "connector_id": 1})
        assert bad.status_code == 422 or bad.status_code == 400
        assert "evse_id" in bad.text


async def test_a_16_unlock_refuses_an_evse(backend, api_client):
    """evse_id is OCPP 2.0.1: a 1.6 unlock naming one is refused before anything is sent
    (no drain either)."""
    charger_id = "SITE-017-AC-04"
    await backend.register(charger_id)
    async with connected(backend.ocpp_url, charger_id) as charger:
        await charger.boot()
        answer = await api_client.post(
            f"/api/chargers/{charger_id}/commands/unlock_connector",
            json={"evse_id": 1, "connector_id": 1},
        )
        assert answer.status_code in (400, 422), answer.text
        assert "evse_id is OCPP 2.0.1" in answer.text
        assert charger.received == []


async def test_each_connector_of_an_evse_keeps_its_status(backend, api_client):
    """G01: StatusNotification names evseId and connectorId. Two connectors of one EVSE keep
    their own statuses (shown in the charger's view); the EVSE's status is the first of
    Faulted, Occupied, Unavailable, Reserved, Available that any connector has, so a sibling
    reporting Available neither hides nor clears a connector's fault."""
    charger_id = "SITE-017-DC-02"
    await backend.register(charger_id)

    def status(connector_id: int, value: str) -> call201.StatusNotification:
        return call201.StatusNotification(
            timestamp=now(), connector_status=value, evse_id=1, connector_id=connector_id
        )

    async with connected(backend.ocpp_url, charger_id, "2.0.1") as charger:
        await charger.boot()
        await charger.call(status(1, "Occupied"))
        await charger.call(status(2, "Available"))
        view = (await api_client.get(f"/api/chargers/{charger_id}")).json()
        evse = view["connectors"]["1"]
        assert evse["status"] == "Occupied"
        assert {k: v["status"] for k, v in evse["connectors"].items()} == {
            "1": "Occupied",
            "2": "Available",
        }
        await charger.call(status(1, "Faulted"))
        await charger.call(status(2, "Available"))
        live = backend.state.live.get(charger_id)
        assert live.connectors[1].status == "Faulted"
        assert [f.connector_id for f in live.open_faults] == [1]
        await charger.call(status(1, "Available"))
        assert live.connectors[1].status == "Available"
        assert live.open_faults == []
        assert live.connectors[1].connectors[2].status == "Available"


def _signed_sample(context: str, wh: int, data: str) -> dict:
    return {
        "timestamp": now(),
        "sampled_value": [
            {
                "value": wh,
                "context": context,
                "measurand": "Energy.Active.Import.Register",
                "signed_meter_value": {
                    "signed_meter_data": data,
                    "signing_method": "ECDSA-secp256r1-SHA256",
                    "encoding_method": "OCMF",
                    "public_key": "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE",
                },
            }
        ],
    }


async def test_offline_events_seqno_holes_and_signed_values_are_kept(backend, api_client):
    """E11/E12: events flagged ``offline`` are counted on the transaction; seqNo holes (the
    CSMS SHOULD use seqNo to check it received all messages) are a warning on it, a late
    event fills its part; the start and stop readings' signedMeterValue are stored as sent
    (not verified). All visible through GET /api/chargers/{id}/transactions; every event is
    answered normally (no CALLERROR)."""
    charger_id = "SITE-017-DC-03"
    await backend.register(charger_id)
    async with connected(backend.ocpp_url, charger_id, "2.0.1") as charger:
        await charger.boot()
        await charger.call(
            _event(
                "Started",
                "tx-trail",
                0,
                meter_value=[_signed_sample("Transaction.Begin", 100, "T0NNRnxzdGFydA==")],
            )
        )
        await charger.call(_event("Updated", "tx-trail", 1, trigger_reason="MeterValuePeriodic"))
        # seqNo 2 and 3 are missing; 4 was queued while offline
        answer = await charger.call(
            _event("Updated", "tx-trail", 4, trigger_reason="MeterValuePeriodic", offline=True)
        )
        assert answer is not None
        await charger.call(
            _event(
                "Ended",
                "tx-trail",
                5,
                trigger_reason="StopAuthorized",
                offline=True,
                info={"stopped_reason": "Local"},
                meter_value=[_signed_sample("Transaction.End", 900, "T0NNRnxzdG9w")],
            )
        )
        # a queued event delivered after the Ended fills seqNo 2
        await charger.call(
            _event("Updated", "tx-trail", 2, trigger_reason="MeterValuePeriodic", offline=True)
        )
        await backend.state.recorder.flush()
        rows = (await api_client.get(f"/api/chargers/{charger_id}/transactions")).json()
        tx = next(r for r in rows if r["transaction_id"] == "tx-trail")
        assert tx["offline_events"] == 3
        assert tx["seq_gaps"] == [[3, 3]]
        assert tx["warnings"] == ["TransactionEvent seqNo 3 never received"]
        assert tx["meter_start_wh"] == 100 and tx["meter_stop_wh"] == 900
        assert [s["signed_meter_data"] for s in tx["meter_start_signed"]] == ["T0NNRnxzdGFydA=="]
        stop = tx["meter_stop_signed"][0]
        assert stop["signed_meter_data"] == "T0NNRnxzdG9w"
        assert stop["encoding_method"] == "OCMF"
        assert stop["signing_method"] == "ECDSA-secp256r1-SHA256"
        assert stop["public_key"].startswith("MFkw")
        assert stop["context"] == "Transaction.End"


async def test_a_clean_transaction_has_no_warning(backend, api_client):
    """seqNo 0, 1, 2 all received online: no gap, no offline event, no warning."""
    charger_id = "SITE-017-DC-04"
    await backend.register(charger_id)
    async with connected(backend.ocpp_url, charger_id, "2.0.1") as charger:
        await charger.boot()
        await charger.call(_event("Started", "tx-clean", 0))
        await charger.call(_event("Updated", "tx-clean", 1, trigger_reason="MeterValuePeriodic"))
        await charger.call(_event("Ended", "tx-clean", 2, trigger_reason="StopAuthorized"))
        await backend.state.recorder.flush()
        rows = (await api_client.get(f"/api/chargers/{charger_id}/transactions")).json()
        tx = next(r for r in rows if r["transaction_id"] == "tx-clean")
        assert (tx["offline_events"], tx["seq_gaps"], tx["warnings"]) == (0, [], [])
        assert tx["meter_start_signed"] == [] and tx["meter_stop_signed"] == []


async def test_a_16_stop_keeps_its_signed_data(backend, api_client):
    """OCPP 1.6, where the same thing exists: StopTransaction transactionData with a sampled
    value of format SignedData is kept as the stop reading's signed value (not verified)."""
    charger_id = "SITE-017-AC-05"
    await backend.register(charger_id)
    await backend.register_id_token("TAG-SIGNED")
    async with connected(backend.ocpp_url, charger_id) as charger:
        await charger.boot()
        started = await charger.call(
            call16.StartTransaction(
                connector_id=1, id_tag="TAG-SIGNED", meter_start=1000, timestamp=now()
            )
        )
        await charger.call(
            call16.StopTransaction(
                transaction_id=started.transaction_id,
                meter_stop=4000,
                timestamp=now(),
                reason="Local",
                transaction_data=[
                    {
                        "timestamp": now(),
                        "sampledValue": [
                            {
                                "value": 'OCMF|{"RD":[{"RV":4.0}]}|{"SD":"30440220"}',
                                "format": "SignedData",
                                "context": "Transaction.End",
                            }
                        ],
                    }
                ],
            )
        )
    await backend.state.recorder.flush()
    rows = (await api_client.get(f"/api/chargers/{charger_id}/transactions")).json()
    (stop,) = rows[0]["meter_stop_signed"]
    assert stop["signed_meter_data"].startswith("OCMF|")
    assert stop["context"] == "Transaction.End"
    assert rows[0]["meter_start_signed"] == []
