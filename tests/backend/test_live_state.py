"""Live state from StatusNotification / NotifyEvent / transactions, over real sockets."""

from __future__ import annotations

from ocpp.v16 import call as call16
from ocpp.v201 import call as call201
from sqlalchemy import select

from app.db.models import EventRow, FaultRow, TransactionRow
from tests.chargers import connected, eventually, now


async def test_status_with_error_opens_and_clears_fault(backend, api_client):
    await backend.register("SITE-003-AC-01")
    async with connected(backend.ocpp_url, "SITE-003-AC-01") as charger:
        await charger.boot()
        await charger.status(0, "Available")
        await charger.status(1, "Faulted", "GroundFailure", vendor_error_code="E-101", info="RCD")
        live = (await api_client.get("/api/chargers/SITE-003-AC-01")).json()
        connector = live["connectors"]["1"]
        assert connector["status"] == "Faulted"
        assert connector["error_code"] == "GroundFailure"
        assert connector["vendor_error_code"] == "E-101"
        assert [f["error_code"] for f in live["open_faults"]] == ["GroundFailure"]
        await charger.status(1, "Available")
        live = (await api_client.get("/api/chargers/SITE-003-AC-01")).json()
        assert live["open_faults"] == []
    await backend.state.recorder.flush()
    with backend.state.session_factory() as session:
        fault = session.scalar(select(FaultRow).where(FaultRow.charger_id == "SITE-003-AC-01"))
        assert fault.error_code == "GroundFailure"
        assert fault.cleared_at is not None


async def test_error_code_outside_enum_is_kept_and_mapped(backend):
    await backend.register("SITE-003-AC-02")
    async with connected(backend.ocpp_url, "SITE-003-AC-02") as charger:
        await charger.boot()
        # bypass the client's own schema check: real chargers send such values
        answer = await charger.call(
            call16.StatusNotification(connector_id=1, status="Faulted", error_code="Error"),
            skip_schema_validation=True,
        )
        assert answer is not None
        connector = backend.state.live.get("SITE-003-AC-02").connectors[1]
        assert connector.error_code == "OtherError"
        assert connector.raw_error_code == "Error"


async def test_transaction_with_meter_values_and_late_stop(backend, api_client):
    await backend.register("SITE-003-AC-03")
    async with connected(backend.ocpp_url, "SITE-003-AC-03") as charger:
        await charger.boot()
        started = await charger.call(
            call16.StartTransaction(
                connector_id=1, id_tag="TAG1", meter_start=1000, timestamp=now()
            )
        )
        tx_id = started.transaction_id
        await charger.call(
            call16.MeterValues(
                connector_id=1,
                transaction_id=tx_id,
                meter_value=[
                    {
                        "timestamp": now(),
                        "sampledValue": [
                            {
                                "value": "2.5",
                                "measurand": "Energy.Active.Import.Register",
                                "unit": "kWh",
                            },
                            {"value": "7200", "measurand": "Power.Active.Import", "unit": "W"},
                        ],
                    }
                ],
            )
        )
        live = backend.state.live.get("SITE-003-AC-03")
        tx = live.transactions[str(tx_id)]
        assert tx.last_meter.energy_wh == 2500
        assert tx.last_meter.power_w == 7200
    # after a hard reset the StopTransaction arrives on a new connection
    async with connected(backend.ocpp_url, "SITE-003-AC-03") as charger:
        await charger.boot()
        answer = await charger.call(
            call16.StopTransaction(
                transaction_id=tx_id, meter_stop=2600, timestamp=now(), reason="HardReset"
            )
        )
        assert answer is not None
        assert backend.state.live.get("SITE-003-AC-03").transactions == {}
    await backend.state.recorder.flush()
    with backend.state.session_factory() as session:
        row = session.scalar(
            select(TransactionRow).where(TransactionRow.charger_id == "SITE-003-AC-03")
        )
        assert row.stop_reason == "HardReset"
        assert row.meter_stop_wh == 2600


async def test_notify_event_fault_raised_and_cleared_201(backend):
    await backend.register("SITE-004-DC-01")
    async with connected(backend.ocpp_url, "SITE-004-DC-01", "2.0.1") as charger:
        await charger.boot()
        event = {
            "eventId": 1,
            "timestamp": now(),
            "trigger": "Alerting",
            "actualValue": "true",
            "techCode": "HX-1104",
            "techInfo": "RCD tripped",
            "eventNotificationType": "HardWiredNotification",
            "component": {"name": "RCD", "evse": {"id": 1}},
            "variable": {"name": "Tripped"},
        }
        await charger.call(call201.NotifyEvent(generated_at=now(), seq_no=0, event_data=[event]))
        await charger.status(1, "Faulted")
        live = backend.state.live.get("SITE-004-DC-01")
        notify = [f for f in live.open_faults if f.source == "NotifyEvent"]
        assert notify and notify[0].error_code == "GroundFailure"
        assert notify[0].vendor_error_code == "HX-1104"
        cleared = {**event, "eventId": 2, "actualValue": "false", "cleared": True}
        await charger.call(call201.NotifyEvent(generated_at=now(), seq_no=1, event_data=[cleared]))
        await charger.status(1, "Available")
        assert backend.state.live.get("SITE-004-DC-01").open_faults == []


