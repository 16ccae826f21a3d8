"""Every fault's face in 1.6 and 2.0.1, and its hidden truth (what clears it)."""

from __future__ import annotations

import asyncio

from ocpp.v16 import call as c16
from ocpp.v16.enums import ChargePointErrorCode, ChargePointStatus
from ocpp.v201 import call as c201
from ocpp.v201.enums import ConnectorStatusEnumType

from app.simulator.faults import (
    BOOT_LOOP,
    FLAPPING,
    OFFLINE,
    REMEDIES,
    fault_catalogue,
)
from app.simulator.models import CHARGER_MODELS, vendor_error_codes
from tests.simulator.conftest import plan
from tests.simulator.mini_csms import MiniCSMS

REQUIRED = {
    "firmware_hang",
    "stuck_process",
    "connector_lock_failure",
    "rfid_reader_failure",
    "phantom_connector_state",
    "ground_fault",
    "welded_contactor",
    "over_temperature",
    "power_meter_failure",
    "modem_drop",
    "weak_signal",
    "ev_communication_error",
    "over_voltage",
    "under_voltage",
    "intermittent_fault",
    "firmware_boot_failure",
}


def with_face(model_key: str) -> list:
    """The faults a charger reports with a face, on this model (tests/simulator/
    test_field_faults.py covers the faceless ones: no power, a site uplink down, a hang)."""
    model = CHARGER_MODELS[[m.key for m in CHARGER_MODELS].index(model_key)]
    return [f for f in fault_catalogue().values() if not f.faceless and f.fits(model)]


def test_catalogue_is_complete_and_valid() -> None:
    catalogue = fault_catalogue()
    assert len(catalogue) >= 15
    assert set(catalogue) >= REQUIRED
    for key, spec in catalogue.items():
        assert spec.key == key
        assert spec.v16.error_code in {e.value for e in ChargePointErrorCode}, key
        assert spec.v16.status in {s.value for s in ChargePointStatus}, key
        assert len(spec.v16.info) <= 50, key
        if spec.v201.connector_status is not None:
            assert spec.v201.connector_status in {s.value for s in ConnectorStatusEnumType}
        assert spec.truth.remedy in REMEDIES, key
        assert set(spec.truth.clears_by) <= set(REMEDIES), key
        for model in CHARGER_MODELS:
            if spec.faceless or not spec.fits(model):
                continue  # never reported (or not on this model): no vendor code
            codes = vendor_error_codes(model)
            assert key in codes, (model.key, key)
            assert spec.vendor_error_code(model) == codes[key]


async def test_every_fault_face_16(csms: MiniCSMS, make_fleet) -> None:
    faults = with_face("northwind_duo")
    plans = [plan("northwind_duo", "1.6", n=i + 1) for i in range(len(faults))]
    fleet = await make_fleet(plans)
    model = plans[0].model

    async def check(spec, charger_plan) -> None:
        cid = charger_plan.charger_id
        ch = fleet.charger(cid)
        mark = csms.mark(cid)
        connections = csms.connections[cid]
        connector = 0 if spec.scope == "charger" else 2
        ch.inject_now(spec.key, connector)
        behaviour = spec.truth.behaviour
        if behaviour == OFFLINE:
            await ch.wait_for(lambda s: s.phase == "offline" and not s.connected, timeout=3)
            await asyncio.sleep(0.3)  # well past the reconnect back-off: stays offline
            assert not ch.connected and csms.connections[cid] == connections
            ch.clear_fault(spec.key, how="self_clear")
            await ch.wait_for(lambda s: s.phase == "online", timeout=3)
            assert csms.connections[cid] == connections + 1
            return
        msg = await csms.wait_message(
            cid,
            "StatusNotification",
            lambda p: p["connector_id"] == connector and p["error_code"] == spec.v16.error_code,
            timeout=3,
            after=mark,
        )
        assert msg["status"] == spec.v16.status, spec.key
        assert msg["vendor_error_code"] == spec.vendor_error_code(model), spec.key
        assert msg["info"] == spec.v16.info, spec.key
        if behaviour == FLAPPING:
            await ch.wait_for(lambda s: csms.connections[cid] >= connections + 2, timeout=5)
        if behaviour == BOOT_LOOP:
            await csms.wait_message(cid, "BootNotification", after=mark, timeout=3)
            await csms.wait_message(
                cid,
                "FirmwareStatusNotification",
                lambda p: p["status"] == "InstallationFailed",
                after=mark,
                timeout=3,
            )
            await ch.wait_for(lambda s: s.boot_count >= 3, timeout=5)

    await asyncio.gather(*(check(spec, p) for spec, p in zip(faults, plans, strict=True)))


