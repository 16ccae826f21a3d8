"""Admin tab: the audit of sessions, procedures and handoffs, filtered and paged
(GET /api/audit)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pandas as pd
import streamlit as st

from app.ui.admin.shared import detail_words, when
from app.ui.common import api, call

AUDIT_PAGE = 100


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
                    "When": when(r["at"]),
                    "Who": f"{r['actor']} ({r['role']})",
                    "Action": r["action"],
                    "Target": r["target"],
                    "Detail": detail_words(r.get("detail")),
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
