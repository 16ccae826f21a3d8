"""The diagnosis service against the real backend and simulated chargers (real sockets)."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from app.db.models import CommandRow
from app.db.models_diagnosis import DiagnosisActionRow, DiagnosisRow
from app.db.models_sessions import HandoffRow, SessionAudit, SessionStep, TroubleshootingSession
from tests.diagnosis.conftest import plan


async def wait_diagnosis(backend: Any, charger_id: str, statuses: tuple[str, ...], timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with backend.state.session_factory() as db:
            rows = list(
                db.scalars(select(DiagnosisRow).where(DiagnosisRow.charger_id == charger_id))
            )
            done = [r for r in rows if r.status in statuses]
            if done:
                return done[-1]
        await asyncio.sleep(0.1)
    raise AssertionError(f"no diagnosis in {statuses} for {charger_id}: {[r.status for r in rows]}")


def actions(backend: Any, diagnosis_id: int) -> list[tuple[str, str]]:
    with backend.state.session_factory() as db:
        return [
            (a.step, a.outcome)
            for a in db.scalars(
                select(DiagnosisActionRow)
                .where(DiagnosisActionRow.diagnosis_id == diagnosis_id)
                .order_by(DiagnosisActionRow.id)
            )
        ]


async def test_firmware_hang_resolved_by_soft_reset_with_session(make_backend, make_fleet) -> None:
    backend = await make_backend()
    p = plan("voltara_wb22", "1.6")
    fleet = await make_fleet(backend, [p])
    charger = fleet.charger(p.charger_id)
    charger.inject_now("firmware_hang", 0)
    row = await wait_diagnosis(backend, p.charger_id, ("resolved",))
    assert row.rule_id == "firmware-hang"
    assert row.procedure_id == "firmware-hang-soft-reset"
    assert row.remote_resolvable and row.evidence
    steps = actions(backend, row.id)
    assert ("soft_reset", "sent") in steps and ("soft_reset", "proven") in steps
    assert ("hard_reset", "sent") not in steps
    truth = fleet.truth.tail(0, p.charger_id, "fault_cleared")
    assert truth and truth[-1]["how"] == "soft_reset"
    with backend.state.session_factory() as db:
        commands = list(
            db.scalars(select(CommandRow).where(CommandRow.requested_by == "diagnosis"))
        )
        assert {c.command for c in commands} >= {"reset"}
        session = db.get(TroubleshootingSession, row.session_id)
        assert session is not None and session.status == "finished"
        assert session.outcome == "resolved"


async def test_ground_fault_goes_to_site_visit_without_reset(make_backend, make_fleet) -> None:
    backend = await make_backend()
    p = plan("northwind_duo", "2.0.1")
    fleet = await make_fleet(backend, [p])
    fleet.charger(p.charger_id).inject_now("ground_fault", 1)
    row = await wait_diagnosis(backend, p.charger_id, ("site_visit",))
    assert row.rule_id == "ground-fault" and not row.remote_resolvable
    assert row.parts and row.handoff_id is not None
    assert not [c for c in fleet.truth.tail(0, p.charger_id, "command") if c["action"] == "Reset"]
    with backend.state.session_factory() as db:
        handoff = db.get(HandoffRow, row.handoff_id)
        assert handoff is not None and "Parts:" in (handoff.reason or "")
    await asyncio.sleep(1.0)  # the open fault stays: no second diagnosis for it
    with backend.state.session_factory() as db:
        rows = db.scalars(select(DiagnosisRow).where(DiagnosisRow.charger_id == p.charger_id))
        assert len(list(rows)) == 1


async def test_reset_waits_for_the_transaction_to_end(make_backend, make_fleet) -> None:
    backend = await make_backend()
    p = plan("voltara_wb22", "1.6")
    fleet = await make_fleet(backend, [p])
    charger = fleet.charger(p.charger_id)
    charger.start_transaction(1)
    await backend.state.live.wait_for(p.charger_id, lambda s: bool(s and s.transactions), 5)
    charger.inject_now("rfid_reader_failure")  # does not stop the transaction
    row = await wait_diagnosis(backend, p.charger_id, ("waiting",))
    assert ("hard_reset", "deferred") in actions(backend, row.id)
    await asyncio.sleep(1.0)
    assert not [c for c in fleet.truth.tail(0, p.charger_id, "command") if c["action"] == "Reset"]
    charger.stop_transaction(1)
    row = await wait_diagnosis(backend, p.charger_id, ("resolved",))
    assert fleet.truth.tail(0, p.charger_id, "fault_cleared")[-1]["how"] == "hard_reset"


async def test_a_reader_restart_needs_no_idle_and_no_reset(make_backend, make_fleet) -> None:
    """The KX-300 restarts its reader alone (a vendor key): self-diagnosis sends it during the
    charge instead of waiting for the charge to end for a hard reset, and the charge goes on."""
    backend = await make_backend()
    p = plan("kestrel_kx300", "2.0.1")
    fleet = await make_fleet(backend, [p])
    charger = fleet.charger(p.charger_id)
    tx = charger.start_transaction(1)
    await backend.state.live.wait_for(p.charger_id, lambda s: bool(s and s.transactions), 5)
    charger.inject_now("rfid_reader_failure")
    row = await wait_diagnosis(backend, p.charger_id, ("resolved",))
    assert actions(backend, row.id)[:2] == [
        ("restart_peripheral", "sent"),
        ("restart_peripheral", "proven"),
    ]
    assert fleet.truth.tail(0, p.charger_id, "fault_cleared")[-1]["how"] == "restart_peripheral"
    sent = [c["action"] for c in fleet.truth.tail(0, p.charger_id, "command")]
    assert "Reset" not in sent and "SetVariables" in sent
    assert charger.connector(1).transaction is tx


async def test_a_payment_terminal_is_restarted_on_a_16_charger(make_backend, make_fleet) -> None:
    backend = await make_backend()
    p = plan("helion_hx150", "1.6")
    fleet = await make_fleet(backend, [p])
    fleet.charger(p.charger_id).inject_now("payment_terminal_failure")
    row = await wait_diagnosis(backend, p.charger_id, ("resolved",))
    assert row.rule_id == "payment-terminal-failure"
    sent = fleet.truth.tail(0, p.charger_id, "command")
    assert {"key": "HX_TerminalRestart", "value": "true"} in [
        c["payload"] for c in sent if c["action"] == "ChangeConfiguration"
    ]
    assert "Reset" not in [c["action"] for c in sent]
    assert fleet.truth.tail(0, p.charger_id, "fault_cleared")[-1]["how"] == "restart_peripheral"


async def test_dry_run_only_says_what_it_would_do(make_backend, make_fleet) -> None:
    backend = await make_backend(diagnosis_dry_run=True)
    p = plan("voltara_wb22", "1.6")
    fleet = await make_fleet(backend, [p])
    fleet.charger(p.charger_id).inject_now("stuck_process")
    row = await wait_diagnosis(backend, p.charger_id, ("dry_run",))
    # the logs are collected before the (one) reset that would wipe them
    assert "would run trigger_status -> collect_logs -> read_logs -> hard_reset -> site_visit" in (
        row.outcome_note or ""
    )
    assert not fleet.truth.tail(0, p.charger_id, "command")


async def test_kill_switch_blocks_and_hands_to_people(make_backend, make_fleet) -> None:
    backend = await make_backend(diagnosis_kill_switch=True)
    p = plan("voltara_wb22", "1.6")
    fleet = await make_fleet(backend, [p])
    fleet.charger(p.charger_id).inject_now("firmware_hang")
    row = await wait_diagnosis(backend, p.charger_id, ("blocked",))
    assert row.handoff_id is not None
    assert not fleet.truth.tail(0, p.charger_id, "command")


async def test_daily_reset_limit_escalates(make_backend, make_fleet) -> None:
    backend = await make_backend(diagnosis_max_resets_per_day=0)
    p = plan("voltara_wb22", "1.6")
    fleet = await make_fleet(backend, [p])
    fleet.charger(p.charger_id).inject_now("power_meter_failure", 1)
    row = await wait_diagnosis(backend, p.charger_id, ("site_visit",))
    assert ("hard_reset", "skipped") in actions(backend, row.id)
    assert not [c for c in fleet.truth.tail(0, p.charger_id, "command") if c["action"] == "Reset"]


async def test_site_limit_one_charger_at_a_time(make_backend, make_fleet) -> None:
    backend = await make_backend(diagnosis_cooldown_seconds=0.0)
    plans = [plan("voltara_wb22", "1.6", n=1), plan("voltara_wb22", "1.6", n=2)]
    fleet = await make_fleet(backend, plans)
    for p in plans:
        fleet.charger(p.charger_id).inject_now("stuck_process")
    rows = [await wait_diagnosis(backend, p.charger_id, ("resolved",)) for p in plans]
    deferred = [a for r in rows for a in actions(backend, r.id) if a[1] == "deferred"]
    assert deferred, "the second charger of the site must wait for the first"
    reboots = sorted((e["ts"], e["charger_id"]) for e in fleet.truth.tail(0, kind="reboot"))
    booted = {e["charger_id"]: e["ts"] for e in fleet.truth.tail(0, kind="booted")}
    assert len(reboots) == 2 and reboots[1][0] > booted[reboots[0][1]]


async def test_returning_fault_is_escalated_not_reset_again(make_backend, make_fleet) -> None:
    backend = await make_backend()
    p = plan("voltara_wb22", "1.6")
    fleet = await make_fleet(backend, [p])
    charger = fleet.charger(p.charger_id)
    charger.inject_now("over_current", 1)
    first = await wait_diagnosis(backend, p.charger_id, ("resolved",))
    charger.inject_now("over_current", 1)
    row = await wait_diagnosis(backend, p.charger_id, ("site_visit",))
    assert row.id != first.id and row.rule_id == "fault-returned-after-clear"
    resets = [c for c in fleet.truth.tail(0, p.charger_id, "command") if c["action"] == "Reset"]
    assert len(resets) == 1


async def test_short_disconnect_is_not_offline(make_backend, make_fleet) -> None:
    backend = await make_backend()
    p = plan("voltara_wb22", "1.6")
    fleet = await make_fleet(backend, [p])
    charger = fleet.charger(p.charger_id)
    charger.drop_connection()
    await asyncio.sleep(1.5)  # 150 simulated seconds: reconnected within the debounce
    with backend.state.session_factory() as db:
        assert not list(db.scalars(select(DiagnosisRow)))
    charger.inject_now("modem_drop")
    row = await wait_diagnosis(backend, p.charger_id, ("self_cleared",), timeout=30)
    assert row.rule_id == "offline"


def diagnoses(backend: Any, charger_id: str) -> list[DiagnosisRow]:
    with backend.state.session_factory() as db:
        return list(
            db.scalars(
                select(DiagnosisRow)
                .where(DiagnosisRow.charger_id == charger_id)
                .order_by(DiagnosisRow.id)
            )
        )


async def test_a_site_visit_is_told_when_the_charger_is_healthy_again(
    make_backend, make_fleet, receiver
) -> None:
    """A technician not yet on the road may not be needed: the open handoff gets a note and
    ``recovered_at``, the dispatcher's webhook a notice, once; the desk reads it by API."""
    receiver.release.set()  # the receiver answers at once
    desk = "https://chargefix.example/app"
    backend = await make_backend(handoff_webhook_url=receiver.url, public_ui_url=desk)
    p = plan("northwind_duo", "2.0.1")
    fleet = await make_fleet(backend, [p])
    fleet.charger(p.charger_id).inject_now("ground_fault", 1)
    row = await wait_diagnosis(backend, p.charger_id, ("site_visit",))
    created = json.loads((await asyncio.wait_for(receiver.arrived.get(), 10))["raw"])
    assert (created["event"], created["id"]) == ("handoff.created", row.handoff_id)
    await asyncio.sleep(1.0)  # longer than the hold (0.6 s): the fault is open, nothing said
    with backend.state.session_factory() as db:
        assert db.get(HandoffRow, row.handoff_id).recovered_at is None
    assert receiver.arrived.empty()

    cleared = datetime.now(UTC)
    fleet.charger(p.charger_id).clear_fault("ground_fault", how="self_clear")
    notice = json.loads((await asyncio.wait_for(receiver.arrived.get(), 10))["raw"])
    with backend.state.session_factory() as db:
        handoff = db.get(HandoffRow, row.handoff_id)
        since = handoff.recovered_at
        steps = db.scalars(
            select(SessionStep).where(SessionStep.session_id == handoff.session_id)
        ).all()
        audit = db.scalars(select(SessionAudit).where(SessionAudit.action == "handoff.recovered"))
        assert [a.target for a in audit] == [f"handoff:{row.handoff_id}"]
    assert since is not None and abs((since - cleared).total_seconds()) < 1.0
    assert notice == {
        "event": "handoff.charger_recovered",
        "id": row.handoff_id,
        "charger_id": p.charger_id,
        "site_id": "SITE-001",
        "healthy_since": since.isoformat(),
        "link": f"{desk}/desk?handoff={row.handoff_id}",
        "text": f"Handoff {row.handoff_id}: {p.charger_id} at site SITE-001 is healthy again "
        f"since {since:%H:%M} UTC; check before anyone drives out",
    }
    said = [s.note for s in steps if s.kind == "message" and s.actor == "diagnosis"]
    assert len(said) == 1 and "healthy again since" in said[0]
    assert "for 1 min" in said[0] and "before anyone drives out" in said[0]
    consultant = backend.token("consultant", name="cora")
    async with backend.client(consultant) as desk_api:
        r = await desk_api.get(f"/api/handoffs/{row.handoff_id}")
    assert r.status_code == 200 and r.json()["recovered_at"] == since.isoformat()
    await asyncio.sleep(1.0)  # still healthy: told once, not at every evaluation
    assert receiver.arrived.empty()


