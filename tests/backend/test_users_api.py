"""Admins list and create accounts over the API (the admin screen's backend)."""

from __future__ import annotations

import pytest

from app.security.tokens import login
from app.security.users import LastAdmin, add_user, change_user, remove_user
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


async def test_admin_changes_a_role_deactivates_and_removes_and_sign_ins_end(
    backend: RunningBackend,
) -> None:
    await backend.register("SITE-002-AC-01")
    factory = backend.state.session_factory
    async with backend.client() as admin:
        body = {"name": "olga", "password": "olga-pass-123", "role": "partner"}
        assert (await admin.post("/api/users", json=body)).status_code == 201
        r = await admin.post("/api/partners/olga/sites", json={"site_ids": ["SITE-002"]})
        assert r.status_code == 200, r.text
        signed_in = login(factory, "olga", "olga-pass-123")
        assert signed_in is not None
        async with backend.client(signed_in[0]) as olga:
            assert (await olga.get("/api/sessions")).status_code == 200
            # a new role ends the sign-in made with the old one
            r = await admin.patch("/api/users/olga", json={"role": "consultant"})
            assert r.status_code == 200, r.text
            assert r.json()["role"] == "consultant"
            assert (await olga.get("/api/sessions")).status_code == 401
        again = login(factory, "olga", "olga-pass-123")
        assert again is not None and again[1].role == "consultant"
        r = await admin.patch("/api/users/olga", json={"active": False})
        assert r.status_code == 200 and r.json()["active"] is False
        async with backend.client(again[0]) as olga:
            assert (await olga.get("/api/sessions")).status_code == 401
        assert login(factory, "olga", "olga-pass-123") is None
        r = await admin.patch("/api/users/olga", json={"display_name": "Olga K."})
        assert r.json()["display_name"] == "Olga K." and r.json()["active"] is False
        # bad input names what is wrong
        bad = await admin.patch("/api/users/olga", json={"role": "boss"})
        assert bad.status_code == 422 and "'boss' is not one of" in bad.text
        extra = await admin.patch("/api/users/olga", json={"password": "x"})
        assert extra.status_code == 422
        assert (await admin.patch("/api/users/nobody", json={"active": True})).status_code == 404
        # removed: its qualifications and sites go with it
        assert (await admin.delete("/api/users/olga")).status_code == 204
        assert "olga" not in {u["name"] for u in (await admin.get("/api/users")).json()}
        assert backend.state.scope.sites_of("olga") == set()
        assert (await admin.delete("/api/users/olga")).status_code == 404
        audit = (await admin.get("/api/audit", params={"target": "olga"})).json()
    actions = [row["action"] for row in audit]
    assert {"user.change", "user.remove"} <= set(actions), actions
    for role in ("partner", "consultant", "editor"):
        async with backend.client(backend.token(role, name=f"{role}-2")) as other:
            assert (await other.patch("/api/users/olga", json={"active": True})).status_code == 403
            assert (await other.delete("/api/users/olga")).status_code == 403


async def test_an_admin_keeps_their_own_access_and_the_last_admin_stays(
    backend: RunningBackend,
) -> None:
    factory = backend.state.session_factory
    add_user(factory, "ada", "ada-pass-1234", "admin")
    ada = login(factory, "ada", "ada-pass-1234")
    assert ada is not None
    async with backend.client(ada[0]) as client:
        for change in ({"role": "partner"}, {"active": False}):
            r = await client.patch("/api/users/ada", json=change)
            assert r.status_code == 409 and "your own account" in r.text
        assert (await client.delete("/api/users/ada")).status_code == 409
        shown = await client.patch("/api/users/ada", json={"display_name": "Ada L."})
        assert shown.status_code == 200  # one's own shown name is fine
    # ada is the only admin account: neither the API (another admin token) nor the CLI's
    # function removes or demotes her
    async with backend.client() as script_admin:
        r = await script_admin.patch("/api/users/ada", json={"role": "editor"})
        assert r.status_code == 409 and "last active admin" in r.text
        assert (await script_admin.delete("/api/users/ada")).status_code == 409
    with pytest.raises(LastAdmin):
        remove_user(factory, "ada")
    add_user(factory, "bea", "bea-pass-1234", "admin")
    assert change_user(factory, "ada", role="editor").role == "editor"
