"""Admin routes the CLI alone had: sites with chargers and partners, a charger's new password,
the audit filtered; all admin only."""

from __future__ import annotations

import pytest
import websockets

from tests.chargers import connected


async def test_sites_list_chargers_and_partners(backend, api_client):
    await backend.register("SITE-007-AC-01")
    await backend.register("SITE-007-AC-02")
    await backend.register("SITE-008-AC-01")
    backend.token("partner", "piet", sites=("SITE-007",))
    sites = {s["site_id"]: s for s in (await api_client.get("/api/sites")).json()}
    assert sites["SITE-007"]["chargers"] == 2 and sites["SITE-007"]["partners"] == ["piet"]
    assert sites["SITE-008"]["chargers"] == 1 and sites["SITE-008"]["partners"] == []
    async with backend.client(backend.token("consultant")) as consultant:
        assert (await consultant.get("/api/sites")).status_code == 403
        assert (await consultant.get("/api/audit")).status_code == 403


async def test_new_charger_password_replaces_the_old(backend, api_client):
    await backend.register("SITE-007-AC-03")
    r = await api_client.post("/api/chargers/SITE-007-AC-03/password", json={})
    assert r.status_code == 200, r.text
    new = r.json()["password"]
    assert len(new) >= 16 and r.json()["site_id"] == "SITE-007"
    with pytest.raises(websockets.InvalidStatus):  # the old password is refused...
        async with connected(backend.ocpp_url, "SITE-007-AC-03"):
            pass
    async with connected(backend.ocpp_url, "SITE-007-AC-03", password=new) as charger:
        await charger.boot()  # ...the new one accepted
    r = await api_client.post("/api/chargers/SITE-007-AC-03/password", json={"password": "short"})
    assert r.status_code == 422 and "password" in r.text
    r = await api_client.post("/api/chargers/NO-SUCH-1/password", json={})
    assert r.status_code == 404 and "NO-SUCH-1" in r.text
    async with backend.client(backend.token("consultant")) as consultant:
        r = await consultant.post("/api/chargers/SITE-007-AC-03/password", json={})
        assert r.status_code == 403
    assert (await api_client.delete("/api/chargers/SITE-007-AC-03")).status_code == 204
    audit = (await api_client.get("/api/audit", params={"action": "charger."})).json()
    assert [(e["action"], e["target"], e["actor"]) for e in audit] == [
        ("charger.remove", "SITE-007-AC-03", "test-admin"),
        ("charger.password", "SITE-007-AC-03", "test-admin"),
    ]
    assert new not in str(audit)  # never the secret


async def test_audit_filters(backend, api_client):
    editor = backend.token("editor", "edna")
    async with backend.client(editor) as edna:
        r = await edna.post("/api/procedures/import")
        assert r.status_code == 200, r.text
    every = (await api_client.get("/api/audit")).json()
    assert every and every[0]["actor"] == "edna"
    assert (await api_client.get("/api/audit", params={"actor": "nobody"})).json() == []
    by_action = (await api_client.get("/api/audit", params={"action": "procedure."})).json()
    assert by_action and all(e["action"].startswith("procedure.") for e in by_action)
    r = await api_client.get("/api/audit", params={"action": "x" * 41})
    assert r.status_code == 422 and "action" in r.text
    page = (await api_client.get("/api/audit", params={"limit": 1})).json()
    older = (await api_client.get("/api/audit", params={"before_id": page[0]["id"]})).json()
    assert all(e["id"] < page[0]["id"] for e in older)


async def test_registering_a_charger_is_audited_without_its_password(backend, api_client):
    r = await api_client.post("/api/chargers", json={"charger_id": "SITE-009-AC-01"})
    assert r.status_code == 201, r.text
    audit = (await api_client.get("/api/audit", params={"target": "site-009-ac-01"})).json()
    assert [(e["action"], e["detail"]) for e in audit] == [
        ("charger.register", {"site_id": "SITE-009"})
    ]
    assert r.json()["password"] not in str(audit)
