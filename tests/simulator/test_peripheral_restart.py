"""A model's vendor key restarts one peripheral (payment terminal, RFID reader): the charger
keeps running and charging, and only that peripheral's failure may clear (the HX-150 and KX-300
manuals' keys, ``ChargerModel.peripheral_restarts``)."""

from __future__ import annotations

from collections import Counter

from ocpp.v16 import call as c16
from ocpp.v201 import call as c201

from app.fault_codes import load_catalogue
from app.simulator.faults import RESTART_PERIPHERAL
from app.simulator.models import CHARGER_MODELS
from tests.simulator.conftest import plan
from tests.simulator.mini_csms import MiniCSMS


def setting(name: str, value: str) -> dict:
    component, variable = name.split(".")
    return {
        "component": {"name": component},
        "variable": {"name": variable},
        "attribute_value": value,
    }


async def test_the_terminal_key_restarts_the_terminal_during_a_charge_in_both_versions(
    csms: MiniCSMS, make_fleet
) -> None:
    p16, p201 = plan("helion_hx150", "1.6"), plan("helion_hx150", "2.0.1", n=2)
    fleet = await make_fleet([p16, p201])
    for p in (p16, p201):
        ch = fleet.charger(p.charger_id)
        ch.inject_now("payment_terminal_failure")
        tx = ch.start_transaction(1)
        boots = ch.true_state().boot_count
        if p.ocpp_version == "1.6":
            r = await csms.command(
                p.charger_id, c16.ChangeConfiguration(key="HX_TerminalRestart", value="true")
            )
            assert r.status == "Accepted"
        else:
            r = await csms.command(
                p.charger_id,
                c201.SetVariables(
                    set_variable_data=[setting("HelionCtrlr.HX_TerminalRestart", "true")]
                ),
            )
            assert r.set_variable_result[0]["attribute_status"] == "Accepted"
        state = await ch.wait_for(lambda s: not s.has_fault("payment_terminal_failure"), 5)
        assert state.boot_count == boots  # no reboot
        assert ch.connector(1).transaction is tx  # the charge goes on
    cleared = fleet.truth.tail(kind="fault_cleared")
    assert [c["how"] for c in cleared] == [RESTART_PERIPHERAL, RESTART_PERIPHERAL]


async def test_a_reader_restart_leaves_the_terminal_and_other_models_know_no_key(
    csms: MiniCSMS, make_fleet
) -> None:
    kx, wb = plan("kestrel_kx300", "2.0.1"), plan("voltara_wb22", "1.6")
    fleet = await make_fleet([kx, wb])
    ch = fleet.charger(kx.charger_id)
    ch.inject_now("payment_terminal_failure")
    ch.inject_now("rfid_reader_failure")
    r = await csms.command(
        kx.charger_id,
        c201.SetVariables(set_variable_data=[setting("KestrelCtrlr.PeripheralRestart", "Reader")]),
    )
    assert r.set_variable_result[0]["attribute_status"] == "Accepted"
    state = await ch.wait_for(lambda s: not s.has_fault("rfid_reader_failure"), 5)
    assert state.has_fault("payment_terminal_failure")
    # a model without the key answers as for any unknown key
    r = await csms.command(
        wb.charger_id, c16.ChangeConfiguration(key="HX_TerminalRestart", value="true")
    )
    assert r.status == "NotSupported"


async def test_a_restart_clears_a_hung_terminal_by_chance_and_never_a_broken_one(
    csms: MiniCSMS, make_fleet
) -> None:
    p = plan("kestrel_kx300", "2.0.1")
    fleet = await make_fleet([p], outcomes="field", seed=4, speed=100_000)
    ch = fleet.charger(p.charger_id)
    outcomes: Counter[tuple[str, bool]] = Counter()
    for cause in ("terminal_app_hang",) * 30 + ("terminal_broken",) * 10:
        ch.inject_now("payment_terminal_failure", cause=cause)
        ch.peripheral_back(ch.plan.model.peripheral_restarts[0])  # the terminal is back
        outcomes[(cause, not ch.true_state().has_fault("payment_terminal_failure"))] += 1
        ch.clear_fault("payment_terminal_failure")  # by hand, before the next one
    assert outcomes[("terminal_broken", True)] == 0
    # p 0.85 a restart: most hung terminals come back, not all
    assert 0 < outcomes[("terminal_app_hang", False)] < outcomes[("terminal_app_hang", True)]


def test_the_catalogue_names_the_keys_the_simulated_firmware_takes() -> None:
    """What ChargeFix knows (the catalogue's vendor tables) is what the simulated models do."""
    catalogue = load_catalogue()
    for model in CHARGER_MODELS:
        known = {
            (r.fault, r.key16, r.key201, r.value)
            for key in {f.fault for f in model.peripheral_restarts}
            | {
                "payment_terminal_failure",
                "rfid_reader_failure",
            }
            if (r := catalogue.peripheral_restart(model.vendor, model.model, key)) is not None
        }
        simulated = {(r.fault, r.key16, r.key201, r.value) for r in model.peripheral_restarts}
        assert known == simulated, model.model
