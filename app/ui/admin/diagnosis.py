"""Admin tab: the self-diagnosis kill switch and dry run, and who changed them."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.ui.admin.shared import detail_words, flash, when
from app.ui.common import api, call


def self_diagnosis() -> None:
    flash("adm_diag_flash")
    policy = call("load the self-diagnosis policy", api().get, "/api/diagnosis/policy")
    if policy is None:
        return
    st.caption(
        f"{policy['rules']} rules loaded · {policy['active']} remediations in progress · "
        f"at most {policy['max_resets_per_day']} resets a day per charger"
    )
    kill = st.toggle(
        "Kill switch: self-diagnosis sends nothing to any charger",
        value=bool(policy["kill_switch"]),
        key="adm_diag_kill",
    )
    dry = st.toggle(
        "Dry run: diagnose and log what would be sent, send nothing",
        value=bool(policy["dry_run"]),
        key="adm_diag_dry",
    )
    changed = (kill, dry) != (bool(policy["kill_switch"]), bool(policy["dry_run"]))
    if st.button("Save", key="adm_diag_save", disabled=not changed, icon=":material/save:"):
        body = {"kill_switch": kill, "dry_run": dry}
        flags = call("change the policy", api().patch, "/api/diagnosis/policy", body)
        if flags:
            st.session_state["adm_diag_flash"] = (
                f"Kill switch {'on' if flags['kill_switch'] else 'off'}, "
                f"dry run {'on' if flags['dry_run'] else 'off'}."
            )
            st.rerun()
    history = call("load the policy history", api().get, "/api/diagnosis/audit", limit=50) or []
    if history:
        st.subheader("Who changed it")
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "When": when(h["at"]),
                        "Who": h["actor"],
                        "What": h["action"].replace("_", " "),
                        "Change": detail_words(h.get("detail")),
                    }
                    for h in history
                ]
            ),
            hide_index=True,
            width="stretch",
        )
