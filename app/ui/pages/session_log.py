"""Consultant: review any past session, filter, export CSV/JSON."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from app.ui.common import api, auth, call, show_photo
from app.ui.frames import apply_filters, sessions_frame
from app.ui.session_words import timeline_rows
from app.ui.wording import outcome_words, plain


def result_words(status: str, outcome: str) -> str:
    """One column for status and outcome: 'In progress', 'Resolved', 'Site visit needed'."""
    if outcome:
        return outcome_words(outcome)
    return outcome_words(status)


def log_table(shown: pd.DataFrame) -> pd.DataFrame:
    """The sessions as a narrow table in plain words, newest first (fits 1024 px)."""
    ordered = shown.sort_values("created_at", ascending=False)
    return pd.DataFrame(
        {
            "Started": ordered["created_at"].dt.strftime("%d %b %H:%M"),
            "Charger": ordered["charger_id"],
            "Partner": ordered["partner"],
            "Procedure": ordered["procedure_id"].map(procedure_words),
            "Result": [
                result_words(status, outcome)
                for status, outcome in zip(ordered["status"], ordered["outcome"], strict=True)
            ],
            "id": ordered["id"],
        }
    )


def procedure_words(procedure_id: str) -> str:
    return procedure_id.replace("-", " ").capitalize() if procedure_id else "none chosen"


def main() -> None:
    if auth() is None:
        st.stop()
    st.title("Session log")
    rows = call("load sessions", api().get, "/api/sessions") or []
    chargers = call("load chargers", api().get, "/api/chargers", limit=20000) or []
    frame = sessions_frame(rows, chargers)
    if frame.empty:
        st.info("No sessions yet.")
        return
    filters: dict[str, Any] = {}
    c1, c2, c3 = st.columns(3)
    filters["charger_id"] = c1.multiselect("Charger", sorted(frame["charger_id"].unique()))
    filters["model"] = c2.multiselect("Model", sorted(frame["model"].unique()))
    filters["procedure_id"] = c3.multiselect(
        "Fault / procedure", sorted(frame["procedure_id"].unique()), format_func=procedure_words
    )
    c4, c5, c6 = st.columns(3)
    filters["outcome"] = c4.multiselect(
        "Outcome",
        sorted(frame["outcome"].unique()),
        format_func=lambda o: outcome_words(o) if o else "Not finished",
    )
    filters["partner"] = c5.multiselect("Partner", sorted(frame["partner"].unique()))
    first = frame["created_at"].min().date()
    period = c6.date_input("Dates", value=(first, date.today()), key="log_dates")
    if isinstance(period, tuple) and len(period) == 2:
        filters["from"], filters["to"] = period
    shown = apply_filters(frame, filters)
    table = log_table(shown)
    st.caption(f"{len(table)} of {len(frame)} sessions")
    picked = st.dataframe(
        table,
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key="log_table",
        width="stretch",
        column_config={
            "id": None,
            "Started": st.column_config.TextColumn(width=120),
            "Charger": st.column_config.TextColumn(width="medium"),
            "Partner": st.column_config.TextColumn(width="small"),
            "Procedure": st.column_config.TextColumn(width="medium"),
            "Result": st.column_config.TextColumn(width="medium"),
        },
    )
    export = table.drop(columns=["id"]).assign(Session=table["id"])
    d1, d2 = st.columns(2)
    d1.download_button(
        "Export CSV",
        export.to_csv(index=False).encode(),
        file_name="sessions.csv",
        mime="text/csv",
        icon=":material/download:",
        key="log_csv",
    )
    d2.download_button(
        "Export JSON",
        json.dumps(export.to_dict(orient="records"), indent=2).encode(),
        file_name="sessions.json",
        mime="application/json",
        icon=":material/download:",
        key="log_json",
    )
    selection = getattr(picked, "selection", None)
    chosen_rows = list(selection.get("rows", [])) if selection else []
    session_id = table.iloc[chosen_rows[0]]["id"] if chosen_rows else None
    if session_id is None:
        labels = dict(zip(table["id"], table["Started"] + " · " + table["Charger"], strict=True))
        session_id = st.selectbox(
            "Open a session",
            list(table["id"]),
            index=None,
            key="log_open",
            format_func=lambda i: labels.get(i, str(i)),
        )
    if session_id:
        detail(str(session_id))


def detail(session_id: str) -> None:
    view = call("load the session", api().get, f"/api/sessions/{session_id}")
    if not view:
        return
    result = result_words(view["status"], view.get("outcome") or "")
    st.subheader(plain(f"{view['charger_id']} · {result}"))
    if view.get("procedure"):
        st.caption(f"{plain(view['procedure']['title'])} v{view['procedure']['version']}")
    steps = view.get("steps") or []
    st.dataframe(
        timeline_rows(steps),
        hide_index=True,
        width="stretch",
        column_config={
            "Time": st.column_config.TextColumn(width="small"),
            "Who": st.column_config.TextColumn(width="small"),
            "What happened": st.column_config.TextColumn(width="large"),
            "Details": st.column_config.TextColumn(width="medium"),
        },
    )
    for step in steps:
        if step.get("photo"):
            st.caption(f"Photo at {str(step.get('at') or '')[11:19]}")
            show_photo(str(step["photo"]))
    summary = call("load the summary", api().get, f"/api/sessions/{session_id}/summary")
    if summary:
        with st.expander("Summary"):
            st.text(summary.get("text") or "")


main()
