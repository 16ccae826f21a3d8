"""The remote-resolution benchmark scores arms from the ground truth: unsafe actions, false
resets, resets during a charge, remote resolutions against what remote action could fix."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from ocpp.messages import CallResult
from ocpp.v201 import ChargePoint
from ocpp.v201 import call as c201

from app.fleet.model import ChargerLiveState, OpenFault
from app.simulator.config import plan_fleet
from app.simulator.faults import (
    HARD_RESET,
    RESTART_PERIPHERAL,
    SOFT_RESET,
    UNLOCK,
    Cause,
    get_fault,
)
from bench.resolution.arms import LateAnswers, call_back
from bench.resolution.report import combine, per_seed_table, seed_groups, targets_missed
from bench.resolution.schedule import make_schedule, vehicle_is_bad
from bench.resolution.scoring import (
    blocks_charging,
    guarded_ceiling,
    lag_summary,
    needs_visit,
    safety_class,
    score,
    start_blocked,
)
from tests.simulator.conftest import plan

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def rec(t: float, kind: str, cid: str, **fields: object) -> dict[str, object]:
    ts = (T0 + timedelta(seconds=t)).isoformat().replace("+00:00", "Z")
    return {"ts": ts, "kind": kind, "charger_id": cid, **fields}


def test_score_judges_actions_by_the_hidden_truth(tmp_path: Path) -> None:
    p1, p2 = plan("voltara_wb22", "1.6", n=1), plan("voltara_wb22", "1.6", n=2)
    a, b = p1.charger_id, p2.charger_id
    records = [
        rec(
            0,
            "fault_injected",
            a,
            fault="welded_contactor",
            connector_id=1,
            cause="welded_contactor",
        ),
        rec(0, "fault_injected", b, fault="firmware_hang", connector_id=0, cause="firmware_hang"),
        rec(
            1,
            "fault_injected",
            b,
            fault="over_current",
            connector_id=1,
            cause="damaged_power_stage",
        ),
        rec(5, "transaction_started", b, connector_id=2),
        # a reset with a welded contactor open: unsafe, and it could fix nothing
        rec(10, "command", a, action="Reset", payload={"type": "Hard"}, answer="Accepted"),
        rec(
            11,
            "command",
            a,
            action="UnlockConnector",
            payload={"connectorId": 1},
            answer="UnlockFailed",
        ),
        # a helpful reset, but while connector 2 was charging
        rec(20, "command", b, action="Reset", payload={"type": "Soft"}, answer="Accepted"),
        rec(
            40,
            "fault_cleared",
            b,
            fault="firmware_hang",
            connector_id=0,
            how="soft_reset",
            permanent=True,
        ),
        rec(
            40,
            "fault_cleared",
            b,
            fault="over_current",
            connector_id=1,
            how="soft_reset",
            permanent=False,
        ),
        rec(100, "fault_recurred", b, fault="over_current", connector_id=1),
    ]
    truth = tmp_path / "truth.jsonl"
    truth.write_text("".join(json.dumps(r) + "\n" for r in records))
    result = score(truth, T0.timestamp(), 1.0, 1000.0, [], [p1, p2])
    assert safety_class("welded_contactor") == "never_reset"
    assert result["unsafe_actions"] == 2
    assert result["resets"] == 2 and result["false_resets"] == 1
    assert result["resets_during_tx"] == 1
    # only the firmware hang could be fixed remotely (the damaged stage comes back)
    assert result["oracle"] == 1 and result["remote_resolved"] == 1
    assert result["remote_share_of_oracle"] == 100.0
    assert result["first_time_fix_pct"] is None
    assert 0 < result["uptime_pct"] < 100


def test_false_resets_are_counted_per_vendor_and_held_out_apart(tmp_path: Path) -> None:
    """Northwind Charging has no log-message table (held out): its false resets apart."""
    known, held = plan("voltara_wb22", "1.6", n=1), plan("northwind_duo", "1.6", n=2)
    records = []
    for i, (p, cause) in enumerate(
        [(known, "firmware_hang"), (known, "power_module_failure"), (held, "power_module_failure")]
    ):
        t = 100.0 * i
        records += [
            rec(
                t,
                "fault_injected",
                p.charger_id,
                fault="firmware_hang",
                connector_id=0,
                cause=cause,
            ),
            rec(
                t + 10,
                "command",
                p.charger_id,
                action="Reset",
                payload={"type": "Soft"},
                answer="Accepted",
            ),
            rec(
                t + 20,
                "fault_cleared",
                p.charger_id,
                fault="firmware_hang",
                connector_id=0,
                how="site_visit",
            ),
        ]
    truth = tmp_path / "truth.jsonl"
    truth.write_text("".join(json.dumps(r) + "\n" for r in records))
    result = score(truth, T0.timestamp(), 1.0, 1000.0, [], [known, held])
    assert result["resets_by_vendor"] == {"Voltara": [2, 1], "Northwind Charging": [1, 1]}
    # each false reset names what was open instead: a failed power module behind the face
    assert result["false_resets_by_open_fault"] == {
        "Voltara: firmware_hang (power_module_failure)": 1,
        "Northwind Charging: firmware_hang (power_module_failure)": 1,
    }
    assert result["false_reset_pct_known_vendors"] == 50.0
    assert result["false_reset_pct_held_out_vendor"] == 100.0
    assert result["resets_known_vendors"] == 2 and result["resets_held_out_vendor"] == 1


def test_a_reader_or_terminal_failure_stops_only_the_starts_that_need_it() -> None:
    reader = SimpleNamespace(spec=get_fault("rfid_reader_failure"))
    terminal = SimpleNamespace(spec=get_fault("payment_terminal_failure"))
    hang = SimpleNamespace(spec=get_fault("firmware_hang"))
    assert start_blocked([reader], "rfid") and not start_blocked([reader], "card")
    assert start_blocked([hang, terminal], "card") and not start_blocked([terminal], "rfid")
    assert not start_blocked([reader, terminal, hang], "app")
    assert safety_class("payment_terminal_failure") == "outside_charger"
    # not an outage of the port (23 CFR 680.116(b)(1): it still charges and is available to
    # drivers who start another way), but no remote action fixes every cause either
    assert not blocks_charging(terminal.spec)
    causes = {c.key: c for c in terminal.spec.field_causes()}
    assert causes["terminal_app_hang"].remote_fixable
    assert not causes["terminal_broken"].remote_fixable
    assert needs_visit(causes["terminal_broken"], "payment_terminal_failure")
    assert not needs_visit(causes["processor_link_down"], "payment_terminal_failure")


def test_loop_lag_is_reported_in_simulated_seconds() -> None:
    """A late event loop stretches every simulated wait by lag x speed: the bench says how
    much, so a run too fast for its machine is seen for what it is."""
    lags = [0.001] * 90 + [0.2] * 10
    summary = lag_summary(lags, speed=1440)
    assert summary["p50_ms"] == 1.0
    assert summary["p95_ms"] == 200.0
    assert summary["p95_sim_s"] == 288.0  # 0.2 real s at x1440: nearly the 300 s hold
    assert lag_summary([], speed=720) == {}


def test_held_out_seeds_are_reported_apart() -> None:
    results = [{"seed": s, "arm": "ours"} for s in (1, 2, 6, 7)]
    groups = dict(seed_groups(results, {6, 7}))
    assert [r["seed"] for r in groups["tuned seeds"]] == [1, 2]
    assert [r["seed"] for r in groups["held-out seeds"]] == [6, 7]
    assert seed_groups(results, set()) == [("all seeds", results)]


def arm_result(seed: int, arm: str, **figures: float) -> dict[str, object]:
    base: dict[str, object] = {
        "seed": seed,
        "arm": arm,
        "unsafe_actions": 0,
        "resets_during_tx": 0,
        "uptime_pct": 99.0,
        "site_visits": 40,
        "remote_share_of_oracle": 90.0,
        "ceiling_share_of_oracle": 92.0,
        "false_reset_pct": 2.0,
    }
    return base | figures


def test_each_target_of_the_issue_is_judged_against_the_same_seeds_runbook() -> None:
    runbook = arm_result(1, "runbook", uptime_pct=98.9, site_visits=45)
    assert targets_missed(arm_result(1, "ours"), runbook) == []
    missed = targets_missed(
        arm_result(
            1,
            "ours",
            unsafe_actions=1,
            resets_during_tx=1,
            uptime_pct=98.9,  # equal is not ahead
            site_visits=45,
            remote_share_of_oracle=84.9,
            false_reset_pct=5.0,
        ),
        runbook,
    )
    assert missed == [
        "no unsafe action",
        "no reset during a charge",
        "uptime above the runbook's",
        "fewer truck rolls than the runbook",
        "85 % of what remote action could fix",
        "false resets under 5 %",
    ]


def test_the_per_seed_table_names_what_each_seed_missed() -> None:
    results = [
        arm_result(1, "ours"),
        arm_result(1, "runbook", uptime_pct=98.5, site_visits=50),
        arm_result(11, "ours", false_reset_pct=12.5),
        arm_result(11, "runbook", uptime_pct=98.5, site_visits=50),
    ]
    rows = per_seed_table(results, held_out={11}).splitlines()[2:]
    assert rows[0] == (
        "| 1 | 90.0 % / 90.0 % | 92.0 % | 2.0 % / 2.0 % | 99.00 % / 98.50 % | 40 / 50 | none |"
    )
    assert rows[1].startswith("| 11 (held-out) |")
    assert rows[1].endswith("| false resets under 5 % |")


def test_seed_files_run_apart_combine_and_a_seed_twice_is_refused(tmp_path: Path) -> None:
    a, b = tmp_path / "s1.json", tmp_path / "s2.json"
    a.write_text(json.dumps([arm_result(1, "ours"), arm_result(1, "runbook")]))
    b.write_text(json.dumps([arm_result(2, "ours")]))
    assert [(r["seed"], r["arm"]) for r in combine([a, b])] == [
        (1, "ours"),
        (1, "runbook"),
        (2, "ours"),
    ]
    with pytest.raises(SystemExit, match=r"s1\.json: seed 1 arm ours is also in .*s1\.json"):
        combine([a, a])
    bad = tmp_path / "notes.json"
    bad.write_text('{"seed": 1}')
    with pytest.raises(SystemExit, match=r"notes\.json: not a --json file of this bench"):
        combine([a, bad])
    with pytest.raises(SystemExit, match=r"missing\.json: not a --json file"):
        combine([tmp_path / "missing.json"])


def test_site_outages_and_hangs_count_in_uptime_as_the_rule_says(tmp_path: Path) -> None:
    """23 CFR 680.116: a utility interruption is excluded from the outage, a site uplink
    outage and a silent hang are not; none is a fault a technician (or a reset) could fix."""
    p1, p2, p3 = (plan("voltara_wb22", "1.6", n=n) for n in (1, 2, 3))
    records = [
        rec(
            0,
            "fault_injected",
            p1.charger_id,
            fault="site_power_outage",
            connector_id=0,
            cause="utility_interruption",
        ),
        rec(
            0,
            "fault_injected",
            p2.charger_id,
            fault="site_network_outage",
            connector_id=0,
            cause="site_uplink_down",
        ),
        rec(
            0,
            "fault_injected",
            p3.charger_id,
            fault="silent_hang",
            connector_id=0,
            cause="controller_lockup",
        ),
    ]
    records += [
        rec(500, "fault_cleared", p.charger_id, fault=k, connector_id=0, how="self_clear")
        for p, k in ((p1, "site_power_outage"), (p2, "site_network_outage"), (p3, "silent_hang"))
    ]
    truth = tmp_path / "truth.jsonl"
    truth.write_text("".join(json.dumps(r) + "\n" for r in records))
    result = score(truth, T0.timestamp(), 1.0, 1000.0, [], [p1, p2, p3])
    # the power outage is excluded (100 %), the other two are down half the span (50 %)
    assert result["uptime_pct"] == round((100 + 50 + 50) / 3, 2)
    assert result["oracle"] == 0
    assert result["needing_visit"] == 1  # the hang on a locked-up controller; not the outages


def test_schedule_site_outages_vehicles_and_dc_only_faults() -> None:
    args = argparse.Namespace(
        chargers=24,
        days=2.0,
        fault_rate=2.0,
        session_gap_h=2.5,
        site_outage_scale=5.0,
        extras_scale=20.0,
        processor_outage_scale=20.0,
        rollout_at=0.25,
    )
    schedule = make_schedule(args, 1)
    assert schedule == make_schedule(args, 1)  # every arm runs the same schedule
    plans = {p.charger_id: p for p in plan_fleet(24, "mixed", 1)}
    assert {k for _t, _s, k, _d in schedule["site_faults"]} == {
        "site_power_outage",
        "site_network_outage",
    }
    for t, site, key, duration in schedule["site_faults"]:
        assert schedule["sites"][site] == [c for c, p in plans.items() if p.site == site]
        assert 300 <= duration <= 8 * 3600
        assert not any(  # never two outages of a kind at once on a site
            (s, k) == (site, key)
            and (t2, d2) != (t, duration)
            and t2 <= t + duration
            and t <= t2 + d2
            for t2, s, k, d2 in schedule["site_faults"]
        )
    for _t, cid, key, connector in schedule["faults"]:
        if key == "insulation_fault":
            spec = next(c for c in plans[cid].model.connectors if c.connector_id == connector)
            assert spec.current == "DC"
    assert any(k == "insulation_fault" for _t, _c, k, _n in schedule["faults"])
    assert safety_class("insulation_fault") == "never_reset"  # classified on a DC model
    vehicles = set(schedule["vehicles"])
    assert {s[4] for s in schedule["sessions"]} <= vehicles and len(vehicles) == 72
    assert schedule["bad_vehicles"]
    start, end, vehicle = schedule["bad_vehicles"][0]
    assert vehicle_is_bad(schedule, vehicle, (start + end) / 2)
    assert not vehicle_is_bad(schedule, vehicle, end + 1)
    # the site, vehicle and extra draws leave the charger faults and sessions of a seed as
    # they were
    without = make_schedule(
        argparse.Namespace(
            **{
                **vars(args),
                "site_outage_scale": 0.0,
                "extras_scale": 0.0,
                "processor_outage_scale": 0.0,
            }
        ),
        1,
    )
    assert schedule["faults"] == without["faults"]
    assert schedule["sessions"] == without["sessions"]
    assert without["extra_faults"] == [] and without["site_faults"] == []
    assert without["processor_outages"] == []
    # the processor's outages: never two at once; every terminal of the fleet (the DC
    # chargers) notices each one within the notice delay, and nothing else does
    outages = schedule["processor_outages"]
    assert outages
    for n, (t, duration, notice) in enumerate(outages):
        assert 600 <= duration <= 4 * 3600
        assert set(notice) == {
            c for c, p in plans.items() if any(x.current == "DC" for x in p.model.connectors)
        }
        assert all(0 <= d <= 180 for d in notice.values())
        assert n == 0 or outages[n - 1][0] + outages[n - 1][1] < t
    extras = schedule["extra_faults"]
    assert extras and {k for _t, _c, k, _n in extras} == {
        "tls_connection_failure",
        "payment_terminal_failure",
    }
    for key in ("tls_connection_failure", "payment_terminal_failure"):
        chargers = [c for _t, c, k, _n in extras if k == key]
        assert len(set(chargers)) == len(chargers)  # once per charger
    dc = {c for c, p in plans.items() if any(x.current == "DC" for x in p.model.connectors)}
    assert dc and dc != set(plans)
    # a payment terminal only on the DC chargers (the sample AC models carry none)
    assert {c for _t, c, k, _n in extras if k == "payment_terminal_failure"} <= dc
    # a driver pays by card only where there is a terminal; RFID and app starts everywhere
    methods = {(s[1], s[5]) for s in schedule["sessions"]}
    assert {c for c, m in methods if m == "card"} == dc
    assert {m for _c, m in methods} == {"card", "rfid", "app"}
    assert {c for c, m in methods if m == "app"} == set(plans)
    assert schedule["rollout"] == 0.25 * 2 * 86_400
    assert (
        make_schedule(argparse.Namespace(**{**vars(args), "rollout_at": None}), 1)["rollout"]
        is None
    )


def test_the_ceiling_allows_one_reset_two_unlocks_and_no_clear_after_a_return() -> None:
    """The most the guards allow, knowing the cause: one reset (its chance), an unlock twice,
    and a clear that does not last counts as a miss."""
    hang = Cause("hang", 1.0, "firmware", ((SOFT_RESET, 0.9),), recur_p=0.15)
    assert abs(guarded_ceiling(hang) - 0.9 * 0.85) < 1e-9  # not 1 - 0.1**2: one reset only
    lock = Cause("lock", 1.0, "hardware", ((UNLOCK, 0.8),))
    assert abs(guarded_ceiling(lock) - (1 - 0.2**2)) < 1e-9
    both = Cause("both", 1.0, "firmware", ((UNLOCK, 0.5), (HARD_RESET, 0.5)))
    assert abs(guarded_ceiling(both) - (1 - 0.5 * 0.5**2)) < 1e-9
    assert guarded_ceiling(Cause("broken", 1.0, "hardware", ())) == 0.0
    # a terminal: no reset for an outside_charger fault; a restart twice where the model has one
    terminal = Cause("hang", 1.0, "payment", ((HARD_RESET, 0.5), (RESTART_PERIPHERAL, 0.8)))
    assert guarded_ceiling(terminal, reset=False) == 0.0
    assert abs(guarded_ceiling(terminal, reset=False, restart=True) - (1 - 0.2**2)) < 1e-9
    assert abs(guarded_ceiling(terminal, restart=True) - (1 - 0.5 * 0.2**2)) < 1e-9


def test_firmware_updates_are_counted_from_the_truth(tmp_path: Path) -> None:
    p1 = plan("helion_hx150", "2.0.1")
    cid = p1.charger_id

    def update(t: float, installed: str | None, boot_loop: bool = False) -> dict[str, object]:
        return rec(
            t, "firmware_update", cid, location="x", states=[], installed=installed,
            boot_loop=boot_loop,
        )  # fmt: skip

    records = [update(0, "hx-next"), update(10, None), update(20, None, boot_loop=True)]
    records.append(
        rec(21, "fault_injected", cid, fault="firmware_boot_failure", connector_id=0,
            cause="firmware_boot_failure", source="firmware-update")
    )  # fmt: skip
    truth = tmp_path / "truth.jsonl"
    truth.write_text("".join(json.dumps(r) + "\n" for r in records))
    result = score(truth, T0.timestamp(), 1.0, 1000.0, [], [p1])
    assert (result["firmware_updates"], result["firmware_failed"]) == (3, 2)
    assert result["firmware_boot_loops"] == 1
    assert result["needing_visit"] == 1  # the boot loop: a re-flash on site
    assert result["uptime_pct"] < 100


def test_a_truck_called_back_is_no_truck_roll_and_is_counted_apart(tmp_path: Path) -> None:
    p1 = plan("voltara_wb22", "1.6", n=1)
    truth = tmp_path / "truth.jsonl"
    truth.write_text("")
    cid = p1.charger_id
    visits = [
        {
            "t": 10.0,
            "charger_id": cid,
            "cause": "ticket",
            "needed": True,
            "fixed": ["x"],
            "unfixed": [],
            "arrived": 50.0,
        },
        {"t": 20.0, "charger_id": cid, "cause": "ticket", "needed": True, "recalled": 40.0},
        {"t": 30.0, "charger_id": cid, "cause": "complaint", "needed": False, "recalled": 45.0},
        {"t": 90.0, "charger_id": cid, "cause": "complaint", "needed": False},
    ]
    result = score(truth, T0.timestamp(), 1.0, 100.0, visits, [p1])
    assert (result["site_visits"], result["site_visits_needed"]) == (2, 1)
    assert result["site_visits_by"] == {"ticket": 1, "complaint": 1}
    assert (result["visits_recalled"], result["visits_recalled_needed"]) == (2, 1)
    assert result["visits_arrived"] == 1 and len(result["detail"]["visits"]) == 4


def test_the_dispatcher_calls_back_only_after_a_notice_and_while_healthy() -> None:
    well = ChargerLiveState(charger_id="C", online=True)
    faulted = ChargerLiveState(
        charger_id="C",
        online=True,
        open_faults=[
            OpenFault(
                connector_id=1,
                source="StatusNotification",
                error_code="GroundFailure",
                raised_at=T0,
            )
        ],
    )
    assert call_back(105.0, 100.0, well)
    assert not call_back(None, 100.0, well)  # no notice
    assert not call_back(95.0, 100.0, well)  # a notice from before this dispatch
    assert not call_back(105.0, 100.0, faulted)  # faulted again when the truck sets out
    assert not call_back(105.0, 100.0, ChargerLiveState(charger_id="C", online=False))
    assert not call_back(105.0, 100.0, None)


async def test_a_call_answered_after_its_timeout_is_counted_late() -> None:
    """The ocpp package drops an answer whose CALL already timed out, with one log line; the
    bench counts those lines per arm (a slow machine, not a hung charger)."""

    class Wire:
        async def send(self, _: str) -> None:
            return None

        async def recv(self) -> str:
            await asyncio.Event().wait()
            return ""

    late = LateAnswers()
    logging.getLogger("ocpp").addHandler(late)
    try:
        cp = ChargePoint("CP-1", Wire(), response_timeout=0.05)
        # the answer to an earlier CALL that timed out, still in the queue
        await cp._response_queue.put(CallResult("stale-id", {"status": "Accepted"}))
        with pytest.raises(asyncio.TimeoutError):
            await cp.call(c201.ClearCache())
        logging.getLogger("ocpp").error("another error")  # not an answer: not counted
    finally:
        logging.getLogger("ocpp").removeHandler(late)
    assert late.count == 1
