"""The guards on the troubleshooter's OCPP tools (issue 17), as the catalogue classifies them:
a remote start re-energises but interrupts nothing; a firmware update is admin-only and held
like a reset; a set of variables with one security variable is admin-only."""

from __future__ import annotations

import pytest

from app.commands.guards import check
from app.errors import OutOfScope, SafetyInterlock, TransactionActive
from tests.commands.test_guards import charger, inp

FIRMWARE = {"location": "https://fw.example.com/x.bin"}


def test_a_remote_start_is_held_by_the_interlock_not_by_a_running_charge() -> None:
    start = {"id_token": "TEST-1", "connector_id": 2}
    check(inp("remote_start", start, charger=charger(tx_on=1)))  # starts, interrupts nothing
    for role in ("partner", "consultant", "admin"):
        with pytest.raises(SafetyInterlock):
            check(inp("remote_start", start, role=role, charger=charger(fault="never_reset")))


def test_a_firmware_update_is_for_admins_and_held_like_a_reset() -> None:
    for role in ("partner", "consultant"):
        with pytest.raises(OutOfScope, match="admins"):
            check(inp("update_firmware", FIRMWARE, role=role))
    check(inp("update_firmware", FIRMWARE, role="admin"))
    for version in ("1.6", "2.0.1"):
        with pytest.raises(TransactionActive):
            check(
                inp(
                    "update_firmware",
                    FIRMWARE,
                    role="admin",
                    charger=charger(version=version, tx_on=2),
                )
            )
    with pytest.raises(SafetyInterlock):
        check(inp("update_firmware", FIRMWARE, role="admin", charger=charger(fault="never_reset")))
    forced = check(
        inp(
            "update_firmware",
            FIRMWARE,
            role="admin",
            charger=charger(tx_on=1),
            force=True,
            reason="known bug fixed",
        )
    )
    assert forced.overrides == ("transaction",)


def test_one_security_variable_makes_a_set_admin_only() -> None:
    plain = {"component": "OCPPCommCtrlr", "variable": "HeartbeatInterval", "value": "60"}
    secret = {"component": "SecurityCtrlr", "variable": "BasicAuthPassword", "value": "x" * 20}
    check(inp("set_variables", {"variables": [plain]}, role="consultant"))
    with pytest.raises(OutOfScope, match="admins"):
        check(inp("set_variables", {"variables": [plain, secret]}, role="consultant"))
    check(inp("set_variables", {"variables": [plain, secret]}, role="admin"))
    read = {"component": "SecurityCtrlr", "variable": "SecurityProfile"}
    check(inp("get_variables", {"variables": [read]}, role="partner"))  # reading is not setting


def test_availability_of_one_evse_is_guarded_on_that_evse() -> None:
    busy = charger(version="2.0.1", tx_on=2)
    with pytest.raises(TransactionActive):
        check(inp("change_availability", {"evse_id": 2, "type": "inoperative"}, charger=busy))
    check(inp("change_availability", {"evse_id": 1, "type": "inoperative"}, charger=busy))
