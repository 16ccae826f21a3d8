"""Field outcomes: ambiguous faces, resets that help with a probability, faults that come back,
site visits that do not always fix (``FleetConfig.outcomes = "field"``, seeded)."""

from __future__ import annotations

from collections import Counter

from ocpp.v16 import call as c16

from app.simulator.faults import HARD_RESET, SOFT_RESET, UNLOCK, fault_catalogue
from tests.simulator.conftest import plan
from tests.simulator.mini_csms import MiniCSMS


def test_one_face_hides_causes_with_different_cures() -> None:
    causes = {c.key: c for c in fault_catalogue()["firmware_hang"].field_causes()}
    assert len(causes) >= 3
    assert 0.8 <= causes["firmware_hang"].p_clear(SOFT_RESET) < 1.0
    assert causes["power_module_failure"].p_clear(HARD_RESET) == 0.0
    assert causes["firmware_hang"].remote_fixable
    assert not causes["power_module_failure"].remote_fixable
    assert causes["control_board_failure"].visit_ftf < 1.0
    # a cause that a reset clears only for a while is not remote-fixable
    damaged = {c.key: c for c in fault_catalogue()["over_current"].field_causes()}
    assert not damaged["damaged_power_stage"].remote_fixable
    for spec in fault_catalogue().values():
        for cause in spec.field_causes():
            assert cause.weight > 0 and 0 <= cause.recur_p <= 1 and 0 < cause.visit_ftf <= 1
            assert all(0 <= p <= 1 for _a, p in cause.clear_p), (spec.key, cause.key)
            lo, hi = cause.recur_delay_s
            assert 0 < lo <= hi, (spec.key, cause.key)


def draw_causes(fleet, charger_id: str, n: int) -> list[str]:
    ch = fleet.charger(charger_id)
    causes = []
    for _ in range(n):
        ch.inject_now("firmware_hang")
        causes.append(fleet.truth.tail(1, charger_id, "fault_injected")[0]["cause"])
        while ch.faults:
            ch.site_visit()
    return causes


async def test_causes_are_drawn_from_the_seed(csms: MiniCSMS, make_fleet) -> None:
    p = plan("voltara_wb22", "1.6")
    first = draw_causes(await make_fleet([p], outcomes="field", seed=3), p.charger_id, 30)
    again = draw_causes(await make_fleet([p], outcomes="field", seed=3), p.charger_id, 30)
    other = draw_causes(await make_fleet([p], outcomes="field", seed=4), p.charger_id, 30)
    assert first == again
    assert first != other
    assert set(first) == {"firmware_hang", "power_module_failure", "control_board_failure"}


async def test_a_site_visit_does_not_always_fix(csms: MiniCSMS, make_fleet) -> None:
    p = plan("voltara_wb22", "1.6")
    fleet = await make_fleet([p], outcomes="field", seed=5)
    ch = fleet.charger(p.charger_id)
    visits = Counter()
    for _ in range(40):
        ch.inject_now("firmware_hang", cause="control_board_failure")
        n = 0
        while ch.faults:
            n += 1
            ch.site_visit()
        visits[n] += 1
    first_time = visits[1] / 40
    assert 0.35 <= first_time <= 0.85, visits  # visit_ftf 0.6
    assert any(n > 1 for n in visits)
    unfixed = [r for r in fleet.truth.tail(0, p.charger_id, "site_visit") if r["unfixed"]]
    assert unfixed and unfixed[0]["unfixed"] == ["firmware_hang"]


async def test_a_reset_never_fixes_a_failed_power_module(csms: MiniCSMS, make_fleet) -> None:
    p = plan("voltara_wb22", "1.6")
    fleet = await make_fleet([p], outcomes="field", seed=1)
    ch = fleet.charger(p.charger_id)
    ch.inject_now("firmware_hang", cause="power_module_failure")
    await csms.command(p.charger_id, c16.Reset(type="Hard"))
    state = await ch.wait_for(lambda s: s.boot_count == 2 and s.online, timeout=5)
    assert state.has_fault("firmware_hang")
    injected = fleet.truth.tail(1, p.charger_id, "fault_injected")[0]
    assert injected["cause"] == "power_module_failure" and injected["remote_fixable"] is False


async def test_an_unlock_helps_by_chance_and_the_fault_may_come_back(
    csms: MiniCSMS, make_fleet
) -> None:
    p = plan("voltara_wb22", "1.6")
    fleet = await make_fleet([p], outcomes="field", seed=2, speed=100_000)
    ch = fleet.charger(p.charger_id)
    tries = Counter()
    for _ in range(40):
        ch.inject_now("connector_lock_failure", 1, cause="lock_actuator_stuck")
        n = 0
        while ("connector_lock_failure", 1) in ch.faults:
            n += 1
            ch.unlock(1)
            if n > 30:
                break
        tries[n] += 1
        ch.site_visit()  # fix for good before the next injection
    assert tries[1] < 40 and sum(tries.values()) == 40  # p = 0.8, not certain
    cleared = fleet.truth.tail(0, p.charger_id, "fault_cleared")
    by_unlock = [r for r in cleared if r["how"] == UNLOCK]
    assert any(r["permanent"] is False for r in by_unlock)  # recur_p 0.2: back later
    assert any(r["permanent"] is True for r in by_unlock)
