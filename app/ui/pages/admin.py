"""Admin: people, their roles (changed, access taken away, removed), qualifications and
sites; sites, chargers, driver cards, API tokens, self-diagnosis and the audit
(``app/ui/admin/``), until now CLI only."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from app.ui.admin.accounts import ROLES, account_access
from app.ui.admin.api_tokens import api_tokens
from app.ui.admin.audit import audit
from app.ui.admin.cards import driver_cards
from app.ui.admin.chargers import chargers
from app.ui.admin.diagnosis import self_diagnosis
from app.ui.admin.sites import site_assignments
from app.ui.common import api, auth, call


def people(users: list[dict[str, Any]]) -> None:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "name": u["name"],
                    "shown as": u.get("display_name") or "",
                    "role": u["role"],
                    "active": "yes" if u["active"] else "no",
                    "qualifications": ", ".join(u["qualifications"]) or "none",
                    "sites": ", ".join(u["site_ids"]) or "-",
                }
                for u in users
            ]
        ),
        hide_index=True,
    )


def new_account() -> None:
    with st.form("adm_new", clear_on_submit=True):
        st.subheader("New account")
        c1, c2 = st.columns(2)
        name = c1.text_input("User name", key="adm_name")
        shown = c2.text_input("Shown as", key="adm_display")
        role = c1.selectbox("Role", ROLES, key="adm_role")
        password = c2.text_input("First password (8+ characters)", type="password", key="adm_pw")
        if st.form_submit_button("Create account", icon=":material/person_add:"):
            body = {"name": name, "password": password, "role": role, "display_name": shown}
            made = call("create the account", api().post, "/api/users", body)
            if made:
                st.session_state["adm_flash"] = f"Created {made['name']} ({made['role']})."
                st.rerun()


def edit_account(users: list[dict[str, Any]]) -> None:
    st.subheader("Qualifications and sites")
    names = [u["name"] for u in users]
    if not names:
        return
    name = st.selectbox("Person", names, key="adm_person")
    user = next(u for u in users if u["name"] == name)
    vocabulary = call("load qualifications", api().get, "/api/qualifications") or []
    options = [q["name"] for q in vocabulary]
    chosen = st.multiselect(
        "Qualifications",
        options,
        default=[q for q in user["qualifications"] if q in options],
        key=f"adm_quals_{name}",
        format_func=lambda q: next(
            (f"{q}: {v['description']}" for v in vocabulary if v["name"] == q), q
        ),
    )
    sites = st.text_input(
        "Sites (partners only; comma separated, e.g. SITE-001, SITE-002)",
        value=", ".join(user["site_ids"]),
        key=f"adm_sites_{name}",
        disabled=user["role"] != "partner",
    )
    if st.button("Save changes", key="adm_save", icon=":material/save:"):
        held = set(user["qualifications"])
        change = {"add": sorted(set(chosen) - held), "remove": sorted(held - set(chosen))}
        ok = call("change qualifications", api().post, f"/api/users/{name}/qualifications", change)
        wanted = {s.strip() for s in sites.split(",") if s.strip()}
        if ok is not None and user["role"] == "partner":
            for site in sorted(set(user["site_ids"]) - wanted):
                call("unassign a site", api().delete, f"/api/partners/{name}/sites/{site}")
            if wanted - set(user["site_ids"]):
                body = {"site_ids": sorted(wanted)}
                call("assign sites", api().post, f"/api/partners/{name}/sites", body)
        if ok is not None:
            st.session_state["adm_flash"] = f"Saved {name}."
            st.rerun()


def main() -> None:
    if auth() is None:
        st.stop()
    st.title("Admin")
    flash = st.session_state.pop("adm_flash", None)
    if flash:
        st.success(flash)
    users = call("load accounts", api().get, "/api/users") or []
    tabs = st.tabs(
        ["People", "Sites", "Chargers", "Driver cards", "API tokens", "Self-diagnosis", "Audit"]
    )
    with tabs[0]:
        people(users)
        left, right = st.columns(2)
        with left:
            new_account()
        with right:
            edit_account(users)
        account_access(users)
    with tabs[1]:
        site_assignments(users)
    with tabs[2]:
        chargers()
    with tabs[3]:
        driver_cards()
    with tabs[4]:
        api_tokens()
    with tabs[5]:
        self_diagnosis()
    with tabs[6]:
        audit()


main()
