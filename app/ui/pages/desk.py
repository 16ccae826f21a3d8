"""Consultant: the handoff queue, claim, chat, timeline, remote commands, push, close."""

from __future__ import annotations

from collections import Counter
from typing import Any

import streamlit as st

from app.ui.common import (
    api,
    auth,
    call,
    duration,
    forget,
    kept,
    live_panel,
    remember,
    show_photo,
)
from app.ui.device_model import inventory_rows, monitor_rows, show_reports
from app.ui.notify import notify_new
from app.ui.people import speaker
from app.ui.queue import overdue, queue_line, recovered_words, summary
from app.ui.wording import consequence, outcome_words, plain, step_line

OPEN = "desk_handoff"
PRIORITY_ICON = {
    "urgent": ":material/priority_high:",
    "high": ":material/arrow_upward:",
    "normal": ":material/remove:",
    "low": ":material/arrow_downward:",
}
OUTCOMES = ["resolved", "site_visit", "vehicle_side", "not_reproducible", "abandoned"]


def result_key(handoff_id: int) -> str:
    """A command's result belongs to the handoff it was sent on, never to the next one."""
    return f"desk_cmd_result_{handoff_id}"


def queue() -> None:
    st.title("Desk")
    rows = call("load the queue", api().get, "/api/handoffs") or []
    waiting = [r for r in rows if r["status"] == "waiting"]
    mine = [r for r in rows if r["status"] == "claimed" and r["claimed_by"] == me()]
    others = [r for r in rows if r["status"] == "claimed" and r["claimed_by"] != me()]
    late = sum(overdue(r) for r in waiting)
    (st.warning if late else st.caption)(summary(rows))
    everyone, yours = st.tabs([f"Queue ({len(waiting) + len(others)})", f"Mine ({len(mine)})"])
    cases = Counter(r.get("case_id") for r in rows)
    for row in rows:  # a charger handed off twice (diagnosis and a partner) is one case
        row["linked"] = cases[row.get("case_id")] > 1
    with everyone:
        if not waiting and not others:
            st.success("Nobody is waiting.", icon=":material/done_all:")
        for title, group in (("Waiting", waiting), ("Taken by others", others)):
            if group:
                st.subheader(f"{title} ({len(group)})")
                entries(group, "open")
    with yours:
        if not mine:
            st.caption("You have no handoff claimed.")
        entries(mine, "mine")
    refresh_queue(len(rows))


def entries(group: list[dict[str, Any]], prefix: str) -> None:
    # oldest first within each urgency: the one over the target is answered first
    rank = {"urgent": 0, "high": 1, "normal": 2, "low": 3}
    for row in sorted(group, key=lambda r: (rank.get(r["priority"], 2), -r["waiting_seconds"])):
        late = overdue(row)
        parts = queue_line(row)
        if row.get("linked"):
            parts.insert(1, f"case {row['case_id']}")
        if st.button(
            " · ".join(plain(part) for part in parts),
            key=f"{prefix}_{row['id']}",
            icon=":material/alarm:" if late else PRIORITY_ICON.get(row["priority"]),
            type="primary" if late else "secondary",
            width="stretch",
            help=plain(row["reason"]) if row.get("reason") else None,
        ):
            st.session_state[OPEN] = row["id"]
            st.rerun()


@st.fragment(run_every=5)
def refresh_queue(count: int) -> None:
    """Reload when a handoff arrives or leaves."""
    try:
        rows = api().get("/api/handoffs")
    except Exception:
        return
    if len(rows) != count:
        st.rerun(scope="app")


@st.fragment(run_every=5)
def handoff_alerts() -> None:
    """A browser notification for each new handoff, on the queue and while on a handoff."""
    try:
        rows = api().get("/api/handoffs")
    except Exception:
        return
    notify_new(rows)


def me() -> str:
    return (auth() or {}).get("name", "")


