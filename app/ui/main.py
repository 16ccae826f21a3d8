"""ChargeFix app entry: sign-in, then the pages of the person's role (``st.navigation``).

Run with ``chargefix ui`` (or ``streamlit run app/ui/main.py``); the API is found at
``CHARGEFIX_API_URL``. The UI talks to the backend only through the REST API.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import streamlit as st

from app.ui.api_client import ApiError, BackendUnavailable
from app.ui.common import AUTH_KEY, api, auth, style
from app.ui.keep_signed_in import (
    SECRET,
    browser_side,
    forget_resume,
    grant_resume,
    resume_from_cookie,
)
from app.ui.navigation import pages_for
from app.ui.oidc import oidc_configured, oidc_sign_in, oidc_signed_in
from app.ui.wording import plain

PAGES = Path(__file__).parent / "pages"


def sign_in_page() -> None:
    st.title("ChargeFix")
    st.subheader("Sign in")
    with st.form("sign_in", border=True):
        username = st.text_input("User name", key="signin_user", autocomplete="username")
        password = st.text_input(
            "Password", type="password", key="signin_password", autocomplete="current-password"
        )
        submitted = st.form_submit_button("Sign in", type="primary", width="stretch")
    if submitted:
        if not username or not password:
            st.error("Type your user name and password.")
        else:
            try:
                st.session_state[AUTH_KEY] = api().login(username.strip(), password)
            except BackendUnavailable:
                raise
            except ApiError as error:
                st.error(f"Sign-in failed: {plain(error.message)}. Check both and try again.")
            else:
                st.session_state.pop("signin_password", None)
                st.rerun()
    if oidc_configured():
        st.divider()
        oidc_sign_in()


def sign_out() -> None:
    with contextlib.suppress(ApiError):
        api().post("/api/auth/logout", {"resume": st.session_state.get(SECRET)})
    company = oidc_signed_in()
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    forget_resume()
    if company:  # else the sign-in page would exchange the company sign-in again at once
        st.logout()
    st.rerun()


@st.fragment(run_every=3)
def _reconnect() -> None:
    """While the backend is away: check every 3 s and reload the page when it is back."""
    if api().health():
        st.rerun(scope="app")
    st.caption("Retrying every 3 s...")


def backend_lost(error: BackendUnavailable) -> None:
    st.error(
        f"No connection to the ChargeFix server. {error.message} {error.hint}",
        icon=":material/cloud_off:",
    )
    _reconnect()


def main() -> None:
    st.set_page_config(
        page_title="ChargeFix",
        page_icon=":material/ev_station:",
        layout="wide",
        initial_sidebar_state="collapsed",
    )
    style()
    person = auth() or resume_from_cookie()
    if person is not None:
        grant_resume()
    browser_side()
    if person is None:
        nav = st.navigation([st.Page(sign_in_page, title="Sign in", icon=":material/login:")])
    else:
        pages = [
            st.Page(PAGES / file, title=title, icon=icon)
            for file, title, icon in pages_for(person["role"])
        ]
        nav = st.navigation(pages, position="top")
        with st.sidebar:
            st.text(f"{person.get('display_name') or person['name']}\nrole: {person['role']}")
            if st.button("Sign out", icon=":material/logout:", key="sign_out"):
                sign_out()
    try:
        nav.run()
    except BackendUnavailable as error:
        backend_lost(error)


main()
