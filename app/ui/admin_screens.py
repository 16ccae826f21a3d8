"""Admin tabs for what was CLI only: sites and partners, chargers (register, new password,
remove), driver cards, the self-diagnosis kill switch and dry run, and the audit.

Every change goes through the REST API, whose admin-only routes are the one guard; text from
people and chargers is shown in tables or escaped (never as Markdown).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from app.ui.api_client import ApiError, BackendUnavailable
from app.ui.common import api, call, show_error
from app.ui.wording import plain

AUDIT_PAGE = 100
CARD_STATUSES = ["Accepted", "Blocked", "Expired", "Invalid"]


def _flash(key: str) -> None:
    message = st.session_state.pop(key, None)
    if message:
        st.success(plain(message))


def _removed(doing: str, path: str) -> bool:
    """DELETE ``path``; True when done (a 204 has no body, so ``call``'s None cannot tell)."""
    try:
        api().delete(path)
    except BackendUnavailable:
        raise
    except ApiError as error:
        show_error(error, doing)
        return False
    return True


def _detail(detail: dict[str, Any] | None) -> str:
    return ", ".join(f"{k}: {v}" for k, v in (detail or {}).items())


def _when(value: Any) -> str:
    return str(value or "")[:19].replace("T", " ")


# ---------------------------------------------------------------------------------- sites
def sites(users: list[dict[str, Any]]) -> None:
    _flash("adm_sites_flash")
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


# ------------------------------------------------------------------------------- chargers
def chargers() -> None:
    _flash("adm_ch_flash")
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
        if remove and _removed("remove the charger", f"/api/chargers/{chosen}"):
            st.session_state["adm_ch_flash"] = f"Removed {chosen}."
            st.session_state.pop("adm_ch_pick", None)
            st.session_state.pop("adm_ch_sure", None)
            st.rerun()


# ----------------------------------------------------------------------------- id tokens
def driver_cards() -> None:
    _flash("adm_tok_flash")
    rows = call("load driver cards", api().get, "/api/id-tokens") or []
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Card": t["id_token"],
                    "Kind": t.get("type") or "",
                    "Status": t["status"],
                    "Expires": _when(t.get("expires_at")) or "never",
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
        if remove and _removed("remove the card", f"/api/id-tokens/{chosen}"):
            st.session_state["adm_tok_flash"] = f"Removed card {chosen}."
            st.session_state.pop("adm_tok_pick", None)
            st.rerun()


# ------------------------------------------------------------------------ self-diagnosis
def self_diagnosis() -> None:
    _flash("adm_diag_flash")
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
                        "When": _when(h["at"]),
                        "Who": h["actor"],
                        "What": h["action"].replace("_", " "),
                        "Change": _detail(h.get("detail")),
                    }
                    for h in history
                ]
            ),
            hide_index=True,
            width="stretch",
        )


# ---------------------------------------------------------------------------------- audit
def _day(day: date | None, end: bool) -> str | None:
    if day is None:
        return None
    moment = datetime.combine(day, time.min, tzinfo=UTC)
    return (moment + timedelta(days=1) if end else moment).isoformat()


def audit() -> None:
    c1, c2, c3 = st.columns(3)
    actor = c1.text_input("Who (account name)", key="adm_aud_actor", max_chars=100)
    action = c2.text_input(
        "Action starts with (e.g. procedure)", key="adm_aud_action", max_chars=40
    )
    target = c3.text_input("Target contains (session id, procedure)", key="adm_aud_target")
    c4, c5 = st.columns(2)
    since = c4.date_input("From day", value=None, key="adm_aud_since")
    until = c5.date_input("To day (inclusive)", value=None, key="adm_aud_until")
    filters = {
        "actor": actor.strip(),
        "action": action.strip(),
        "target": target.strip()[:120],
        "since": _day(since, end=False),
        "until": _day(until, end=True),
    }
    if st.session_state.get("adm_aud_filters") != filters:
        st.session_state["adm_aud_filters"] = filters
        st.session_state["adm_aud_pages"] = [None]
    pages: list[int | None] = st.session_state.setdefault("adm_aud_pages", [None])
    rows = call(
        "load the audit", api().get, "/api/audit", limit=AUDIT_PAGE, before_id=pages[-1], **filters
    )
    if rows is None:
        return
    st.caption(f"Page {len(pages)} · {len(rows)} entries, newest first")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "When": _when(r["at"]),
                    "Who": f"{r['actor']} ({r['role']})",
                    "Action": r["action"],
                    "Target": r["target"],
                    "Detail": _detail(r.get("detail")),
                }
                for r in rows
            ],
            columns=["When", "Who", "Action", "Target", "Detail"],
        ),
        hide_index=True,
        width="stretch",
        key="adm_aud_table",
    )
    b1, b2 = st.columns(2)
    if b1.button("Newer", key="adm_aud_prev", disabled=len(pages) == 1):
        pages.pop()
        st.rerun()
    if b2.button("Older", key="adm_aud_next", disabled=len(rows) < AUDIT_PAGE):
        pages.append(int(rows[-1]["id"]))
        st.rerun()
