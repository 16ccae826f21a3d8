"""Long memory, the fleet and standing problems (issue 13), on a real backend with EVerest
frames: a chronic fault (cleared days ago, back now), one code on many chargers of one model
and firmware (a fleet pattern), and a 2.0.1 base report naming a problem (NotifyReport).
Each test fails if its rule (or the NotifyReport reading) is removed.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import UTC, datetime
from typing import Any

from ocpp.v201 import call as call201

from app.db.models import FaultRow
from tests.chargers import eventually, now
from tests.diagnosis.test_real_faces import (
    CATALOGUE,
    FAST,
    charger_at,
    closed,
    commands,
    rows,
    send_cx16,
)

DAY = 86400.0
SCALE = FAST["diagnosis_time_scale"]


def earlier_fault(backend: Any, charger_id: str, code: str, days_ago: float) -> None:
    """An occurrence of ``code`` cleared ``days_ago`` (on the diagnosis clock, which runs
    SCALE times faster), written where the recorder writes faults: the faults table."""
    cleared = time.time() - days_ago * DAY / SCALE
    with backend.state.session_factory() as db:
        db.add(
            FaultRow(
                uid=f"earlier-{charger_id}-{days_ago}",
                charger_id=charger_id,
                connector_id=1,
                source="StatusNotification",
                error_code="OverCurrentFailure",
                vendor_error_code=code,
                raised_at=datetime.fromtimestamp(cleared - 60, UTC),
                cleared_at=datetime.fromtimestamp(cleared, UTC),
            )
        )
        db.commit()


async def sent_by_diagnosis(backend: Any, charger_id: str) -> list[str]:
    return [c.command for c in await commands(backend, charger_id) if c.origin == "diagnosis"]


# -- chronic ------------------------------------------------------------------------------------
async def test_fault_back_ten_days_after_its_clear_is_chronic(make_backend) -> None:
    """CX004 (reset_safe on its own) cleared 10 days ago and back: escalated with its history,
    no reset."""
    backend = await make_backend(**FAST)
    earlier_fault(backend, "SITE-820-DC-01", "CX004", days_ago=10)
    async with charger_at(backend, "SITE-820-DC-01") as charger:
        await send_cx16(charger, CATALOGUE.chargex["CX004"])
        row = await eventually(lambda: closed(backend, "SITE-820-DC-01"), timeout=30)
        assert (row.rule_id, row.status) == ("chronic-fault", "escalated")
        history = [e for e in row.evidence if e.get("kind") == "history"]
        assert [h["uid"] for h in history[0]["occurrences"]] == ["earlier-SITE-820-DC-01-10"]
        assert "History: 1 earlier occurrence" in (row.outcome_note or "")
        assert "reset" not in await sent_by_diagnosis(backend, "SITE-820-DC-01")
        assert "Reset" not in [name for name, _ in charger.received]


async def test_fault_cleared_forty_days_ago_is_not_chronic(make_backend) -> None:
    backend = await make_backend(**FAST)
    earlier_fault(backend, "SITE-821-DC-01", "CX004", days_ago=40)
    async with charger_at(backend, "SITE-821-DC-01") as charger:
        await send_cx16(charger, CATALOGUE.chargex["CX004"])
        row = await eventually(lambda: rows(backend, "SITE-821-DC-01"), timeout=30)
        assert row[0].rule_id != "chronic-fault", row[0].rule_id


# -- fleet pattern ------------------------------------------------------------------------------
async def test_one_code_on_chargers_of_one_model_and_firmware_is_one_pattern(make_backend) -> None:
    """Three chargers of one model and firmware, on three sites (not a site-wide fault),
    report CX004 together: one fleet-pattern finding covering all three, no per-charger reset."""
    backend = await make_backend(**FAST)
    ids = [f"SITE-{830 + n}-DC-01" for n in range(3)]
    async with contextlib.AsyncExitStack() as stack:
        chargers = [await stack.enter_async_context(charger_at(backend, i)) for i in ids]
        await asyncio.gather(*(send_cx16(c, CATALOGUE.chargex["CX004"]) for c in chargers))
        await eventually(lambda: any(closed(backend, i) for i in ids), timeout=30)
        await asyncio.sleep(0.5)  # time for any per-charger diagnosis to (wrongly) open
        found = [r for i in ids for r in rows(backend, i)]
        assert [r.rule_id for r in found] == ["fleet-pattern"], [
            (r.charger_id, r.rule_id) for r in found
        ]
        assert found[0].subject == "pattern:Everest-DC:VT-WB 3.4.2:CX004"
        group = [e for e in found[0].evidence if e.get("kind") == "group"]
        assert group[0]["chargers"] == ids
        for i, charger in zip(ids, chargers, strict=True):
            assert "Reset" not in [name for name, _ in charger.received], i


async def test_same_code_on_another_firmware_is_no_pattern(make_backend) -> None:
    backend = await make_backend(**FAST)
    ids = [f"SITE-{840 + n}-DC-01" for n in range(3)]
    async with contextlib.AsyncExitStack() as stack:
        chargers = [
            await stack.enter_async_context(
                charger_at(backend, i, model="Everest-DC" if n < 2 else "Everest-AC")
            )
            for n, i in enumerate(ids)
        ]
        await asyncio.gather(*(send_cx16(c, CATALOGUE.chargex["CX004"]) for c in chargers))
        await eventually(lambda: all(rows(backend, i) for i in ids), timeout=30)
        assert "fleet-pattern" not in [r.rule_id for i in ids for r in rows(backend, i)]


# -- standing problems from the 2.0.1 base report ----------------------------------------------
async def test_base_report_problem_becomes_a_fault_and_a_diagnosis(make_backend) -> None:
    """At boot ChargeFix asks for the base report; the station answers with NotifyReport. An
    item whose Problem flag is Actual "true" is a standing problem: an open fault with its
    catalogue class and a diagnosis. A flag reported "false" and a plain value raise nothing."""
    backend = await make_backend(**FAST)
    async with charger_at(backend, "SITE-850-DC-01", "2.0.1") as charger:
        await charger.status(1, "Available")
        asked = await eventually(
            lambda: next((kw for name, kw in charger.received if name == "GetBaseReport"), None)
        )
        await charger.call(
            call201.NotifyReport(
                request_id=asked["request_id"],
                generated_at=now(),
                seq_no=0,
                tbc=False,
                report_data=[
                    {
                        "component": {"name": "PowerContactor", "evse": {"id": 1}},
                        "variable": {"name": "Problem"},
                        "variable_attribute": [{"type": "Actual", "value": "true"}],
                    },
                    {
                        "component": {"name": "EVSE", "evse": {"id": 1}},
                        "variable": {"name": "Problem"},
                        "variable_attribute": [{"type": "Actual", "value": "false"}],
                    },
                    {
                        "component": {"name": "EVSE", "evse": {"id": 1}},
                        "variable": {"name": "AvailabilityState"},
                        "variable_attribute": [{"type": "Actual", "value": "Available"}],
                    },
                ],
            )
        )
        faults = backend.state.live.get("SITE-850-DC-01").open_faults
        assert [(f.component, f.variable, f.evse_id) for f in faults] == [
            ("PowerContactor", "Problem", 1)
        ]
        assert faults[0].classification.safety_class == "never_reset"
        row = await eventually(lambda: closed(backend, "SITE-850-DC-01"), timeout=30)
        assert (row.catalogue_entry, row.safety_class) == (
            faults[0].classification.entry_id,
            "never_reset",
        )
        assert row.responsible == "charger_maker"
        assert "Reset" not in [name for name, _ in charger.received]
