"""Partner: find a charger, see its live state, follow a procedure, call a consultant."""

from __future__ import annotations

from typing import Any

import streamlit as st

from app.ui.api_client import ApiError, BackendUnavailable
from app.ui.common import (
    api,
    auth,
    call,
    forget,
    kept,
    live_panel,
    outcome_label,
    remember,
    show_error,
    system_action_lines,
)
from app.ui.hazard import hazard_gate
from app.ui.people import on_it, speaker
from app.ui.qr import QR_AVAILABLE, ScanResult, decode_qr
from app.ui.wording import (
    charger_line,
    command_name,
    consequence,
    expected_range,
    outcome_words,
    plain,
    plain_passage,
    progress_words,
    why,
)

CHARGER = "ts_charger"
SESSION = "ts_session"
FRESH_VIEW = "ts_view"  # the view a POST just returned: the next run need not GET it again
RECENT_MINUTES = 30  # how far back "what the system did" looks


def symptom_key(charger_id: str) -> str:
    """The "In your own words" box belongs to one charger: never carried to the next."""
    return f"ts_symptom_{charger_id}"


def leave_charger() -> None:
    """Back to the finder: what was typed for this charger goes with it."""
    charger_id = st.session_state.pop(CHARGER, None)
    if charger_id:
        forget(symptom_key(charger_id))
    st.session_state.pop(SESSION, None)
    st.session_state.pop(FRESH_VIEW, None)


# --------------------------------------------------------------------------- finder
def finder() -> None:
    st.title("Find the charger")
    key = kept("ts_find")
    st.text_input("Charger id or site", key=key, placeholder="e.g. SITE-001-AC-01 or SITE-001")
    remember(key)
    with st.expander("Scan the QR label", icon=":material/qr_code_scanner:"):
        if QR_AVAILABLE:
            photo = st.camera_input("Point the camera at the label", key="ts_qr")
            if photo is not None:
                scanned(decode_qr(photo.getvalue()))
        else:
            st.info(
                "This server cannot read QR photos. Type the id printed under the QR code, "
                "or use a barcode scanner that types into the box above."
            )
    text = st.session_state.get(key, "").strip()
    if text:
        found = call("search chargers", api().get, "/api/chargers", q=text, limit=30) or []
        found.sort(key=lambda c: c["charger_id"].lower() != text.lower())  # exact id first
        show_chargers("Matches", found, "No charger matches. Check the id on the label.")
        return
    mine = call("load your sessions", api().get, "/api/sessions") or []
    recent_ids: list[str] = []
    for row in mine:
        if row["charger_id"] not in recent_ids:
            recent_ids.append(row["charger_id"])
    recent = []
    for charger_id in recent_ids[:5]:
        try:
            recent.append(api().get(f"/api/chargers/{charger_id}"))
        except BackendUnavailable:
            raise
        except ApiError:
            continue
    if recent:
        show_chargers("Your recent chargers", recent, "")
    faulted = call("load faulted chargers", api().get, "/api/chargers", has_fault=True, limit=12)
    show_chargers("Chargers with open faults", faulted or [], "No open faults right now.")


def scanned(result: ScanResult) -> None:
    """Open the charger read from a label, or say what to do instead."""
    if result.charger_id is None:
        st.warning(result.problem or "No QR code found.", icon=":material/qr_code_2:")
        return
    try:
        api().get(f"/api/chargers/{result.charger_id}")
    except BackendUnavailable:
        raise
    except ApiError as error:
        if error.status == 404:
            st.warning(
                f"The label reads {plain(result.charger_id)}, but no such charger is registered. "
                "Check the label, or type the id or site above.",
                icon=":material/qr_code_2:",
            )
        else:
            show_error(error, f"open charger {result.charger_id}")
        return
    pick(result.charger_id)


def show_chargers(title: str, chargers: list[dict[str, Any]], empty: str) -> None:
    st.subheader(title)
    if not chargers:
        if empty:
            st.caption(empty)
        return
    for live in chargers:
        icon = ":material/error:" if live.get("open_faults") else ":material/ev_station:"
        if st.button(
            plain(charger_line(live)),
            key=f"pick_{title}_{live['charger_id']}",
            icon=icon,
            width="stretch",
        ):
            pick(live["charger_id"])


