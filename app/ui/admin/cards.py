"""Admin tab: driver cards (OCPP id tokens): add or change, block, remove."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.ui.admin.shared import flash, removed, when
from app.ui.common import api, call

CARD_STATUSES = ["Accepted", "Blocked", "Expired", "Invalid"]


def driver_cards() -> None:
    flash("adm_tok_flash")
    rows = call("load driver cards", api().get, "/api/id-tokens") or []
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Card": t["id_token"],
                    "Kind": t.get("type") or "",
                    "Status": t["status"],
                    "Expires": when(t.get("expires_at")) or "never",
                    "Changed by": t.get("updated_by") or "",
                }
                for t in rows
            ],
            columns=["Card", "Kind", "Status", "Expires", "Changed by"],
        ),
        hide_index=True,
        width="stretch",
        height=250,
        key="adm_tok_table",
    )
    left, right = st.columns(2)
    with left, st.form("adm_tok_new", clear_on_submit=True):
        st.subheader("Add or change a card")
        token = st.text_input("Card id (RFID UID or key code)", key="adm_tok_id")
        kind = st.selectbox(
            "Kind (OCPP 2.0.1 IdTokenType)",
            ["ISO14443", "ISO15693", "KeyCode", "Local", "MacAddress", "eMAID", "Central"],
            key="adm_tok_kind",
        )
        status = st.selectbox("Status", CARD_STATUSES, key="adm_tok_status")
        if st.form_submit_button("Save the card", icon=":material/badge:"):
            body = {"id_token": token.strip(), "type": kind, "status": status}
            saved = call("save the card", api().post, "/api/id-tokens", body)
            if saved:
                st.session_state["adm_tok_flash"] = f"Saved card {saved['id_token']}."
                st.rerun()
    with right:
        st.subheader("Block or remove")
        cards = [t["id_token"] for t in rows]
        chosen = st.selectbox("Card", cards, index=None, key="adm_tok_pick")
        b1, b2 = st.columns(2)
        block = b1.button("Block", key="adm_tok_block", disabled=not chosen)
        if block and call("block the card", api().post, f"/api/id-tokens/{chosen}/block"):
            st.session_state["adm_tok_flash"] = f"Blocked card {chosen}."
            st.rerun()
        remove = b2.button("Remove", key="adm_tok_remove", disabled=not chosen)
        if remove and removed("remove the card", f"/api/id-tokens/{chosen}"):
            st.session_state["adm_tok_flash"] = f"Removed card {chosen}."
            st.session_state.pop("adm_tok_pick", None)
            st.rerun()
