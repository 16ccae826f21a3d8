"""Every command's behaviour, in 1.6 and 2.0.1, against a CSMS built on the ocpp library."""

from __future__ import annotations

import asyncio

import pytest
from ocpp.v16 import call as c16
from ocpp.v201 import call as c201

from app.simulator.charger import SimulatorError
from tests.simulator.conftest import plan
from tests.simulator.mini_csms import MiniCSMS, UploadReceiver


def actions(csms: MiniCSMS, charger_id: str, after: int = 0) -> list[str]:
    return [a for a, _ in csms.messages[charger_id][after:]]


# ---------------------------------------------------------------- resets during transactions
async def test_16_soft_reset_stops_transaction_before_reboot(csms: MiniCSMS, make_fleet) -> None:
    p = plan("northwind_duo", "1.6")
    fleet = await make_fleet([p])
    ch = fleet.charger(p.charger_id)
    ch.start_transaction(1, "TAG-1")
    await csms.wait_message(p.charger_id, "StartTransaction")
    await ch.wait_for(lambda s: s.connector(1).transaction.csms_tx_id is not None)
    mark = csms.mark(p.charger_id)
    answer = await csms.command(p.charger_id, c16.Reset(type="Soft"))
    assert answer.status == "Accepted"
    await ch.wait_for(lambda s: s.boot_count == 2 and s.online, timeout=5)
    await csms.wait_message(p.charger_id, "StatusNotification", after=mark)
    seq = actions(csms, p.charger_id, mark)
    assert seq.index("StopTransaction") < seq.index("BootNotification")
    stop = csms.of(p.charger_id, "StopTransaction")[0]
    assert stop["reason"] == "SoftReset" and stop["transaction_id"] == 1000
    # after the boot: a StatusNotification for every connector (0, 1, 2)
    await asyncio.sleep(0.1)
    after_boot = seq.index("BootNotification")
    statuses = csms.of(p.charger_id, "StatusNotification")
    boot_statuses = [
        m for a, m in csms.messages[p.charger_id][mark + after_boot :] if a == "StatusNotification"
    ]
    assert {m["connector_id"] for m in boot_statuses} == {0, 1, 2}
    assert statuses[-1]["status"] == "Available"
    assert csms.connections[p.charger_id] == 2  # the socket closed for the reboot


async def test_16_hard_reset_sends_stop_transaction_after_reboot(
    csms: MiniCSMS, make_fleet
) -> None:
    p = plan("helion_hx150", "1.6")
    fleet = await make_fleet([p])
    ch = fleet.charger(p.charger_id)
    ch.start_transaction(2, "TAG-2")
    await ch.wait_for(lambda s: s.connector(2).transaction.csms_tx_id is not None)
    mark = csms.mark(p.charger_id)
    await csms.command(p.charger_id, c16.Reset(type="Hard"))
    await csms.wait_message(p.charger_id, "StopTransaction", after=mark, timeout=5)
    seq = actions(csms, p.charger_id, mark)
    assert seq.index("BootNotification") < seq.index("StopTransaction")
    stop = csms.of(p.charger_id, "StopTransaction")[0]
    assert stop["reason"] == "HardReset"
    assert ch.true_state().connector(2).transaction is None


async def test_201_reset_onidle_is_scheduled_during_transaction(csms: MiniCSMS, make_fleet) -> None:
    p = plan("kestrel_kx300", "2.0.1")
    fleet = await make_fleet([p])
    ch = fleet.charger(p.charger_id)
    tx = ch.start_transaction(1, "TAG-3")
    await csms.wait_message(p.charger_id, "TransactionEvent")
    answer = await csms.command(p.charger_id, c201.Reset(type="OnIdle"))
    assert answer.status == "Scheduled"
    await asyncio.sleep(0.3)  # more than a reboot: nothing happens while charging
    assert ch.true_state().boot_count == 1 and ch.true_state().online
    mark = csms.mark(p.charger_id)
    ch.stop_transaction(1, reason="Local")
    boot = await csms.wait_message(p.charger_id, "BootNotification", after=mark, timeout=5)
    assert boot["reason"] == "ScheduledReset"
    seq = actions(csms, p.charger_id, mark)
    assert seq.index("TransactionEvent") < seq.index("BootNotification")
    ended = csms.of(p.charger_id, "TransactionEvent")[-1]
    assert ended["event_type"] == "Ended"
    assert ended["transaction_info"]["transaction_id"] == tx.tx_id
    assert ended["transaction_info"]["stopped_reason"] == "Local"