def pick(charger_id: str) -> None:
    leave_charger()
    forget(symptom_key(charger_id))  # a new charger opens with an empty symptom box
    st.session_state[CHARGER] = charger_id
    st.rerun()


# --------------------------------------------------------------------------- live state
@st.fragment(run_every=5)
def live_fragment(charger_id: str) -> None:
    try:
        live = api().get(f"/api/chargers/{charger_id}")
    except BackendUnavailable:
        st.warning("Live state: no connection to the server, retrying.", icon=":material/sync:")
        return
    except ApiError as error:
        st.error(f"Live state unavailable: {plain(error.message)}. {plain(error.hint)}")
        return
    live_panel(live)


# --------------------------------------------------------------------------- knowledge
@st.cache_data(ttl=120, show_spinner=False, max_entries=200)
def search_knowledge(token: str | None, charger_id: str, text: str) -> dict[str, Any]:
    """One search per charger and words, not one per rerun (the token keys the cache, so
    one person never sees another's results)."""
    client = api().with_token(token)
    return client.get("/api/knowledge/search", q=text, charger=charger_id, k=4, timeout=30.0)


def knowledge(charger_id: str, text: str, start: bool, session: dict[str, Any] | None) -> None:
    """Procedures (with why), manual passages and past tickets for this charger + words."""
    try:
        results = search_knowledge((auth() or {}).get("token"), charger_id, text)
    except BackendUnavailable:
        raise
    except ApiError as error:
        if error.status == 503:
            st.info("Manuals and tickets are not indexed yet (an editor runs the indexing).")
        else:
            show_error(error, "search manuals and tickets")
        return
    procedures = results.get("procedures") or []
    if procedures and start:
        st.subheader("Matching procedures")
        for hit in procedures:
            with st.container(border=True):
                st.markdown(f"**{plain(hit['title'])}**")
                st.caption("Why: " + plain(why(hit)))
                if hit.get("summary"):
                    st.text(hit["summary"])
                if st.button("Use this procedure", key=f"use_{hit['id']}", type="primary"):
                    choose(charger_id, hit["id"], session)
    manuals = results.get("manuals") or []
    tickets = results.get("tickets") or []
    if manuals:
        with st.expander(f"Manual passages ({len(manuals)})", icon=":material/menu_book:"):
            for hit in manuals:
                where = hit.get("citation") or " · ".join(
                    str(x) for x in (hit.get("source"), hit.get("section"), hit.get("page")) if x
                )
                st.markdown(f"**{plain(hit['title'])}**")
                st.caption(f"{plain(where)} · why: {plain(why(hit))}")
                st.text(plain_passage(hit.get("snippet") or ""))
    if tickets:
        with st.expander(f"Similar past tickets ({len(tickets)})", icon=":material/history:"):
            for hit in tickets:
                st.markdown(f"**{plain(hit['title'])}**")
                st.caption(
                    f"Outcome: {plain(outcome_words(hit.get('outcome')))} · why: {plain(why(hit))}"
                )
                st.text(hit.get("resolution") or hit.get("snippet") or "")


def choose(charger_id: str, procedure_id: str, session: dict[str, Any] | None) -> None:
    symptom = (st.session_state.get(symptom_key(charger_id)) or "").strip() or None
    if session is None:
        view = call(
            "start the procedure",
            api().post,
            "/api/sessions",
            {"charger_id": charger_id, "procedure_id": procedure_id, "symptom": symptom},
        )
    else:
        view = call(
            "start the procedure",
            api().post,
            f"/api/sessions/{session['id']}/procedure",
            {"expected_version": session["version"], "procedure_id": procedure_id},
        )
    if view:
        st.session_state[SESSION] = view["id"]
        st.session_state[FRESH_VIEW] = view
        st.rerun()


