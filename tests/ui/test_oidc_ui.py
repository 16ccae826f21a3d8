"""Company sign-in in the app: st.user (faked by AppTest) holds a real ID token from a real
OIDC provider on loopback; the app exchanges it at the real backend for a session."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from streamlit.testing.v1 import AppTest

from tests.oidc_mock import CLIENT_ID, MockProvider, mock_provider
from tests.ui.conftest import MAIN, UiStack
from tests.ui.helpers import texts

SECRETS = {
    "auth": {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "test-cookie-secret-0123456789",
        "client_id": CLIENT_ID,
        "client_secret": "any-secret",
        "server_metadata_url": "http://localhost:1/.well-known/openid-configuration",
        "expose_tokens": "id",
    }
}


@pytest.fixture(scope="module")
def provider() -> Iterator[MockProvider]:
    with mock_provider() as running:
        running.add_person("olga", {"email": "olga@example.com", "name": "Olga", "groups": ["ops"]})
        running.add_person("nobody", {"email": "nobody@example.com"})
        yield running


@pytest.fixture
def oidc_backend(
    stack: UiStack, provider: MockProvider, monkeypatch: pytest.MonkeyPatch
) -> UiStack:
    assert stack.backend.state is not None
    settings = stack.backend.state.settings
    monkeypatch.setattr(settings, "oidc_issuer", provider.url)
    monkeypatch.setattr(settings, "oidc_client_id", CLIENT_ID)
    monkeypatch.setattr(settings, "oidc_role_map", {"ops": "consultant"})
    return stack


def company_app(user: dict[str, object]) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=30)
    at.secrets.update(SECRETS)
    at.user = user
    at.run()
    assert not at.exception, at.exception
    return at


def test_sign_in_page_offers_the_company_account(oidc_backend: UiStack) -> None:
    at = company_app({"is_logged_in": False})
    assert "Sign in with your company account" in [b.label for b in at.button]
    assert "auth" not in at.session_state


def test_company_sign_in_gives_an_api_session_with_the_mapped_role(
    oidc_backend: UiStack, provider: MockProvider
) -> None:
    id_token = provider.issue_id_token("olga")
    at = company_app(
        {"is_logged_in": True, "email": "olga@example.com", "tokens": {"id": id_token}}
    )
    session = at.session_state["auth"]
    assert (session["name"], session["role"]) == ("olga@example.com", "consultant")
    assert "User name" not in [t.label for t in at.text_input]  # past the sign-in page
    with httpx.Client(base_url=oidc_backend.api_url) as http:
        me = http.get("/api/auth/me", headers={"Authorization": f"Bearer {session['token']}"})
    assert me.json() == {"name": "olga@example.com", "role": "consultant", "qualifications": []}


def test_refused_person_sees_why_and_can_sign_out(
    oidc_backend: UiStack, provider: MockProvider
) -> None:
    at = company_app(
        {
            "is_logged_in": True,
            "email": "nobody@example.com",
            "tokens": {"id": provider.issue_id_token("nobody")},
        }
    )
    assert "auth" not in at.session_state
    shown = texts(at)
    assert "refused the company sign-in" in shown and "has no ChargeFix role" in shown
    assert "Sign out of the company account" in [b.label for b in at.button]
    at.run()  # the refused token is not sent again; the message stays
    assert "has no ChargeFix role" in texts(at)


def test_missing_expose_tokens_is_explained(oidc_backend: UiStack) -> None:
    at = company_app({"is_logged_in": True, "email": "olga@example.com"})
    assert "auth" not in at.session_state
    assert 'expose_tokens = "id"' in texts(at)
