"""The session log in plain words: each step as "who" and "what happened" (never an internal
kind, command or enum name such as ``consultant_command`` or ``site_visit``)."""

from __future__ import annotations

from typing import Any

from app.ui.wording import command_name, outcome_words, plain_answer

ROLE_WORDS = {"partner": "Partner", "consultant": "Consultant", "admin": "Admin"}
SYSTEM_ACTORS = {"system", "diagnosis", "procedure"}


def who(step: dict[str, Any]) -> str:
    """'pat (partner)', 'casey (consultant)', or 'ChargeFix' for the system's own steps."""
    actor = str(step.get("actor") or "")
    if not actor or actor in SYSTEM_ACTORS:
        return "ChargeFix"
    role = ROLE_WORDS.get(str(step.get("role") or ""), "")
    return f"{actor} ({role.lower()})" if role else actor


def command_words(command: str | None, params: dict[str, Any] | None) -> str:
    """'Soft reset', 'Hard reset', 'Plug unlock', 'Settings read' ..."""
    kind = (params or {}).get("type")
    if command == "reset" and isinstance(kind, str):
        return f"{kind.capitalize()} reset"
    name = command_name(command)
    return name[:1].upper() + name[1:]


def _result(result: Any) -> str:
    if isinstance(result, dict):
        if result.get("error"):
            return f"not done: {result['error']}"
        status = result.get("status")
        return str(status) if status else "answered"
    return str(result) if result not in (None, "") else "no answer"


def _speaker(step: dict[str, Any]) -> str:
    role = str(step.get("role") or "")
    if str(step.get("actor") or "") in SYSTEM_ACTORS or not role:
        return "ChargeFix"
    return ROLE_WORDS.get(role, "Someone")


def what_happened(step: dict[str, Any]) -> str:
    """One entry of the log, e.g. 'Soft reset sent', 'Partner answered: Yes'."""
    kind = str(step.get("kind") or "")
    answer = step.get("answer")
    details = answer if isinstance(answer, dict) else {}
    speaker = _speaker(step)
    command = command_words(step.get("command"), step.get("command_params"))
    if kind == "created":
        text = "Session started"
    elif kind == "procedure":
        text = "Procedure chosen"
    elif kind == "answer":
        text = f"{speaker} answered: {plain_answer(answer).capitalize()}"
    elif kind == "confirm":
        text = f"{speaker} {'agreed to' if answer is not False else 'declined'} the remote action"
    elif kind == "acknowledge":
        text = f"{speaker} confirmed the safety instructions"
    elif kind == "command":
        text = f"{command} sent"
        if step.get("command_result"):
            text += f", the charger answered: {_result(step['command_result'])}"
    elif kind == "consultant_command":
        text = f"{command} sent by the consultant: {_result(step.get('command_result'))}"
    elif kind == "state":
        text = "Charger state checked"
    elif kind == "wait":
        text = "Waiting for the charger"
    elif kind == "timeout":
        text = "The charger did not answer in time"
    elif kind == "escalated":
        by_procedure = details.get("by") == "procedure"
        text = (
            "The procedure handed over to a consultant"
            if by_procedure
            else f"{speaker} called a consultant"
        )
    elif kind == "claimed":
        text = "A consultant took over"
    elif kind == "message":
        text = f"Message from the {speaker.lower()}"
    elif kind == "push":
        text = "Consultant sent a step to do"
    elif kind == "ack":
        text = f"{speaker} did the consultant's step"
    elif kind == "handoff_closed":
        text = f"Consultant closed the handoff: {outcome_words(details.get('outcome'))}"
    elif kind == "finished":
        text = f"Session ended: {outcome_words(details.get('outcome'))}"
    elif kind == "photo":
        text = f"{speaker} added a photo"
    elif kind == "note":
        text = f"{speaker} added a note"
    elif kind == "undo":
        text = f"{speaker} took back the answer of step {details.get('undid', '?')}"
    else:
        text = kind.replace("_", " ").capitalize() or "Step"
    return text


def detail(step: dict[str, Any]) -> str:
    """The step's own words: where in the procedure, the note or message, a photo."""
    parts = []
    if step.get("node_id"):
        parts.append(f"at step “{step['node_id'].replace('-', ' ').replace('_', ' ')}”")
    if step.get("note"):
        parts.append(f"“{step['note']}”")
    if step.get("photo"):
        parts.append("photo attached")
    return " · ".join(parts)


def timeline_rows(steps: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [
        {
            "Time": str(step.get("at") or "")[11:19],
            "Who": who(step),
            "What happened": what_happened(step),
            "Details": detail(step),
        }
        for step in steps
    ]