# --------------------------------------------------------------------------- charger screen
def charger_screen(charger_id: str) -> None:
    top = st.columns([4, 1])
    top[0].title(charger_id)
    if top[1].button("Other charger", icon=":material/arrow_back:", key="ts_back"):
        leave_charger()
        st.rerun()
    session = current_session(charger_id)
    flash = st.session_state.pop("ts_flash", None)
    if flash:
        st.info(flash, icon=":material/info:")
    system_activity(charger_id)
    if session is not None and session.get("procedure"):
        wizard(session)  # the step first; the live state below it
        st.subheader("Live state")
        live_fragment(charger_id)
        return
    live_fragment(charger_id)
    if session is not None and session["status"] == "escalated":
        escalated(session)
        return
    st.divider()
    st.subheader("What is wrong?")
    key = kept(symptom_key(charger_id))
    st.text_input(
        "In your own words (optional)",
        key=key,
        placeholder="e.g. screen frozen, cable stuck",
    )
    remember(key)
    if session is None:
        if st.button("Start troubleshooting", type="primary", icon=":material/play_arrow:"):
            view = call(
                "start a session",
                api().post,
                "/api/sessions",
                {"charger_id": charger_id, "symptom": st.session_state.get(key) or None},
            )
            if view:
                st.session_state[SESSION] = view["id"]
                st.session_state[FRESH_VIEW] = view
                st.rerun()
    else:
        suggestions = session.get("suggestions") or []
        if suggestions:
            st.subheader("Suggested for this state")
            for s in suggestions:
                with st.container(border=True):
                    st.markdown(f"**{plain(s.get('title') or s['procedure_id'])}**")
                    st.caption(plain(suggestion_why(s)))
                    if st.button(
                        "Use this procedure",
                        key=f"sugg_{s['procedure_id']}",
                        type="primary",
                    ):
                        choose(charger_id, s["procedure_id"], session)
        notes_and_photo(session)
        call_consultant(session)
    knowledge(charger_id, st.session_state.get(key, ""), start=True, session=session)


def suggestion_why(s: dict[str, Any]) -> str:
    if s.get("why"):
        return "Why: " + str(s["why"])
    reasons = [r for r in (s.get("matched_codes"), s.get("matched_terms")) if r]
    if reasons:
        return "Why: " + ", ".join(str(x) for r in reasons for x in r)
    return f"Matches this charger's codes and model (score {s.get('score', 0):g})"


def current_session(charger_id: str) -> dict[str, Any] | None:
    """This partner's open session on the charger (resumed after a reload)."""
    session_id = st.session_state.get(SESSION)
    if session_id is None:
        rows = call("load your sessions", api().get, "/api/sessions", charger_id=charger_id) or []
        open_rows = [r for r in rows if r["status"] in ("active", "escalated")]
        if not open_rows:
            return None
        session_id = open_rows[0]["id"]
        st.session_state[SESSION] = session_id
    fresh = st.session_state.pop(FRESH_VIEW, None)
    if fresh is not None and fresh.get("id") == session_id:
        return dict(fresh)  # just returned by the POST of this tap: no second round trip
    view = call("load the session", api().get, f"/api/sessions/{session_id}")
    if view is None:
        st.session_state.pop(SESSION, None)
    return view


# --------------------------------------------------------------------------- wizard
def post_answer(session: dict[str, Any], kind: str, value: Any = None) -> None:
    body = {"expected_version": session["version"], "kind": kind, "value": value}
    note_key = f"ts_note_{session['id']}"
    note = (st.session_state.get(note_key) or "").strip()
    if note:
        body["note"] = note
    try:
        view = api().post(f"/api/sessions/{session['id']}/answer", body)
    except BackendUnavailable:
        raise
    except ApiError as error:
        if error.status == 409:
            st.session_state["ts_flash"] = "The session changed meanwhile; here is the new step."
            st.rerun()
        show_error(error, "send the answer")
        return
    forget(note_key)
    st.session_state[FRESH_VIEW] = view
    st.rerun()


def undo(session: dict[str, Any]) -> None:
    try:
        view = api().post(
            f"/api/sessions/{session['id']}/undo", {"expected_version": session["version"]}
        )
    except BackendUnavailable:
        raise
    except ApiError as error:
        st.session_state["ts_flash"] = f"Could not go back: {error.message}"
        st.rerun()
    st.session_state["ts_flash"] = "Your last answer was taken back (it stays in the log)."
    st.session_state[FRESH_VIEW] = view
    st.rerun()


