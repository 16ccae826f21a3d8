"""What a hidden cause leaves in the charger's own log (field mode: by chance, in the vendor's
wording, from the fault's own seed)."""

from __future__ import annotations

from app.simulator.evidence import BENIGN_KINDS, HARDWARE_KINDS, PHRASES
from app.simulator.faults import fault_catalogue
from app.simulator.models import CHARGER_MODELS
from tests.simulator.conftest import plan
from tests.simulator.mini_csms import MiniCSMS

HELION_PM = "DC output undervoltage, module disabled"


def injected(fleet, charger_id: str, fault: str, cause: str, n: int) -> list[tuple[str, ...]]:
    ch = fleet.charger(charger_id)
    out = []
    for _ in range(n):
        ch.inject_now(fault, cause=cause)
        out.append(next(iter(ch.faults.values())).evidence)
        while ch.faults:
            ch.site_visit()
    return out


def test_every_vendor_words_every_kind_its_own_way() -> None:
    assert {m.vendor for m in CHARGER_MODELS} == set(PHRASES)
    for kind in (*HARDWARE_KINDS, *BENIGN_KINDS):
        worded = {PHRASES[v][kind] for v in PHRASES}
        assert len(worded) == len(PHRASES), kind
    for spec in fault_catalogue().values():
        for cause in spec.field_causes():
            assert cause.trace is None or cause.trace in (*HARDWARE_KINDS, *BENIGN_KINDS)
            if cause.root_cause == "hardware" and not cause.remote_fixable and cause.trace:
                assert cause.trace in HARDWARE_KINDS and 0.5 <= cause.trace_p < 1.0
            if cause.misleading:
                assert cause.misleading in HARDWARE_KINDS and cause.misleading_p <= 0.1


async def test_a_failed_part_usually_leaves_its_vendors_line(csms: MiniCSMS, make_fleet) -> None:
    p = plan("helion_hx150", "1.6")
    fleet = await make_fleet([p], outcomes="field", seed=7)
    lines = injected(fleet, p.charger_id, "firmware_hang", "power_module_failure", 60)
    with_trace = [e for e in lines if any(HELION_PM in line for line in e)]
    assert 0.65 <= len(with_trace) / 60 < 1.0  # trace_p 0.85: some leave no trace
    # in the log the charger uploads, with the time the fault began
    ch = fleet.charger(p.charger_id)
    ch.inject_now("firmware_hang", cause="power_module_failure")
    text = ch.diagnostics_text()
    for line in next(iter(ch.faults.values())).evidence:
        assert line in text and "# error log" in text
    # the cause itself is not named anywhere in what the charger uploads
    assert "power_module_failure" not in text


async def test_a_firmware_hang_rarely_leaves_a_hardware_line(csms: MiniCSMS, make_fleet) -> None:
    p = plan("helion_hx150", "1.6")
    fleet = await make_fleet([p], outcomes="field", seed=8)
    lines = injected(fleet, p.charger_id, "firmware_hang", "firmware_hang", 80)
    misleading = [e for e in lines if any(HELION_PM in line for line in e)]
    assert len(misleading) / 80 <= 0.15  # misleading_p 0.05
    assert any("watchdog" in line for e in lines for line in e)


async def test_the_same_seed_leaves_the_same_lines(csms: MiniCSMS, make_fleet) -> None:
    p = plan("kestrel_kx300", "2.0.1")
    runs = []
    for seed in (3, 3, 4):
        fleet = await make_fleet([p], outcomes="field", seed=seed)
        ch = fleet.charger(p.charger_id)
        evidence = []
        for _ in range(20):
            ch.inject_now("over_current", 1)
            evidence.append(ch.faults[("over_current", 1)].evidence)
            while ch.faults:
                ch.site_visit()
        runs.append(evidence)
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]
