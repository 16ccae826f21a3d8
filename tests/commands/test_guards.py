"""The guards as a plain function: each guard refuses what it must, and only that."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.commands.catalogue import parse_params
from app.commands.guards import GuardInput, check
from app.errors import BadCommand, OutOfScope, SafetyInterlock, TransactionActive
from app.fleet.model import ActiveTransaction, ChargerLiveState, FaultClassification, OpenFault

NOW = datetime(2026, 11, 30, tzinfo=UTC)


def charger(*, version: str = "1.6", tx_on: int | None = None, fault: str | None = None):
    state = ChargerLiveState(charger_id="SITE-001-AC-01", site_id="SITE-001", ocpp_version=version)
    if tx_on is not None:
        state.transactions["7"] = ActiveTransaction(
            transaction_id="7", connector_id=tx_on, started_at=NOW
        )
    if fault is not None:
        state.open_faults.append(
            OpenFault(
                connector_id=1,
                source="StatusNotification",
                error_code="GroundFailure",
                raised_at=NOW,
                classification=FaultClassification(safety_class=fault, fault_key="ground_fault"),
            )
        )
    return state


def inp(command: str, params: dict | None = None, **kw) -> GuardInput:
    values = {
        "command": command,
        "params": parse_params(command, params or {}),
        "role": "partner",
        "automatic": False,
        "in_scope": True,
        "person_session_open": False,
        "charger": charger(),
    }
    values.update(kw)
    return GuardInput(**values)


def test_a_partner_acts_only_in_scope() -> None:
    assert not check(inp("reset")).override
    with pytest.raises(OutOfScope, match="not in your scope"):
        check(inp("reset", in_scope=False))
    # consultants and admins act on the whole fleet
    check(inp("reset", role="consultant", in_scope=False))


def test_editors_send_no_commands() -> None:
    with pytest.raises(OutOfScope, match="editor"):
        check(inp("trigger_message", {"message": "StatusNotification"}, role="editor"))


def test_force_is_for_consultants_and_admins_with_a_reason() -> None:
    with pytest.raises(OutOfScope, match="force is for consultants"):
        check(inp("reset", force=True, reason="driver asked"))
    with pytest.raises(BadCommand, match="reason"):
        check(inp("reset", role="consultant", force=True, reason="  "))
    with pytest.raises(OutOfScope, match="force is for consultants"):
        check(inp("reset", role="admin", automatic=True, force=True, reason="rule"))


def test_security_configuration_is_admin_only() -> None:
    for key in ("AuthorizationKey", "SecurityCtrlr.BasicAuthPassword", "SecurityProfile"):
        params = {"key": key, "value": "x" * 16}
        with pytest.raises(OutOfScope, match="admins"):
            check(inp("change_configuration", params, role="consultant"))
        check(inp("change_configuration", params, role="admin"))
    check(inp("change_configuration", {"key": "HeartbeatInterval", "value": "60"}))


def test_self_diagnosis_stands_back_while_a_person_works() -> None:
    with pytest.raises(OutOfScope, match="person is troubleshooting"):
        check(inp("reset", role="admin", automatic=True, person_session_open=True))


def test_no_interruption_of_a_charge() -> None:
    busy = charger(tx_on=1)
    for command, params in [
        ("reset", {"type": "soft"}),
        ("reset", {"type": "hard"}),
        ("unlock_connector", {"connector_id": 1}),
        ("change_availability", {"connector_id": 0, "type": "inoperative"}),
        ("change_availability", {"connector_id": 1, "type": "Inoperative"}),
    ]:
        with pytest.raises(TransactionActive):
            check(inp(command, params, charger=busy))
        with pytest.raises(TransactionActive):  # not even an admin without force
            check(inp(command, params, role="admin", charger=busy))
        forced = check(
            inp(command, params, role="consultant", charger=busy, force=True, reason="r")
        )
        assert forced.overrides == ("transaction",)
    # the other connector, or back in service, does not touch the charge
    check(inp("unlock_connector", {"connector_id": 2}, charger=busy))
    check(inp("change_availability", {"connector_id": 1, "type": "operative"}, charger=busy))
    # 2.0.1 OnIdle: the station holds the reset until its transactions end (OCPP 2.0.1 B12)
    # and a hard one too unless forced: the gateway sends Immediate only as an override
    busy201 = charger(version="2.0.1", tx_on=1)
    check(inp("reset", {"type": "soft"}, charger=busy201))
    check(inp("reset", {"type": "hard"}, charger=busy201))
    forced = check(
        inp("reset", {"type": "hard"}, role="admin", charger=busy201, force=True, reason="r")
    )
    assert forced.overrides == ("transaction",)


def test_safety_interlock_holds_for_everyone_but_an_audited_override() -> None:
    unsafe = charger(fault="never_reset")
    for command, params in [
        ("reset", {"type": "soft"}),
        ("unlock_connector", {"connector_id": 1}),
        ("change_availability", {"connector_id": 0, "type": "operative"}),
    ]:
        for role in ("partner", "consultant", "admin"):
            with pytest.raises(SafetyInterlock, match="safety fault"):
                check(inp(command, params, role=role, charger=unsafe))
        with pytest.raises(SafetyInterlock):  # self-diagnosis can never override it
            check(inp(command, params, role="admin", automatic=True, charger=unsafe))
        with pytest.raises(OutOfScope):  # nor can a partner
            check(inp(command, params, charger=unsafe, force=True, reason="r"))
        cleared = check(inp(command, params, role="admin", charger=unsafe, force=True, reason="r"))
        assert cleared.overrides == ("safety_interlock",)
    # taking it out of service or asking for status stays possible
    check(inp("change_availability", {"connector_id": 0, "type": "inoperative"}, charger=unsafe))
    check(inp("trigger_message", {"message": "StatusNotification"}, charger=unsafe))
    # a fault that is safe to reset does not hold anything
    check(inp("reset", charger=charger(fault="reset_safe")))


def test_a_test_charge_stop_never_ends_someone_elses_charge() -> None:
    """A stop that names its token (a procedure's test charge) ends only a charge started with
    that token; a driver's charge on the connector is refused, forced or not."""
    state = charger(tx_on=1)
    state.transactions["7"].id_tag = "DRIVER-CARD"
    params = {"connector_id": 1, "id_token": "CHARGEFIX-TEST"}
    with pytest.raises(TransactionActive, match="not started with CHARGEFIX-TEST"):
        check(inp("remote_stop", params, charger=state))
    with pytest.raises(TransactionActive):
        check(inp("remote_stop", params, charger=state, role="admin", force=True, reason="x"))
    state.transactions["7"].id_tag = "CHARGEFIX-TEST"
    assert not check(inp("remote_stop", params, charger=state)).override
    # a stop without a token is the request itself (a consultant ending a charge): allowed
    state.transactions["7"].id_tag = "DRIVER-CARD"
    check(inp("remote_stop", {"connector_id": 1}, charger=state))
