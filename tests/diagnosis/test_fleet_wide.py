"""A payment processor that goes down is one problem for the fleet, not one per terminal
(issue 15: the simulator's lost processor link was one terminal's; a real outage takes every
terminal that depends on the processor at once, across sites and models).

Real backend, scripted 2.0.1 chargers sending EVerest's payment terminal error (a
ChargingStation Problem, techCode the error type): terminals at several sites failing within
minutes open one ``payment-processor-outage`` diagnosis: no terminal restart, no hand-off per
terminal; a terminal whose own diagnosis opened first is stopped and pointed at it, and one
that fails later joins it. Each test fails without the rule or without the service's group
handling."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from app.diagnosis.engine import fleet_wide
from app.diagnosis.vocabulary import FleetWideCond
from tests.chargers import eventually
from tests.diagnosis.test_real_faces import (
    PAYMENT_ERROR,
    actions,
    charger_at,
    closed,
    rows,
    terminal_restarts,
)

# the terminals' own rule waits 60 s (0.6 s real here) and the outage's 5 s: time enough for
# the test's chargers to report together first, on a loaded machine too
SLOWER = {"diagnosis_time_scale": 100.0, "diagnosis_recovery_hold_seconds": 60.0}
KESTREL = {"version": "2.0.1", "model": "KX-300", "vendor": "Kestrel EV"}


async def fail(charger: Any, value: str = "true") -> None:
    await charger.problem(PAYMENT_ERROR, component="ChargingStation", evse_id=None, value=value)


def fleet_rows(backend: Any, ids: list[str]) -> list[Any]:
    return sorted((r for i in ids for r in rows(backend, i)), key=lambda r: r.id)


def test_a_group_needs_enough_chargers_on_enough_sites_within_the_window() -> None:
    cond = FleetWideCond(min_chargers=3, min_sites=2, within_s=900)
    seen = {"A-1": ("A", 1000.0), "A-2": ("A", 1100.0), "B-1": ("B", 1500.0)}
    assert fleet_wide(seen, 1000.0, cond, 1.0) == ("A-1", "A-2", "B-1")
    one_site = {**seen, "B-1": ("A", 1500.0)}
    assert fleet_wide(one_site, 1000.0, cond, 1.0) == ()  # a site's own problem
    late = {**seen, "B-1": ("B", 2000.0)}  # 1000 s after the subject fault: another story
    assert fleet_wide(late, 1000.0, cond, 1.0) == ()
    assert fleet_wide(late, 1000.0, cond, 0.5) == ("A-1", "A-2", "B-1")  # scaled windows


async def test_terminals_failing_at_two_sites_are_one_processor_outage(make_backend) -> None:
    """Three at a site that has no other charger (every charger of it faulted at once, as
    site-wide-fault reads a supply problem) and one at another: one processor outage."""
    backend = await make_backend(**SLOWER)
    ids = [*(f"SITE-975-HPC-0{n}" for n in (1, 2, 3)), "SITE-976-HPC-01"]
    async with contextlib.AsyncExitStack() as stack:
        chargers = [await stack.enter_async_context(charger_at(backend, i, **KESTREL)) for i in ids]
        await asyncio.gather(*(fail(c) for c in chargers))
        opened = await eventually(lambda: fleet_rows(backend, ids), timeout=15)
        outage = opened[0]
        assert (outage.rule_id, outage.subject) == (
            "payment-processor-outage",
            "fleet:payment_terminal_failure",
        )
        assert outage.responsible == "payment_provider"
        group = [e for e in outage.evidence if e.get("kind") == "group"]
        assert group and group[0]["chargers"] == ids
        async with backend.client() as api:  # each terminal lists the outage as its own
            for i in ids:
                listed = (await api.get(f"/api/chargers/{i}/diagnoses")).json()
                assert [d["id"] for d in listed] == [outage.id], i
        # it waits for the processor (30 min, 18 s here), well past the recovery hold
        await eventually(lambda: [a for a in actions(backend, outage.id) if a.step == "wait"])
        await asyncio.sleep(3 * SLOWER["diagnosis_recovery_hold_seconds"] / 100.0)
        assert closed(backend, outage.charger_id) is None
        for charger in chargers:  # the processor is back
            await fail(charger, "false")
        done = await eventually(lambda: closed(backend, outage.charger_id), timeout=30)
        assert done.status in ("resolved", "self_cleared"), done.status
        found = fleet_rows(backend, ids)
        assert [r.rule_id for r in found] == ["payment-processor-outage"], [
            (r.charger_id, r.rule_id) for r in found
        ]
        for i, charger in zip(ids, chargers, strict=True):
            assert terminal_restarts(charger) == [], i
            assert "Reset" not in [name for name, _ in charger.received], i


async def test_a_terminal_diagnosed_first_is_stopped_and_a_late_one_joins(make_backend) -> None:
    """The first terminal cannot be known to be part of an outage: its own diagnosis restarts
    it. When two more at other sites fail, the outage's diagnosis stops that one (closed as
    superseded, pointing at it); a fourth failing later is noted on the outage, not
    restarted."""
    backend = await make_backend(**SLOWER)
    ids = [f"SITE-{980 + n}-HPC-01" for n in range(4)]
    async with contextlib.AsyncExitStack() as stack:
        chargers = [await stack.enter_async_context(charger_at(backend, i, **KESTREL)) for i in ids]
        first, second, third, late = chargers
        await fail(first)
        await eventually(lambda: terminal_restarts(first), timeout=15)
        await fail(second)
        await fail(third)
        superseded = await eventually(lambda: closed(backend, ids[0]), timeout=15)
        assert superseded.status == "superseded", (
            superseded.status,
            [(a.step, a.outcome, a.detail) for a in actions(backend, superseded.id)],
            [(r.rule_id, r.charger_id, r.status) for r in fleet_rows(backend, ids)],
        )
        outage = next(
            r for r in fleet_rows(backend, ids) if r.rule_id == "payment-processor-outage"
        )
        assert f"see diagnosis #{outage.id}" in (superseded.outcome_note or "")
        await fail(late)
        noted = await eventually(
            lambda: [a for a in actions(backend, outage.id) if a.step == "seen_again"], timeout=15
        )
        assert ids[3] in (noted[0].detail or "")
        async with backend.client() as api:  # the late terminal finds the outage too
            listed = (await api.get(f"/api/chargers/{ids[3]}/diagnoses")).json()
            assert outage.id in [d["id"] for d in listed]
        found = fleet_rows(backend, ids)
        assert [r.rule_id for r in found] == [
            "payment-terminal-failure",
            "payment-processor-outage",
        ]
        for i, charger in zip(ids[1:], chargers[1:], strict=True):
            assert terminal_restarts(charger) == [], i


async def test_a_terminal_still_dead_after_the_outage_gets_its_own_diagnosis(
    make_backend,
) -> None:
    """The processor is back (the outage's diagnosis recovers) but one terminal still fails:
    after the recovery hold it is unparked and diagnosed on its own (restarted), and the
    outage's diagnosis says so. Without the release it stayed parked, diagnosed by nobody."""
    backend = await make_backend(**SLOWER)
    ids = [f"SITE-{985 + n}-HPC-01" for n in range(3)]
    async with contextlib.AsyncExitStack() as stack:
        chargers = dict(
            zip(
                ids,
                [await stack.enter_async_context(charger_at(backend, i, **KESTREL)) for i in ids],
                strict=True,
            )
        )
        await asyncio.gather(*(fail(c) for c in chargers.values()))
        outage = (await eventually(lambda: fleet_rows(backend, ids), timeout=15))[0]
        assert outage.rule_id == "payment-processor-outage"
        dead = next(i for i in ids if i != outage.charger_id)
        for cid, charger in chargers.items():
            if cid != dead:
                await fail(charger, "false")
        done = await eventually(lambda: closed(backend, outage.charger_id), timeout=30)
        assert done.status in ("resolved", "self_cleared"), done.status
        own = await eventually(
            lambda: [r for r in rows(backend, dead) if r.rule_id == "payment-terminal-failure"],
            timeout=15,
        )
        assert own[0].charger_id == dead
        await eventually(lambda: terminal_restarts(chargers[dead]), timeout=15)
        released = [a for a in actions(backend, outage.id) if a.step == "released"]
        assert [a.charger_id for a in released] == [dead]
        for cid, charger in chargers.items():
            if cid != dead:
                assert terminal_restarts(charger) == [], cid