async def test_every_fault_face_201(csms: MiniCSMS, make_fleet) -> None:
    faults = with_face("helion_hx150")
    plans = [plan("helion_hx150", "2.0.1", n=i + 1) for i in range(len(faults))]
    fleet = await make_fleet(plans)
    model = plans[0].model

    async def check(spec, charger_plan) -> None:
        cid = charger_plan.charger_id
        ch = fleet.charger(cid)
        mark = csms.mark(cid)
        connector = 0 if spec.scope == "charger" else 2
        ch.inject_now(spec.key, connector)
        if spec.truth.behaviour == OFFLINE:
            await ch.wait_for(lambda s: s.phase == "offline", timeout=3)
            ch.clear_fault(spec.key, how="self_clear")
        event = await csms.wait_message(
            cid,
            "NotifyEvent",
            lambda p: (
                p["event_data"][0]["component"]["name"] == spec.v201.component
                and not p["event_data"][0]["cleared"]
            ),
            timeout=3,
            after=mark,
        )
        data = event["event_data"][0]
        assert data["variable"]["name"] == spec.v201.variable, spec.key
        assert data["actual_value"] == spec.v201.actual_value, spec.key
        assert data["trigger"] == "Alerting", spec.key  # threshold crossings too (not Delta)
        assert data["tech_code"] == spec.vendor_error_code(model), spec.key
        if spec.scope == "connector":
            assert data["component"]["evse"] == {"id": 2, "connector_id": 1}, spec.key
        else:
            assert "evse" not in data["component"], spec.key
        if spec.v201.connector_status is not None:
            evses = [2] if spec.scope == "connector" else [1, 2]
            for evse in evses:
                await csms.wait_message(
                    cid,
                    "StatusNotification",
                    lambda p, e=evse: (
                        p["evse_id"] == e and p["connector_status"] == spec.v201.connector_status
                    ),
                    timeout=3,
                    after=mark,
                )
        if spec.truth.behaviour == BOOT_LOOP:
            await csms.wait_message(
                cid, "BootNotification", lambda p: p["reason"] == "FirmwareUpdate", after=mark
            )
            await csms.wait_message(
                cid, "BootNotification", lambda p: p["reason"] == "Watchdog", after=mark
            )

    await asyncio.gather(*(check(spec, p) for spec, p in zip(faults, plans, strict=True)))


async def test_cleared_fault_is_reported_cleared(csms: MiniCSMS, make_fleet) -> None:
    p16, p201 = plan("voltara_wb22", "1.6"), plan("kestrel_kx300", "2.0.1")
    fleet = await make_fleet([p16, p201])
    for p in (p16, p201):
        fleet.charger(p.charger_id).inject_now("over_current", 1)
    await asyncio.sleep(0.1)
    marks = {p.charger_id: csms.mark(p.charger_id) for p in (p16, p201)}
    for p in (p16, p201):
        assert fleet.charger(p.charger_id).clear_fault("over_current", how="site_visit")
    await csms.wait_message(
        p16.charger_id,
        "StatusNotification",
        lambda p: (
            p["connector_id"] == 1 and p["error_code"] == "NoError" and p["status"] == "Available"
        ),
        after=marks[p16.charger_id],
    )
    event = await csms.wait_message(p201.charger_id, "NotifyEvent", after=marks[p201.charger_id])
    assert event["event_data"][0]["cleared"] is True
    assert event["event_data"][0]["actual_value"] == "false"
    cleared = fleet.truth.tail(kind="fault_cleared")
    assert {(r["charger_id"], r["how"]) for r in cleared} == {
        (p16.charger_id, "site_visit"),
        (p201.charger_id, "site_visit"),
    }


