"""A non-reset action that did not take is tried once more; a reset never is
(``policy.plan_ladder``, ``vocabulary.RETRYABLE_STEPS``)."""

from __future__ import annotations

from typing import Any

from app.diagnosis.policy import plan_ladder
from tests.chargers import connected, eventually
from tests.diagnosis.test_real_faces import FAST, closed, commands


def test_unlock_and_availability_cycle_get_a_second_try_resets_do_not() -> None:
    assert plan_ladder(["unlock", "site_visit"], None).ladder == (
        "unlock",
        "unlock",
        "site_visit",
    )
    assert plan_ladder(["trigger_status", "availability_cycle", "site_visit"], None).ladder == (
        "trigger_status",
        "availability_cycle",
        "availability_cycle",
        "site_visit",
    )
    plan = plan_ladder(["soft_reset", "hard_reset", "site_visit"], None)
    assert sum(step.endswith("_reset") for step in plan.ladder) == 1


async def test_a_stuck_lock_frees_on_the_second_unlock(make_backend: Any) -> None:
    backend = await make_backend(**FAST)
    cid = "SITE-730-AC-01"
    await backend.register(cid)
    async with connected(backend.ocpp_url, cid, "1.6") as charger:
        await charger.boot()
        charger.unlock_answers = ["UnlockFailed"]  # the actuator does not move the first time
        charger.status_after_unlock = "Available"
        await charger.status(1, "Faulted", "ConnectorLockFailure")
        row = await eventually(lambda: closed(backend, cid), timeout=30)
    sent = [c.command for c in commands(backend, cid) if c.origin == "diagnosis"]
    assert sent.count("unlock_connector") == 2, sent
    assert "reset" not in sent
    assert row.rule_id == "connector-lock-failure" and row.status == "resolved", row.outcome_note
