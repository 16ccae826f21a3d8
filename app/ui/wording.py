"""Plain functions that turn API data into the few words a partner reads (easy to test)."""

from __future__ import annotations

import re
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
    ("get_configuration", None): "The charger will be asked for its settings (nothing changes)",
    ("change_configuration", None): "A setting of the charger will be changed",
    ("restart_peripheral", None): "Only the {part} will restart; charging goes on",
    ("remote_start", None): "A charging session will be started",
}
# Plain names of remote actions for logs and lists (never the internal command name).
COMMAND_NAMES = {
    "reset": "restart",
    "unlock_connector": "plug unlock",
    "change_availability": "change of service state",
    "remote_stop": "remote stop",
    "remote_start": "remote start",
    "trigger_message": "status request",
    "clear_cache": "card cache clear",
    "get_diagnostics": "log file request",
    "get_configuration": "settings read",
    "change_configuration": "setting change",
    "restart_peripheral": "part restart",
}
# The part a restart_peripheral step restarts, by the fault key it names.
PERIPHERAL_PARTS = {
    "payment_terminal_failure": "payment terminal",
    "rfid_reader_failure": "card reader",
}


# The fault-code catalogue's classes and who is responsible (app/fault_codes/schema.py), in
# plain words.
SAFETY_WORDS = {
    "reset_safe": "a reset may clear it",
    "never_reset": "safety: never reset",
    "outside_charger": "outside the charger",
}
WHOSE_WORDS = {
    "charger_maker": "the charger (maker)",
    "operator": "the operator",
    "vehicle": "the vehicle",
    "driver": "the driver",
    "site_power": "site power / utility",
    "network_provider": "the network provider",
    "payment_provider": "the payment provider",
}


def fault_line(fault: dict[str, Any]) -> str:
    """One open fault in a few words: where, its code, what it means, whether a reset may
    help. The catalogue's meaning and standard code (e.g. CX017) where it knows the fault; else
    the faces the charger sent (a 2.0.1 fault's techCode and component, a 1.6 info)."""
    where = f"Connector {fault.get('connector_id')}" if fault.get("connector_id") else "Charger"
    known = fault.get("classification") or {}
    code = (
        known.get("standard_code")
        or fault.get("vendor_error_code")
        or fault.get("tech_code")
        or fault.get("error_code")
        or "?"
    )
    if known.get("known"):
        what = known.get("meaning") or fault.get("error_code") or ""
    else:
        said = fault.get("info") or fault.get("tech_info") or fault.get("component") or ""
        what = " ".join(str(p) for p in (fault.get("error_code"), said) if p and p != code)
    safety = SAFETY_WORDS.get(known.get("safety_class") or "") or (
        "not known" if known.get("known") else "not in the catalogue: no reset"
    )
    return " · ".join(part for part in (where, str(code), str(what).strip(), safety) if part)


def command_name(command: str | None) -> str:
    return COMMAND_NAMES.get(command or "", "remote action")


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
    kind = kind.lower() if isinstance(kind, str) else kind  # 1.6 spells "Inoperative"
    template = COMMAND_EFFECT.get((command, kind)) or COMMAND_EFFECT.get((command, None))
    connector = params.get("connector_id") or params.get("evse_id")
    if template is None:
        template = "A remote action will be sent to the charger"
    part = PERIPHERAL_PARTS.get(str(params.get("fault")), "part named")
    text = template.format(connector=connector if connector is not None else "?", part=part)
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
    "photo": "Photo",
    "undo": "Took back an answer",
}


def step_line(step: dict[str, Any]) -> str:
    """One line of a session timeline."""
    kind = step.get("kind", "")
    what = STEP_WORDS.get(kind, "Step")
    answer = step.get("answer")
    if kind == "escalated" and isinstance(answer, dict) and answer.get("by") == "procedure":
        what = "The procedure handed over to a consultant"
    bits = [f"{step.get('at', '')[11:19]}", f"{step.get('actor')}", what]
    if step.get("node_title") or step.get("node_id"):
        bits.append(f"at “{step.get('node_title') or step['node_id']}”")
    if kind == "undo" and isinstance(answer, dict):
        bits.append(f"step {answer.get('undid')}")
    elif kind in ("finished",) and isinstance(answer, dict):
        bits.append(outcome_words(answer.get("outcome")))
    elif answer not in (None, "", {}) and not isinstance(answer, dict):
        bits.append(f"answer {plain_answer(answer)}")
    if step.get("command"):
        bits.append(command_name(step["command"]))
    if step.get("command_result"):
        result = step["command_result"]
        status = result.get("status") if isinstance(result, dict) else result
        bits.append(f"result {status}")
    if step.get("note"):
        bits.append(f"“{step['note']}”")
    if step.get("photo"):
        bits.append("photo attached")
    return " · ".join(str(b) for b in bits if b)


OUTCOME_WORDS = {
    "resolved": "Resolved",
    "site_visit": "Site visit needed",
    "vehicle_side": "Vehicle side",
    "not_reproducible": "Not reproducible",
    "abandoned": "Abandoned",
    "escalate": "Handed to a consultant",
    "escalated": "Handed to a consultant",
    "active": "In progress",
    "finished": "Finished",
}


def outcome_words(outcome: str | None) -> str:
    """A session outcome or status in plain words (never ``site_visit``)."""
    if not outcome:
        return "-"
    return OUTCOME_WORDS.get(outcome, outcome.replace("_", " ").capitalize())


def plain_answer(value: object) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return str(value).replace("_", " ")


_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def plain_passage(text: str) -> str:
    """A manual passage as plain text: Markdown table rows become "a · b · c", the rule
    rows under table headers go, heading marks and emphasis stars are dropped."""
    lines = []
    for line in (text or "").splitlines():
        if _TABLE_RULE.match(line):
            continue
        stripped = line.strip()
        if stripped.startswith("|") or stripped.count("|") >= 2:
            cells = [c.strip() for c in stripped.strip("|").split("|")]
            line = " · ".join(c for c in cells if c)
        line = re.sub(r"^#{1,6}\s+", "", line)
        line = line.replace("**", "").replace("__", "")
        lines.append(line)
    return "\n".join(lines).strip()


def progress_words(estimate: dict[str, int] | None) -> str:
    """'Step 3 of about 7' (or 'Step 3 of 7' when every way is as long)."""
    if not estimate:
        return ""
    step, fewest, most = estimate["step"], estimate["fewest"], estimate["most"]
    if fewest == most:
        return f"Step {step} of {most}"
    return f"Step {step} of about {most}"
