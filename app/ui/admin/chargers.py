"""Admin tab: register a charger, give it a new password (shown once), remove it."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.ui.admin.shared import flash, removed
from app.ui.common import api, call
from app.ui.wording import plain


def chargers() -> None:
    flash("adm_ch_flash")
    secret = st.session_state.pop("adm_ch_secret", None)
    if secret:
        st.warning(
            plain(f"Password for {secret['charger_id']}, shown once: set it in the charger."),
            icon=":material/key:",
        )
        st.code(secret["password"], language=None)
    rows = call("load chargers", api().get, "/api/chargers", limit=20000) or []
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Charger": c["charger_id"],
                    "Site": c.get("site_id") or "",
                    "Model": f"{c.get('vendor') or ''} {c.get('model') or ''}".strip(),
                    "Online": "yes" if c.get("online") else "no",
                }
                for c in rows
            ],
            columns=["Charger", "Site", "Model", "Online"],
        ),
        hide_index=True,
        width="stretch",
        height=250,
        key="adm_ch_table",
    )
    left, right = st.columns(2)
    with left, st.form("adm_ch_new", clear_on_submit=True):
        st.subheader("Register a charger")
        charger_id = st.text_input("Charger id (e.g. SITE-014-AC-03)", key="adm_ch_id")
        site = st.text_input("Site (empty: from the id)", key="adm_ch_site")
        vendor = st.text_input("Vendor", key="adm_ch_vendor")
        model = st.text_input("Model", key="adm_ch_model")
        if st.form_submit_button("Register", icon=":material/add:"):
            body = {
                "charger_id": charger_id.strip(),
                "site_id": site.strip() or None,
                "vendor": vendor.strip() or None,
                "model": model.strip() or None,
            }
            made = call("register the charger", api().post, "/api/chargers", body)
            if made:
                st.session_state["adm_ch_secret"] = made
                st.session_state["adm_ch_flash"] = f"Registered {made['charger_id']}."
                st.rerun()
    with right:
        st.subheader("Password or removal")
        ids = [c["charger_id"] for c in rows]
        chosen = st.selectbox("Charger", ids, index=None, key="adm_ch_pick")
        if st.button("Give it a new password", key="adm_ch_password", disabled=not chosen):
            made = call("set the password", api().post, f"/api/chargers/{chosen}/password", {})
            if made:
                st.session_state["adm_ch_secret"] = made
                st.session_state["adm_ch_flash"] = f"New password for {chosen}."
                st.rerun()
        sure = st.checkbox("Yes, remove it (it is disconnected at once)", key="adm_ch_sure")
        remove = st.button(
            "Remove the charger", key="adm_ch_remove", disabled=not (chosen and sure)
        )
        if remove and removed("remove the charger", f"/api/chargers/{chosen}"):
            st.session_state["adm_ch_flash"] = f"Removed {chosen}."
            st.session_state.pop("adm_ch_pick", None)
            st.session_state.pop("adm_ch_sure", None)
            st.rerun()
