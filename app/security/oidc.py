"""Single sign-on: verify an OIDC ID token and turn the person into a ChargeFix role.

The app signs people in at the company's identity provider (``st.login``) and hands the ID
token to ``POST /api/auth/oidc``. Here the token is verified against the issuer's discovery
document and JWKS (signature, issuer, audience, expiry, nonce) and the person is mapped to a
role: the role claim, then the group/e-mail map, then a local account of the same name, then
the default role; nobody else gets in. Settings: ``CHARGEFIX_OIDC_*`` in :mod:`app.config`.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from joserfc import jwt
from joserfc.errors import (
    ClaimError,
    ExpiredTokenError,
    InvalidKeyIdError,
    JoseError,
)
from joserfc.jwk import KeySet
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.db.base import utcnow
from app.db.models import User
from app.security.roles import ALL_ROLES
from app.security.tokens import SESSION_HOURS, create_token

# Asymmetric algorithms only: "none" and HS* (shared secret) are never accepted.
SAFE_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
LEEWAY_SECONDS = 60  # clock skew allowed on exp / iat / nbf
# When one person maps to several roles, the first in this order wins.
ROLE_PRECEDENCE = ("admin", "consultant", "editor", "partner")
OIDC_PASSWORD_MARK = "oidc$none$none"  # password hash of records made here: never matches


class OidcError(Exception):
    """Sign-in refused; ``status`` is the HTTP status, the message says what is wrong."""

    def __init__(self, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class _Provider:
    issuer: str
    algorithms: list[str]
    keys: KeySet
    fetched_at: float


class OidcKeyCache:
    """Discovery document and JWKS per issuer, fetched once per process.

    Refetched after ``ttl`` seconds, or when a token names a key id the cached set lacks
    (key rotation), but at most every ``min_refresh`` seconds.
    """

    def __init__(self, ttl: float = 3600.0, min_refresh: float = 30.0, timeout: float = 10.0):
        self.ttl = ttl
        self.min_refresh = min_refresh
        self.timeout = timeout
        self.fetches = 0  # how many times a JWKS was downloaded (tests check the cache)
        self._providers: dict[str, _Provider] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._providers.clear()

    def provider(self, issuer: str, *, refresh: bool = False) -> _Provider:
        with self._lock:
            cached = self._providers.get(issuer)
            now = time.monotonic()
            fresh = cached is not None and now - cached.fetched_at < self.ttl
            may_refresh = cached is None or now - cached.fetched_at >= self.min_refresh
            if cached is not None and fresh and not (refresh and may_refresh):
                return cached
            provider = self._fetch(issuer)
            self._providers[issuer] = provider
            return provider

    def _fetch(self, issuer: str) -> _Provider:
        url = issuer.rstrip("/") + "/.well-known/openid-configuration"
        try:
            with httpx.Client(timeout=self.timeout) as client:
                doc = _json_object(client.get(url), url)
                doc_issuer = str(doc.get("issuer") or "")
                if doc_issuer.rstrip("/") != issuer.rstrip("/"):
                    raise OidcError(
                        f"the discovery document at {url} names issuer {doc_issuer!r}, not "
                        f"{issuer!r}: check CHARGEFIX_OIDC_ISSUER",
                        503,
                    )
                jwks_uri = doc.get("jwks_uri")
                if not isinstance(jwks_uri, str):
                    raise OidcError(f"the discovery document at {url} has no jwks_uri", 503)
                jwks = _json_object(client.get(jwks_uri), jwks_uri)
        except httpx.HTTPError as error:
            raise OidcError(
                f"the identity provider at {url} does not answer ({type(error).__name__}); "
                "try again in a minute",
                503,
            ) from error
        try:
            keys = KeySet.import_key_set(jwks)  # type: ignore[arg-type]
        except (JoseError, KeyError, TypeError, ValueError) as error:
            raise OidcError(f"the JWKS at {jwks_uri} holds no usable key ({error})", 503) from error
        offered = doc.get("id_token_signing_alg_values_supported") or ["RS256"]
        algorithms = [alg for alg in offered if alg in SAFE_ALGORITHMS]
        if not algorithms:
            raise OidcError(f"the provider signs ID tokens only with {offered}; need RS/PS/ES", 503)
        self.fetches += 1
        return _Provider(doc_issuer, algorithms, keys, time.monotonic())


def _json_object(response: httpx.Response, url: str) -> dict[str, Any]:
    if response.status_code != 200:
        raise OidcError(f"{url} answered HTTP {response.status_code}", 503)
    try:
        body = response.json()
    except ValueError as error:
        raise OidcError(f"{url} did not answer JSON", 503) from error
    if not isinstance(body, dict):
        raise OidcError(f"{url} did not answer a JSON object", 503)
    return body


KEY_CACHE = OidcKeyCache()


def settings_problems(settings: Settings) -> list[str]:
    """What is wrong with the OIDC settings (each names its variable); [] when usable."""
    problems = []
    if not settings.oidc_issuer:
        problems.append("CHARGEFIX_OIDC_ISSUER is not set (OIDC sign-in is off)")
    if not settings.oidc_client_id and not settings.oidc_audience:
        problems.append("set CHARGEFIX_OIDC_CLIENT_ID (or CHARGEFIX_OIDC_AUDIENCE)")
    if settings.oidc_default_role is not None and settings.oidc_default_role not in ALL_ROLES:
        problems.append(
            f"CHARGEFIX_OIDC_DEFAULT_ROLE: unknown role {settings.oidc_default_role!r}; "
            f"roles: {', '.join(ALL_ROLES)}"
        )
    for key, role in settings.oidc_role_map.items():
        if role not in ALL_ROLES:
            problems.append(
                f"CHARGEFIX_OIDC_ROLE_MAP[{key!r}]: unknown role {role!r}; "
                f"roles: {', '.join(ALL_ROLES)}"
            )
    return problems


def _unverified_claims(id_token: str) -> dict[str, Any]:
    """The payload without checking anything: only to word an error before verification."""
    try:
        payload = id_token.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError) as error:
        raise OidcError("the ID token is not a JWT (three dot-separated parts)") from error
    if not isinstance(data, dict):
        raise OidcError("the ID token payload is not a JSON object")
    return data


def verify_id_token(
    id_token: str,
    settings: Settings,
    *,
    nonce: str | None = None,
    cache: OidcKeyCache = KEY_CACHE,
    now: float | None = None,
) -> dict[str, Any]:
    """The verified claims of ``id_token``, or :class:`OidcError` naming what is wrong."""
    problems = settings_problems(settings)
    if problems:
        raise OidcError("OIDC sign-in is not configured: " + "; ".join(problems), 503)
    issuer = str(settings.oidc_issuer)
    peek = _unverified_claims(id_token)
    if str(peek.get("iss", "")).rstrip("/") != issuer.rstrip("/"):
        raise OidcError(
            f"the ID token was issued by {peek.get('iss')!r}, not by the configured issuer "
            f"{issuer!r}"
        )
    provider = cache.provider(issuer)
    try:
        try:
            token = jwt.decode(id_token, provider.keys, algorithms=provider.algorithms)
        except InvalidKeyIdError:  # the provider may have rotated its keys
            provider = cache.provider(issuer, refresh=True)
            token = jwt.decode(id_token, provider.keys, algorithms=provider.algorithms)
    except InvalidKeyIdError as error:
        raise OidcError(
            f"the ID token is signed with a key the issuer does not publish ({error})"
        ) from error
    except JoseError as error:
        raise OidcError(f"the ID token signature is not valid ({error})") from error
    claims = token.claims
    audiences = settings.oidc_audience or [str(settings.oidc_client_id)]
    registry = jwt.JWTClaimsRegistry(
        now=int(now) if now is not None else None,
        leeway=LEEWAY_SECONDS,
        iss={"essential": True, "value": provider.issuer},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
    )
    try:
        registry.validate(claims)
    except ExpiredTokenError as error:
        expired = int((now or time.time()) - float(claims["exp"]))
        raise OidcError(
            f"the ID token expired {expired} s ago; sign out of the company account and in again"
        ) from error
    except ClaimError as error:
        raise OidcError(
            f"the ID token claim {error.claim!r} is not valid ({error.description})"
        ) from error
    token_aud = claims.get("aud")
    token_auds = [token_aud] if isinstance(token_aud, str) else list(token_aud or [])
    if not set(token_auds) & set(audiences):
        raise OidcError(
            f"the ID token is for audience {token_auds}, not for this app ({audiences}): "
            "check CHARGEFIX_OIDC_CLIENT_ID / CHARGEFIX_OIDC_AUDIENCE"
        )
    if len(token_auds) > 1 and claims.get("azp") not in audiences:
        raise OidcError(f"the ID token's authorized party {claims.get('azp')!r} is not this app")
    if nonce is not None and claims.get("nonce") != nonce:
        raise OidcError("the ID token's nonce does not match this sign-in; sign in again")
    return claims


def person_name(claims: dict[str, Any]) -> str:
    """The person's ChargeFix user name: the verified e-mail, else ``oidc:<sub>``."""
    email = claims.get("email")
    if isinstance(email, str) and email and claims.get("email_verified") is not False:
        return email.strip().lower()[:100]
    return f"oidc:{claims['sub']}"[:100]