def wizard(session: dict[str, Any]) -> None:
    procedure = session["procedure"]
    where = progress_words(session.get("estimate"))
    st.caption(
        plain(
            f"{where + ' · ' if where else ''}Procedure: {procedure['title']} "
            f"(v{procedure['version']})"
        )
    )
    consultant_panel(session)
    if session["status"] == "finished":
        finished(session)
        return
    if session["status"] == "escalated":
        escalated(session)
        return
    node = session.get("current_node") or {}
    directive = session.get("directive") or {}
    action = directive.get("action")
    # one container per step and answer: the previous step's buttons are not reused for this
    # one (a stale one greyed out lingered while the next step was drawn)
    with st.container(border=True, key=f"ts_step_{session['version']}"):
        st.header(plain(node.get("title") or "Step"))
        if node.get("text"):
            st.text(node["text"])
        if node.get("safety_warning"):
            st.warning(plain(node["safety_warning"]), icon=":material/health_and_safety:")
        if not hazard_gate(session, directive, post_answer):
            action = None  # the step waits for the acknowledgement
        if action == "ask":
            ask(session, directive)
        elif action == "confirm":
            confirm(session, node, directive)
        elif action == "wait_idle":
            # a reset or unlock would end someone's charge: it waits, and says who is charging
            st.info(
                plain(str(directive.get("text") or "")).capitalize(), icon=":material/ev_station:"
            )
            progress(session["id"], session["version"], node)
        elif action in ("run_command", "wait_state", "need_state"):
            progress(session["id"], session["version"], node)
        elif action == "finish":
            finished(session)
    if session.get("can_undo") and st.button(
        "Back: take back my last answer",
        key="ts_undo",
        icon=":material/undo:",
        help="The answer stays in the log, marked as taken back.",
    ):
        undo(session)
    notes_and_photo(session)
    call_consultant(session)


def ask(session: dict[str, Any], directive: dict[str, Any]) -> None:
    kind = directive.get("kind")
    if kind == "measurement":
        unit = directive.get("unit") or ""
        rng = expected_range(directive.get("expected"), unit)
        key = kept(f"ts_measure_{session['id']}_{directive['node_id']}", None)
        st.number_input(f"Measured value ({unit})", key=key, step=0.1, format="%.2f", help=rng)
        remember(key)
        if rng:
            st.caption(rng)
        if st.button("Send value", type="primary", icon=":material/send:", key="ts_send_value"):
            value = st.session_state.get(key)
            if value is None:
                st.error("Type the measured value first.")
            else:
                forget(key)
                post_answer(session, "answer", float(value))
        return
    options = directive.get("options") or []
    columns = st.columns(max(1, min(len(options), 3)))
    for i, option in enumerate(options):
        primary = option["value"] in ("yes", "done", "ok") or len(options) == 1
        if columns[i % len(columns)].button(
            option["label"],
            key=f"ts_opt_{directive['node_id']}_{option['value']}",
            type="primary" if primary else "secondary",
            width="stretch",
        ):
            post_answer(session, "answer", option["value"])


def confirm(session: dict[str, Any], node: dict[str, Any], directive: dict[str, Any]) -> None:
    effect = consequence(node.get("command", ""), node.get("params"), session.get("live"))
    st.warning(effect, icon=":material/warning:")
    if directive.get("text"):
        st.caption(plain(directive["text"]))
    columns = st.columns(2)
    if columns[0].button(
        "Run it now", type="primary", icon=":material/restart_alt:", key="ts_run", width="stretch"
    ):
        post_answer(session, "confirm", True)
    if columns[1].button("Do not run", key="ts_skip", width="stretch"):
        post_answer(session, "confirm", False)


