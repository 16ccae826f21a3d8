"""Admin tab: API tokens for scripts (until now `chargefix tokens create` only): the list,
a new one (its secret shown once), and revoking one."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.ui.admin.accounts import ROLES
from app.ui.admin.shared import flash, when
from app.ui.common import api, call
from app.ui.wording import plain


def api_tokens() -> None:
    flash("adm_api_flash")
    secret = st.session_state.pop("adm_api_secret", None)
    if secret:
        st.warning(
            plain(f"Token for {secret['name']}, shown once: put it in the script's settings."),
            icon=":material/key:",
        )
        st.code(secret["token"], language=None)
    rows = call("load API tokens", api().get, "/api/api-tokens") or []
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Id": t["id"],
                    "For": t["name"],
                    "Role": t["role"],
                    "Made": when(t["created_at"]),
                    "Expires": when(t.get("expires_at")) or "never",
                    "Revoked": "yes" if t["revoked"] else "no",
                }
                for t in rows
            ],
            columns=["Id", "For", "Role", "Made", "Expires", "Revoked"],
        ),
        hide_index=True,
        width="stretch",
        height=250,
        key="adm_api_table",
    )
    left, right = st.columns(2)
    with left, st.form("adm_api_new", clear_on_submit=True):
        st.subheader("New token for a script")
        name = st.text_input("What it is for (e.g. grafana export)", key="adm_api_name")
        role = st.selectbox("Role", ROLES, key="adm_api_role")
        days = st.number_input("Valid for days (0: never expires)", 0, 3650, 90, key="adm_api_days")
        if st.form_submit_button("Make the token", icon=":material/key:"):
            body = {"name": name.strip(), "role": role, "days": int(days) or None}
            made = call("make the token", api().post, "/api/api-tokens", body)
            if made:
                st.session_state["adm_api_secret"] = made
                st.session_state["adm_api_flash"] = f"Made token {made['id']} for {made['name']}."
                st.rerun()
    with right:
        st.subheader("Revoke")
        live = {t["id"]: t for t in rows if not t["revoked"]}
        chosen = st.selectbox(
            "Token",
            list(live),
            index=None,
            key="adm_api_pick",
            format_func=lambda i: f"{i}: {live[i]['name']} ({live[i]['role']})",
        )
        st.caption("A script using it is refused at its next request.")
        if st.button("Revoke the token", key="adm_api_revoke", disabled=chosen is None):
            done = call("revoke the token", api().delete, f"/api/api-tokens/{chosen}")
            if done:
                st.session_state["adm_api_flash"] = f"Revoked token {chosen}."
                st.session_state.pop("adm_api_pick", None)
                st.rerun()