def handoff_screen(handoff_id: int) -> None:
    handoff = call("load the handoff", api().get, f"/api/handoffs/{handoff_id}")
    top = st.columns([4, 1])
    if top[1].button("Queue", icon=":material/arrow_back:", key="desk_back"):
        st.session_state.pop(OPEN, None)
        st.rerun()
    if handoff is None:
        return
    top[0].title(f"{plain(handoff['charger_id'])} · {plain(handoff['priority'])}")
    st.caption(
        f"From {plain(handoff.get('partner') or '?')} at {plain(handoff.get('site_id') or '?')}, "
        f"waiting {duration(handoff['waiting_seconds'])}."
    )
    st.text(f"Reason: {handoff.get('reason') or '-'}")  # the partner's words, as typed
    session = call("load the session", api().get, f"/api/sessions/{handoff['session_id']}")
    claimed = handoff["status"] == "claimed" and handoff["claimed_by"] == me()
    if handoff["status"] == "waiting":
        clicked = st.button("Claim", type="primary", icon=":material/front_hand:", key="desk_claim")
        if clicked and call("claim", api().post, f"/api/handoffs/{handoff_id}/claim"):
            st.rerun()
    elif handoff["status"] == "claimed" and not claimed:
        st.warning(f"Claimed by {plain(handoff['claimed_by'])}.")
    elif handoff["status"] == "closed":
        st.success(f"Closed: {plain(handoff.get('resolution') or '')}")
    linked(handoff)
    back = recovered_words(handoff, (session or {}).get("live") or {})
    if back is not None:
        still, words = back
        (st.success if still else st.warning)(words, icon=":material/published_with_changes:")
    left, right = st.columns([3, 2])
    with left:
        if handoff.get("summary_text"):
            with st.expander("Summary", expanded=True, icon=":material/summarize:"):
                st.text(handoff["summary_text"])
                for url in (handoff.get("summary") or {}).get("photos") or []:
                    show_photo(str(url))
        if session:
            conversation(handoff, session, claimed)
            timeline(session)
    with right:
        if session:
            live_panel(session.get("live") or {})
            inventory(handoff, session, claimed)
        if claimed and session:
            commands(handoff_id, handoff.get("commands") or [], session)
            push(handoff_id, session)
            close(handoff_id)
    if session:
        watch(handoff["session_id"], session["version"])


def linked(handoff: dict[str, Any]) -> None:
    """The other handoffs of the case (the same charger), shown with this one."""
    others = handoff.get("linked") or []
    if not others:
        return
    st.info(
        f"Case {handoff['case_id']}: {len(others) + 1} handoffs for this charger. "
        "Closing this one closes them all.",
        icon=":material/link:",
    )
    for other in others:
        who = other.get("partner") or other.get("created_by") or "?"
        with st.expander(
            f"Linked handoff {other['id']} from {plain(who)} ({plain(other['status'])})",
            icon=":material/link:",
        ):
            st.text(f"Reason: {other.get('reason') or '-'}")
            if other.get("summary_text"):
                st.text(other["summary_text"])


@st.fragment(run_every=3)
def watch(session_id: str, version: int) -> None:
    try:
        view = api().get(f"/api/sessions/{session_id}")
    except Exception:
        return
    if view["version"] != version:
        st.rerun(scope="app")


def conversation(handoff: dict[str, Any], session: dict[str, Any], claimed: bool) -> None:
    st.subheader("Conversation")
    for msg in session.get("messages") or []:
        with speaker(msg):
            st.text(f"{msg.get('name') or msg['from']}: {msg['text']}")
    if not claimed:
        return
    key = kept(f"desk_msg_{handoff['id']}")
    st.text_input("Message to the partner", key=key)
    remember(key)
    if st.button("Send", key="desk_send", icon=":material/send:"):
        text = (st.session_state.get(key) or "").strip()
        if text and call(
            "send the message",
            api().post,
            f"/api/handoffs/{handoff['id']}/messages",
            {"text": text},
        ):
            forget(key)
            st.rerun()


def timeline(session: dict[str, Any]) -> None:
    with st.expander(f"Session log ({len(session.get('steps') or [])} steps)", expanded=True):
        for step in session.get("steps") or []:
            st.text(step_line(step))
            photo = str(step.get("photo") or "")
            if photo.startswith("/api/sessions/"):
                show_photo(photo)


def commands(handoff_id: int, offered: list[dict[str, Any]], session: dict[str, Any]) -> None:
    """The backend says which commands to offer and which comes first (never a reset while
    a safety-class fault is open); every widget and the result are this handoff's own."""
    st.subheader("Remote commands")
    if not offered:
        return
    connector = st.number_input(
        "Connector",
        min_value=0,
        max_value=8,
        value=int(session.get("connector_id") or 1),
        key=f"desk_connector_{handoff_id}",
    )
    labels = [
        f"{item['label']} (held: safety fault open)" if item["held"] else item["label"]
        for item in offered
    ]
    default = next((i for i, item in enumerate(offered) if item["default"]), 0)
    choice = st.selectbox("Command", labels, index=default, key=f"desk_cmd_{handoff_id}")
    item = offered[labels.index(choice)]
    command, params = item["command"], dict(item["params"])
    if command in ("unlock_connector", "change_availability"):
        params["connector_id"] = int(connector)
    st.warning(consequence(command, params, session.get("live")), icon=":material/warning:")
    sure = st.checkbox("I understand", key=f"desk_cmd_sure_{handoff_id}")
    if st.button("Run command", type="primary", disabled=not sure, key="desk_run"):
        with st.spinner("Waiting for the charger's answer..."):
            result = call(
                "run the command",
                api().post,
                f"/api/handoffs/{handoff_id}/commands/{command}",
                params,
                timeout=60.0,
            )
        if result is not None:
            st.session_state[result_key(handoff_id)] = (command, result)
            st.rerun()
    last = st.session_state.get(result_key(handoff_id))
    if last:
        command, result = last
        status = result.get("status")
        if result.get("error"):
            st.error(f"{command}: {plain(status)} - {plain(result['error'])}")
        else:
            st.success(f"{command}: {plain(status)}")