async def test_boot_loop_is_handed_off_once_until_healthy(make_backend, make_fleet) -> None:
    backend = await make_backend()
    p = plan("voltara_wb22", "1.6")
    fleet = await make_fleet(backend, [p])
    charger = fleet.charger(p.charger_id)
    charger.inject_now("firmware_boot_failure")
    await wait_diagnosis(backend, p.charger_id, ("site_visit",))
    await asyncio.sleep(4.0)  # 400 simulated seconds: a dozen more boots
    assert charger.boot_count >= 6
    first = diagnoses(backend, p.charger_id)
    assert len(first) == 1, [(r.rule_id, r.status) for r in first]
    charger.clear_fault("firmware_boot_failure", how="site_visit")
    await asyncio.sleep(3.0)
    # healthy past the hold time: the old boots are spent
    after = diagnoses(backend, p.charger_id)
    assert len(after) == 1, [(r.rule_id, r.status) for r in after[1:]]
    assert backend.state.diagnosis.memory[p.charger_id].parked == set()


async def test_flapping_link_is_handed_off_once(make_backend, make_fleet) -> None:
    backend = await make_backend()
    p = plan("voltara_wb22", "1.6")
    fleet = await make_fleet(backend, [p])
    fleet.charger(p.charger_id).inject_now("weak_signal")
    await wait_diagnosis(backend, p.charger_id, ("site_visit",))
    await asyncio.sleep(6.0)  # 600 simulated seconds of drops and reconnects
    rows = diagnoses(backend, p.charger_id)
    assert len([r for r in rows if r.status == "site_visit"]) == 1, [r.rule_id for r in rows]