async def test_201_reset_immediate_ends_transaction(csms: MiniCSMS, make_fleet) -> None:
    p = plan("northwind_duo", "2.0.1")
    fleet = await make_fleet([p])
    ch = fleet.charger(p.charger_id)
    ch.start_transaction(2, "TAG-4")
    mark = csms.mark(p.charger_id)
    answer = await csms.command(p.charger_id, c201.Reset(type="Immediate"))
    assert answer.status == "Accepted"
    boot = await csms.wait_message(p.charger_id, "BootNotification", after=mark, timeout=5)
    assert boot["reason"] == "RemoteReset"
    ended = next(m for m in csms.of(p.charger_id, "TransactionEvent") if m["event_type"] == "Ended")
    assert ended["transaction_info"]["stopped_reason"] == "ImmediateReset"
    assert ended["trigger_reason"] == "ResetCommand"
    seq = actions(csms, p.charger_id, mark)
    assert seq.index("TransactionEvent") < seq.index("BootNotification")
    sec = await csms.wait_message(p.charger_id, "SecurityEventNotification", after=mark)
    assert sec["type"] == "ResetOrReboot"
    # EVSE-level resets are not supported by these models
    assert (await csms.command(p.charger_id, c201.Reset(type="Immediate", evse_id=1))).status == (
        "Rejected"
    )


# ---------------------------------------------------------------- unlock / availability
async def test_unlock_connector_both_versions(csms: MiniCSMS, make_fleet) -> None:
    p16, p201 = plan("voltara_wb22", "1.6"), plan("helion_hx150", "2.0.1")
    fleet = await make_fleet([p16, p201])
    ch16, ch201 = fleet.charger(p16.charger_id), fleet.charger(p201.charger_id)
    ch16.inject_now("connector_lock_failure", 1)
    ch201.inject_now("connector_lock_failure", 2)
    r = await csms.command(p16.charger_id, c16.UnlockConnector(connector_id=1))
    assert r.status == "Unlocked" and not ch16.true_state().faults
    r = await csms.command(p16.charger_id, c16.UnlockConnector(connector_id=5))
    assert r.status == "NotSupported"
    r = await csms.command(p201.charger_id, c201.UnlockConnector(evse_id=2, connector_id=1))
    assert r.status == "Unlocked" and not ch201.true_state().faults
    r = await csms.command(p201.charger_id, c201.UnlockConnector(evse_id=9, connector_id=1))
    assert r.status == "UnknownConnector"
    ch201.start_transaction(1)
    r = await csms.command(p201.charger_id, c201.UnlockConnector(evse_id=1, connector_id=1))
    assert r.status == "OngoingAuthorizedTransaction"
    ch201.inject_now("welded_contactor", 2)
    r = await csms.command(p201.charger_id, c201.UnlockConnector(evse_id=2, connector_id=1))
    assert r.status == "UnlockFailed"
    cleared = fleet.truth.tail(kind="fault_cleared")
    assert [c["how"] for c in cleared] == ["unlock", "unlock"]


async def test_change_availability_and_cycle(csms: MiniCSMS, make_fleet) -> None:
    p16, p201 = plan("northwind_duo", "1.6"), plan("northwind_duo", "2.0.1", n=2)
    fleet = await make_fleet([p16, p201])
    ch16, ch201 = fleet.charger(p16.charger_id), fleet.charger(p201.charger_id)
    ch16.inject_now("phantom_connector_state", 2)
    ch201.inject_now("phantom_connector_state", 1)
    assert ch16.true_state().connector(2).status == "Preparing"
    assert ch201.true_state().connector(1).status_201 == "Occupied"
    r = await csms.command(
        p16.charger_id, c16.ChangeAvailability(connector_id=2, type="Inoperative")
    )
    assert r.status == "Accepted"
    await csms.wait_message(
        p16.charger_id,
        "StatusNotification",
        lambda m: m["connector_id"] == 2 and m["status"] == "Unavailable",
    )
    assert ch16.true_state().has_fault("phantom_connector_state")  # half a cycle is not enough
    r = await csms.command(p16.charger_id, c16.ChangeAvailability(connector_id=2, type="Operative"))
    assert r.status == "Accepted"
    assert not ch16.true_state().faults
    assert ch16.true_state().connector(2).status == "Available"
    # 2.0.1, whole station
    for status in ("Inoperative", "Operative"):
        r = await csms.command(p201.charger_id, c201.ChangeAvailability(operational_status=status))
        assert r.status == "Accepted"
    assert not ch201.true_state().faults
    assert fleet.truth.tail(kind="fault_cleared")[-1]["how"] == "availability_cycle"
    # scheduled during a transaction (both versions), applied when it ends
    ch16.start_transaction(1)
    r = await csms.command(
        p16.charger_id, c16.ChangeAvailability(connector_id=1, type="Inoperative")
    )
    assert r.status == "Scheduled"
    assert ch16.true_state().connector(1).status == "Charging"
    ch16.stop_transaction(1)
    assert ch16.true_state().connector(1).status == "Unavailable"
    ch201.start_transaction(2)
    r = await csms.command(
        p201.charger_id,
        c201.ChangeAvailability(operational_status="Inoperative", evse={"id": 2}),
    )
    assert r.status == "Scheduled"
    ch201.stop_transaction(2)
    assert ch201.true_state().connector(2).status_201 == "Unavailable"
    r = await csms.command(
        p201.charger_id,
        c201.ChangeAvailability(operational_status="Inoperative", evse={"id": 7}),
    )
    assert r.status == "Rejected"


