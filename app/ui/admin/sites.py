"""Admin tab: every site with its chargers and partners; assign a site to a partner or take
it away (POST/DELETE /api/partners/{partner}/sites)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from app.ui.admin.shared import flash
from app.ui.common import api, call


def site_assignments(users: list[dict[str, Any]]) -> None:
    flash("adm_sites_flash")
    rows = call("load sites", api().get, "/api/sites") or []
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Site": s["site_id"],
                    "Name": s["name"],
                    "Chargers": s["chargers"],
                    "Partners": ", ".join(s["partners"]) or "none",
                }
                for s in rows
            ],
            columns=["Site", "Name", "Chargers", "Partners"],
        ),
        hide_index=True,
        width="stretch",
        key="adm_sites_table",
    )
    partners = [u["name"] for u in users if u["role"] == "partner"]
    if not partners or not rows:
        st.caption("Partner accounts and sites appear here once they exist.")
        return
    st.subheader("A partner's sites")
    c1, c2 = st.columns(2)
    partner = c1.selectbox("Partner", partners, key="adm_site_partner")
    site = c2.selectbox("Site", [s["site_id"] for s in rows], key="adm_site_pick")
    held = next((u["site_ids"] for u in users if u["name"] == partner), [])
    b1, b2 = st.columns(2)
    if b1.button("Assign the site", key="adm_site_assign", disabled=site in held):
        body = {"site_ids": [site]}
        if call("assign the site", api().post, f"/api/partners/{partner}/sites", body):
            st.session_state["adm_sites_flash"] = f"{site} assigned to {partner}."
            st.rerun()
    away = b2.button("Take the site away", key="adm_site_unassign", disabled=site not in held)
    if away and call("unassign the site", api().delete, f"/api/partners/{partner}/sites/{site}"):
        st.session_state["adm_sites_flash"] = f"{site} taken from {partner}."
        st.rerun()
