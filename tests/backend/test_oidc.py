"""POST /api/auth/oidc against a real OIDC provider on loopback (oidc-provider-mock)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from app.config import Settings
from app.security.oidc import KEY_CACHE, OIDC_PASSWORD_MARK
from app.security.users import add_user, list_users
from tests.conftest import RunningBackend, make_settings
from tests.oidc_mock import CLIENT_ID, MockProvider, mock_provider


@pytest.fixture(scope="module")
def provider() -> Iterator[MockProvider]:
    with mock_provider() as running:
        running.add_person(
            "ann", {"email": "Ann@Example.com", "email_verified": True, "name": "Ann Ops"}
        )
        running.add_person("ann-groups", {"email": "ann2@example.com", "groups": ["ops"]})
        running.add_person("ed", {"email": "ed@example.com", "chargefix_role": "editor"})
        running.add_person("stranger", {"email": "who@example.com", "groups": ["sales"]})
        running.add_person("carl", {"email": "carl@example.com"})
        running.add_person("unverified", {"email": "boss@example.com", "email_verified": False})
        yield running


@pytest.fixture
def settings(tmp_path: Path, provider: MockProvider) -> Settings:
    return make_settings(
        tmp_path,
        oidc_issuer=provider.url,
        oidc_client_id=CLIENT_ID,
        oidc_role_claim="chargefix_role",
        oidc_role_map={
            "ops": "consultant",
            "ann@example.com": "admin",
            "boss@example.com": "admin",
        },
    )


async def exchange(backend: RunningBackend, id_token: str, nonce: str | None = None):  # type: ignore[no-untyped-def]
    async with backend.client() as client:
        client.headers.pop("Authorization")
        body = {"id_token": id_token} | ({"nonce": nonce} if nonce else {})
        return await client.post("/api/auth/oidc", json=body)


async def test_valid_token_gives_a_session_with_the_mapped_role(
    backend: RunningBackend, provider: MockProvider
) -> None:
    r = await exchange(backend, provider.issue_id_token("ann"), nonce="n-0123456789")
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["name"], body["role"], body["display_name"]) == (
        "ann@example.com",
        "admin",
        "Ann Ops",
    )
    async with backend.client(body["token"]) as client:
        me = (await client.get("/api/auth/me")).json()
    assert me == {"name": "ann@example.com", "role": "admin", "qualifications": []}


async def test_role_from_groups_and_from_the_role_claim(
    backend: RunningBackend, provider: MockProvider
) -> None:
    r = await exchange(backend, provider.issue_id_token("ann-groups"))
    assert r.status_code == 200, r.text
    assert r.json()["role"] == "consultant"
    r = await exchange(backend, provider.issue_id_token("ed"))
    assert r.json()["role"] == "editor"


async def test_jwks_is_fetched_once_per_process(
    backend: RunningBackend, provider: MockProvider
) -> None:
    assert (await exchange(backend, provider.issue_id_token("ann"))).status_code == 200
    fetches = KEY_CACHE.fetches
    for _ in range(3):
        assert (await exchange(backend, provider.issue_id_token("ann"))).status_code == 200
    assert KEY_CACHE.fetches == fetches


async def test_wrong_audience_is_refused(backend: RunningBackend, provider: MockProvider) -> None:
    r = await exchange(backend, provider.issue_id_token("ann", client_id="some-other-app"))
    assert r.status_code == 401
    assert "audience" in r.json()["detail"] and "some-other-app" in r.json()["detail"]


async def test_expired_token_is_refused(
    backend: RunningBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    with mock_provider(token_max_age=timedelta(minutes=-5)) as old:
        old.add_person("ann", {"email": "ann@example.com"})
        monkeypatch.setattr(backend.state.settings, "oidc_issuer", old.url)
        r = await exchange(backend, old.issue_id_token("ann"))
    assert r.status_code == 401
    assert "expired" in r.json()["detail"]


async def test_wrong_issuer_is_refused(
    backend: RunningBackend, provider: MockProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the same provider under another name: same keys, but the token names the other issuer
    monkeypatch.setattr(backend.state.settings, "oidc_issuer", f"http://127.0.0.1:{provider.port}")
    r = await exchange(backend, provider.issue_id_token("ann"))
    assert r.status_code == 401
    assert "issued by" in r.json()["detail"] and provider.url in r.json()["detail"]


async def test_token_from_another_provider_fails_the_signature(
    backend: RunningBackend, provider: MockProvider
) -> None:
    with mock_provider() as other:
        other.add_person("ann", {"email": "ann@example.com"})
        forged = other.issue_id_token("ann")
    # put our issuer in the forged token's payload: the signature no longer matches
    header, payload, signature = forged.split(".")
    import base64
    import json

    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["iss"] = provider.url
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    r = await exchange(backend, f"{header}.{payload}.{signature}")
    assert r.status_code == 401
    assert "signature" in r.json()["detail"] or "key" in r.json()["detail"]


async def test_unknown_person_is_refused(backend: RunningBackend, provider: MockProvider) -> None:
    r = await exchange(backend, provider.issue_id_token("stranger"))
    assert r.status_code == 401
    assert "who@example.com has no ChargeFix role" in r.json()["detail"]


async def test_unverified_email_is_not_mapped(
    backend: RunningBackend, provider: MockProvider
) -> None:
    r = await exchange(backend, provider.issue_id_token("unverified"))
    assert r.status_code == 401
    assert "oidc:unverified" in r.json()["detail"]


async def test_nonce_must_match_when_given(backend: RunningBackend, provider: MockProvider) -> None:
    r = await exchange(backend, provider.issue_id_token("ann"), nonce="another-nonce")
    assert r.status_code == 401
    assert "nonce" in r.json()["detail"]


async def test_default_role_and_auto_created_record(
    backend: RunningBackend, provider: MockProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backend.state.settings, "oidc_default_role", "partner")
    monkeypatch.setattr(backend.state.settings, "oidc_create_users", True)
    r = await exchange(backend, provider.issue_id_token("stranger"))
    assert r.status_code == 200, r.text
    assert r.json()["role"] == "partner"
    users = {u.name: u for u in list_users(backend.state.session_factory)}
    assert users["who@example.com"].role == "partner"
    assert users["who@example.com"].password_hash == OIDC_PASSWORD_MARK
    async with backend.client() as client:
        login = await client.post(
            "/api/auth/login", json={"username": "who@example.com", "password": "x"}
        )
    assert login.status_code == 401  # the record has no usable password


async def test_local_account_role_applies_and_disabled_account_is_refused(
    backend: RunningBackend, provider: MockProvider
) -> None:
    factory = backend.state.session_factory
    add_user(factory, "carl@example.com", "carl-password-123", "editor")
    r = await exchange(backend, provider.issue_id_token("carl"))
    assert r.status_code == 200 and r.json()["role"] == "editor"
    from app.db.models import User

    with factory() as session, session.begin():
        session.get(User, "carl@example.com").active = False  # type: ignore[union-attr]
    r = await exchange(backend, provider.issue_id_token("carl"))
    assert r.status_code == 401 and "disabled" in r.json()["detail"]


async def test_not_configured_and_garbage(
    backend: RunningBackend, provider: MockProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = await exchange(backend, "not-a-jwt-at-all-" * 3)
    assert r.status_code == 401 and "not a JWT" in r.json()["detail"]
    monkeypatch.setattr(backend.state.settings, "oidc_role_map", {"ops": "boss"})
    r = await exchange(backend, provider.issue_id_token("ann"))
    assert r.status_code == 503 and "CHARGEFIX_OIDC_ROLE_MAP['ops']" in r.json()["detail"]
    monkeypatch.setattr(backend.state.settings, "oidc_issuer", None)
    r = await exchange(backend, provider.issue_id_token("ann"))
    assert r.status_code == 503 and "CHARGEFIX_OIDC_ISSUER" in r.json()["detail"]
