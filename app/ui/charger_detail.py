"""One charger, drilled down from the fleet page: its OCPP message log (filtered, paged), its
charging sessions, its settings as last read, its inventory and monitors (OCPP 2.0.1 device
model), and its diagnoses.

Everything the charger or a person wrote is shown as plain text (``st.dataframe`` cells,
``st.text``/``st.code``, or escaped with ``plain``), never as Markdown or HTML.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from app.ui.common import api, auth, call, live_panel
from app.ui.device_model import Rows, inventory_rows, monitor_rows, show_reports
from app.ui.wording import SAFETY_WORDS, WHOSE_WORDS, plain

PAGE_SIZE = 50  # messages or charging sessions per page
DIRECTIONS = {"Both ways": None, "From the charger": "in", "To the charger": "out"}
MESSAGE_TYPES = {2: "Request", 3: "Answer", 4: "Error answer"}
CONFIG_COMMANDS = ("get_configuration", "get_variables")


def message_rows(events: list[dict[str, Any]]) -> pd.DataFrame:
    """The event log as a table a person reads: time, who sent it, kind, action, content."""
    return pd.DataFrame(
        [
            {
                "Time": str(e["ts"])[:19].replace("T", " "),
                "Sent by": "Charger" if e["direction"] == "in" else "Central system",
                "Kind": MESSAGE_TYPES.get(int(e["message_type"]), "Unreadable"),
                "Action": e.get("action") or "",
                "Message": _compact(e.get("payload"))[:300],
                "id": e["id"],
            }
            for e in events
        ],
        columns=["Time", "Sent by", "Kind", "Action", "Message", "id"],
    )


def config_rows(response: Any) -> pd.DataFrame:
    """Settings from a GetConfiguration (1.6) or GetVariables (2.0.1) answer."""
    rows: list[dict[str, str]] = []
    if isinstance(response, dict):
        for item in response.get("configurationKey") or []:  # OCPP 1.6 §6.20
            rows.append(
                {
                    "Setting": str(item.get("key", "")),
                    "Value": str(item.get("value", "")),
                    "Read only": "yes" if item.get("readonly") else "no",
                }
            )
        for key in response.get("unknownKey") or []:
            rows.append({"Setting": str(key), "Value": "(unknown to the charger)", "Read only": ""})
        for item in response.get("getVariableResult") or []:  # OCPP 2.0.1 B06
            component = (item.get("component") or {}).get("name", "")
            variable = (item.get("variable") or {}).get("name", "")
            status = item.get("attributeStatus", "")
            value = item.get("attributeValue")
            rows.append(
                {
                    "Setting": f"{component}.{variable}",
                    "Value": str(value) if value is not None else f"({status})",
                    "Read only": "",
                }
            )
    return pd.DataFrame(rows, columns=["Setting", "Value", "Read only"])


def _compact(payload: Any) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, default=str)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _page_buttons(
    key: str,
    pages_key: str,
    pages: list[int | None],
    shown: list[dict[str, Any]],
    labels: tuple[str | None, str, str],
) -> None:
    """The buttons that move between pages (newest, if labelled; newer; older). Each page is
    the list of cursors that led to it, and the buttons are callbacks bound to what this run
    showed: "older" continues after the last row on screen (its id), even if newer rows
    arrived before the click was handled."""
    newest, newer, older = labels
    columns = iter(st.columns(3 if newest else 2))
    if newest:
        next(columns).button(
            newest,
            key=f"{key}_first",
            disabled=len(pages) == 1,
            on_click=_go_to,
            args=(pages_key, [None]),
        )
    next(columns).button(
        newer,
        key=f"{key}_prev",
        disabled=len(pages) == 1,
        on_click=_go_to,
        args=(pages_key, pages[:-1]),
    )
    next(columns).button(
        older,
        key=f"{key}_next",
        disabled=len(shown) < PAGE_SIZE,
        on_click=_go_to,
        args=(pages_key, [*pages, int(shown[-1]["id"]) if shown else None]),
    )


def _go_to(pages_key: str, pages: list[int | None]) -> None:
    """Button callback: show the page (message log, charging sessions) whose cursor list is
    ``pages``."""
    st.session_state[pages_key] = pages


def _moment(day: date | None, end: bool) -> str | None:
    if day is None:
        return None
    moment = datetime.combine(day, time.min, tzinfo=UTC)
    return (moment + timedelta(days=1) if end else moment).isoformat()


def messages(charger_id: str) -> None:
    key = f"fd_{charger_id}"
    c1, c2, c3 = st.columns([2, 2, 3])
    direction = c1.selectbox("Direction", list(DIRECTIONS), key=f"{key}_dir")
    action = c2.text_input("Action (e.g. StatusNotification)", key=f"{key}_action", max_chars=64)
    text = c3.text_input("Text in the message", key=f"{key}_q", max_chars=100)
    c4, c5 = st.columns(2)
    since = c4.date_input("From day", value=None, key=f"{key}_since")
    until = c5.date_input("To day (inclusive)", value=None, key=f"{key}_until")
    filters = {
        "direction": DIRECTIONS[direction],
        "action": action.strip(),
        "q": text.strip(),
        "since": _moment(since, end=False),
        "until": _moment(until, end=True),
    }
    pages_key = f"{key}_pages"
    if st.session_state.get(f"{key}_filters") != filters:  # new filters: back to the newest
        st.session_state[f"{key}_filters"] = filters
        st.session_state[pages_key] = [None]
    pages: list[int | None] = st.session_state.setdefault(pages_key, [None])
    events = call(
        "load the message log",
        api().get,
        f"/api/chargers/{charger_id}/events",
        limit=PAGE_SIZE,
        before_id=pages[-1],
        **filters,
    )
    if events is None:
        return
    st.caption(f"Page {len(pages)} · {_count(len(events), 'message')}, newest first")
    table = message_rows(events)
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={"id": None, "Message": st.column_config.TextColumn(width="large")},
    )
    _page_buttons(key, pages_key, pages, events, ("Newest", "Newer", "Older"))
    if events:
        chosen = st.selectbox(
            "Show one message in full",
            range(len(events)),
            index=None,
            key=f"{key}_one",
            format_func=lambda i: f"{table.iloc[i]['Time']} {table.iloc[i]['Action']}".strip(),
        )
        if chosen is not None:
            st.code(json.dumps(events[chosen]["payload"], indent=2, ensure_ascii=False), "json")


def transactions(charger_id: str) -> None:
    key = f"fd_{charger_id}_tx"
    pages_key = f"{key}_pages"
    # each page starts after the last session of the one before (its id), as the message log
    # does: a session recorded while a page is on screen does not shift the next one
    pages: list[int | None] = st.session_state.setdefault(pages_key, [None])
    rows = call(
        "load the charging sessions",
        api().get,
        f"/api/chargers/{charger_id}/transactions",
        limit=PAGE_SIZE,
        before_id=pages[-1],
    )
    if rows is None:
        return
    if not rows and len(pages) == 1:
        st.caption("No charging sessions recorded.")
        return
    st.caption(f"Page {len(pages)} · {_count(len(rows), 'session')}, newest first")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Started": str(r["started_at"])[:19].replace("T", " "),
                    "Stopped": str(r["stopped_at"] or "still charging")[:19].replace("T", " "),
                    "Connector": r["connector_id"],
                    "Energy (kWh)": _energy(r),
                    "Card": r.get("id_tag") or "",
                    "Why it stopped": r.get("stop_reason") or "",
                    "Session id": r["transaction_id"],
                }
                for r in rows
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    _page_buttons(key, pages_key, pages, rows, (None, "Newer sessions", "Older sessions"))


def _energy(row: dict[str, Any]) -> str:
    start, stop = row.get("meter_start_wh"), row.get("meter_stop_wh")
    if start is None or stop is None:
        return ""
    return f"{(stop - start) / 1000:.2f}"


def configuration(charger_id: str) -> None:
    key = f"fd_{charger_id}_cfg"
    flash = st.session_state.pop(f"{key}_flash", None)
    if flash:
        st.success(flash)
    # the answer just read is shown from the command's own answer: the stored command row is
    # written by the event log's batch writer, which may not have run yet on this rerun
    fresh = st.session_state.pop(f"{key}_fresh", None)
    if fresh is not None:
        st.caption(plain(f"Read just now by {fresh['by']}"))
        st.dataframe(config_rows(fresh["response"]), hide_index=True, width="stretch")
        st.caption("Reading the settings changes nothing on the charger.")
        _read_button(charger_id, key)
        return
    last = call(
        "load the last settings read",
        api().get,
        f"/api/chargers/{charger_id}/commands",
        command=list(CONFIG_COMMANDS),
        outcome="answered",
        limit=1,
    )
    if last:
        read = last[0]
        st.caption(
            plain(
                f"Read {str(read['requested_at'])[:19].replace('T', ' ')} by {read['requested_by']}"
            )
        )
        st.dataframe(config_rows(read.get("response")), hide_index=True, width="stretch")
    elif last is not None:
        st.caption("The settings were never read from this charger.")
    st.caption("Reading the settings changes nothing on the charger.")
    _read_button(charger_id, key)


def _read_button(charger_id: str, key: str) -> None:
    if st.button("Read the settings from the charger", key=f"{key}_read"):
        done = call(
            "read the settings",
            api().post,
            f"/api/chargers/{charger_id}/commands/get_configuration",
            {},
        )
        if done is not None:
            st.session_state[f"{key}_flash"] = "Settings read from the charger."
            st.session_state[f"{key}_fresh"] = {
                "response": done.get("response"),
                "by": (auth() or {}).get("name", "you"),
            }
            st.rerun()


# what the Inventory tab asks the charger for, through the gateway (read-only commands):
# name -> (command, params, button label, report kind key, entries key, table rows)
DEVICE_MODEL: dict[str, tuple[str, dict[str, Any], str, str, str, Rows]] = {
    "inventory": (
        "get_base_report",  # OCPP 2.0.1 B07
        {"report_base": "FullInventory"},
        "Ask the charger for its full inventory",
        "report_base",
        "items",
        inventory_rows,
    ),
    "monitors": (
        "get_monitoring_report",  # OCPP 2.0.1 N02
        {},
        "Ask the charger for its monitors",
        "selection",
        "monitors",
        monitor_rows,
    ),
}


def device_model(charger_id: str, ocpp_version: str | None) -> None:
    """Its inventory (components, variables, values) and monitors as its last reports said.
    OCPP 1.6 has no device model: its settings are the Settings tab's configuration keys."""
    if ocpp_version != "2.0.1":
        st.caption(
            "This charger speaks OCPP 1.6, which has no inventory report: "
            "its settings are under Settings."
        )
        return
    key = f"fd_{charger_id}_dm"
    flash = st.session_state.pop(f"{key}_flash", None)
    if flash:
        st.info(flash)
    for name, (command, params, label, kind_key, items_key, rows) in DEVICE_MODEL.items():
        st.markdown(f"**{name.capitalize()}**")
        stored = call(f"load the {name}", api().get, f"/api/chargers/{charger_id}/{name}")
        reports = (stored or {}).get("reports") or []
        if reports:
            show_reports(reports, kind_key, items_key, rows)
        elif stored is not None:
            st.caption(f"No {name} stored yet.")
        if st.button(label, key=f"{key}_{name}_ask"):
            with st.spinner("Asking the charger..."):
                result = call(
                    f"ask for the {name}",
                    api().post,
                    f"/api/chargers/{charger_id}/commands/{command}",
                    params,
                    timeout=60.0,
                )
            if result is not None:
                st.session_state[f"{key}_flash"] = (
                    f"{command}: {plain(result.get('status'))}; the report follows in parts"
                )
                st.rerun()


