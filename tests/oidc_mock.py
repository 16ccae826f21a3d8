"""A real OIDC provider on loopback (``oidc-provider-mock``) and a way to get ID tokens from it.

``issue_id_token`` runs the authorization-code flow over HTTP exactly as a browser + app
would (authorize with the person's ``sub``, then exchange the code at the token endpoint).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
from oidc_provider_mock import run_server_in_thread

CLIENT_ID = "chargefix-app"
REDIRECT_URI = "http://localhost:8501/oauth2callback"


@dataclass(frozen=True)
class MockProvider:
    url: str  # also the issuer: http://localhost:<port>
    port: int

    def add_person(self, sub: str, claims: dict[str, Any]) -> None:
        r = httpx.put(f"{self.url}/users/{sub}", json=claims, timeout=10)
        assert r.status_code == 204, r.text

    def issue_id_token(
        self, sub: str, client_id: str = CLIENT_ID, nonce: str | None = "n-0123456789"
    ) -> str:
        params = {
            "client_id": client_id,
            "redirect_uri": REDIRECT_URI,
            "response_type": "code",
            "scope": "openid email profile",
            "state": "s-1",
        }
        if nonce is not None:
            params["nonce"] = nonce
        with httpx.Client(base_url=self.url, timeout=10) as http:
            r = http.post("/oauth2/authorize", params=params, data={"sub": sub})
            assert r.status_code in (302, 303), r.text
            code = parse_qs(urlparse(r.headers["location"]).query)["code"][0]
            r = http.post(
                "/oauth2/token",
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": REDIRECT_URI,
                    "client_id": client_id,
                    "client_secret": "any-secret",
                },
            )
            assert r.status_code == 200, r.text
            return str(r.json()["id_token"])


@contextmanager
def mock_provider(token_max_age: timedelta = timedelta(hours=1)) -> Iterator[MockProvider]:
    with run_server_in_thread(port=0, access_token_max_age=token_max_age) as server:
        port = server.server_port
        yield MockProvider(url=f"http://localhost:{port}", port=port)
