"""Single sign-on via ``st.login`` (OIDC): off unless ``[auth]`` is set in Streamlit secrets.

The OIDC identity alone gives no API token: the backend must exchange it. This path calls
``POST /api/auth/oidc`` with the identity's claims; while the backend has no such endpoint,
the page says so and local sign-in stays the way in.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from app.ui.api_client import ApiError
from app.ui.common import AUTH_KEY, api


def oidc_configured() -> bool:
    try:
        return bool(st.secrets.get("auth"))
    except Exception:  # no secrets file at all
        return False


def oidc_sign_in() -> None:
    user: Any = st.user
    if not getattr(user, "is_logged_in", False):
        st.button("Sign in with your company account", on_click=st.login, key="oidc_login")
        return
    claims = dict(user.to_dict()) if hasattr(user, "to_dict") else {}
    try:
        st.session_state[AUTH_KEY] = api().post("/api/auth/oidc", {"claims": claims})
        st.rerun()
    except ApiError as error:
        st.warning(
            f"Signed in as {claims.get('email') or claims.get('name')}, but the server does not "
            f"accept company accounts yet ({error.message}). Use your ChargeFix user name."
        )
        st.button("Sign out of the company account", on_click=st.logout, key="oidc_logout")