async def test_resets_clear_what_the_truth_says(csms: MiniCSMS, make_fleet) -> None:
    faults = ["firmware_hang", "stuck_process", "welded_contactor", "rfid_reader_failure"]
    soft = [plan("voltara_wb22", "1.6", n=i + 1) for i in range(len(faults))]
    hard = [plan("voltara_wb22", "1.6", n=i + 1, site=2) for i in range(len(faults))]
    fleet = await make_fleet(soft + hard)
    for plans, kind in ((soft, "Soft"), (hard, "Hard")):
        for key, p in zip(faults, plans, strict=True):
            fleet.charger(p.charger_id).inject_now(key, 1)
            await csms.command(p.charger_id, c16.Reset(type=kind))
    for plans, kind in ((soft, "soft_reset"), (hard, "hard_reset")):
        for key, p in zip(faults, plans, strict=True):
            ch = fleet.charger(p.charger_id)
            state = await ch.wait_for(lambda s: s.boot_count == 2 and s.online, timeout=5)
            expected_cleared = fault_catalogue()[key].clears_on(kind)
            assert state.has_fault(key) is not expected_cleared, (key, kind)
    # welded contactor survives every reset and stays faulted on the CSMS side
    welded = hard[2].charger_id
    status = [p for p in csms.of(welded, "StatusNotification") if p["connector_id"] == 1][-1]
    assert status["error_code"] == "PowerSwitchFailure"


async def test_ground_fault_recurs_after_reset(csms: MiniCSMS, make_fleet) -> None:
    p = plan("helion_hx150", "2.0.1")
    fleet = await make_fleet([p])
    ch = fleet.charger(p.charger_id)
    ch.inject_now("ground_fault", 1)
    answer = await csms.command(p.charger_id, c201.Reset(type="Immediate"))
    assert answer.status == "Accepted"
    await ch.wait_for(lambda s: s.boot_count == 2, timeout=5)
    await ch.wait_for(lambda s: s.has_fault("ground_fault", 1), timeout=5)
    kinds = [r["kind"] for r in fleet.truth.tail(charger_id=p.charger_id)]
    assert kinds.index("fault_cleared") < kinds.index("fault_recurred")
    cleared = fleet.truth.tail(charger_id=p.charger_id, kind="fault_cleared")[0]
    assert cleared["how"] == "hard_reset" and cleared["permanent"] is False


async def test_faults_that_clear_by_themselves(csms: MiniCSMS, make_fleet) -> None:
    p1, p2 = plan("voltara_wb22", "1.6"), plan("kestrel_kx300", "2.0.1")
    fleet = await make_fleet([p1, p2], speed=2000)
    fleet.charger(p1.charger_id).inject_now("over_temperature", 1)
    fleet.charger(p2.charger_id).inject_now("modem_drop")
    for p, key in ((p1, "over_temperature"), (p2, "modem_drop")):
        ch = fleet.charger(p.charger_id)
        await ch.wait_for(lambda s, k=key: not s.has_fault(k) and s.online, timeout=5)
        record = fleet.truth.tail(charger_id=p.charger_id, kind="fault_cleared")[-1]
        assert record["how"] == "self_clear"
    # the modem drop came back without a reboot
    assert len(csms.of(p2.charger_id, "BootNotification")) == 1
    assert csms.connections[p2.charger_id] == 2


async def test_intermittent_fault_comes_back_minutes_after_reset(
    csms: MiniCSMS, make_fleet
) -> None:
    p = plan("northwind_duo", "1.6")
    fleet = await make_fleet([p], speed=400)  # 240 s recurrence -> 0.6 s
    ch = fleet.charger(p.charger_id)
    ch.inject_now("intermittent_fault", 2)
    await csms.command(p.charger_id, c16.Reset(type="Soft"))
    state = await ch.wait_for(lambda s: s.boot_count == 2, timeout=5)
    assert not state.has_fault("intermittent_fault")
    await asyncio.sleep(0.2)
    assert not ch.true_state().has_fault("intermittent_fault")
    await ch.wait_for(lambda s: s.has_fault("intermittent_fault", 2), timeout=5)


async def test_ev_communication_error_clears_when_vehicle_leaves(
    csms: MiniCSMS, make_fleet
) -> None:
    p = plan("helion_hx150", "1.6")
    fleet = await make_fleet([p])
    ch = fleet.charger(p.charger_id)
    ch.start_transaction(1, "TAG-1")
    ch.inject_now("ev_communication_error", 1)
    state = ch.true_state()
    assert state.connector(1).status == "SuspendedEVSE"
    assert state.connector(1).transaction is not None  # vehicle-side: charging not aborted
    ch.stop_transaction(1, reason="EVDisconnected")
    record = fleet.truth.tail(charger_id=p.charger_id, kind="fault_cleared")[-1]
    assert record["how"] == "vehicle"
