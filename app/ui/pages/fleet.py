"""Consultant: the fleet at a glance (status, faults, offline, self-diagnosis, charts), and
one charger drilled down (``app/ui/charger_detail.py``)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from app.ui.api_client import ApiError, BackendUnavailable
from app.ui.charger_detail import charger_detail
from app.ui.common import api, auth, call
from app.ui.frames import faults_over_time, fleet_frame, resolutions_by_day
from app.ui.wording import plain

MAX_FAULT_HISTORY = 100  # chargers whose fault history is read for the chart


@st.cache_data(ttl=60, show_spinner=False)
def fault_history(token_hint: str, charger_ids: tuple[str, ...]) -> list[dict[str, Any]]:
    """Faults (open and cleared) of up to MAX_FAULT_HISTORY chargers, cached for a minute."""
    del token_hint  # part of the cache key only
    out: list[dict[str, Any]] = []
    for charger_id in charger_ids[:MAX_FAULT_HISTORY]:
        try:
            out += api().get(f"/api/chargers/{charger_id}/faults", limit=500)
        except BackendUnavailable:
            raise
        except ApiError:
            continue
    return out


def diagnoses() -> None:
    st.subheader("Self-diagnosis")
    try:
        rows = api().get("/api/diagnoses")
    except BackendUnavailable:
        raise
    except ApiError as error:
        if error.status in (404, 405):
            st.caption("Self-diagnosis is not running on this server.")
        else:
            st.caption(f"Self-diagnosis unavailable: {plain(error.message)}")
        return
    items = rows.get("items", rows) if isinstance(rows, dict) else rows
    if not items:
        st.caption("No diagnoses yet.")
        return
    st.dataframe(items, hide_index=True)


def main() -> None:
    if auth() is None:
        st.stop()
    st.title("Fleet")
    chargers = call("load chargers", api().get, "/api/chargers", limit=20000) or []
    frame = fleet_frame(chargers)
    if frame.empty:
        st.info("No chargers registered yet.")
        return
    m = st.columns(4)
    m[0].metric("Chargers", len(frame))
    m[1].metric("Online", int(frame["online"].sum()))
    m[2].metric("Offline", int((~frame["online"]).sum()))
    m[3].metric("With open faults", int((frame["open_faults"] > 0).sum()))
    opened = st.selectbox(
        "Open one charger (message log, charging sessions, settings, inventory, diagnoses)",
        list(frame["charger_id"]),  # faulted chargers first, as the API sorts them
        index=None,
        key="fleet_open",
        placeholder="Type or pick a charger id",
    )
    if opened:
        charger_detail(str(opened))
        st.divider()
    left, right = st.columns(2)
    with left:
        st.subheader("By status")
        st.bar_chart(frame["status"].value_counts(), horizontal=True, height=220)
    with right:
        st.subheader("Open faults by code")
        codes = frame["faults"].str.split(", ").explode()
        codes = codes[codes.astype(bool)]
        if codes.empty:
            st.caption("No open faults.")
        else:
            st.bar_chart(codes.value_counts(), horizontal=True, height=220)
    offline = frame[~frame["online"]]
    st.subheader(f"Offline ({len(offline)})")
    if not offline.empty:
        st.dataframe(offline[["charger_id", "site", "model", "last_seen"]], hide_index=True)
    faulted = frame[frame["open_faults"] > 0]
    if not faulted.empty:
        st.subheader(f"Open faults ({len(faulted)})")
        st.dataframe(faulted[["charger_id", "site", "model", "status", "faults"]], hide_index=True)
    diagnoses()
    st.subheader("Faults over time")
    token = (auth() or {}).get("token", "")[-6:]
    history = fault_history(token, tuple(frame["charger_id"]))
    over_time = faults_over_time(history)
    if over_time.empty:
        st.caption("No faults recorded yet.")
    else:
        st.bar_chart(over_time, height=240)
        if len(frame) > MAX_FAULT_HISTORY:
            st.caption(f"From the first {MAX_FAULT_HISTORY} chargers.")
    st.subheader("Remote resolutions versus site visits")
    sessions = call("load sessions", api().get, "/api/sessions") or []
    by_day = resolutions_by_day(sessions)
    if by_day.empty:
        st.caption("No finished sessions yet.")
    else:
        st.bar_chart(by_day, height=240)


main()
