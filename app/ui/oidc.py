"""Single sign-on via ``st.login`` (OIDC): off unless ``[auth]`` is set in Streamlit secrets.

After the company sign-in, Streamlit holds the person's ID token (``st.user.tokens["id"]``,
only when ``expose_tokens = "id"`` is in ``[auth]``). The app hands it to
``POST /api/auth/oidc``; the backend verifies it and answers a session token exactly like a
local sign-in, which is kept in session state. A refused token is not retried on every rerun:
the person sees why and can sign out of the company account or use a local account.
"""

from __future__ import annotations

import hashlib
from typing import Any

import streamlit as st

from app.ui.api_client import ApiClient, ApiError, BackendUnavailable
from app.ui.common import AUTH_KEY, api

REFUSED_KEY = "oidc_refused"  # (digest of the refused ID token, message)


def oidc_configured() -> bool:
    try:
        return bool(st.secrets.get("auth"))
    except Exception:  # no secrets file at all
        return False


def oidc_signed_in() -> bool:
    """Signed in at the identity provider (whether or not the backend accepted it)."""
    return oidc_configured() and bool(getattr(st.user, "is_logged_in", False))


def exchange_id_token(client: ApiClient, id_token: str) -> dict[str, Any]:
    """The backend's session for this ID token: ``{token, name, display_name, role}``."""
    return client.post("/api/auth/oidc", {"id_token": id_token})


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def oidc_sign_in() -> None:
    """The company sign-in button, or (once signed in there) the exchange for a session."""
    user: Any = st.user
    if not getattr(user, "is_logged_in", False):
        st.button(
            "Sign in with your company account",
            on_click=st.login,
            key="oidc_login",
            icon=":material/badge:",
            width="stretch",
        )
        return
    id_token = (user.tokens or {}).get("id") if hasattr(user, "tokens") else None
    who = user.get("email") or user.get("name") or "you"
    if not id_token:
        st.error(
            f"Signed in as {who}, but the app cannot see the ID token: the admin must add "
            'expose_tokens = "id" to [auth] in .streamlit/secrets.toml. '
            "Use your ChargeFix user name meanwhile."
        )
        st.button("Sign out of the company account", on_click=st.logout, key="oidc_logout")
        return
    refused = st.session_state.get(REFUSED_KEY)
    if refused and refused[0] == _digest(id_token):
        _refused(who, refused[1])
        return
    try:
        with st.spinner("Signing you in..."):
            session = exchange_id_token(api(), id_token)
    except BackendUnavailable:
        raise
    except ApiError as error:
        st.session_state[REFUSED_KEY] = (_digest(id_token), error.message)
        _refused(who, error.message)
        return
    st.session_state.pop(REFUSED_KEY, None)
    st.session_state[AUTH_KEY] = session
    st.rerun()


def _refused(who: str, message: str) -> None:
    st.error(
        f"Signed in as {who}, but ChargeFix refused the company sign-in: {message}. "
        "Sign out of the company account and try again, or use your ChargeFix user name."
    )
    st.button("Sign out of the company account", on_click=st.logout, key="oidc_logout")