async def test_no_reset_beside_an_open_ground_fault(make_backend, make_fleet):
    """A firmware hang on a charger whose ground fault is still open gets no reset; it is
    handed to the technician instead. Diagnosis itself drops the reset (the catalogue's
    never_reset fault is open), so the gateway's interlock never even has to refuse one."""
    backend = await make_backend()
    p = plan("northwind_duo", "2.0.1")
    fleet = await make_fleet(backend, [p])
    charger = fleet.charger(p.charger_id)
    charger.inject_now("ground_fault", 2)
    await wait_diagnosis(backend, p.charger_id, ("site_visit",))
    charger.inject_now("firmware_hang")

    def hang_closed() -> Any:
        rows = [r for r in diagnoses(backend, p.charger_id) if r.rule_id == "firmware-hang"]
        return rows[0] if rows and rows[0].status in ("site_visit", "escalated") else None

    deadline = time.monotonic() + 30
    while (hang := hang_closed()) is None and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    assert hang is not None, [(r.rule_id, r.status) for r in diagnoses(backend, p.charger_id)]
    steps = actions(backend, hang.id)
    assert not [s for s in steps if s[0] == "soft_reset"], steps
    assert "soft_reset" not in hang.ladder
    with backend.state.session_factory() as db:
        resets = db.scalars(
            select(CommandRow).where(
                CommandRow.charger_id == p.charger_id, CommandRow.command == "reset"
            )
        ).all()
    assert resets == []


