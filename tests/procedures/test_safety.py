"""The engine's safety gate, hazard acknowledgement and waiting for a charge to end, and the
validator's refusals of ungated hazards and resets allowed during a charge."""

from __future__ import annotations

from app.procedures.engine import (
    Acknowledge,
    Answer,
    Confirm,
    EngineContext,
    StateObserved,
    Timeout,
    advance,
    begin,
)
from app.procedures.validation import check_graph, validate_text
from tests.procedures.helpers import action, instruction, live, proc, proc_yaml, terminal, yes_no

ENDS = (terminal("ok"), terminal("fail", "escalate"), terminal("late", "site_visit"))
LOCKOUT = instruction(
    "lockout", "ok", safety_level="electrical", qualifications=["electrician"], title="Lock off"
)


def _hazard_proc():
    return proc(
        "ask",
        yes_no("ask", "lockout", "ok"),
        LOCKOUT,
        *ENDS,
    ).model_copy(update={"safety_level": "electrical", "qualifications": ["electrician"]})


def test_unqualified_person_is_handed_over_and_never_enters_the_hazard() -> None:
    p = _hazard_proc()
    t = begin(p, EngineContext())
    t = advance(p, t.cursor, Answer(value="yes"), EngineContext())
    assert t.directive.action == "finish" and t.directive.outcome == "escalate"
    assert "qualified electrician (electrician)" in (t.directive.reason or "")
    assert t.cursor.node_id is None and t.cursor.gated == "lockout"
    assert "lockout" not in t.entered and "lockout" not in t.cursor.visits


def test_the_gate_holds_on_the_start_node_too() -> None:
    p = proc("lockout", LOCKOUT, *ENDS)
    t = begin(p, EngineContext(qualifications=frozenset({"vendor_l1"})))
    assert t.directive.action == "finish" and t.cursor.gated == "lockout"


def test_qualified_person_acknowledges_before_the_hazard_directive() -> None:
    p = _hazard_proc()
    ctx = EngineContext(qualifications=frozenset({"hv_dc"}))  # hv_dc implies electrician
    t = advance(p, begin(p, ctx).cursor, Answer(value="yes"), ctx)
    assert t.cursor.node_id == "lockout" and t.cursor.phase == "acknowledge"
    assert t.directive.action == "acknowledge" and t.directive.hazard is True
    assert "proven it dead" in t.directive.text
    assert t.directive.qualifications == ["electrician"]
    try:
        advance(p, t.cursor, Answer(value="done"), ctx)
        raise AssertionError("an answer before the acknowledgement must be refused")
    except ValueError as error:
        assert "acknowledge" in str(error)
    t2 = advance(p, t.cursor, Acknowledge(), ctx)
    assert t2.directive.action == "ask" and t2.directive.hazard is True
    assert t2.directive.safety_level == "electrical"
    assert advance(p, t2.cursor, Answer(value="done"), ctx).cursor.outcome == "resolved"
    declined = advance(p, t.cursor, Acknowledge(confirmed=False), ctx)
    assert declined.directive.action == "finish" and declined.directive.outcome == "escalate"


CHARGING = [{"transaction_id": "7", "connector_id": 1, "started_at": "2025-01-10T10:02:11Z"}]


def test_reset_during_a_charge_waits_says_who_and_runs_when_it_ends() -> None:
    busy = EngineContext(live=live(transactions=CHARGING))
    p = proc("r", action("r", params={"type": "soft"}, idle_timeout_seconds=600), *ENDS)
    t = begin(p, busy)
    assert t.cursor.phase == "idle" and t.directive.action == "wait_idle"
    assert t.directive.text.startswith("waiting: connector 1 is charging (started 10:02 UTC)")
    assert t.directive.timeout_seconds == 600 and t.note == t.directive.text
    # still charging: it keeps waiting
    assert advance(p, t.cursor, StateObserved(live=busy.live), busy).cursor == t.cursor
    idle = EngineContext(live=live())
    run = advance(p, t.cursor, StateObserved(live=idle.live), idle)
    assert run.directive.action == "run_command" and run.directive.command == "reset"
    timed_out = advance(p, t.cursor, Timeout(), busy)
    assert timed_out.cursor.node_id == "fail" and "still charging" in (timed_out.note or "")


