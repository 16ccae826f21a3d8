"""A non-reset action that did not take is tried once more; a reset never is
(``policy.plan_ladder``, ``vocabulary.RETRYABLE_STEPS``)."""

from __future__ import annotations

from typing import Any

from app.diagnosis.policy import plan_ladder
from app.fleet.model import FaultClassification
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


def test_a_peripheral_restart_survives_every_class_and_gets_a_second_try() -> None:
    """Restarting a terminal or reader re-energises nothing: it stays in the ladder of an
    outside_charger or never_reset fault, where every reset goes, and is tried twice."""
    for safety in ("outside_charger", "never_reset"):
        found = FaultClassification(
            fault_key="payment_terminal_failure",
            safety_class=safety,
            responsible="payment_provider",
            known=True,
        )
        plan = plan_ladder(["restart_peripheral", "hard_reset", "escalate"], found)
        assert plan.ladder == ("restart_peripheral", "restart_peripheral", "escalate"), safety
    reader = plan_ladder(
        ["restart_peripheral", "hard_reset", "site_visit"],
        FaultClassification(fault_key="rfid_reader_failure", safety_class="reset_safe", known=True),
    )
    assert reader.ladder == (
        "restart_peripheral",
        "restart_peripheral",
        "collect_logs",
        "read_logs",
        "hard_reset",
        "site_visit",
    )


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
    sent = [c.command for c in await commands(backend, cid) if c.origin == "diagnosis"]
    assert sent.count("unlock_connector") == 2, sent
    assert "reset" not in sent
    assert row.rule_id == "connector-lock-failure" and row.status == "resolved", row.outcome_note