# ---------------------------------------------------------------- trigger message
async def test_trigger_message_16(csms: MiniCSMS, make_fleet) -> None:
    p = plan("northwind_duo", "1.6")
    fleet = await make_fleet([p])
    ch = fleet.charger(p.charger_id)
    cid = p.charger_id
    for message, expected in (
        ("StatusNotification", "StatusNotification"),
        ("Heartbeat", "Heartbeat"),
        ("BootNotification", "BootNotification"),
        ("MeterValues", "MeterValues"),
        ("DiagnosticsStatusNotification", "DiagnosticsStatusNotification"),
        ("FirmwareStatusNotification", "FirmwareStatusNotification"),
    ):
        mark = csms.mark(cid)
        r = await csms.command(cid, c16.TriggerMessage(requested_message=message))
        assert r.status == "Accepted", message
        await csms.wait_message(cid, expected, after=mark)
    mark = csms.mark(cid)
    await csms.command(
        cid, c16.TriggerMessage(requested_message="StatusNotification", connector_id=2)
    )
    msg = await csms.wait_message(cid, "StatusNotification", after=mark)
    assert msg["connector_id"] == 2
    r = await csms.command(cid, c16.TriggerMessage(requested_message="Heartbeat", connector_id=9))
    assert r.status == "Rejected"
    assert ch.true_state().commands == 8


async def test_trigger_message_201(csms: MiniCSMS, make_fleet) -> None:
    p = plan("kestrel_kx300", "2.0.1")
    fleet = await make_fleet([p])
    cid = p.charger_id
    for message in (
        "StatusNotification",
        "Heartbeat",
        "BootNotification",
        "MeterValues",
        "LogStatusNotification",
        "FirmwareStatusNotification",
    ):
        mark = csms.mark(cid)
        r = await csms.command(cid, c201.TriggerMessage(requested_message=message))
        assert r.status == "Accepted", message
        msg = await csms.wait_message(cid, message, after=mark)
        if message == "BootNotification":
            assert msg["reason"] == "Triggered"
    fleet.charger(cid).start_transaction(1)
    await csms.wait_message(cid, "TransactionEvent", lambda m: m["event_type"] == "Started")
    mark = csms.mark(cid)
    r = await csms.command(
        cid, c201.TriggerMessage(requested_message="TransactionEvent", evse={"id": 1})
    )
    msg = await csms.wait_message(cid, "TransactionEvent", after=mark)
    assert msg["trigger_reason"] == "Trigger"
    mark = csms.mark(cid)
    r = await csms.command(
        cid, c201.TriggerMessage(requested_message="SignChargingStationCertificate")
    )
    assert r.status == "Accepted"  # A02.FR.02/03: a new key pair, its CSR in SignCertificate
    msg = await csms.wait_message(cid, "SignCertificate", after=mark)
    assert msg["certificate_type"] == "ChargingStationCertificate"
    assert msg["csr"].startswith("-----BEGIN CERTIFICATE REQUEST-----")
    r = await csms.command(cid, c201.TriggerMessage(requested_message="SignV2GCertificate"))
    assert r.status == "NotImplemented"


