"""Staying signed in across a page reload: a one-use resume secret, never a bearer token."""

from __future__ import annotations

from app.security.users import add_user
from tests.conftest import RunningBackend


async def test_resume_secret_signs_back_in_once_and_opens_nothing_else(
    backend: RunningBackend,
) -> None:
    add_user(backend.state.session_factory, "pat", "partner-pass-1", "partner", "Pat")
    async with backend.client() as anon:
        anon.headers.pop("Authorization")
        login = await anon.post(
            "/api/auth/login", json={"username": "pat", "password": "partner-pass-1"}
        )
        token = login.json()["token"]
        signed = {"Authorization": f"Bearer {token}"}
        grant = await anon.post("/api/auth/resume/grant", headers=signed)
        assert grant.status_code == 200, grant.text
        secret = grant.json()["resume"]
        assert grant.json()["max_age_seconds"] == 12 * 3600
        # the secret is no bearer token
        as_bearer = await anon.get("/api/auth/me", headers={"Authorization": f"Bearer {secret}"})
        assert as_bearer.status_code == 401
        resumed = await anon.post("/api/auth/resume", json={"resume": secret})
        assert resumed.status_code == 200, resumed.text
        body = resumed.json()
        assert body["name"] == "pat" and body["role"] == "partner"
        assert body["display_name"] == "Pat" and body["resume"] != secret
        me = await anon.get("/api/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
        assert me.json() == {"name": "pat", "role": "partner", "qualifications": []}
        # one use only: a copied cookie replayed after the app used it is refused
        again = await anon.post("/api/auth/resume", json={"resume": secret})
        assert again.status_code == 401 and "sign in again" in again.text
        # sign-out revokes the next secret too
        out = await anon.post(
            "/api/auth/logout",
            json={"resume": body["resume"]},
            headers={"Authorization": f"Bearer {body['token']}"},
        )
        assert out.status_code == 204
        after = await anon.post("/api/auth/resume", json={"resume": body["resume"]})
        assert after.status_code == 401
        # script tokens (not a person) get no resume secret
        script = await anon.post(
            "/api/auth/resume/grant", headers={"Authorization": f"Bearer {backend.admin_token}"}
        )
        assert script.status_code == 403