async def test_slow_reboot_is_waited_for_before_judging(make_backend, make_fleet) -> None:
    from app.simulator.config import Timing

    backend = await make_backend()
    p = plan("voltara_wb22", "1.6")
    # a DC-like boot: 500 simulated seconds, longer than the hard reset's step timeout
    fleet = await make_fleet(backend, [p], timing=Timing(hard_reboot_s=500.0))
    fleet.charger(p.charger_id).inject_now("stuck_process")
    row = await wait_diagnosis(backend, p.charger_id, ("resolved", "site_visit"), timeout=40)
    assert row.status == "resolved", actions(backend, row.id)


async def test_sessions_finish_is_public(make_backend) -> None:
    backend = await make_backend()
    sessions = backend.state.sessions
    from app.diagnosis.remediation import SYSTEM

    await backend.register("SITE-001-AC-01")
    sid = await sessions.create(SYSTEM, "SITE-001-AC-01", None, None, "automatic test")
    await sessions.finish(sid, SYSTEM, "resolved", "cleared by a soft reset")
    with backend.state.session_factory() as db:
        row = db.get(TroubleshootingSession, sid)
        assert row is not None and row.status == "finished" and row.outcome == "resolved"


async def test_201_threshold_alert_names_the_fault(make_backend, make_fleet) -> None:
    backend = await make_backend()
    p = plan("helion_hx150", "2.0.1")
    fleet = await make_fleet(backend, [p])
    fleet.charger(p.charger_id).inject_now("over_voltage")  # ElectricalFeed.Voltage 264.8
    row = await wait_diagnosis(backend, p.charger_id, ("self_cleared", "escalated"), timeout=40)
    assert row.rule_id == "grid-voltage" and row.fault_key == "over_voltage"
    assert not [c for c in fleet.truth.tail(0, p.charger_id, "command") if c["action"] == "Reset"]


async def test_new_fault_during_the_proof_is_its_own_diagnosis(make_backend, make_fleet) -> None:
    backend = await make_backend()
    p = plan("northwind_duo", "2.0.1")
    fleet = await make_fleet(backend, [p])
    charger = fleet.charger(p.charger_id)
    charger.inject_now("firmware_hang")
    row = await wait_diagnosis(backend, p.charger_id, ("remediating",))
    deadline = time.monotonic() + 20
    while ("soft_reset", "sent") not in actions(backend, row.id):
        assert time.monotonic() < deadline
        await asyncio.sleep(0.02)
    await backend.state.live.wait_for(p.charger_id, lambda s: bool(s and s.online), 10)
    charger.inject_now("over_current", 2)  # a new problem while the reset is being judged
    first = await wait_diagnosis(backend, p.charger_id, ("resolved", "site_visit"), timeout=30)
    assert first.id == row.id and first.status == "resolved", actions(backend, row.id)
    rows = [r.rule_id for r in diagnoses(backend, p.charger_id)]
    assert "over-current-trip" in rows or await wait_diagnosis(
        backend, p.charger_id, ("resolved",), timeout=30
    )
