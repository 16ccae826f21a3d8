"""OCPP 2.0.1 CSMS answers checked against the functional requirements (docs/conformance-201.md),
over real sockets with a charger on the ``ocpp`` package's client side."""

from __future__ import annotations

from datetime import UTC, datetime

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

