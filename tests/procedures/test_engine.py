"""The engine as plain functions: every node type, branch, guardrail and loop bound."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.procedures.conditions import evaluate, transaction_id_on
from app.procedures.engine import (
    Answer,
    CommandOutcome,
    Confirm,
    EngineContext,
    EngineError,
    StateObserved,
    Timeout,
    advance,
    begin,
    directive_for,
)
from app.procedures.schema import StateCondition
from tests.procedures.helpers import action, instruction, live, proc, terminal, yes_no

ENDS = (terminal("ok"), terminal("fail", "escalate"), terminal("late", "site_visit"))
CTX = EngineContext(connector_id=1, live=live())


def test_instruction_then_terminal() -> None:
    p = proc("a", instruction("a", "ok"), *ENDS[:1])
    t = begin(p, CTX)
    assert t.directive.action == "ask" and t.directive.kind == "instruction"
    t = advance(p, t.cursor, Answer(value="done"), CTX)
    assert t.directive.action == "finish" and t.directive.outcome == "resolved"
    assert t.cursor.phase == "finished" and t.entered == ["ok"] and t.branch == "next"


@pytest.mark.parametrize(
    ("answer", "end"), [("yes", "ok"), (True, "ok"), ("no", "fail"), (False, "fail")]
)
def test_yes_no_branches(answer: object, end: str) -> None:
    p = proc("q", yes_no("q", "ok", "fail"), *ENDS)
    t = advance(p, begin(p, CTX).cursor, Answer(value=answer), CTX)
    assert t.cursor.node_id == end


def test_yes_no_rejects_other_answers() -> None:
    p = proc("q", yes_no("q", "ok", "fail"), *ENDS)
    with pytest.raises(EngineError, match="yes or no"):
        advance(p, begin(p, CTX).cursor, Answer(value="maybe"), CTX)
    with pytest.raises(EngineError, match="expects an answer"):
        advance(p, begin(p, CTX).cursor, Confirm(), CTX)


def test_choice_branches_and_bad_choice() -> None:
    node = {
        "id": "c",
        "type": "question",
        "kind": "choice",
        "title": "c",
        "choices": [
            {"value": "a", "label": "A", "next": "ok"},
            {"value": "b", "label": "B", "next": "fail"},
        ],
    }
    p = proc("c", node, *ENDS)
    start = begin(p, CTX)
    assert [o["value"] for o in start.directive.options] == ["a", "b"]
    assert advance(p, start.cursor, Answer(value="b"), CTX).cursor.node_id == "fail"
    assert advance(p, start.cursor, Answer(value="a"), CTX).branch == "choice:a"
    with pytest.raises(EngineError, match="one of: a, b"):
        advance(p, start.cursor, Answer(value="z"), CTX)


def _measure(**extra: object) -> dict:
    return {
        "id": "m",
        "type": "question",
        "kind": "measurement",
        "title": "m",
        "unit": "V",
        "expected": {"min": 207, "max": 253},
        "in_range": "ok",
        "out_of_range": "fail",
        **extra,
    }


@pytest.mark.parametrize(
    ("value", "end", "branch"),
    [
        (230, "ok", "in_range"),
        ("207", "ok", "in_range"),
        ("253,0", "ok", "in_range"),
        (190, "fail", "out_of_range"),
        (260, "fail", "out_of_range"),
    ],
)
def test_measurement_range(value: object, end: str, branch: str) -> None:
    p = proc("m", _measure(), *ENDS)
    t = advance(p, begin(p, CTX).cursor, Answer(value=value), CTX)
    assert (t.cursor.node_id, t.branch) == (end, branch)


def test_measurement_below_above_and_not_a_number() -> None:
    p = proc("m", _measure(below="late", above="fail"), *ENDS)
    start = begin(p, CTX)
    assert start.directive.unit == "V" and start.directive.expected == {"min": 207, "max": 253}
    assert advance(p, start.cursor, Answer(value=100), CTX).branch == "below"
    assert advance(p, start.cursor, Answer(value=300), CTX).branch == "above"
    with pytest.raises(EngineError, match="number in V"):
        advance(p, start.cursor, Answer(value="lots"), CTX)
    with pytest.raises(EngineError, match="number in V"):
        advance(p, start.cursor, Answer(value=None), CTX)


def test_remote_action_without_wait_or_confirmation() -> None:
    p = proc("r", action("r", "trigger_message", params={"message": "StatusNotification"}), *ENDS)
    t = begin(p, CTX)
    assert t.directive.action == "run_command"
    assert t.directive.params == {"message": "StatusNotification"} and t.directive.attempt == 1
    done = advance(p, t.cursor, CommandOutcome(accepted=True, status="Accepted"), CTX)
    assert done.cursor.node_id == "ok" and done.branch == "success"
    failed = advance(p, t.cursor, CommandOutcome(accepted=False, status="Rejected"), CTX)
    assert failed.cursor.node_id == "fail" and failed.note == "Rejected"


def test_remote_action_confirmation_wait_success_and_connector_param() -> None:
    wait = {"connector": "$connector", "status_in": ["Available"], "error_code": "NoError"}
    node = action(
        "r",
        "unlock_connector",
        params={"connector_id": "$connector"},
        confirmation="Unlock?",
        wait=wait,
        on_timeout="late",
    )
    p = proc("r", node, *ENDS)
    ctx = EngineContext(connector_id=2, live=live())
    t = begin(p, ctx)
    assert t.directive.action == "confirm" and t.directive.reason == "confirmation"
    t = advance(p, t.cursor, Confirm(), ctx)
    assert t.directive.action == "run_command" and t.directive.params == {"connector_id": 2}
    t = advance(p, t.cursor, CommandOutcome(accepted=True), ctx)
    assert t.directive.action == "wait_state" and t.directive.after_change is False
    faulted = live()
    faulted["connectors"][1]["status"] = "Faulted"
    still = advance(p, t.cursor, StateObserved(live=faulted), ctx)
    assert still.directive.action == "wait_state" and still.cursor == t.cursor
    done = advance(p, t.cursor, StateObserved(live=live()), ctx)
    assert done.cursor.node_id == "ok"
    late = advance(p, t.cursor, Timeout(), ctx)
    assert late.cursor.node_id == "late" and late.branch == "timeout"


def test_declined_confirmation_takes_failure() -> None:
    p = proc("r", action("r", confirmation="Sure?"), *ENDS)
    t = advance(p, begin(p, CTX).cursor, Confirm(confirmed=False), CTX)
    assert t.cursor.node_id == "fail" and t.note == "declined"


def test_reset_wait_needs_a_change_after_the_command() -> None:
    p = proc("r", action("r", params={"type": "soft"}, wait={"status_in": ["Available"]}), *ENDS)
    t = advance(p, begin(p, CTX).cursor, CommandOutcome(accepted=True), CTX)
    assert t.directive.after_change is True
    same = advance(p, t.cursor, StateObserved(live=live(), changed_since_command=False), CTX)
    assert same.directive.action == "wait_state"
    changed = advance(p, t.cursor, StateObserved(live=live(), changed_since_command=True), CTX)
    assert changed.cursor.node_id == "ok"


def test_timeout_without_on_timeout_goes_to_failure() -> None:
    p = proc("r", action("r", wait={"online": True}), *ENDS)
    t = advance(p, begin(p, CTX).cursor, CommandOutcome(accepted=True), CTX)
    assert advance(p, t.cursor, Timeout(), CTX).cursor.node_id == "fail"


def test_retries_resend_then_branch() -> None:
    p = proc("r", action("r", retries=2, wait={"online": True}, on_timeout="late"), *ENDS)
    t = begin(p, CTX)
    t = advance(p, t.cursor, CommandOutcome(accepted=False), CTX)
    assert t.directive.action == "run_command" and t.directive.attempt == 2
    assert t.note == "retry 1 of 2 after failure"
    t = advance(p, t.cursor, CommandOutcome(accepted=True), CTX)
    t = advance(p, t.cursor, Timeout(), CTX)
    assert t.directive.action == "run_command" and t.directive.attempt == 3
    t = advance(p, t.cursor, CommandOutcome(accepted=True), CTX)
    t = advance(p, t.cursor, Timeout(), CTX)
    assert t.cursor.node_id == "late"


def test_guardrail_blocks_availability_change_during_transaction() -> None:
    busy = EngineContext(
        connector_id=1, live=live(transactions=[{"transaction_id": "7", "connector_id": 2}])
    )
    params = {"connector_id": 2, "type": "Inoperative"}
    p = proc("r", action("r", "change_availability", params=params), *ENDS)
    t = begin(p, busy)
    assert t.cursor.node_id == "fail" and t.entered == ["r", "fail"]
    assert "blocked" in (t.note or "")


def test_guardrail_connector_command_only_checks_its_connector() -> None:
    busy = EngineContext(
        connector_id=1, live=live(transactions=[{"transaction_id": "7", "connector_id": 2}])
    )
    p = proc("r", action("r", "unlock_connector", params={"connector_id": 1}), *ENDS)
    assert begin(p, busy).directive.action == "run_command"
    p2 = proc("r", action("r", "unlock_connector", params={"connector_id": 2}), *ENDS)
    assert begin(p2, busy).cursor.phase == "idle"  # it waits for connector 2's charge
    p3 = proc(
        "r",
        action("r", "change_availability", params={"connector_id": 2, "type": "Operative"}),
        *ENDS,
    )
    assert begin(p3, busy).directive.action == "run_command"


def test_guardrail_allowed_needs_partner_confirmation() -> None:
    busy = EngineContext(
        connector_id=1, live=live(transactions=[{"transaction_id": "7", "connector_id": 1}])
    )
    p = proc("r", action("r", "remote_stop", allow_during_transaction=True), *ENDS)
    t = begin(p, busy)
    assert t.directive.action == "confirm" and t.directive.reason == "transaction"
    assert "transaction" in t.directive.text
    t = advance(p, t.cursor, Confirm(), busy)
    assert t.directive.command == "remote_stop" and t.directive.params == {"connector_id": 1}
    assert transaction_id_on(busy.live, 1) == "7"


def test_check_state_branches_in_order_and_otherwise() -> None:
    node = {
        "id": "s",
        "type": "check_state",
        "title": "s",
        "branches": [
            {"when": {"online": False}, "next": "fail"},
            {"when": {"status_in": ["Faulted"]}, "next": "late"},
        ],
        "otherwise": "ok",
    }
    p = proc("s", node, *ENDS)
    assert (
        begin(p, EngineContext(live=live(online=False, status="Faulted"))).cursor.node_id == "fail"
    )
    assert begin(p, EngineContext(live=live(status="Faulted"))).cursor.node_id == "late"
    t = begin(p, EngineContext(live=live()))
    assert t.cursor.node_id == "ok" and t.entered == ["s", "ok"]


def test_check_state_without_live_state_asks_for_it() -> None:
    node = {
        "id": "s",
        "type": "check_state",
        "title": "s",
        "branches": [{"when": {"online": True}, "next": "ok"}],
        "otherwise": "fail",
    }
    p = proc("s", node, *ENDS)
    t = begin(p, EngineContext(live=None))
    assert t.directive.action == "need_state" and t.cursor.phase == "state"
    done = advance(p, t.cursor, StateObserved(live=live()), EngineContext(live=None))
    assert done.cursor.node_id == "ok" and done.branch == "branch:0"


@pytest.mark.parametrize(
    "outcome", ["resolved", "escalate", "site_visit", "vehicle_side", "not_reproducible"]
)
def test_terminal_outcomes(outcome: str) -> None:
    p = proc("e", terminal("e", outcome))
    t = begin(p, CTX)
    assert t.directive.action == "finish" and t.directive.outcome == outcome
    with pytest.raises(EngineError, match="finished"):
        advance(p, t.cursor, Answer(value="x"), CTX)


def test_loop_bound_with_exit_node() -> None:
    p = proc(
        "a", instruction("a", "q", max_visits=2, on_exhausted="fail"), yes_no("q", "ok", "a"), *ENDS
    )
    t = begin(p, CTX)
    t = advance(p, t.cursor, Answer(), CTX)
    t = advance(p, t.cursor, Answer(value="no"), CTX)  # back to a (2nd visit)
    assert t.cursor.node_id == "a" and t.cursor.visits["a"] == 2
    t = advance(p, t.cursor, Answer(), CTX)
    t = advance(p, t.cursor, Answer(value="no"), CTX)  # 3rd visit: exhausted
    assert t.cursor.node_id == "fail" and "visited 2 times" in (t.note or "")


def test_loop_bound_without_exit_escalates() -> None:
    p = proc("a", instruction("a", "q", max_visits=1), yes_no("q", "ok", "a"), *ENDS)
    t = advance(p, advance(p, begin(p, CTX).cursor, Answer(), CTX).cursor, Answer(value="no"), CTX)
    assert t.directive.action == "finish" and t.directive.outcome == "escalate"
    assert "loop bound" in (t.directive.reason or "")


def test_directive_for_resumes_each_phase() -> None:
    p = proc("r", action("r", confirmation="Sure?", wait={"online": True}), *ENDS)
    t = begin(p, CTX)
    assert directive_for(p, t.cursor, CTX) == t.directive
    t = advance(p, t.cursor, Confirm(), CTX)
    assert directive_for(p, t.cursor, CTX) == t.directive
    t = advance(p, t.cursor, CommandOutcome(accepted=True), CTX)
    assert directive_for(p, t.cursor, CTX).action == "wait_state"
    t = advance(p, t.cursor, StateObserved(live=live()), CTX)
    assert directive_for(p, t.cursor, CTX).action == "finish"


def test_wrong_phase_input_is_an_error() -> None:
    p = proc("r", action("r", wait={"online": True}), *ENDS)
    t = begin(p, CTX)
    with pytest.raises(EngineError, match="phase 'command'"):
        advance(p, t.cursor, Confirm(), CTX)


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"online": True}, True),
        ({"online": False}, False),
        ({"ocpp_version": "1.6"}, False),  # not known: no branch taken on it
        ({"connector": 1, "status_in": ["Faulted"]}, True),
        ({"connector": 2, "status_in": ["Faulted"]}, False),
        ({"status_not_in": ["Available"]}, True),
        ({"error_code": "GroundFailure"}, True),
        ({"error_code_in": ["NoError", "OtherError"]}, False),
        ({"vendor_error_code": "E-101"}, True),
        ({"no_open_faults": True}, False),
        ({"no_open_faults": False}, True),
        ({"fault_open": "ground_fault"}, True),
        ({"fault_not_open": "ground_fault"}, False),
        ({"fault_open": "GroundFailure"}, True),
        ({"fault_open": "HX-1104"}, False),
        ({"fault_open": "over_temperature"}, False),
        ({"in_transaction": False}, True),
        ({"connector": 0, "in_transaction": False}, True),
        ({"any_of": [{"online": False}, {"error_code": "GroundFailure"}]}, True),
        ({"not": {"online": True}}, False),
        ({"connector": 3, "status_in": ["Available"]}, False),
    ],
)
def test_conditions(condition: dict, expected: bool) -> None:
    fault = {"error_code": "GroundFailure", "vendor_error_code": "E-101", "connector_id": 1}
    state = live(status="Faulted", error_code="GroundFailure", faults=[fault])
    state["connectors"][0]["vendor_error_code"] = "E-101"
    assert evaluate(StateCondition.model_validate(condition), state, 1) is expected


def test_conditions_on_real_live_state_model() -> None:
    from datetime import UTC, datetime

    from app.fleet.model import ActiveTransaction, ChargerLiveState, ConnectorState
    from app.procedures.engine import live_dict

    state = ChargerLiveState(charger_id="CP-1", online=True, ocpp_version="2.0.1")
    state.connectors[1] = ConnectorState(connector_id=1, status="Charging")
    now = datetime.now(UTC)
    state.transactions["42"] = ActiveTransaction(
        transaction_id="42", connector_id=1, started_at=now
    )
    data = live_dict(state)
    assert evaluate(StateCondition(connector=1, status_in=["Charging"]), data, 1)
    assert evaluate(StateCondition(connector=1, in_transaction=True), data, 1)
    assert not evaluate(StateCondition(connector=2, in_transaction=True), data, 1)
    assert transaction_id_on(data, 1) == "42"
    # a vendor key is spelled per protocol: procedures branch on the version the charger speaks
    assert evaluate(StateCondition(ocpp_version="2.0.1"), data, 1)
    assert not evaluate(StateCondition(ocpp_version="1.6"), data, 1)


def test_conditions_without_live_state() -> None:
    assert evaluate(StateCondition(online=False), None, 1) is True
    assert evaluate(StateCondition(status_in=["Available"]), None, 1) is False


def test_conditions_read_the_catalogue_the_backend_runs_with(tmp_path: Path) -> None:
    """An editor gave Voltara a terminal restart and a new code in the backend's catalogue:
    restart_known and fault_open see them there, and not in the shipped catalogue."""
    folder = tmp_path / "fault_codes"
    shutil.copytree(Path(__file__).resolve().parents[2] / "knowledge_base" / "fault_codes", folder)
    vendor = folder / "vendors" / "voltara.yaml"
    text = vendor.read_text()
    restarts = (
        "restarts:\n  - fault: payment_terminal_failure\n    key16: VT_PayRestart\n"
        '    value: "1"\ncodes:\n  - code: E-499\n    fault: payment_terminal_failure\n'
    )
    vendor.write_text(text.replace("codes:\n", restarts, 1))
    state = {
        "online": True,
        "vendor": "Voltara",
        "model": "WB-22",
        "ocpp_version": "1.6",
        "open_faults": [{"error_code": "OtherError", "vendor_error_code": "E-499"}],
    }
    known = StateCondition(restart_known="payment_terminal_failure")
    open_ = StateCondition(fault_open="payment_terminal_failure")
    assert evaluate(known, state, catalogue_folder=folder)
    assert evaluate(open_, state, catalogue_folder=folder)
    assert not evaluate(known, state)
    assert not evaluate(open_, state)
