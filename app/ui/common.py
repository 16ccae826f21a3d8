"""Shared pieces of every page: the API client for this person, CSS, errors, kept inputs."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import streamlit as st

from app.ui.api_client import ApiClient, ApiError, BackendUnavailable
from app.ui.wording import COMMAND_NAMES, command_name, fault_line, outcome_words, plain

T = TypeVar("T")
AUTH_KEY = "auth"
KEEP_PREFIX = "keep:"

# Our own static CSS (never user text): big touch targets, strong contrast, large type.
CSS = """
<style>
.stButton > button, .stDownloadButton > button, .stFormSubmitButton > button,
div[data-testid="stPopover"] button {
  min-height: 48px; min-width: 48px; font-size: 1.05rem; font-weight: 600;
  border-width: 2px;
}
.stTextInput input, .stNumberInput input, .stSelectbox div[data-baseweb="select"] > div,
.stTextArea textarea { min-height: 48px; font-size: 1.05rem; }
div[data-testid="stRadio"] label, div[data-testid="stCheckbox"] label { min-height: 48px;
  align-items: center; }
.block-container { padding-top: 3.2rem; padding-bottom: 2rem; max-width: 1100px; }
div[data-testid="stMetricValue"] { font-size: 1.6rem; }
/* Answer labels wrap instead of being cut off ("Only with one particular v..."). */
.stButton > button, .stDownloadButton > button, .stFormSubmitButton > button {
  height: auto; white-space: normal; }
.stButton > button *, .stDownloadButton > button *, .stFormSubmitButton > button * {
  white-space: normal !important; overflow: visible !important;
  text-overflow: clip !important; overflow-wrap: anywhere; }
/* A button left over from the previous screen while the next one is drawn: faded out after
   a moment and never tappable (tapping it would answer a step no longer shown). */
div[data-testid="stElementContainer"][data-stale="true"] button {
  opacity: 0 !important; pointer-events: none; transition: opacity 0.15s 0.4s; }
.st-key-cfx_client { display: none; }
</style>
"""


def api_url() -> str:
    return os.environ.get("CHARGEFIX_API_URL", "http://127.0.0.1:8000").rstrip("/")


@st.cache_resource(show_spinner=False)
def _shared_client(base_url: str) -> ApiClient:
    """One connection pool per server process; the token is added per person."""
    return ApiClient(base_url)


def auth() -> dict[str, Any] | None:
    return st.session_state.get(AUTH_KEY)


def api() -> ApiClient:
    """The API client with the signed-in person's token."""
    token = (auth() or {}).get("token")
    return _shared_client(api_url()).with_token(token)


def style() -> None:
    st.markdown(CSS, unsafe_allow_html=True)


def show_error(error: ApiError, doing: str) -> None:
    """One clear error: what failed, why, what to do next (all plain text)."""
    if isinstance(error, BackendUnavailable):
        raise error  # the page frame shows the banner and retries
    st.error(
        f"Could not {plain(doing)}: {plain(error.message)}\n\n{plain(error.hint)}",
        icon=":material/error:",
    )


