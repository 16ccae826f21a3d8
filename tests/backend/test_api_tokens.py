"""Admins make, list and revoke API tokens for scripts over the API (the admin screen's
backend; until now `chargefix tokens create` only)."""

from __future__ import annotations

from app.security.tokens import login, token_row_id
from app.security.users import add_user
from tests.conftest import RunningBackend


async def test_admin_makes_lists_and_revokes_a_script_token(backend: RunningBackend) -> None:
    async with backend.client() as admin:
        made = await admin.post(
            "/api/api-tokens", json={"name": "grafana export", "role": "consultant", "days": 30}
        )
        assert made.status_code == 201, made.text
        token = made.json()
        assert token["token"] and token["role"] == "consultant" and token["expires_at"]
        async with backend.client(token["token"]) as script:
            assert (await script.get("/api/chargers")).status_code == 200
            assert (await script.get("/api/users")).status_code == 403  # its role, no more
            listed = (await admin.get("/api/api-tokens")).json()
            mine = next(t for t in listed if t["id"] == token["id"])
            assert mine["name"] == "grafana export" and mine["revoked"] is False
            assert all("token" not in t for t in listed)  # the secret is shown once only
            r = await admin.delete(f"/api/api-tokens/{token['id']}")
            assert r.status_code == 200 and r.json()["revoked"] is True
            assert (await script.get("/api/chargers")).status_code == 401
        audit = (await admin.get("/api/audit", params={"action": "api_token"})).json()
        assert [a["action"] for a in audit][:2] == ["api_token.revoke", "api_token.create"]
        assert token["token"] not in str(audit)  # never the secret
        # bad input names the field
        for body, word in (
            ({"name": "x", "role": "boss"}, "'boss' is not one of"),
            ({"name": "session:bob", "role": "admin"}, "name"),
            ({"name": "x", "role": "admin", "days": 0}, "days"),
            ({"name": "x", "role": "admin", "days": 3651}, "days"),
        ):
            r = await admin.post("/api/api-tokens", json=body)
            assert r.status_code == 422 and word in r.text, (body, r.text)
        assert (await admin.delete("/api/api-tokens/999999")).status_code == 404


async def test_sign_ins_are_neither_listed_nor_revoked_here(backend: RunningBackend) -> None:
    factory = backend.state.session_factory
    add_user(factory, "sam", "sam-pass-1234", "partner")
    signed_in = login(factory, "sam", "sam-pass-1234")
    assert signed_in is not None
    async with backend.client() as admin:
        listed = (await admin.get("/api/api-tokens")).json()
        assert not [t for t in listed if "sam" in t["name"]]
        session_id = token_row_id(factory, signed_in[0])
        assert session_id not in {t["id"] for t in listed}
        assert (await admin.delete(f"/api/api-tokens/{session_id}")).status_code == 404
    async with backend.client(signed_in[0]) as sam:
        assert (await sam.get("/api/sessions")).status_code == 200
    for role in ("partner", "consultant", "editor"):
        async with backend.client(backend.token(role, name=f"{role}-3")) as other:
            assert (await other.get("/api/api-tokens")).status_code == 403
            body = {"name": "x", "role": "admin"}
            assert (await other.post("/api/api-tokens", json=body)).status_code == 403
