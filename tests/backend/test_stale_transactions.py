"""A transaction ChargeFix believes active, closed when the charger comes back from a boot and
reports the connector Available with no word of it (1.6 any boot; 2.0.1 BootReason PowerUp),
so a stale record never holds an unlock or a reset; real sockets, real database."""

from __future__ import annotations

from ocpp.v16 import call as call16
from ocpp.v201 import call as call201
from sqlalchemy import select

from app.db.models import CommandRow, TransactionRow
from tests.chargers import connected, now


async def _rows(backend, cid: str) -> tuple[list[CommandRow], list[TransactionRow]]:
    await backend.state.recorder.flush()
    with backend.state.session_factory() as db:
        commands = list(db.scalars(select(CommandRow).where(CommandRow.charger_id == cid)))
        txs = list(db.scalars(select(TransactionRow).where(TransactionRow.charger_id == cid)))
    return commands, txs


async def test_16_stale_transaction_closed_after_boot_and_available(backend, api_client):
    cid = "SITE-017-TX-01"
    await backend.register(cid)
    unlock = f"/api/chargers/{cid}/commands/unlock_connector"
    async with connected(backend.ocpp_url, cid) as charger:
        await charger.boot()
        await charger.status(1, "Charging")
        started = await charger.call(
            call16.StartTransaction(connector_id=1, id_tag="T1", meter_start=0, timestamp=now())
        )
    tx_id = str(started.transaction_id)
    # the charger lost its power and its transaction store: it never sends StopTransaction
    async with connected(backend.ocpp_url, cid) as charger:
        r = await api_client.post(unlock, json={"connector_id": 1})
        assert r.status_code == 409 and r.json()["detail"]["kind"] == "TransactionActive"
        await charger.boot()
        assert tx_id in backend.state.live.get(cid).transactions  # a boot alone proves nothing
        await charger.status(1, "Available")
        assert backend.state.live.get(cid).transactions == {}
        r = await api_client.post(unlock, json={"connector_id": 1})
        assert r.status_code == 200, r.text
        assert charger.received[-1] == ("UnlockConnector", {"connector_id": 1})
    commands, txs = await _rows(backend, cid)
    closed = [c for c in commands if c.command == "close_stale_transaction"]
    assert len(closed) == 1 and closed[0].requested_by == "system"
    assert closed[0].params == {"transaction_id": tx_id} and closed[0].outcome == "closed"
    assert [(t.transaction_id, t.stop_reason) for t in txs] == [(tx_id, "Reboot")]
    assert txs[0].stopped_at is not None


async def test_16_a_transaction_the_charger_names_after_boot_is_not_closed(backend, api_client):
    cid = "SITE-017-TX-02"
    await backend.register(cid)
    async with connected(backend.ocpp_url, cid) as charger:
        await charger.boot()
        started = await charger.call(
            call16.StartTransaction(connector_id=1, id_tag="T1", meter_start=0, timestamp=now())
        )
        tx_id = started.transaction_id
        await charger.boot()
        # the charger kept its transaction: it meters it after the boot
        await charger.call(
            call16.MeterValues(
                connector_id=1,
                transaction_id=tx_id,
                meter_value=[
                    {
                        "timestamp": now(),
                        "sampled_value": [
                            {"value": "120", "measurand": "Energy.Active.Import.Register"}
                        ],
                    }
                ],
            )
        )
        await charger.status(1, "Available")  # e.g. a status glitch: it is the charger's to end
        assert str(tx_id) in backend.state.live.get(cid).transactions
        # another connector's Available closes nothing here either
        await charger.status(2, "Available")
        assert str(tx_id) in backend.state.live.get(cid).transactions
    commands, _ = await _rows(backend, cid)
    assert not [c for c in commands if c.command == "close_stale_transaction"]


async def _tx_event_201(charger, event_type: str, tx_id: str, evse_id: int = 1):
    return await charger.call(
        call201.TransactionEvent(
            event_type=event_type,
            timestamp=now(),
            trigger_reason="Authorized" if event_type == "Started" else "MeterValuePeriodic",
            seq_no=0,
            transaction_info={"transaction_id": tx_id},
            evse={"id": evse_id, "connector_id": 1},
        )
    )


async def test_201_power_up_closes_the_stale_transaction_as_power_loss(backend, api_client):
    cid = "SITE-017-TX-03"
    await backend.register(cid)
    # a 2.0.1 reset waits for transactions itself (OnIdle); taking the EVSE out of service
    # is what the gateway refuses while one runs there
    out_of_service = f"/api/chargers/{cid}/commands/change_availability"
    inoperative = {"evse_id": 1, "type": "inoperative"}
    async with connected(backend.ocpp_url, cid, "2.0.1") as charger:
        await charger.boot()
        await _tx_event_201(charger, "Started", "tx-201-a")
    async with connected(backend.ocpp_url, cid, "2.0.1") as charger:
        r = await api_client.post(out_of_service, json=inoperative)
        assert r.status_code == 409 and r.json()["detail"]["kind"] == "TransactionActive"
        # a reboot for another reason (here a remote reset) does not make it stale
        await charger.call(
            call201.BootNotification(
                charging_station={"model": "HX-150", "vendor_name": "Helion Power"},
                reason="RemoteReset",
            )
        )
        await charger.status(1, "Available")
        assert "tx-201-a" in backend.state.live.get(cid).transactions
        await charger.boot()  # reason PowerUp
        await charger.status(1, "Available")
        assert backend.state.live.get(cid).transactions == {}
        r = await api_client.post(out_of_service, json=inoperative)
        assert r.status_code == 200, r.text
    commands, txs = await _rows(backend, cid)
    assert [c.command for c in commands if c.command == "close_stale_transaction"] == [
        "close_stale_transaction"
    ]
    assert [(t.transaction_id, t.stop_reason) for t in txs] == [("tx-201-a", "PowerLoss")]


async def test_201_transaction_event_after_power_up_confirms_it(backend, api_client):
    cid = "SITE-017-TX-04"
    await backend.register(cid)
    async with connected(backend.ocpp_url, cid, "2.0.1") as charger:
        await charger.boot()
        await _tx_event_201(charger, "Started", "tx-201-b")
        await charger.boot()
        await _tx_event_201(charger, "Updated", "tx-201-b")  # the station still has it
        await charger.status(1, "Available")
        assert "tx-201-b" in backend.state.live.get(cid).transactions
