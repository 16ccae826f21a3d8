"""REST API: tokens and roles, registration, filters, OpenAPI."""

from __future__ import annotations

import httpx

from tests.chargers import connected


async def test_api_needs_a_valid_token(backend):
    async with httpx.AsyncClient(base_url=backend.api_url) as anonymous:
        assert (await anonymous.get("/api/chargers")).status_code == 401
        bad = await anonymous.get("/api/chargers", headers={"Authorization": "Bearer nope"})
        assert bad.status_code == 401
        health = await anonymous.get("/api/health")
        assert health.status_code == 200 and health.json()["database"] == "ok"
        openapi = (await anonymous.get("/openapi.json")).json()
        assert "/api/chargers/{charger_id}/commands/{command}" in openapi["paths"]


async def test_register_and_remove_charger_admin_only(backend, api_client):
    async with backend.client(backend.token("partner")) as partner:
        denied = await partner.post("/api/chargers", json={"charger_id": "SITE-007-AC-01"})
        assert denied.status_code == 403
    created = await api_client.post(
        "/api/chargers", json={"charger_id": "SITE-007-AC-01", "vendor": "Voltara"}
    )
    assert created.status_code == 201
    password = created.json()["password"]
    assert len(password) >= 16
    duplicate = await api_client.post("/api/chargers", json={"charger_id": "SITE-007-AC-01"})
    assert duplicate.status_code == 409
    short = await api_client.post(
        "/api/chargers", json={"charger_id": "SITE-007-AC-02", "password": "short"}
    )
    assert short.status_code == 422
    async with connected(backend.ocpp_url, "SITE-007-AC-01", password=password) as charger:
        assert (await charger.boot()).status == "Accepted"
    assert (await api_client.delete("/api/chargers/SITE-007-AC-01")).status_code == 204
    assert (await api_client.get("/api/chargers/SITE-007-AC-01")).status_code == 404
    assert (await api_client.delete("/api/chargers/SITE-007-AC-01")).status_code == 404


async def test_list_filters(backend, api_client):
    for cid in ("SITE-008-AC-01", "SITE-008-DC-01", "SITE-009-AC-01"):
        await backend.register(cid)
    async with (
        connected(backend.ocpp_url, "SITE-008-AC-01") as ac,
        connected(backend.ocpp_url, "SITE-008-DC-01", "2.0.1") as dc,
    ):
        await ac.boot()
        await dc.boot()
        await ac.status(1, "Faulted", "HighTemperature", vendor_error_code="E-150")

        async def ids(**params):
            response = await api_client.get("/api/chargers", params=params)
            return [c["charger_id"] for c in response.json()]

        assert await ids(site="SITE-008") == ["SITE-008-AC-01", "SITE-008-DC-01"]
        assert await ids(online="false") == ["SITE-009-AC-01"]
        assert await ids(vendor="Helion Power") == ["SITE-008-DC-01"]
        assert await ids(has_fault="true") == ["SITE-008-AC-01"]
        assert await ids(q="e-150") == ["SITE-008-AC-01"]
        assert await ids(status="Faulted") == ["SITE-008-AC-01"]


async def test_login_with_local_account(backend):
    from app.security.users import add_user

    add_user(backend.state.session_factory, "pat", "partner-pass-1", "partner", "Pat Field")
    async with httpx.AsyncClient(base_url=backend.api_url) as client:
        wrong = await client.post("/api/auth/login", json={"username": "pat", "password": "nope"})
        assert wrong.status_code == 401
        ok = await client.post(
            "/api/auth/login", json={"username": "pat", "password": "partner-pass-1"}
        )
        assert ok.status_code == 200
        token = ok.json()["token"]
        me = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert me.json() == {"name": "pat", "role": "partner", "qualifications": []}
        await client.post("/api/auth/logout", headers={"Authorization": f"Bearer {token}"})
        after = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert after.status_code == 401