# ---------------------------------------------------------------- diagnostics / logs
async def test_get_diagnostics_uploads_with_put_or_post(
    csms: MiniCSMS, make_fleet, uploads: UploadReceiver
) -> None:
    p = plan("voltara_wb22", "1.6")
    fleet = await make_fleet([p])
    ch = fleet.charger(p.charger_id)
    ch.inject_now("firmware_hang")
    cid = p.charger_id
    r = await csms.command(cid, c16.GetDiagnostics(location=f"{uploads.url}/put/"))
    assert r.file_name.endswith(".log")
    await csms.wait_message(
        cid, "DiagnosticsStatusNotification", lambda m: m["status"] == "Uploaded"
    )
    statuses = [m["status"] for m in csms.of(cid, "DiagnosticsStatusNotification")]
    assert statuses == ["Uploading", "Uploaded"]
    body = uploads.files[r.file_name].decode()
    assert "E-201" in body and "Voltara" in body
    # an endpoint that refuses PUT gets a multipart POST
    mark = csms.mark(cid)
    await csms.command(cid, c16.GetDiagnostics(location=f"{uploads.url}/post/diag.log"))
    await csms.wait_message(
        cid, "DiagnosticsStatusNotification", lambda m: m["status"] == "Uploaded", after=mark
    )
    assert uploads.methods == ["PUT", "POST"] and "diag.log" in uploads.files
    # an unreachable location fails
    mark = csms.mark(cid)
    await csms.command(cid, c16.GetDiagnostics(location="ftp://example.invalid/up/"))
    await csms.wait_message(
        cid, "DiagnosticsStatusNotification", lambda m: m["status"] == "UploadFailed", after=mark
    )


async def test_get_log_uploads(csms: MiniCSMS, make_fleet, uploads: UploadReceiver) -> None:
    p = plan("helion_hx150", "2.0.1")
    fleet = await make_fleet([p])
    fleet.charger(p.charger_id).inject_now("ground_fault", 2)
    r = await csms.command(
        p.charger_id,
        c201.GetLog(
            log={"remote_location": f"{uploads.url}/put/"}, log_type="DiagnosticsLog", request_id=7
        ),
    )
    assert r.status == "Accepted" and r.filename
    await csms.wait_message(
        p.charger_id, "LogStatusNotification", lambda m: m["status"] == "Uploaded"
    )
    statuses = [
        (m["status"], m["request_id"]) for m in csms.of(p.charger_id, "LogStatusNotification")
    ]
    assert statuses == [("Uploading", 7), ("Uploaded", 7)]
    assert "HX-1104" in uploads.files[r.filename].decode()
    mark = csms.mark(p.charger_id)
    await csms.command(
        p.charger_id,
        c201.GetLog(
            log={"remote_location": "http://127.0.0.1:9/nowhere"},
            log_type="DiagnosticsLog",
            request_id=8,
        ),
    )
    await csms.wait_message(
        p.charger_id,
        "LogStatusNotification",
        lambda m: m["status"] == "UploadFailure",
        after=mark,
    )


# ---------------------------------------------------------------- configuration / variables
async def test_configuration_16(csms: MiniCSMS, make_fleet) -> None:
    p = plan("northwind_duo", "1.6")
    fleet = await make_fleet([p])
    cid = p.charger_id
    r = await csms.command(cid, c16.GetConfiguration(key=["NumberOfConnectors", "Nope"]))
    assert r.configuration_key == [{"key": "NumberOfConnectors", "readonly": True, "value": "2"}]
    assert r.unknown_key == ["Nope"]
    r = await csms.command(cid, c16.GetConfiguration())
    assert len(r.configuration_key) > 10
    for key, value, expected in (
        ("HeartbeatInterval", "7", "Accepted"),
        ("MeterValueSampleInterval", "abc", "Rejected"),
        ("NumberOfConnectors", "4", "Rejected"),
        ("Bogus", "1", "NotSupported"),
        ("LocalPreAuthorize", "true", "Accepted"),
    ):
        r = await csms.command(cid, c16.ChangeConfiguration(key=key, value=value))
        assert r.status == expected, key
    r = await csms.command(
        cid, c16.GetConfiguration(key=["HeartbeatInterval", "LocalPreAuthorize"])
    )
    assert [k["value"] for k in r.configuration_key] == ["7", "true"]
    assert fleet.charger(cid).heartbeat_interval == 7
    assert (await csms.command(cid, c16.ClearCache())).status == "Accepted"