async def test_transaction_event_201(backend):
    await backend.register("SITE-004-DC-02")
    async with connected(backend.ocpp_url, "SITE-004-DC-02", "2.0.1") as charger:
        await charger.boot()
        meter = [
            {
                "timestamp": now(),
                "sampledValue": [{"value": 12.5, "unitOfMeasure": {"unit": "kWh"}}],
            }
        ]
        await charger.call(
            call201.TransactionEvent(
                event_type="Started",
                timestamp=now(),
                trigger_reason="Authorized",
                seq_no=0,
                transaction_info={"transactionId": "tx-1"},
                evse={"id": 2, "connectorId": 1},
                id_token={"idToken": "ABC", "type": "ISO14443"},
                meter_value=meter,
            )
        )
        live = backend.state.live.get("SITE-004-DC-02")
        assert live.transactions["tx-1"].connector_id == 2
        assert live.transactions["tx-1"].meter_start_wh == 12500
        await charger.call(
            call201.TransactionEvent(
                event_type="Ended",
                timestamp=now(),
                trigger_reason="StopAuthorized",
                seq_no=1,
                transaction_info={"transactionId": "tx-1", "stoppedReason": "Local"},
            )
        )
        assert live.transactions == {}


async def test_every_frame_is_in_the_event_log(backend, api_client):
    await backend.register("SITE-003-AC-04")
    async with connected(backend.ocpp_url, "SITE-003-AC-04") as charger:
        await charger.boot()
        await charger.status(1, "Available")
    await backend.state.recorder.flush()
    with backend.state.session_factory() as session:
        rows = session.scalars(
            select(EventRow).where(EventRow.charger_id == "SITE-003-AC-04").order_by(EventRow.id)
        ).all()
    assert [(r.direction, r.message_type, r.action) for r in rows] == [
        ("in", 2, "BootNotification"),
        ("out", 3, None),
        ("in", 2, "StatusNotification"),
        ("out", 3, None),
    ]
    events = (await api_client.get("/api/chargers/SITE-003-AC-04/events")).json()
    assert events[-1]["action"] == "BootNotification"
    assert events[-1]["payload"]["chargePointVendor"] == "Voltara"


async def test_offline_fault_only_after_debounce(backend):
    await backend.register("SITE-003-AC-05")
    async with connected(backend.ocpp_url, "SITE-003-AC-05") as charger:
        await charger.boot()
    # reconnect quickly: no offline fault
    async with connected(backend.ocpp_url, "SITE-003-AC-05") as charger:
        await backend.state.csms.check_liveness()
        assert backend.state.live.get("SITE-003-AC-05").open_faults == []
    await eventually(lambda: not backend.state.live.get("SITE-003-AC-05").online)
    await backend.state.csms.check_liveness()
    assert backend.state.live.get("SITE-003-AC-05").open_faults == []  # within debounce (1 s)
    await __import__("asyncio").sleep(1.1)
    await backend.state.csms.check_liveness()
    faults = backend.state.live.get("SITE-003-AC-05").open_faults
    assert [f.source for f in faults] == ["offline"]
    async with connected(backend.ocpp_url, "SITE-003-AC-05") as charger:
        await eventually(lambda: backend.state.live.get("SITE-003-AC-05").open_faults == [])


def test_threshold_alert_is_a_fault_and_delta_is_not():
    from app.csms.faults_v201 import read_fault_event

    alert = {
        "trigger": "Alerting",
        "actual_value": "264.8",
        "component": {"name": "ElectricalFeed"},
        "variable": {"name": "Voltage"},
        "tech_code": "HX-3301",
        "cleared": False,
        "variable_monitoring_id": 5,
    }
    # the direction comes from our UpperThreshold monitor (id 5), never from the value alone
    raised = read_fault_event(alert, {5: "over"})
    assert raised is not None and raised.raised and raised.error_code == "OverVoltage"
    unsure = read_fault_event(alert)
    assert unsure is not None and unsure.direction is None and unsure.error_code == "OtherError"
    assert raised.tech_code == "HX-3301"
    cleared = read_fault_event({**alert, "actual_value": "230.0", "cleared": True})
    assert cleared is not None and not cleared.raised
    assert read_fault_event({**alert, "trigger": "Delta"}) is None
    assert read_fault_event({**alert, "trigger": "Periodic"}) is None
    signal = read_fault_event(
        {
            **alert,
            "actual_value": "-109",
            "component": {"name": "DataLink"},
            "variable": {"name": "SignalStrength"},
        }
    )
    assert signal is not None and signal.error_code == "WeakSignal"


async def test_silent_charger_is_disconnected_after_2_5_intervals(tmp_path):
    import asyncio

    from tests.conftest import make_settings, start_backend

    running = await start_backend(make_settings(tmp_path, heartbeat_interval=1))
    try:
        await running.register("SITE-003-AC-09")
        async with connected(running.ocpp_url, "SITE-003-AC-09") as charger:
            await charger.boot()  # the backend answers interval=1: heartbeats every second
            await asyncio.sleep(1.5)
            await running.state.csms.check_liveness()
            assert running.state.live.get("SITE-003-AC-09").online  # 1.5 s < 2.5 intervals
            await asyncio.sleep(1.2)  # silent for 2.7 s: no message at all
            await running.state.csms.check_liveness()
            await eventually(lambda: not running.state.live.get("SITE-003-AC-09").online)
    finally:
        await running.backend.stop()