@st.fragment(run_every=2)
def progress(session_id: str, version: int, node: dict[str, Any]) -> None:
    """Live progress of a remote action; the page reloads when the session moves on."""
    try:
        view = api().get(f"/api/sessions/{session_id}")
    except BackendUnavailable:
        st.warning("No connection to the server, retrying.", icon=":material/sync:")
        return
    except ApiError as error:
        st.error(f"Progress unavailable: {plain(error.message)}")
        return
    if view["version"] != version or (view.get("cursor") or {}).get("node_id") != node.get("id"):
        st.rerun(scope="app")
    prog = view.get("progress") or {}
    total = float(node.get("timeout_seconds") or 60)
    left = prog.get("seconds_left")
    phase = prog.get("phase") or "command"
    if phase == "command":
        label = f"Sending the {command_name(node.get('command'))} to the charger..."
        fraction = 0.05
    elif phase == "idle":
        label = "Waiting for the charge to end"
        if left is not None:
            label += f" (at most {left / 60:.0f} min more)"
        total = float(node.get("idle_timeout_seconds") or 3600)
        fraction = 1.0 - (left or total) / total if total else 0.5
    else:
        label = "Waiting for the charger to recover"
        if left is not None:
            label += f" ({left:.0f} s left)"
        fraction = 1.0 - (left or total) / total if total else 0.5
    st.progress(min(max(fraction, 0.02), 1.0), text=label)


def consultant_panel(session: dict[str, Any]) -> None:
    """Messages from the consultant and a pushed step, shown where the partner works."""
    messages = session.get("messages") or []
    step = session.get("consultant_step")
    handoff = session.get("handoff")
    if not (messages or step or handoff):
        return
    with st.container(border=True):
        line = on_it(handoff)
        if line and handoff and handoff.get("claimed_by"):
            st.success(plain(line), icon=":material/support_agent:")
        elif line:
            st.info(plain(line), icon=":material/hourglass_top:")
        for msg in messages[-6:]:
            with speaker(msg):
                st.text(f"{msg.get('name') or msg['from']}: {msg['text']}")
        if step:
            st.info(
                f"Step from {plain(step.get('by'))}: {plain(step.get('text'))}",
                icon=":material/task:",
            )
            choices = step.get("answers") or []
            if choices:  # a question: one button per answer, the answer goes to the log
                columns = st.columns(len(choices))
                for i, choice in enumerate(choices):
                    key = f"ts_ack_{step['seq']}_{i}"
                    if columns[i].button(choice, key=key, width="stretch"):
                        post_answer(session, "ack", choice)
            elif st.button("Done", type="primary", key="ts_ack", icon=":material/check:"):
                post_answer(session, "ack", "done")
        if handoff and handoff.get("status") != "closed":
            key = kept(f"ts_msg_{session['id']}")
            st.text_input("Message to the consultant", key=key)
            remember(key)
            if st.button("Send", key="ts_send_msg", icon=":material/send:"):
                text = (st.session_state.get(key) or "").strip()
                if text and call(
                    "send the message",
                    api().post,
                    f"/api/handoffs/{handoff['id']}/messages",
                    {"text": text},
                ):
                    forget(key)
                    st.rerun()


def escalated(session: dict[str, Any]) -> None:
    st.header("A consultant is on the way")
    st.caption("Stay at the charger. Messages and steps from the consultant appear here.")
    if not session.get("procedure"):
        consultant_panel(session)
    watch(session["id"], session["version"])


@st.fragment(run_every=3)
def watch(session_id: str, version: int) -> None:
    """Reload the page when the session changes (a message, a pushed step, a new procedure)."""
    try:
        view = api().get(f"/api/sessions/{session_id}")
    except ApiError:
        return
    if view["version"] != version:
        st.rerun(scope="app")


def finished(session: dict[str, Any]) -> None:
    outcome = session.get("outcome")
    if outcome == "resolved":
        st.success(
            f"Resolved. {plain(session.get('outcome_note') or '')}", icon=":material/task_alt:"
        )
    else:
        st.warning(
            f"{outcome_label(outcome)}. {plain(session.get('outcome_note') or '')}",
            icon=":material/info:",
        )
    report_button(session)
    if st.button("Next charger", type="primary", key="ts_done"):
        leave_charger()
        st.rerun()


def report_button(session: dict[str, Any]) -> None:
    """The end-of-job report (PDF) for the site owner, fetched only when asked for."""
    key = f"ts_report_{session['id']}"
    if st.session_state.get(key) is None:
        if st.button(
            "Prepare the report for the site owner",
            key="ts_report_make",
            icon=":material/description:",
        ):
            response = call(
                "make the report",
                api().request,
                "GET",
                f"/api/sessions/{session['id']}/report.pdf",
                raw=True,
            )
            if response is not None:
                st.session_state[key] = response.content
                st.rerun()
        return
    st.download_button(
        "Download the report (PDF)",
        st.session_state[key],
        file_name=f"chargefix-report-{session['charger_id']}.pdf",
        mime="application/pdf",
        icon=":material/download:",
        key="ts_report",
    )


