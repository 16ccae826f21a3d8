"""Hashing of secrets.

- People's passwords: scrypt (memory-hard, from the standard library), per-user salt.
- Machine secrets (charger passwords, API tokens): high-entropy random strings, so a salted
  HMAC-SHA256 is enough and keeps a 10,000-charger reconnect storm cheap. A charger password
  shorter than 16 characters is refused at registration (OCPP 1.6 security whitepaper:
  AuthorizationKey 16-40 characters).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
MIN_CHARGER_PASSWORD = 16


def hash_user_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P)
    return "scrypt$" + _b64(salt) + "$" + _b64(digest)


def verify_user_password(password: str, stored: str) -> bool:
    try:
        scheme, salt_b64, digest_b64 = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    digest = hashlib.scrypt(
        password.encode(), salt=_unb64(salt_b64), n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P
    )
    return hmac.compare_digest(digest, _unb64(digest_b64))


@functools.cache
def dummy_password_hash() -> str:
    """A real scrypt hash of a random password: unknown users are checked against it, so a
    failed sign-in takes as long whether the user exists or not."""
    return hash_user_password(secrets.token_urlsafe(16))


def hash_machine_secret(secret: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hmac.new(salt, secret.encode(), hashlib.sha256).digest()
    return "hmac-sha256$" + _b64(salt) + "$" + _b64(digest)


def verify_machine_secret(secret: str, stored: str) -> bool:
    try:
        scheme, salt_b64, digest_b64 = stored.split("$")
    except ValueError:
        return False
    if scheme != "hmac-sha256":
        return False
    digest = hmac.new(_unb64(salt_b64), secret.encode(), hashlib.sha256).digest()
    return hmac.compare_digest(digest, _unb64(digest_b64))


def token_digest(token: str) -> str:
    """Lookup key for an API token (tokens are 256-bit random: an unsalted digest is safe)."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(prefix: str = "cfx") -> str:
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def new_charger_password(length: int = 32) -> str:
    """A random Basic-auth password of ``length`` characters (a multiple of 4) of the URL-safe
    alphabet: letters, digits, '-' and '_' (all within the 2.0.1 identifierString)."""
    return secrets.token_urlsafe(length * 3 // 4)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode())