def diagnoses(charger_id: str) -> None:
    rows = call("load diagnoses", api().get, f"/api/chargers/{charger_id}/diagnoses", limit=50)
    if rows is None:
        return
    if not rows:
        st.caption("No diagnoses for this charger.")
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Opened": str(d["opened_at"])[:19].replace("T", " "),
                    "Finding": d["title"],
                    "Likely cause": d["likely_cause"],
                    "Code": d.get("standard_code") or d.get("error_code") or "",
                    "Safety": SAFETY_WORDS.get(d.get("safety_class") or "", "not known"),
                    "Whose problem": WHOSE_WORDS.get(d.get("responsible") or "", "not known"),
                    "Status": d["status"].replace("_", " "),
                    "Outcome": d.get("outcome_note") or "",
                    "Trial run": "yes" if d.get("dry_run") else "no",
                }
                for d in rows
            ]
        ),
        hide_index=True,
        width="stretch",
    )


LOG_NAMES = {"DiagnosticsLog": "Diagnostics log", "SecurityLog": "Security log"}
# What the charger reports of its upload: 2.0.1 UploadLogStatusEnumType (N01), the 1.6 security
# whitepaper's the same, 1.6 DiagnosticsStatus; said in plain words
CHARGER_SAYS = {
    "Uploading": "uploading",
    "Uploaded": "uploaded",
    "UploadFailure": "upload failed",
    "UploadFailed": "upload failed",
    "BadMessage": "could not read the request",
    "NotSupportedOperation": "cannot do this",
    "PermissionDenied": "no permission on the server",
    "AcceptedCanceled": "started; an earlier upload was cancelled",
    "Idle": "idle",
}
FILE_STATE = {"requested": "waiting", "receiving": "arriving", "uploaded": "received"}