def inventory(handoff: dict[str, Any], session: dict[str, Any], claimed: bool) -> None:
    """The charger's device model (OCPP 2.0.1): its inventory as its last reports said
    (B07/B08) and the monitors set on its variables (N02)."""
    if (session.get("live") or {}).get("ocpp_version") != "2.0.1":
        return
    device_model(
        handoff,
        claimed,
        "inventory",
        "Inventory",
        ("get_base_report", {"report_base": "FullInventory"}, "Ask for the full inventory"),
        "report_base",
        "items",
        inventory_rows,
    )
    device_model(
        handoff,
        claimed,
        "monitors",
        "Monitors",
        ("get_monitoring_report", {}, "Ask for the monitors"),
        "selection",
        "monitors",
        monitor_rows,
    )
    if claimed and st.session_state.get("desk_monitors"):
        monitor_controls(handoff["id"])


MONITOR_TYPES = ["UpperThreshold", "LowerThreshold", "Delta", "Periodic", "PeriodicClockAligned"]


def monitor_controls(handoff_id: int) -> None:
    """Set a monitor on a variable (N04) or clear one by its id (N06)."""
    with st.form("desk_monitor_set"):
        cols = st.columns(3)
        component = cols[0].text_input("Component", value="EVSE", max_chars=50)
        evse = cols[1].number_input("EVSE (0: none)", min_value=0, max_value=99, value=1)
        variable = cols[2].text_input("Variable", value="Power", max_chars=50)
        cols = st.columns(3)
        kind = cols[0].selectbox("Type", MONITOR_TYPES)
        value = cols[1].number_input("Value", min_value=-1e9, max_value=1e9, value=0.0)
        severity = cols[2].number_input("Severity (0 danger .. 9 debug)", 0, 9, value=5)
        if st.form_submit_button("Set monitor"):
            monitor = {
                "component": component.strip(),
                "variable": variable.strip(),
                "type": kind,
                "value": float(value),
                "severity": int(severity),
            }
            if evse:
                monitor["evse_id"] = int(evse)
            run_device_command(handoff_id, "set_variable_monitoring", {"monitors": [monitor]})
    cols = st.columns([2, 1])
    monitor_id = cols[0].number_input("Monitor id", min_value=0, value=0, key="desk_monitor_id")
    if cols[1].button("Clear monitor", key="desk_monitor_clear"):
        run_device_command(handoff_id, "clear_variable_monitoring", {"ids": [int(monitor_id)]})
    last = st.session_state.get("desk_monitor_result")
    if last:
        st.info(last)


def run_device_command(handoff_id: int, command: str, params: dict[str, Any]) -> None:
    result = call(
        command.replace("_", " "),
        api().post,
        f"/api/handoffs/{handoff_id}/commands/{command}",
        params,
        timeout=60.0,
    )
    if result is not None:  # kept: the session's new version reruns the page
        answer = result.get("response") or {}
        items = answer.get("setMonitoringResult") or answer.get("clearMonitoringResult") or []
        statuses = ", ".join(f"id {plain(i.get('id'))}: {plain(i.get('status'))}" for i in items)
        st.session_state["desk_monitor_result"] = (
            f"{command}: {statuses or plain(result.get('status'))}"
        )


def device_model(
    handoff: dict[str, Any],
    claimed: bool,
    name: str,
    label: str,
    ask: tuple[str, dict[str, Any], str],
    kind_key: str,
    items_key: str,
    rows: Any,
) -> None:
    if not st.toggle(label, key=f"desk_{name}"):
        return
    command, params, ask_label = ask
    if claimed and st.button(ask_label, key=f"desk_{name}_ask"):
        with st.spinner("Asking the charger..."):
            result = call(
                f"ask for the {name}",
                api().post,
                f"/api/handoffs/{handoff['id']}/commands/{command}",
                params,
                timeout=60.0,
            )
        if result is not None:  # kept: the session's new version reruns the page
            st.session_state[f"desk_{name}_asked"] = result.get("status")
    if f"desk_{name}_asked" in st.session_state:
        status = st.session_state[f"desk_{name}_asked"]
        st.info(f"{command}: {plain(status)}; the report follows in parts")
    stored = call(f"load the {name}", api().get, f"/api/chargers/{handoff['charger_id']}/{name}")
    reports = (stored or {}).get("reports") or []
    if not reports:
        st.caption(f"No {name} stored yet.")
        return
    show_reports(reports, kind_key, items_key, rows)