async def test_variables_201(csms: MiniCSMS, make_fleet) -> None:
    p = plan("kestrel_kx300", "2.0.1")
    fleet = await make_fleet([p])
    cid = p.charger_id

    def item(component: str, variable: str) -> dict:
        return {"component": {"name": component}, "variable": {"name": variable}}

    r = await csms.command(
        cid,
        c201.GetVariables(
            get_variable_data=[
                item("ChargingStation", "Model"),
                item("OCPPCommCtrlr", "HeartbeatInterval"),
                item("Nope", "X"),
                item("OCPPCommCtrlr", "Nope"),
            ]
        ),
    )
    got = [(x["attribute_status"], x.get("attribute_value")) for x in r.get_variable_result]
    assert got == [
        ("Accepted", "KX-300"),
        ("Accepted", "300"),
        ("UnknownComponent", None),
        ("UnknownVariable", None),
    ]
    r = await csms.command(
        cid,
        c201.SetVariables(
            set_variable_data=[
                {**item("OCPPCommCtrlr", "HeartbeatInterval"), "attribute_value": "11"},
                {**item("ChargingStation", "Model"), "attribute_value": "X"},
                {**item("SampledDataCtrlr", "TxUpdatedInterval"), "attribute_value": "15"},
            ]
        ),
    )
    assert [x["attribute_status"] for x in r.set_variable_result] == [
        "Accepted",
        "Rejected",
        "Accepted",
    ]
    assert fleet.charger(cid).heartbeat_interval == 11
    assert fleet.charger(cid).meter_interval() == 15
    assert (await csms.command(cid, c201.ClearCache())).status == "Accepted"


# ---------------------------------------------------------------- remote start / stop
async def test_remote_stop_and_start(csms: MiniCSMS, make_fleet) -> None:
    p16, p201 = plan("voltara_wb22", "1.6"), plan("helion_hx150", "2.0.1")
    fleet = await make_fleet([p16, p201])
    ch16, ch201 = fleet.charger(p16.charger_id), fleet.charger(p201.charger_id)
    r = await csms.command(p16.charger_id, c16.RemoteStartTransaction(id_tag="RT-1"))
    assert r.status == "Accepted"
    state = await ch16.wait_for(
        lambda s: (
            s.connector(1).transaction is not None
            and s.connector(1).transaction.csms_tx_id is not None
        )
    )
    tx_id = state.connector(1).transaction.csms_tx_id
    assert (
        await csms.command(p16.charger_id, c16.RemoteStopTransaction(transaction_id=999))
    ).status == "Rejected"
    r = await csms.command(p16.charger_id, c16.RemoteStopTransaction(transaction_id=tx_id))
    assert r.status == "Accepted"
    stop = await csms.wait_message(p16.charger_id, "StopTransaction")
    assert stop["reason"] == "Remote" and stop["transaction_id"] == tx_id
    ch16.inject_now("ground_fault", 1)
    r = await csms.command(p16.charger_id, c16.RemoteStartTransaction(id_tag="RT-2"))
    assert r.status == "Rejected"  # faulted

    r = await csms.command(
        p201.charger_id,
        c201.RequestStartTransaction(
            id_token={"id_token": "RT-3", "type": "ISO14443"}, remote_start_id=42, evse_id=2
        ),
    )
    assert r.status == "Accepted"
    started = await csms.wait_message(p201.charger_id, "TransactionEvent")
    assert started["trigger_reason"] == "RemoteStart"
    assert started["transaction_info"]["remote_start_id"] == 42
    tx_id = started["transaction_info"]["transaction_id"]
    r = await csms.command(p201.charger_id, c201.RequestStopTransaction(transaction_id=tx_id))
    assert r.status == "Accepted"
    ended = await csms.wait_message(
        p201.charger_id, "TransactionEvent", lambda m: m["event_type"] == "Ended"
    )
    assert ended["transaction_info"]["stopped_reason"] == "Remote"
    assert ended["trigger_reason"] == "RemoteStop"
    assert not ch201.true_state().connector(2).transaction
    commands = [r["action"] for r in fleet.truth.tail(kind="command")]
    assert "RequestStopTransaction" in commands and "RemoteStopTransaction" in commands


