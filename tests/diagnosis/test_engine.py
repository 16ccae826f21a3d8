"""The engine, one rule at a time, on hand-built windows and live states (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime

from app.diagnosis.engine import (
    ACTION,
    BOOT,
    CONNECTED,
    FAULT_CLEARED,
    FAULT_RAISED,
    FIRMWARE,
    METER,
    SECURITY_EVENT,
    STATUS,
    TX_STOPPED,
    FleetContext,
    Observation,
    evaluate,
    problem_present,
)
from app.diagnosis.vocabulary import load_rules
from app.fleet.model import ActiveTransaction, ChargerLiveState, ConnectorState, OpenFault

RULES = load_rules()
NOW = 1_800_000_000.0


def at(seconds_ago: float) -> datetime:
    return datetime.fromtimestamp(NOW - seconds_ago, UTC)


def live(**kw: object) -> ChargerLiveState:
    values: dict[str, object] = {
        "charger_id": "SITE-001-AC-01",
        "vendor": "Voltara",
        "model": "WB-22",
        "ocpp_version": "1.6",
        "online": True,
        "connectors": {1: ConnectorState(connector_id=1, status="Available", since=at(9999))},
    }
    values.update(kw)
    return ChargerLiveState(**values)  # type: ignore[arg-type]


def fault(code: str, vendor: str | None = None, age: float = 600, cid: int = 0) -> OpenFault:
    return OpenFault(
        connector_id=cid,
        source="StatusNotification",
        error_code=code,
        vendor_error_code=vendor,
        raised_at=at(age),
    )


def obs(kind: str, ago: float, cid: int = 0, **data: object) -> Observation:
    return Observation(0, NOW - ago, kind, cid, dict(data))


def top(state: ChargerLiveState, window: list[Observation] | None = None) -> str | None:
    found = evaluate(RULES, state, window or [], NOW)
    return found[0].rule.id if found else None


def test_vendor_code_names_the_fault() -> None:
    assert top(live(open_faults=[fault("InternalError", "E-201")])) == "firmware-hang"
    assert top(live(open_faults=[fault("InternalError", "E-205")])) == "stuck-controller-process"
    assert top(live(open_faults=[fault("GroundFailure", "E-101", cid=1)])) == "ground-fault"


def test_every_error_code_has_a_fallback() -> None:
    for code, rule in {
        "InternalError": "code-internal-error",
        "OtherError": "code-other-error",
        "PowerSwitchFailure": "code-power-switch-failure",
        "OverVoltage": "code-supply-voltage",
        "ReaderFailure": "code-reader-failure",
        "WeakSignal": "code-weak-signal",
    }.items():
        assert top(live(open_faults=[fault(code, "X-UNKNOWN")])) == rule, code


def test_fault_is_debounced() -> None:
    assert top(live(open_faults=[fault("InternalError", "E-201", age=5)])) is None


def test_201_faulted_without_report_waits() -> None:
    state = live(ocpp_version="2.0.1", open_faults=[fault("OtherError", cid=1)])
    assert top(state) == "faulted-without-detail"


def test_fault_that_returns_is_escalated() -> None:
    state = live(open_faults=[fault("OverCurrentFailure", "E-145", age=60, cid=1)])
    window = [obs(ACTION, 900), obs(FAULT_CLEARED, 800, 1, fault_key="over_current")]
    assert top(state, window) == "fault-returned-after-clear"
    assert top(state, []) == "over-current-trip"


def test_offline_only_after_the_debounce() -> None:
    assert top(live(online=False, disconnected_at=at(60))) is None
    assert top(live(online=False, disconnected_at=at(400))) == "offline"


def test_flapping_but_not_our_own_resets() -> None:
    window = [obs(CONNECTED, t) for t in (100, 250, 400, 550)]
    assert top(live(), window) == "flapping-connection"
    echo = [obs(ACTION, t + 5) for t in (100, 250, 400, 550)]
    assert top(live(), window + echo) is None


def test_boot_loop_and_after_firmware_update() -> None:
    boots = [obs(BOOT, t) for t in (30, 60, 90, 120)]
    assert top(live(), boots) == "boot-loop"
    assert top(live(), [*boots, obs(FIRMWARE, 900, status="Installed")]) == (
        "boot-loop-after-firmware-update"
    )


def test_stuck_preparing_without_transaction() -> None:
    conn = ConnectorState(connector_id=1, status="Preparing", since=at(1500))
    assert top(live(connectors={1: conn})) == "stuck-preparing"
    tx = ActiveTransaction(transaction_id="1", connector_id=1, started_at=at(1500))
    assert top(live(connectors={1: conn}, transactions={"1": tx})) is None


def test_meter_not_moving() -> None:
    tx = ActiveTransaction(transaction_id="1", connector_id=1, started_at=at(4000))
    state = live(transactions={"1": tx})
    flat = [obs(METER, t, 1, energy_wh=500.0) for t in (2400, 1800, 600)]
    assert top(state, flat) == "meter-not-moving"
    moving = [obs(METER, t, 1, energy_wh=e) for t, e in ((2400, 1.0), (1800, 2.0), (600, 3.0))]
    assert top(state, moving) is None


def test_silent_meter_stays_present_until_a_sample_comes() -> None:
    """A lasting-state finding is judged on its own condition: not 'gone' the moment it is
    found (it used to close as self-cleared and fire again, every few minutes)."""
    tx = ActiveTransaction(transaction_id="1", connector_id=1, started_at=at(4000))
    state = live(transactions={"1": tx})
    silent = [obs(METER, 2500, 1, energy_wh=100.0)]
    finding = evaluate(RULES, state, silent, NOW)[0]
    assert finding.rule.id == "meter-values-stopped"
    assert problem_present(finding, state, NOW, window=silent)
    fresh = [*silent, obs(METER, 10, 1, energy_wh=900.0)]
    assert not problem_present(finding, state, NOW, window=fresh)
    assert not problem_present(finding, live(), NOW, window=silent)  # the session ended


def test_connector_behaviour_under_an_open_fault_is_the_faults_symptom() -> None:
    tx = ActiveTransaction(transaction_id="1", connector_id=1, started_at=at(4000))
    silent = [obs(METER, 2500, 1, energy_wh=100.0)]
    assert top(live(transactions={"1": tx}), silent) == "meter-values-stopped"
    for on in (0, 1):  # the whole charger, or this connector
        state = live(transactions={"1": tx}, open_faults=[fault("InternalError", cid=on)])
        ids = [f.rule.id for f in evaluate(RULES, state, silent, NOW)]
        assert "meter-values-stopped" not in ids
        assert ids and ids[0] == "code-internal-error"
    other = live(transactions={"1": tx}, open_faults=[fault("InternalError", cid=2)])
    assert "meter-values-stopped" in [f.rule.id for f in evaluate(RULES, other, silent, NOW)]


def test_status_silence_stays_present_until_a_status_comes() -> None:
    state = live(connected_since=at(4000))
    window = [obs(CONNECTED, 4000)]
    context = FleetContext(heartbeats={state.charger_id: NOW - 60})
    finding = next(
        f
        for f in evaluate(RULES, state, window, NOW, 1.0, context)
        if f.rule.id == "heartbeats-without-status"
    )
    assert problem_present(finding, state, NOW, window=window)
    answered = [*window, obs(STATUS, 5, 1, status="Available")]
    assert not problem_present(finding, state, NOW, window=answered)


def test_repeated_failed_starts() -> None:
    failed = [obs(TX_STOPPED, t, 1, duration_s=20, energy_wh=0) for t in (100, 700, 1300)]
    assert top(live(), failed) == "repeated-failed-starts"
    assert top(live(), failed[:2]) is None


def test_security_event_burst() -> None:
    assert top(live(), [obs(SECURITY_EVENT, t) for t in range(10, 60, 10)]) == (
        "security-event-burst"
    )


def test_stuck_status_counts_from_the_last_transaction_end() -> None:
    # 2.0.1 shows Occupied for a whole session; the Available after TransactionEvent Ended
    # arrives a message later: that gap is not "Occupied without a transaction for 20 min"
    conn = ConnectorState(connector_id=1, status="Occupied", since=at(3000))
    state = live(ocpp_version="2.0.1", connectors={1: conn})
    assert top(state, [obs(TX_STOPPED, 5, 1, duration_s=2900)]) is None
    assert top(state, [obs(TX_STOPPED, 1500, 1, duration_s=1400)]) == "stuck-preparing"


def test_debounce_counts_on_the_backends_clock() -> None:
    # the charger's timestamp says 10 min ago, the backend heard of it 5 s ago
    late = fault("InternalError", "E-201", age=600)
    state = live(open_faults=[late])
    seen = [obs(FAULT_RAISED, 5, 0, uid=late.uid)]
    assert top(state, seen) is None
    assert top(state, [obs(FAULT_RAISED, 120, 0, uid=late.uid)]) == "firmware-hang"


def test_201_faulted_status_is_an_echo_of_the_notify_event() -> None:
    echo = fault("OtherError", cid=1)
    named = OpenFault(
        connector_id=1,
        source="NotifyEvent",
        error_code="OtherError",
        tech_code="K7-CN-201",
        component="ConnectorPlugRetentionLock",
        variable="Problem",
        raised_at=at(600),
    )
    state = live(vendor="Kestrel EV", model="KX-300", ocpp_version="2.0.1")
    state.open_faults = [echo, named]
    found = evaluate(RULES, state, [], NOW)
    # every finding is about the named fault (the catalogue-fault rule also matches it, lower)
    assert found[0].rule.id == "connector-lock-failure"
    assert {f.fault_uids[0] for f in found} == {named.uid}


def test_201_echo_left_behind_by_a_cleared_event_is_debounced_again() -> None:
    # the NotifyEvent cleared a moment ago; the Faulted status will follow: not a new fault yet
    state = live(ocpp_version="2.0.1", open_faults=[fault("OtherError", cid=2, age=5000)])
    gone = obs(FAULT_CLEARED, 2, 2, source="NotifyEvent", fault_key="welded_contactor")
    assert top(state, [gone]) is None
    assert top(state, [obs(FAULT_CLEARED, 600, 2, source="NotifyEvent")]) == (
        "faulted-without-detail"
    )


def test_phantom_connector_state_gets_its_own_rule_not_the_fallback() -> None:
    for age in (45, 70):  # between the two debounces, and past both
        state = live(open_faults=[fault("OtherError", "E-318", age=age, cid=1)])
        ids = [f.rule.id for f in evaluate(RULES, state, [], NOW)]
        assert "catalogue-fault" not in ids[:1]
        if age > 60:
            assert ids[0] == "phantom-connector-state"
