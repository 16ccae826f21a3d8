"""Self-diagnosis on faults as real stacks send them (EVerest's OCPP 1.6 and 2.0.1 faces),
on a real backend with scripted chargers sending exact frames.

1.6 (EVerest OCPP module, ChargeX MREC): StatusNotification with the code's 1.6 errorCode,
vendorId "https://chargex.inl.gov", vendorErrorCode "CXnnn", info; for blocking faults at once
a second StatusNotification Faulted / OtherError / info naming the cause.
2.0.1 (EVerest OCPP201 module): NotifyEvent component EVSE, variable Problem, trigger Alerting,
actualValue "true" ("false" when cleared), techCode "CXnnn", techInfo; then Faulted status.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest
from ocpp.v16 import call as call16
from sqlalchemy import select

from app.db.models import CommandRow
from app.db.models_diagnosis import DiagnosisActionRow, DiagnosisRow
from app.db.models_sessions import HandoffRow
from app.fault_codes import load_catalogue
from tests.chargers import connected, eventually, now

CATALOGUE = load_catalogue()
CX = sorted(CATALOGUE.chargex.values(), key=lambda c: c.code)
NAMESPACE = CATALOGUE.chargex_namespace
# Commands that re-energise or move the cable: never for never_reset / outside_charger codes.
RE_ENERGISING = ("reset", "unlock_connector")
FAST = {"diagnosis_time_scale": 1000.0, "diagnosis_recovery_hold_seconds": 60.0}


def rows(backend: Any, charger_id: str) -> list[DiagnosisRow]:
    with backend.state.session_factory() as db:
        return list(
            db.scalars(
                select(DiagnosisRow)
                .where(DiagnosisRow.charger_id == charger_id)
                .order_by(DiagnosisRow.id)
            )
        )


async def commands(backend: Any, charger_id: str) -> list[CommandRow]:
    """The commands sent to a charger, once the recorder has written what it holds (read
    before that, a "no reset" would hold of a reset not yet written)."""
    await backend.state.recorder.flush()
    with backend.state.session_factory() as db:
        return list(
            db.scalars(
                select(CommandRow)
                .where(CommandRow.charger_id == charger_id)
                .order_by(CommandRow.id)
            )
        )


def actions(backend: Any, diagnosis_id: int) -> list[DiagnosisActionRow]:
    with backend.state.session_factory() as db:
        return list(
            db.scalars(
                select(DiagnosisActionRow)
                .where(DiagnosisActionRow.diagnosis_id == diagnosis_id)
                .order_by(DiagnosisActionRow.id)
            )
        )


def closed(backend: Any, charger_id: str) -> Any:
    done = [r for r in rows(backend, charger_id) if r.closed_at is not None]
    return done[0] if done else None


async def send_cx16(charger: Any, cx: Any, connector: int = 1) -> None:
    """EVerest 1.6: the ChargeX code, then the follow-up Faulted / OtherError / info."""
    await charger.status(
        connector,
        "Available",
        cx.ocpp16,
        vendor_id=NAMESPACE,
        vendor_error_code=cx.code,
        info=cx.name[:50],
    )
    await charger.status(connector, "Faulted", "OtherError", info=f"caused_by:{cx.name}"[:50])


@contextlib.asynccontextmanager
async def charger_at(
    backend: Any,
    charger_id: str,
    version: str = "1.6",
    model: str = "Everest-DC",
    vendor: str = "Pionix",
) -> AsyncIterator[Any]:
    await backend.register(charger_id)
    async with connected(backend.ocpp_url, charger_id, version) as charger:
        await charger.boot(vendor=vendor, model=model)
        yield charger


# -- recognised by code and meaning -------------------------------------------------------------
async def test_every_chargex_code_is_recognised_in_both_versions(make_backend) -> None:
    backend = await make_backend(diagnosis_enabled=False)
    live = backend.state.live
    recognised = {"1.6": 0, "2.0.1": 0}
    async with (
        charger_at(backend, "SITE-900-DC-01") as c16,
        charger_at(backend, "SITE-900-DC-02", "2.0.1") as c201,
    ):
        for cx in CX:
            await send_cx16(c16, cx)
            faults16 = live.get("SITE-900-DC-01").open_faults
            hit = [f for f in faults16 if f.classification.standard_code == cx.code]
            # the follow-up OtherError did not erase the ChargeX fault: both are open
            assert len(hit) == 1 and len(faults16) == 2, [f.error_code for f in faults16]
            c = hit[0].classification
            assert (c.fault_key, c.meaning, c.known) == (cx.fault, cx.meaning, True)
            assert hit[0].vendor_id == NAMESPACE and hit[0].info == cx.name[:50]
            recognised["1.6"] += 1
            await c16.status(1, "Available", "NoError")
            assert live.get("SITE-900-DC-01").open_faults == []

            await c201.problem(cx.code, tech_info=cx.meaning[:50])
            await c201.status(1, "Faulted")
            faults201 = live.get("SITE-900-DC-02").open_faults
            hit = [f for f in faults201 if f.classification.standard_code == cx.code]
            assert len(hit) == 1, [(f.source, f.tech_code) for f in faults201]
            c = hit[0].classification
            assert (c.fault_key, c.meaning, c.known) == (cx.fault, cx.meaning, True)
            assert (hit[0].component, hit[0].variable, hit[0].evse_id) == ("EVSE", "Problem", 1)
            recognised["2.0.1"] += 1
            await c201.problem(cx.code, value="false")
            await c201.status(1, "Available")
            assert live.get("SITE-900-DC-02").open_faults == []
    assert recognised == {"1.6": len(CX), "2.0.1": len(CX)}


async def test_two_201_problems_on_one_evse_are_two_faults(make_backend) -> None:
    backend = await make_backend(diagnosis_enabled=False)
    async with charger_at(backend, "SITE-901-DC-01", "2.0.1") as charger:
        await charger.problem("CX002")
        await charger.problem("CX017", event_id=2)
        await charger.problem("CX002", value="false")
        faults = backend.state.live.get("SITE-901-DC-01").open_faults
        assert [f.tech_code for f in faults] == ["CX017"]
        # Enabled is a setting, not a problem flag: a working token reader raises nothing
        await charger.problem(None, component="TokenReader", variable="Enabled", evse_id=None)
        assert len(backend.state.live.get("SITE-901-DC-01").open_faults) == 1


# -- never reset (or unlock) for never_reset / outside_charger codes -----------------------------
@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_no_reset_for_safety_and_outside_codes(make_backend, version: str) -> None:
    backend = await make_backend(**FAST)
    codes = [c for c in CX if c.safety_class in ("never_reset", "outside_charger")]
    ids = {
        c.code: f"SITE-{910 + i:03d}-DC-{1 if version == '1.6' else 2:02d}"
        for i, c in enumerate(codes)
    }
    async with contextlib.AsyncExitStack() as stack:
        chargers = {
            c.code: await stack.enter_async_context(charger_at(backend, ids[c.code], version))
            for c in codes
        }
        for cx in codes:
            if version == "1.6":
                await send_cx16(chargers[cx.code], cx)
            else:
                await chargers[cx.code].problem(cx.code, tech_info=cx.name)
                await chargers[cx.code].status(1, "Faulted")
        await eventually(lambda: all(closed(backend, i) for i in ids.values()), timeout=30)
        for cx in codes:
            row = closed(backend, ids[cx.code])
            assert row.standard_code == cx.code and row.safety_class == cx.safety_class
            assert row.responsible == cx.responsible, (cx.code, row.rule_id, row.responsible)
            sent = [c for c in await commands(backend, ids[cx.code]) if c.origin == "diagnosis"]
            assert not [c for c in sent if c.command in RE_ENERGISING], (cx.code, sent)
            assert not [
                c
                for c in sent
                if c.command == "change_availability" and c.params.get("type") == "operative"
            ]
            received = [name for name, _ in chargers[cx.code].received]
            assert "Reset" not in received and "UnlockConnector" not in received
        print(f"\nautomatic actions per class ({version}):", dict(actions_per_class(backend)))


async def test_reset_safe_code_gets_logs_then_at_most_one_reset(make_backend) -> None:
    backend = await make_backend(**FAST)
    cx = CATALOGUE.chargex["CX004"]  # over-current protection tripped: reset_safe
    async with charger_at(backend, "SITE-940-DC-01") as charger:
        await send_cx16(charger, cx)
        row = await eventually(lambda: closed(backend, "SITE-940-DC-01"), timeout=30)
        assert (row.standard_code, row.safety_class) == ("CX004", "reset_safe")
        received = [name for name, _ in charger.received]
        assert received.count("Reset") <= 1
        if "Reset" in received:
            assert "GetDiagnostics" in received[: received.index("Reset")]


# -- never reset blind -----------------------------------------------------------------------
async def test_unknown_vendor_code_gets_logs_and_a_handoff_not_a_reset(make_backend) -> None:
    backend = await make_backend(**FAST)
    async with charger_at(backend, "SITE-950-DC-01") as charger:
        await charger.status(
            1, "Faulted", "OtherError", vendor_id="AcmeCharge", vendor_error_code="ZZ-9931"
        )
        row = await eventually(lambda: closed(backend, "SITE-950-DC-01"), timeout=30)
        assert row.rule_id == "code-other-error" and row.status == "escalated"
        await asyncio.sleep(0.3)
        assert (row.catalogue_entry, row.safety_class) == (None, "unknown")
        received = [name for name, _ in charger.received]
        assert "GetDiagnostics" in received and "Reset" not in received
        sent = [
            c.command for c in await commands(backend, "SITE-950-DC-01") if c.origin == "diagnosis"
        ]
        assert "get_diagnostics" in sent and "reset" not in sent
        assert "code not in the catalogue" in (row.outcome_note or "")


async def test_unknown_201_tech_code_gets_logs_not_a_reset(make_backend) -> None:
    backend = await make_backend(**FAST)
    async with charger_at(backend, "SITE-951-DC-01", "2.0.1") as charger:
        await charger.problem("evse_board_support/VendorError", tech_info="relay board 7")
        await charger.status(1, "Faulted")
        row = await eventually(lambda: closed(backend, "SITE-951-DC-01"), timeout=30)
        assert row.rule_id == "problem-without-known-code", row.rule_id
        received = [name for name, _ in charger.received]
        assert "GetLog" in received and "Reset" not in received
        # proactive at boot: standing problems asked for, monitors set on catalogue variables
        assert "GetBaseReport" in received and "SetVariableMonitoring" in received


async def test_a_payment_terminal_error_goes_to_a_consultant_not_a_reset(make_backend) -> None:
    """EVerest reports a payment terminal's error on 2.0.1 as a ChargingStation Problem whose
    techCode is the error type (errors/payment_terminal.yaml); the terminal's provider manages
    it, so: a hand-off, no reset, no site visit."""
    backend = await make_backend(**FAST)
    async with charger_at(backend, "SITE-952-DC-01", "2.0.1") as charger:
        await charger.problem(
            "payment_terminal/GenericPaymentTerminalError",
            component="ChargingStation",
            evse_id=None,
            tech_info="The terminal reported an error",
        )
        fault = backend.state.live.get("SITE-952-DC-01").open_faults[0]
        c = fault.classification
        assert (c.fault_key, c.safety_class, c.responsible) == (
            "payment_terminal_failure",
            "outside_charger",
            "payment_provider",
        )
        row = await eventually(lambda: closed(backend, "SITE-952-DC-01"), timeout=30)
        assert (row.rule_id, row.status) == ("payment-terminal-failure", "escalated")
        done = [(a.step, a.outcome) for a in actions(backend, row.id)]
        assert "site_visit" not in dict(done) and "hard_reset" not in dict(done), done
        # no restart key for this maker's model in the catalogue: said once, nothing sent
        assert done.count(("restart_peripheral", "skipped")) == 1, done
        sent = [name for name, _ in charger.received]
        assert "Reset" not in sent and "SetVariables" not in sent, sent


def terminal_restarts(charger: Any) -> list[Any]:
    return [data for name, data in charger.received if name == "SetVariables"]


PAYMENT_ERROR = "payment_terminal/GenericPaymentTerminalError"  # EVerest's error type
KX_TERMINAL = [
    {
        "attribute_value": "Terminal",
        "component": {"name": "KestrelCtrlr"},
        "variable": {"name": "PeripheralRestart"},
    }
]


async def test_a_hung_payment_terminal_is_restarted_alone_by_the_vendor_key(make_backend) -> None:
    """KX-300 (EVerest based): the catalogue's vendor table names the key that restarts only
    the terminal (manual: KestrelCtrlr.PeripheralRestart = Terminal). Self-diagnosis writes it
    while a charge runs (it stops nothing), and the terminal's recovery resolves the
    diagnosis: no reset, no hand-off."""
    backend = await make_backend(**FAST)
    cid = "SITE-953-HPC-01"
    async with charger_at(backend, cid, "2.0.1", model="KX-300", vendor="Kestrel EV") as charger:
        await charger.start_transaction("TX-953")
        await charger.problem(PAYMENT_ERROR, component="ChargingStation", evse_id=None)
        restarts = await eventually(lambda: terminal_restarts(charger), timeout=30)
        assert restarts[0]["data"] == KX_TERMINAL
        await charger.problem(
            PAYMENT_ERROR, component="ChargingStation", evse_id=None, value="false"
        )
        row = await eventually(lambda: closed(backend, cid), timeout=30)
        assert (row.rule_id, row.status) == ("payment-terminal-failure", "resolved")
        done = [(a.step, a.outcome) for a in actions(backend, row.id)]
        assert ("restart_peripheral", "proven") in done, done
        assert len(terminal_restarts(charger)) == 1
        assert "Reset" not in [name for name, _ in charger.received]
        assert backend.state.live.get(cid).transaction_on(1) is not None  # still charging


async def test_a_terminal_that_stays_dead_gets_two_restarts_then_a_consultant(
    make_backend,
) -> None:
    backend = await make_backend(**FAST)
    cid = "SITE-954-HPC-01"
    async with charger_at(backend, cid, "2.0.1", model="KX-300", vendor="Kestrel EV") as charger:
        await charger.problem(PAYMENT_ERROR, component="ChargingStation", evse_id=None)
        row = await eventually(lambda: closed(backend, cid), timeout=30)
        assert (row.rule_id, row.status) == ("payment-terminal-failure", "escalated")
        assert [r["data"] for r in terminal_restarts(charger)] == [KX_TERMINAL, KX_TERMINAL]
        assert "Reset" not in [name for name, _ in charger.received]


# -- whose problem ------------------------------------------------------------------------------
async def test_fault_that_follows_a_vehicle_is_the_vehicles(make_backend) -> None:
    """The first occurrence cannot be known to follow a vehicle: it gets its own diagnosis
    (here waiting for the charge to end before a reset). The second, on another charger under
    the same idToken, is the vehicle's and attributes BOTH: the first diagnosis is marked
    responsible=vehicle and its pending reset is cancelled."""
    backend = await make_backend(**FAST)
    cx = CATALOGUE.chargex["CX004"]  # reset_safe on its own
    async with (
        charger_at(backend, "SITE-960-DC-01") as first,
        charger_at(backend, "SITE-961-DC-01") as second,
    ):
        for charger in (first, second):
            await charger.call(
                call16.StartTransaction(
                    connector_id=1, id_tag="VEHICLE-7", meter_start=0, timestamp=now()
                )
            )
        await send_cx16(first, cx)
        earlier = await eventually(lambda: rows(backend, "SITE-960-DC-01"), timeout=10)
        assert earlier[0].responsible == "charger_maker"  # on its own: the charger's
        await send_cx16(second, cx)
        row = await eventually(
            lambda: next(
                (r for r in rows(backend, "SITE-961-DC-01") if r.closed_at is not None), None
            ),
            timeout=30,
        )
        assert row.rule_id == "vehicle-follows-token" and row.responsible == "vehicle"
        assert row.status == "escalated"  # no site visit
        await asyncio.sleep(0.3)
        sent = [
            c.command for c in await commands(backend, "SITE-961-DC-01") if c.origin == "diagnosis"
        ]
        assert "reset" not in sent
        assert "Reset" not in [name for name, _ in second.received]
        # retroactively: the first occurrence is the vehicle's too, its reset never comes
        (attributed,) = rows(backend, "SITE-960-DC-01")
        assert (attributed.responsible, attributed.status) == ("vehicle", "superseded")
        assert f"diagnosis #{row.id}" in (attributed.outcome_note or "")
        await asyncio.sleep(0.5)  # past the reset the first diagnosis would have sent
        sent = [
            c.command for c in await commands(backend, "SITE-960-DC-01") if c.origin == "diagnosis"
        ]
        assert "reset" not in sent and "Reset" not in [name for name, _ in first.received]


async def test_a_vehicle_handed_off_is_not_handed_off_again_on_the_next_charger(
    make_backend,
) -> None:
    """A bad car visits charger after charger. Once its fault is handed off as the vehicle's,
    meeting it on a third charger adds that sighting to the same diagnosis: no new hand-off,
    no diagnosis, no reset on the third charger. (In the 30-day bench each bad vehicle was
    handed off once per charger it visited: 51-95 escalations a month per seed.)"""
    backend = await make_backend(**FAST)
    cx = CATALOGUE.chargex["CX004"]
    ids = ("SITE-962-DC-01", "SITE-963-DC-01", "SITE-964-DC-01")
    async with contextlib.AsyncExitStack() as stack:
        chargers = [await stack.enter_async_context(charger_at(backend, i)) for i in ids]
        for charger in chargers:
            await charger.call(
                call16.StartTransaction(
                    connector_id=1, id_tag="VEHICLE-8", meter_start=0, timestamp=now()
                )
            )
        await send_cx16(chargers[0], cx)
        await eventually(lambda: rows(backend, ids[0]), timeout=10)
        await send_cx16(chargers[1], cx)
        vehicle = await eventually(lambda: closed(backend, ids[1]), timeout=30)
        assert (vehicle.rule_id, vehicle.status) == ("vehicle-follows-token", "escalated")

        await send_cx16(chargers[2], cx)
        seen = await eventually(
            lambda: [a for a in actions(backend, vehicle.id) if a.step == "seen_again"],
            timeout=30,
        )
        assert ids[2] in (seen[0].detail or "")
        await asyncio.sleep(0.5)  # time for a diagnosis of its own to (wrongly) open
        assert rows(backend, ids[2]) == []
        assert "Reset" not in [name for name, _ in chargers[2].received]
        with backend.state.session_factory() as db:
            handoffs = db.scalars(select(HandoffRow)).all()
        assert len(handoffs) == 1, [h.id for h in handoffs]


async def test_every_charger_of_a_site_faulted_is_one_site_diagnosis(make_backend) -> None:
    backend = await make_backend(**FAST)
    ids = [f"SITE-970-DC-{n:02d}" for n in (1, 2, 3)]
    cx = CATALOGUE.chargex["CX004"]
    async with contextlib.AsyncExitStack() as stack:
        chargers = [await stack.enter_async_context(charger_at(backend, i)) for i in ids]
        await asyncio.gather(*(send_cx16(c, cx) for c in chargers))
        await eventually(lambda: any(closed(backend, i) for i in ids), timeout=30)
        await asyncio.sleep(0.5)  # time for any per-charger diagnosis to (wrongly) open
        all_rows = [r for i in ids for r in rows(backend, i)]
        assert [r.rule_id for r in all_rows] == ["site-wide-fault"], [
            (r.charger_id, r.rule_id) for r in all_rows
        ]
        assert all_rows[0].site_id == "SITE-970" and all_rows[0].responsible == "site_power"
        for i, charger in zip(ids, chargers, strict=True):
            assert "Reset" not in [name for name, _ in charger.received], i


# -- measured: automatic actions per safety class ------------------------------------------------
@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_automatic_actions_per_safety_class(make_backend, version: str) -> None:
    """The figure the README quotes: every ChargeX code of the catalogue on its own charger,
    EVerest frames, and the automatic actions each safety class received. never_reset and
    outside_charger: no reset, no unlock, no Operative; reset_safe: at most one reset, after
    the logs. Run with -s to print the table."""
    backend = await make_backend(**FAST)
    ids = {
        cx.code: f"SITE-{700 + i:03d}-DC-0{1 if version == '1.6' else 2}" for i, cx in enumerate(CX)
    }
    async with contextlib.AsyncExitStack() as stack:
        chargers = {
            cx.code: await stack.enter_async_context(charger_at(backend, ids[cx.code], version))
            for cx in CX
        }
        for cx in CX:
            if version == "1.6":
                await send_cx16(chargers[cx.code], cx)
            else:
                await chargers[cx.code].problem(cx.code, tech_info=cx.name)
                await chargers[cx.code].status(1, "Faulted")
        await eventually(lambda: all(closed(backend, i) for i in ids.values()), timeout=60)
    counted = actions_per_class(backend)
    for cx in CX:
        sent = [c.command for c in await commands(backend, ids[cx.code]) if c.origin == "diagnosis"]
        if cx.safety_class == "reset_safe":
            assert sent.count("reset") <= 1, (cx.code, sent)
            if "reset" in sent:
                assert "get_diagnostics" in sent[: sent.index("reset")], (cx.code, sent)
        else:
            assert "reset" not in sent and "unlock_connector" not in sent, (cx.code, sent)
    classes = Counter(cx.safety_class for cx in CX)
    print(f"\nOCPP {version}: {len(CX)} ChargeX codes, one charger each, per class {dict(classes)}")
    for cls in ("never_reset", "outside_charger", "reset_safe"):
        row = {cmd: n for (c, cmd), n in sorted(counted.items()) if c == cls}
        print(f"  {cls}: {row}")


def actions_per_class(backend: Any) -> Counter[tuple[str, str]]:
    with backend.state.session_factory() as db:
        diag = {r.charger_id: r.safety_class for r in db.scalars(select(DiagnosisRow))}
        sent = db.scalars(select(CommandRow).where(CommandRow.origin == "diagnosis")).all()
    return Counter((diag.get(c.charger_id) or "none", c.command) for c in sent)