def push(handoff_id: int, session: dict[str, Any]) -> None:
    st.subheader("Push to the partner")
    procedures = call("load procedures", api().get, "/api/procedures") or []
    options = {f"{p['title']} ({p['procedure_id']})": p["procedure_id"] for p in procedures}
    chosen = st.selectbox("Procedure", list(options), index=None, key="desk_push_proc")
    if st.button("Push procedure", key="desk_push_p", disabled=chosen is None) and call(
        "push the procedure",
        api().post,
        f"/api/handoffs/{handoff_id}/push",
        {"procedure_id": options[chosen]},
    ):
        st.rerun()
    key = kept(f"desk_step_{handoff_id}")
    st.text_input("Or one next step", key=key, placeholder="e.g. Is the RCD in the cabinet down?")
    remember(key)
    answers_key = kept(f"desk_answers_{handoff_id}")
    st.text_area(
        "Answers the partner can tap (optional: 2 to 4, one per line; else just Done)",
        key=answers_key,
        height=80,
        placeholder="Yes\nNo",
    )
    remember(answers_key)
    if st.button("Push step", key="desk_push_s"):
        text = (st.session_state.get(key) or "").strip()
        lines = (st.session_state.get(answers_key) or "").splitlines()
        answers = [line.strip() for line in lines if line.strip()]
        body: dict[str, Any] = {"text": text}
        if answers:
            body["answers"] = answers
        if not text:
            st.error("Type the step first.")
        elif answers and not 2 <= len(answers) <= 4:
            st.error(f"Give 2 to 4 answers, one per line (you gave {len(answers)}).")
        elif call("push the step", api().post, f"/api/handoffs/{handoff_id}/push", body):
            forget(key)
            forget(answers_key)
            st.rerun()
    answered(session)


def answered(session: dict[str, Any]) -> None:
    """The partner's answers to pushed questions (acks that carry the question)."""
    pushed = {
        step["seq"]: step
        for step in session.get("steps") or []
        if step.get("kind") == "push" and isinstance(step.get("answer"), dict)
    }
    if not pushed:
        return
    for step in session.get("steps") or []:
        if step.get("kind") == "ack" and step.get("answer") not in (None, "done"):
            st.success(
                f"{plain(step.get('actor'))} answered “{plain(step.get('note') or '')}”: "
                f"{plain(str(step['answer']))}",
                icon=":material/question_answer:",
            )


def close(handoff_id: int) -> None:
    st.subheader("Close")
    outcome = st.selectbox("Outcome", OUTCOMES, key="desk_outcome", format_func=outcome_words)
    key = kept(f"desk_resolution_{handoff_id}")
    st.text_area("Resolution", key=key, height=80)
    remember(key)
    diagnosis = st.text_input("Diagnosis (optional)", key="desk_diagnosis")
    if st.button("Close handoff", type="primary", key="desk_close", icon=":material/done:"):
        resolution = (st.session_state.get(key) or "").strip()
        if not resolution:
            st.error("Write the resolution first (what was done, what is next).")
            return
        if call(
            "close the handoff",
            api().post,
            f"/api/handoffs/{handoff_id}/close",
            {"resolution": resolution, "outcome": outcome, "diagnosis": diagnosis or None},
        ):
            forget(key)
            st.session_state.pop(OPEN, None)
            st.session_state["desk_flash"] = (
                f"Handoff {handoff_id} closed ({outcome_words(outcome)})."
            )
            st.rerun()


def main() -> None:
    if auth() is None:
        st.stop()
    flash = st.session_state.pop("desk_flash", None)
    if flash:
        st.success(flash)
    linked_to = st.query_params.get("handoff", "")  # the link in the webhook's notice
    if linked_to:
        del st.query_params["handoff"]
        if linked_to.isdigit() and 1 <= int(linked_to) <= 2**62:
            st.session_state[OPEN] = int(linked_to)
    handoff_id = st.session_state.get(OPEN)
    if handoff_id is None:
        queue()
    else:
        handoff_screen(int(handoff_id))
    handoff_alerts()


main()