def test_confirmed_reset_during_a_charge_waits_instead_of_interrupting() -> None:
    busy = EngineContext(live=live(transactions=CHARGING))
    p = proc("r", action("r", params={"type": "hard"}, confirmation="It restarts."), *ENDS)
    t = begin(p, busy)
    assert t.directive.action == "confirm" and "waiting: connector 1" in t.directive.text
    assert t.directive.reason == "confirmation"
    t = advance(p, t.cursor, Confirm(), busy)
    assert t.cursor.phase == "idle" and t.directive.action == "wait_idle"


def test_2_0_1_soft_reset_is_sent_at_once_as_on_idle() -> None:
    live201 = {**live(transactions=CHARGING), "ocpp_version": "2.0.1"}
    t = begin(proc("r", action("r", params={"type": "soft"}), *ENDS), EngineContext(live=live201))
    assert t.directive.action == "run_command"  # the gateway sends OnIdle: Scheduled


def _errors(*nodes, **header):
    p = proc(nodes[0]["id"], *nodes, *ENDS).model_copy(update=header)
    issues = [i.message for i in check_graph(p) if i.severity == "error"]
    return [m for m in issues if "unreachable" not in m]


def test_validator_refuses_ungated_or_misdeclared_hazards() -> None:
    bare = instruction("x", "ok", safety_level="electrical")
    assert any(
        "must name the qualifications" in m for m in _errors(bare, safety_level="electrical")
    )
    weak = instruction("x", "ok", safety_level="high_voltage", qualifications=["electrician"])
    assert any("needs hv_dc" in m for m in _errors(weak, safety_level="high_voltage"))
    assert any("above the procedure's safety_level" in m for m in _errors(LOCKOUT))
    undeclared = _errors(LOCKOUT, safety_level="electrical")
    assert any("procedure's qualifications do not list" in m for m in undeclared)
    unmarked = _errors(instruction("x", "ok"), safety_level="high_voltage")
    assert any("no step is" in m for m in unmarked)
    ok = _errors(LOCKOUT, safety_level="electrical", qualifications=["electrician"])
    assert ok == []


def test_validator_refuses_reset_or_unlock_allowed_during_a_charge() -> None:
    for command in ("reset", "unlock_connector"):
        report = validate_text(
            proc_yaml("r", action("r", command, allow_during_transaction=True), *ENDS)
        )
        assert not report.ok
        assert any(i.field == "allow_during_transaction" for i in report.errors), command
    stop = validate_text(
        proc_yaml("r", action("r", "remote_stop", allow_during_transaction=True), *ENDS[:2])
    )
    assert stop.ok, [str(i) for i in stop.issues]


def test_validator_refuses_a_power_cycle_without_a_charge_check() -> None:
    cycle = instruction("cycle", "ok", interrupts_supply=True)
    assert any("without a check for a running charge" in m for m in _errors(cycle))
    check = {
        "id": "idle",
        "type": "check_state",
        "title": "idle",
        "branches": [{"when": {"connector": 0, "in_transaction": True}, "next": "fail"}],
        "otherwise": "cycle",
    }
    assert _errors(check, cycle) == []
    wrong = {**check, "branches": [{"when": {"online": True}, "next": "fail"}]}
    assert any("without a check" in m for m in _errors(wrong, cycle))


def test_unknown_qualification_is_refused_with_the_vocabulary() -> None:
    bad = instruction("x", "ok", safety_level="electrical", qualifications=["sparky"])
    report = validate_text(proc_yaml("x", bad, *ENDS))
    assert not report.ok and "electrician" in str(report.errors[0])
