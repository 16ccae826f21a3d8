"""Plain functions that turn API data into the few words a partner reads (easy to test)."""

from __future__ import annotations

from typing import Any

COMMAND_EFFECT = {
    ("reset", "soft"): "The charger will restart its software (1-3 min)",
    ("reset", "hard"): "The charger will reboot completely (up to 5 min)",
    ("unlock_connector", None): "The plug lock of connector {connector} will open",
    ("change_availability", "inoperative"): "Connector {connector} will be taken out of service",
    ("change_availability", "operative"): "Connector {connector} will be put back in service",
    ("remote_stop", None): "The charging session will be stopped",
    ("trigger_message", None): "The charger will be asked to report its state",
    ("clear_cache", None): "The charger will forget its cached cards",
    ("get_diagnostics", None): "The charger will upload its log file",
}
STOPS_CHARGING = {"reset", "remote_stop", "change_availability"}
# Everything Streamlit's Markdown gives a meaning: links and images ([]()!), emphasis, code,
# headings and lists, tables, HTML, LaTeX ($), colour and icon directives (:red[...], :x:).
_MARKDOWN_SPECIAL = frozenset("\\`*_{}[]()#+-.!|<>~$:&=\"'")


def plain(text: Any) -> str:
    """Text from people, chargers or the knowledge base, escaped so that Streamlit's Markdown
    (titles, captions, alerts, button labels, ``help=`` tooltips) shows it character for
    character: no link is clickable and no image loads. Use ``st.text`` where it fits."""
    return "".join("\\" + ch if ch in _MARKDOWN_SPECIAL else ch for ch in str(text))


def consequence(command: str, params: dict[str, Any] | None, live: dict[str, Any] | None) -> str:
    """What pressing the button does, e.g. 'The charger will reboot completely (up to 5 min);
    charging on connector 2 will stop.'"""
    params = params or {}
    kind = params.get("type")
    template = COMMAND_EFFECT.get((command, kind)) or COMMAND_EFFECT.get((command, None))
    connector = params.get("connector_id") or params.get("evse_id")
    if template is None:
        template = f"The command {command} will be sent to the charger"
    text = template.format(connector=connector if connector is not None else "?")
    if command == "change_availability" and not connector:
        text = text.replace("Connector 0", "The whole charger").replace(
            "Connector ?", "The whole charger"
        )
    stops: list[int] = []
    if command in STOPS_CHARGING and kind != "operative":
        for tx in ((live or {}).get("transactions") or {}).values():
            cid = int(tx.get("connector_id", 0))
            whole = command == "reset" or not connector
            if whole or cid == int(connector or 0):
                stops.append(cid)
    if stops:
        which = ", ".join(str(c) for c in sorted(stops))
        text += f"; charging on connector {which} will stop"
    return text + "."


def expected_range(expected: dict[str, float | None] | None, unit: str | None) -> str:
    if not expected:
        return ""
    low, high = expected.get("min"), expected.get("max")
    unit = unit or ""
    if low is not None and high is not None:
        return f"normal: {low:g} to {high:g} {unit}".strip()
    if low is not None:
        return f"normal: at least {low:g} {unit}".strip()
    if high is not None:
        return f"normal: at most {high:g} {unit}".strip()
    return ""


def charger_line(live: dict[str, Any]) -> str:
    """One line per charger in the finder: id, site, state, worst code."""
    state = "online" if live.get("online") else "OFFLINE"
    faults = live.get("open_faults") or []
    worst = ""
    if faults:
        fault = faults[0]
        worst = f" · {fault.get('error_code')} {fault.get('vendor_error_code') or ''}".rstrip()
    else:
        for conn in (live.get("connectors") or {}).values():
            if conn.get("status") in ("Faulted", "Unavailable"):
                worst = f" · {conn.get('status')}"
                break
    return f"{live.get('charger_id')} · {live.get('site_id') or '?'} · {state}{worst}"


def why(hit: dict[str, Any]) -> str:
    """Why a search hit was suggested, in a few words."""
    parts = []
    if hit.get("matched_codes"):
        parts.append("codes " + ", ".join(hit["matched_codes"]))
    if hit.get("matched_terms"):
        parts.append("words " + ", ".join(hit["matched_terms"][:5]))
    if hit.get("model") or hit.get("vendor"):
        parts.append(f"for {hit.get('vendor') or ''} {hit.get('model') or ''}".strip())
    return "; ".join(parts) or "similar text"


STEP_WORDS = {
    "created": "Session started",
    "procedure": "Procedure chosen",
    "push": "Consultant pushed",
    "answer": "Answered",
    "confirm": "Confirmed remote action",
    "note": "Note",
    "ack": "Acknowledged step",
    "command": "Remote command",
    "command_result": "Command result",
    "state": "Charger state",
    "wait": "Waiting for the charger",
    "timeout": "Timed out",
    "escalated": "Called a consultant",
    "claimed": "Consultant took over",
    "message": "Message",
    "consultant_command": "Consultant command",
    "handoff_closed": "Handoff closed",
    "finished": "Finished",
}


def step_line(step: dict[str, Any]) -> str:
    """One line of a session timeline."""
    what = STEP_WORDS.get(step.get("kind", ""), step.get("kind", "?"))
    bits = [f"{step.get('at', '')[11:19]}", f"{step.get('actor')}", what]
    if step.get("node_id"):
        bits.append(f"[{step['node_id']}]")
    if step.get("answer") not in (None, "", {}):
        bits.append(f"answer {step['answer']}")
    if step.get("branch"):
        bits.append(f"-> {step['branch']}")
    if step.get("command"):
        bits.append(f"{step['command']} {step.get('command_params') or ''}".strip())
    if step.get("command_result"):
        result = step["command_result"]
        status = result.get("status") if isinstance(result, dict) else result
        bits.append(f"result {status}")
    if step.get("note"):
        bits.append(f"“{step['note']}”")
    if step.get("photo"):
        bits.append(f"photo {step['photo']}")
    return " · ".join(str(b) for b in bits if b)