async def test_meter_values_during_transaction(csms: MiniCSMS, make_fleet) -> None:
    p16, p201 = plan("helion_hx150", "1.6"), plan("helion_hx150", "2.0.1", n=2)
    fleet = await make_fleet([p16, p201], speed=600)  # 60 s sample interval -> 0.1 s
    for p in (p16, p201):
        fleet.charger(p.charger_id).start_transaction(1)
    mv = await csms.wait_message(p16.charger_id, "MeterValues", timeout=3)
    assert mv["transaction_id"] == 1000 or mv["transaction_id"] >= 1000
    value = mv["meter_value"][0]["sampled_value"][0]
    assert value["measurand"] == "Energy.Active.Import.Register"
    upd = await csms.wait_message(
        p201.charger_id, "TransactionEvent", lambda m: m["event_type"] == "Updated", timeout=3
    )
    assert upd["trigger_reason"] == "MeterValuePeriodic"
    await asyncio.sleep(0.3)
    energy = fleet.charger(p16.charger_id).true_state().connector(1).transaction.energy_wh
    assert energy > 0


async def test_16_availability_as_a_drain_sees_it(csms: MiniCSMS, make_fleet) -> None:
    """OCPP 1.6 §5.2, what the gateway's drain before a reset relies on: Scheduled while a
    transaction runs (and Operative cancels that), Accepted when idle, then no start, and
    Inoperative kept across a reboot."""
    p = plan("northwind_duo", "1.6")
    fleet = await make_fleet([p])
    ch = fleet.charger(p.charger_id)
    ch.start_transaction(1, "TAG-1")
    await ch.wait_for(lambda s: s.connector(1).transaction.csms_tx_id is not None)
    drain = c16.ChangeAvailability(connector_id=0, type="Inoperative")
    assert (await csms.command(p.charger_id, drain)).status == "Scheduled"
    restore = c16.ChangeAvailability(connector_id=0, type="Operative")
    assert (await csms.command(p.charger_id, restore)).status == "Accepted"
    ch.stop_transaction(1)
    assert ch.true_state().connector(1).status == "Available"  # the drain was called off
    # idle: Accepted, and no charge can start on any connector
    assert (await csms.command(p.charger_id, drain)).status == "Accepted"
    assert {c.status for c in ch.true_state().connectors} == {"Unavailable"}
    start = c16.RemoteStartTransaction(id_tag="TAG-2", connector_id=2)
    assert (await csms.command(p.charger_id, start)).status == "Rejected"
    with pytest.raises(SimulatorError):
        ch.start_transaction(2, "TAG-2")
    # it stays Inoperative through the reset's reboot, until the CSMS restores it
    mark = csms.mark(p.charger_id)
    assert (await csms.command(p.charger_id, c16.Reset(type="Soft"))).status == "Accepted"
    await ch.wait_for(lambda s: s.boot_count == 2 and s.online, timeout=5)
    assert {c.status for c in ch.true_state().connectors} == {"Unavailable"}
    assert "BootNotification" in actions(csms, p.charger_id, mark)
    assert (await csms.command(p.charger_id, restore)).status == "Accepted"
    assert {c.status for c in ch.true_state().connectors} == {"Available"}


async def test_sample_interval_starts_at_the_fleet_timing_until_the_csms_sets_it(
    csms: MiniCSMS, make_fleet
) -> None:
    """Timing.meter_interval_s is the interval a charger starts with (the remote-resolution
    bench asked for 900 s and got the device default of 60 s: 15 times the meter traffic)."""
    from app.simulator.config import Timing

    p16, p201 = plan("voltara_wb22", "1.6"), plan("kestrel_kx300", "2.0.1")
    fleet = await make_fleet([p16, p201], timing=Timing(meter_interval_s=900.0))
    r = await csms.command(p16.charger_id, c16.GetConfiguration(key=["MeterValueSampleInterval"]))
    assert [k["value"] for k in r.configuration_key] == ["900"]
    assert fleet.charger(p16.charger_id).meter_interval() == 900
    assert fleet.charger(p201.charger_id).meter_interval() == 900
    r = await csms.command(
        p16.charger_id, c16.ChangeConfiguration(key="MeterValueSampleInterval", value="30")
    )
    assert r.status == "Accepted"
    assert fleet.charger(p16.charger_id).meter_interval() == 30
    component = {
        "component": {"name": "SampledDataCtrlr"},
        "variable": {"name": "TxUpdatedInterval"},
    }
    r = await csms.command(p201.charger_id, c201.GetVariables(get_variable_data=[component]))
    assert r.get_variable_result[0]["attribute_value"] == "900"
    r = await csms.command(
        p201.charger_id,
        c201.SetVariables(set_variable_data=[{**component, "attribute_value": "45"}]),
    )
    assert fleet.charger(p201.charger_id).meter_interval() == 45