def log_rows(uploads: list[dict[str, Any]]) -> pd.DataFrame:
    """Each requested log upload: what was asked, what the charger says, whether the file came."""
    return pd.DataFrame(
        [
            {
                "Requested": str(u["requested_at"])[:19].replace("T", " "),
                "Log": LOG_NAMES.get(u.get("log_type") or "DiagnosticsLog", u.get("log_type")),
                "Charger says": CHARGER_SAYS.get(
                    u.get("charger_status") or "", u.get("charger_status") or "nothing yet"
                ),
                "File": FILE_STATE.get(u["status"], u["status"]),
                "Name": u.get("filename") or "",
                "Size (kB)": f"{u['size_bytes'] / 1024:.1f}" if u.get("size_bytes") else "",
                "Request id": u.get("request_id") or "",
            }
            for u in uploads
        ]
    )


def logs(charger_id: str) -> None:
    """The charger's log uploads (GetLog DiagnosticsLog / SecurityLog, 1.6 GetDiagnostics),
    tracked from the request through the charger's LogStatusNotifications to the file."""
    uploads = call("load the log uploads", api().get, f"/api/chargers/{charger_id}/diagnostics")
    if uploads is None:
        return
    if not uploads:
        st.caption("No log requested from this charger yet.")
        return
    st.dataframe(log_rows(uploads), hide_index=True, width="stretch")


def charger_detail(charger_id: str) -> None:
    live = call("load the charger", api().get, f"/api/chargers/{charger_id}")
    if live is None:
        return
    st.subheader(plain(f"Charger {charger_id}"))
    live_panel(live)
    tab_log, tab_tx, tab_cfg, tab_inv, tab_diag, tab_logs = st.tabs(
        ["Message log", "Charging sessions", "Settings", "Inventory", "Diagnoses", "Log uploads"]
    )
    with tab_log:
        messages(charger_id)
    with tab_tx:
        transactions(charger_id)
    with tab_cfg:
        configuration(charger_id)
    with tab_inv:
        device_model(charger_id, live.get("ocpp_version"))
    with tab_diag:
        diagnoses(charger_id)
    with tab_logs:
        logs(charger_id)
