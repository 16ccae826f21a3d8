"""Admin, People tab: one account's role, whether it may sign in, or its removal (until now
`chargefix users add --replace|remove` only). The API refuses a change to your own access
and to the last active admin, and ends the person's sign-ins when the role or access
changes; this screen says so before the button is pressed."""

from __future__ import annotations

from typing import Any

import streamlit as st

from app.ui.admin.shared import removed
from app.ui.common import api, auth, call

ROLES = ["partner", "consultant", "editor", "admin"]


def account_access(users: list[dict[str, Any]]) -> None:
    st.subheader("Role, access or removal")
    names = [u["name"] for u in users]
    name = st.selectbox("Account", names, index=None, key="adm_acc_pick")
    if name is None:
        return
    user = next(u for u in users if u["name"] == name)
    if name == (auth() or {}).get("name"):
        st.caption("This is your own account: another admin changes its role or access.")
        return
    role = st.selectbox("Role", ROLES, index=ROLES.index(user["role"]), key=f"adm_acc_role_{name}")
    active = st.toggle("May sign in", value=bool(user["active"]), key=f"adm_acc_active_{name}")
    st.caption("A new role or taking access away signs the person out at once.")
    changed = (role, active) != (user["role"], bool(user["active"]))
    if st.button("Save role and access", key="adm_acc_save", disabled=not changed):
        body = {"role": role, "active": active}
        done = call("change the account", api().patch, f"/api/users/{name}", body)
        if done:
            access = "may sign in" if done["active"] else "may not sign in"
            st.session_state["adm_flash"] = f"{name} is now {done['role']} and {access}."
            st.rerun()
    sure = st.checkbox(
        "Yes, remove this account (its qualifications and sites go with it)",
        key=f"adm_acc_sure_{name}",
    )
    if st.button("Remove the account", key="adm_acc_remove", disabled=not sure) and removed(
        "remove the account", f"/api/users/{name}"
    ):
        st.session_state["adm_flash"] = f"Removed {name}."
        st.session_state.pop("adm_acc_pick", None)
        st.rerun()