def notes_and_photo(session: dict[str, Any]) -> None:
    with st.expander("Note or photo", icon=":material/photo_camera:"):
        key = kept(f"ts_note_{session['id']}")
        st.text_area("Note (sent with your next answer)", key=key, height=90)
        remember(key)
        if st.button("Save note now", key="ts_note_now"):
            post_answer(session, "note")
        photo = st.file_uploader(
            "Photo (added to the session log at once)",
            type=["jpg", "jpeg", "png"],
            key=f"ts_photo_{session['id']}",
        )
        done: set[str] = st.session_state.setdefault(f"ts_photos_sent_{session['id']}", set())
        fresh = photo is not None and photo.file_id not in done
        if fresh and send_photo(session, photo.name, photo.getvalue(), photo.type):
            done.add(photo.file_id)
            st.session_state["ts_flash"] = "Photo added to the session log."
            st.rerun()


def send_photo(session: dict[str, Any], name: str, data: bytes, mime: str | None) -> bool:
    """Store the photo and log it as its own step now (it reaches the consultant's summary
    even if no answer follows)."""
    try:
        stored = api().request(
            "POST",
            f"/api/sessions/{session['id']}/photos",
            files={"file": (name, data, mime or "application/octet-stream")},
        )
        for attempt in range(2):
            version = session["version"]
            if attempt:  # the session moved meanwhile (a wait ended): log it on the new one
                version = api().get(f"/api/sessions/{session['id']}")["version"]
            try:
                api().post(
                    f"/api/sessions/{session['id']}/answer",
                    {"expected_version": version, "kind": "photo", "photo": stored["url"]},
                )
                return True
            except ApiError as error:
                if error.status != 409 or attempt:
                    raise
    except BackendUnavailable:
        raise
    except ApiError as error:
        show_error(error, "store the photo")
    return False


def system_activity(charger_id: str) -> None:
    """What self-diagnosis did on this charger lately (restarts, diagnoses): a partner who
    finds the charger offline should know the system just restarted it. It stands back while
    a person's session is open; the partner carries on either way."""
    lines = recent_system_actions(charger_id)
    if lines:
        st.info(
            "What the system did here recently:\n\n"
            + "\n".join(f"- {line}" for line in lines)
            + "\n\nYou can carry on: while your session is open, the system does not act on"
            " this charger by itself.",
            icon=":material/smart_toy:",
        )


def recent_system_actions(charger_id: str) -> list[str]:
    from datetime import UTC, datetime, timedelta

    since = datetime.now(UTC) - timedelta(minutes=RECENT_MINUTES)
    try:
        diagnoses = api().get(f"/api/chargers/{charger_id}/diagnoses", limit=5)
        commands = api().get(f"/api/chargers/{charger_id}/commands", limit=20)
    except BackendUnavailable:
        raise
    except ApiError:
        return []  # not shown rather than an error: this is background information
    return system_action_lines(diagnoses or [], commands or [], since, charger_id)


def call_consultant(session: dict[str, Any]) -> None:
    if session.get("status") != "active":
        return
    with st.expander("Call a consultant", icon=":material/support_agent:"):
        key = kept(f"ts_reason_{session['id']}")
        st.text_input("What do you need?", key=key, placeholder="e.g. reset did not help")
        remember(key)
        urgent = st.toggle("Urgent (safety or driver waiting)", key="ts_urgent")
        if st.button("Call a consultant", type="primary", key="ts_escalate", width="stretch"):
            reason = (st.session_state.get(key) or "").strip() or "partner asked for help"
            view = call(
                "call a consultant",
                api().post,
                f"/api/sessions/{session['id']}/escalate",
                {
                    "expected_version": session["version"],
                    "reason": reason,
                    "priority": "urgent" if urgent else "high",
                },
            )
            if view:
                forget(key)
                st.rerun()


def main() -> None:
    if auth() is None:
        st.stop()
    charger_id = st.session_state.get(CHARGER)
    if not charger_id:
        finder()
    else:
        charger_screen(charger_id)


main()
