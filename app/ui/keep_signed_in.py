"""Staying signed in across a page reload, and the offline banner: the app's browser side.

Why this way (security): the bearer token never leaves the app server (it lives in the
Streamlit session's memory). The browser keeps only a one-use *resume secret* in a cookie
(``SameSite=Strict``, ``Secure`` on HTTPS, expiring with the sign-in). On a new page load the
app reads it from the request (``st.context.cookies``) and spends it at ``POST
/api/auth/resume`` for a fresh session token and the next secret, which it writes back.
The secret opens nothing else (the API refuses it as a bearer token), a copy replayed after
the app used it is refused, and sign-out revokes it and clears the cookie.

Not chosen: the token in the URL (``st.query_params``) leaks into history, screenshots and
shared links; a cookie component from PyPI would set the same script-written cookie with one
more dependency. Streamlit cannot set an HttpOnly cookie, so a script on the page could read
the secret: the app renders no HTML from users or knowledge (all of it is plain text) and the
secret is worth one sign-in at most.
"""

from __future__ import annotations

import json
from typing import Any

import streamlit as st

from app.ui.api_client import ApiError, BackendUnavailable
from app.ui.common import AUTH_KEY, api

COOKIE = "chargefix_resume"
SECRET = "resume_secret"  # the current secret (session state)
WRITE = "resume_write"  # the cookie to write on this run: (value, max_age)
TRIED = "resume_tried"

OFFLINE_TEXT = (
    "No network: this tablet is offline. What you typed is kept; the screen catches up when "
    "the network is back."
)
_NETWORK = """
(function () {
  if (window.__cfxNetwork) return;
  window.__cfxNetwork = true;
  var bar = document.createElement('div');
  bar.id = 'cfx-offline';
  bar.setAttribute('role', 'alert');
  bar.textContent = %s;
  bar.style.cssText = 'position:fixed;top:0;left:0;right:0;z-index:1000000;display:none;' +
    'background:#b00020;color:#fff;font:600 1.05rem sans-serif;padding:14px 16px;' +
    'text-align:center';
  document.body.appendChild(bar);
  function show() { bar.style.display = navigator.onLine ? 'none' : 'block'; }
  window.addEventListener('online', show);
  window.addEventListener('offline', show);
  show();
})();
"""
_COOKIE = """
(function () {
  var secure = location.protocol === 'https:' ? '; Secure' : '';
  document.cookie = %s + '=' + %s + '; Max-Age=' + %d + '; Path=/; SameSite=Strict' + secure;
})();
"""


def resume_from_cookie() -> dict[str, Any] | None:
    """Sign the person back in from the browser's resume cookie (once per app session)."""
    secret = st.context.cookies.get(COOKIE)
    if not isinstance(secret, str) or not secret or st.session_state.get(TRIED):
        return None
    try:
        data = api().post("/api/auth/resume", {"resume": secret})
    except BackendUnavailable:
        raise
    except ApiError:
        st.session_state[TRIED] = True
        st.session_state[WRITE] = ("", 0)  # spent or revoked: clear it
        return None
    st.session_state[TRIED] = True
    st.session_state[AUTH_KEY] = {k: data[k] for k in ("token", "name", "display_name", "role")}
    st.session_state[SECRET] = data["resume"]
    st.session_state[WRITE] = (data["resume"], 12 * 3600)
    return st.session_state[AUTH_KEY]


def grant_resume() -> None:
    """After a sign-in: a resume secret for the cookie (once per sign-in)."""
    if SECRET in st.session_state:
        return
    try:
        grant = api().post("/api/auth/resume/grant")
    except BackendUnavailable:
        raise
    except ApiError:
        st.session_state[SECRET] = None  # e.g. a script token: no cookie, no retry
        return
    st.session_state[SECRET] = grant["resume"]
    st.session_state[WRITE] = (grant["resume"], int(grant["max_age_seconds"]))


def forget_resume() -> None:
    """At sign-out (session state is cleared after this): the next run clears the cookie."""
    st.session_state[WRITE] = ("", 0)
    st.session_state[TRIED] = True


def browser_side() -> None:
    """The one script of the app: the offline banner, and the resume cookie when it changed."""
    script = _NETWORK % json.dumps(OFFLINE_TEXT)
    write = st.session_state.pop(WRITE, None)
    if write is not None:
        value, max_age = write
        script += _COOKIE % (json.dumps(COOKIE), json.dumps(value), max_age)
    with st.container(key="cfx_client"):
        st.html(f"<script>{script}</script>", unsafe_allow_javascript=True)