def call(doing: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """Run one API call; on an error show it and return None."""
    try:
        return fn(*args, **kwargs)
    except ApiError as error:
        if error.status == 401 and not isinstance(error, BackendUnavailable):
            st.session_state.pop(AUTH_KEY, None)
            st.warning("Your sign-in expired. Sign in again.")
            st.rerun()
        show_error(error, doing)
        return None


def kept(key: str, default: Any = "") -> str:
    """A widget key whose value survives reruns where the widget is not drawn (lost backend,
    page switches): call before drawing the widget; ``remember`` stores it afterwards."""
    if key not in st.session_state:
        st.session_state[key] = st.session_state.get(KEEP_PREFIX + key, default)
    return key


def remember(key: str) -> None:
    if key in st.session_state:
        st.session_state[KEEP_PREFIX + key] = st.session_state[key]


def forget(key: str) -> None:
    st.session_state.pop(KEEP_PREFIX + key, None)
    st.session_state.pop(key, None)


def parse_ts(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def ago(value: str | None) -> str:
    """'12 s ago', '5 min ago', '3 h ago' (plain text)."""
    ts = parse_ts(value)
    if ts is None:
        return "never"
    seconds = max(0.0, (datetime.now(UTC) - ts).total_seconds())
    return duration(seconds) + " ago"


def system_action_lines(
    diagnoses: list[dict[str, Any]],
    commands: list[dict[str, Any]],
    since: datetime,
    charger_id: str | None = None,
) -> list[str]:
    """What self-diagnosis did on a charger since ``since``, newest first, at most five: its
    diagnoses (one still open whatever its age) and the remote actions a partner knows by
    name (a restart, an unlock...). The reports and monitors it asks a 2.0.1 charger for
    change nothing there and are left out. A diagnosis of another charger that this one
    (``charger_id``) is part of (a site's supply, the card processor) says so."""
    lines: list[tuple[datetime, str]] = []
    for row in diagnoses:
        at = parse_ts(row.get("opened_at"))
        if at is None or (at < since and row.get("closed_at") is not None):
            continue
        what = row.get("title") or row.get("likely_cause") or "a fault"
        status = str(row.get("status") or "").replace("_", " ")
        shared = charger_id is not None and row.get("charger_id") not in (None, charger_id)
        where = ", here and at other chargers" if shared else ""
        lines.append((at, f"{ago(row.get('opened_at'))}: diagnosed {what}{where} ({status})"))
    for row in commands:
        at = parse_ts(row.get("requested_at"))
        if row.get("origin") != "diagnosis" or at is None or at < since:
            continue
        if row.get("command") not in COMMAND_NAMES:
            continue
        answer = row.get("outcome") or "?"
        lines.append(
            (
                at,
                f"{ago(row.get('requested_at'))}: sent a {command_name(row.get('command'))}"
                f" by itself (charger answer: {answer})",
            )
        )
    return [text for _, text in sorted(lines, key=lambda x: x[0], reverse=True)[:5]]


def duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400 * 2:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.0f} d"


def connectors(live: dict[str, Any]) -> list[dict[str, Any]]:
    raw = live.get("connectors") or {}
    values = list(raw.values() if isinstance(raw, dict) else raw)
    return sorted(values, key=lambda c: int(c.get("connector_id", 0)))


STATUS_ICON = {
    "Available": ":material/check_circle:",
    "Charging": ":material/bolt:",
    "Faulted": ":material/error:",
    "Unavailable": ":material/block:",
    "Preparing": ":material/hourglass_top:",
    "Occupied": ":material/hourglass_top:",
}


def live_panel(live: dict[str, Any]) -> None:
    """The live state of a charger: online, connectors, faults, transaction, firmware."""
    online = bool(live.get("online"))
    head = st.columns([2, 2, 2])
    head[0].metric("Connection", "Online" if online else "OFFLINE")
    head[1].metric("Open faults", len(live.get("open_faults") or []))
    head[2].metric("Charges running", len(live.get("transactions") or {}))
    st.caption(
        plain(
            f"{live.get('vendor') or '?'} {live.get('model') or ''} · firmware "
            f"{live.get('firmware_version') or '?'} · OCPP {live.get('ocpp_version') or '?'} · "
            f"last message {live.get('last_action') or '-'} {ago(live.get('last_seen'))}"
        )
    )
    rows = []
    for conn in connectors(live):
        rows.append(
            {
                "Connector": int(conn.get("connector_id", 0)),
                "Status": conn.get("status") or "?",
                "Error": conn.get("error_code") or "",
                "Vendor code": conn.get("vendor_error_code") or "",
                "Info": conn.get("info") or "",
                "Since": ago(conn.get("since")),
            }
        )
    if rows:
        st.dataframe(rows, hide_index=True, width="stretch")
    for fault in live.get("open_faults") or []:
        st.warning(
            plain(f"{fault_line(fault)} (since {ago(fault.get('raised_at'))})"),
            icon=":material/warning:",
        )
    for tx in (live.get("transactions") or {}).values():
        meter = tx.get("last_meter") or {}
        power = meter.get("power_w")
        st.info(
            f"Charging on connector {tx.get('connector_id')} since {ago(tx.get('started_at'))}"
            + (f" · {power / 1000:.1f} kW" if power else ""),
            icon=":material/bolt:",
        )


def outcome_label(outcome: str | None) -> str:
    return outcome_words(outcome)


def show_photo(url: str, width: int = 320) -> None:
    """A photo stored by the backend: fetched with the person's token, shown as an image."""
    if not url.startswith("/api/sessions/"):
        return
    try:
        response = api().request("GET", url, raw=True)
    except BackendUnavailable:
        raise
    except ApiError:
        st.caption("Photo not available.")
        return
    st.image(response.content, width=width)
