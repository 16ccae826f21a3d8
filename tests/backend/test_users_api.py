"""Admins list and create accounts over the API (the admin screen's backend)."""

from __future__ import annotations

from app.security.tokens import login
from tests.conftest import RunningBackend


async def test_admin_lists_and_creates_accounts(backend: RunningBackend) -> None:
    await backend.register("SITE-001-AC-01")  # a site exists once a charger is on it
    async with backend.client() as admin:
        body = {"name": "nora", "password": "nora-pass-123", "role": "partner"}
        made = await admin.post("/api/users", json={**body, "display_name": "Nora (partner)"})
        assert made.status_code == 201, made.text
        assert made.json()["role"] == "partner" and "password" not in made.text
        assert login(backend.state.session_factory, "nora", "nora-pass-123") is not None
        again = await admin.post("/api/users", json=body)
        assert again.status_code == 409 and "already exists" in again.text
        bad = await admin.post("/api/users", json={**body, "name": "x", "role": "boss"})
        assert bad.status_code == 422 and "'boss' is not one of" in bad.text
        short = await admin.post("/api/users", json={**body, "name": "y", "password": "short"})
        assert short.status_code == 422
        r = await admin.post("/api/users/nora/qualifications", json={"add": ["electrician"]})
        assert r.status_code == 200, r.text
        r = await admin.post("/api/partners/nora/sites", json={"site_ids": ["SITE-001"]})
        assert r.status_code == 200, r.text
        listed = {u["name"]: u for u in (await admin.get("/api/users")).json()}
        assert listed["nora"]["qualifications"] == ["electrician"]
        assert listed["nora"]["site_ids"] == ["SITE-001"]
        assert listed["nora"]["display_name"] == "Nora (partner)"
    for role in ("partner", "consultant", "editor"):
        async with backend.client(backend.token(role, name=f"{role}-1")) as other:
            assert (await other.get("/api/users")).status_code == 403
            assert (await other.post("/api/users", json=body)).status_code == 403
