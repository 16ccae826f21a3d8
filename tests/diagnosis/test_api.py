"""Diagnoses API: list with filters, per charger, policy switches for admins (audited)."""

from __future__ import annotations

from tests.diagnosis.conftest import plan
from tests.diagnosis.test_service import wait_diagnosis


async def test_diagnoses_api_and_policy(make_backend, make_fleet) -> None:
    backend = await make_backend()
    p = plan("voltara_wb22", "1.6")
    fleet = await make_fleet(backend, [p])
    fleet.charger(p.charger_id).inject_now("welded_contactor", 1)
    row = await wait_diagnosis(backend, p.charger_id, ("site_visit",))
    async with backend.client() as api:
        listed = (await api.get("/api/diagnoses", params={"status": "site_visit"})).json()
        assert [d["id"] for d in listed] == [row.id]
        assert (await api.get("/api/diagnoses", params={"charger_id": "nope"})).json() == []
        detail = (await api.get(f"/api/diagnoses/{row.id}")).json()
        assert [a["step"] for a in detail["actions"]][:2] == ["inoperative", "inoperative"]
        assert detail["rule_id"] == "welded-contactor" and detail["parts"]
        per_charger = (await api.get(f"/api/chargers/{p.charger_id}/diagnoses")).json()
        assert per_charger[0]["id"] == row.id
        assert (await api.get("/api/diagnoses/999999")).status_code == 404
        policy = (await api.get("/api/diagnosis/policy")).json()
        assert policy["kill_switch"] is False and policy["rules"] >= 30
        changed = await api.patch("/api/diagnosis/policy", json={"kill_switch": True})
        assert changed.json() == {"kill_switch": True, "dry_run": False}
        assert backend.state.diagnosis.kill_switch is True
        assert (await api.patch("/api/diagnosis/policy", json={"bogus": 1})).status_code == 422
        audit = (await api.get("/api/diagnosis/audit")).json()
        assert audit[0]["action"] == "policy.update" and audit[0]["detail"] == {"kill_switch": True}
    async with backend.client(backend.token("consultant")) as api:
        assert (await api.get("/api/diagnoses")).status_code == 200
        denied = await api.patch("/api/diagnosis/policy", json={"dry_run": True})
        assert denied.status_code == 403
    async with backend.client(backend.token("partner")) as api:
        assert (await api.get("/api/diagnoses")).status_code == 403