def _values(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return []


def _best(roles: list[str]) -> str | None:
    for role in ROLE_PRECEDENCE:
        if role in roles:
            return role
    return None


def map_role(
    claims: dict[str, Any], settings: Settings, local_role: str | None = None
) -> str | None:
    """The person's role: role claim, else group/e-mail map, else local account, else default."""
    if settings.oidc_role_claim:
        role = _best(_values(claims.get(settings.oidc_role_claim)))
        if role:
            return role
    mapping = {key.lower(): role for key, role in settings.oidc_role_map.items()}
    keys = [g.lower() for g in _values(claims.get(settings.oidc_groups_claim))]
    email = claims.get("email")
    if isinstance(email, str) and claims.get("email_verified") is not False:
        keys.append(email.strip().lower())
    role = _best([mapping[k] for k in keys if k in mapping])
    return role or local_role or settings.oidc_default_role


@dataclass(frozen=True)
class OidcSignIn:
    token: str
    name: str
    display_name: str | None
    role: str


def sign_in(
    session_factory: sessionmaker[Session],
    settings: Settings,
    id_token: str,
    *,
    nonce: str | None = None,
    cache: OidcKeyCache = KEY_CACHE,
) -> OidcSignIn:
    """Verify the ID token, map the person to a role and open a session like a local login."""
    claims = verify_id_token(id_token, settings, nonce=nonce, cache=cache)
    name = person_name(claims)
    display = claims.get("name") or claims.get("preferred_username") or name
    with session_factory() as session, session.begin():
        record = session.get(User, name)
        if record is not None and not record.active:
            raise OidcError(f"the ChargeFix account {name} is disabled; ask an admin")
        # a local password account's role counts; a record made here only mirrors the mapping
        local_role = (
            record.role
            if record is not None and record.password_hash != OIDC_PASSWORD_MARK
            else None
        )
        role = map_role(claims, settings, local_role)
        if role is None:
            raise OidcError(
                f"{name} has no ChargeFix role: no role claim, not in CHARGEFIX_OIDC_ROLE_MAP, "
                "no local account and no CHARGEFIX_OIDC_DEFAULT_ROLE; ask an admin to add you"
            )
        if record is None and settings.oidc_create_users:
            session.add(
                User(
                    name=name,
                    display_name=str(display)[:200],
                    role=role,
                    password_hash=OIDC_PASSWORD_MARK,
                    active=True,
                )
            )
        elif record is not None and record.password_hash == OIDC_PASSWORD_MARK:
            record.role = role
            record.display_name = str(display)[:200]
    token = create_token(
        session_factory,
        name=f"session:{name}",
        role=role,
        expires_at=utcnow() + timedelta(hours=SESSION_HOURS),
        user_name=name,
    )
    return OidcSignIn(token=token, name=name, display_name=str(display), role=role)
