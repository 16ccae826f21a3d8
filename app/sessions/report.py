"""The end-of-job report a partner hands to the site owner, as a PDF (fpdf2).

What was found (symptom, faults at the start, the procedure's diagnosis and outcome), what
was done (each step in plain words, each remote command and its result), the photos taken,
and who approved a guard override. Built from the session log and the command audit only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from fpdf import FPDF
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import CommandRow
from app.db.models_sessions import SessionStep, TroubleshootingSession
from app.procedures.schema import ChoiceQuestion, Procedure, TerminalNode

OUTCOME_WORDS = {
    "resolved": "Resolved",
    "site_visit": "A technician visit is needed",
    "vehicle_side": "The fault is on the vehicle side",
    "not_reproducible": "The fault could not be reproduced",
    "abandoned": "Stopped before the end",
    "escalate": "Handed to a consultant",
}
COMMAND_WORDS = {
    "reset": "Remote restart",
    "unlock_connector": "Remote unlock of the plug",
    "change_availability": "Connector taken out of / put back in service",
    "remote_stop": "Charging session stopped remotely",
    "remote_start": "Charging session started remotely",
    "trigger_message": "Charger asked to report its state",
    "clear_cache": "Charger's card cache cleared",
    "get_diagnostics": "Charger's log file requested",
}
_PHOTO = re.compile(r"^/api/sessions/[0-9a-f-]{36}/photos/([0-9a-f-]{36}\.(?:jpg|png))$")


@dataclass
class Report:
    charger_id: str
    site_id: str
    model: str
    connector_id: int
    partner: str
    started: datetime
    finished: datetime | None
    status: str
    outcome: str
    procedure: str
    found: list[str] = field(default_factory=list)
    done: list[str] = field(default_factory=list)
    overrides: list[str] = field(default_factory=list)
    photos: list[tuple[str, Path]] = field(default_factory=list)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "-"


def _answer_words(procedure: Procedure | None, node_id: str | None, answer: Any) -> str:
    node = procedure.node(node_id) if procedure and node_id else None
    title = node.title if node is not None else (node_id or "step")
    if isinstance(node, ChoiceQuestion):
        labels = {c.value: c.label for c in node.choices}
        answer = labels.get(str(answer), answer)
    elif answer is True or answer in ("yes", "done", "ok"):
        answer = {"done": "done", "ok": "OK"}.get(str(answer), "yes")
    elif answer is False or answer == "no":
        answer = "no"
    return f"{title} Answer: {answer}"


def _step_words(procedure: Procedure | None, step: SessionStep) -> str | None:
    at = step.at.strftime("%H:%M")
    who = step.actor
    if step.kind == "answer":
        return f"{at} {who}: {_answer_words(procedure, step.node_id, step.answer)}"
    if step.kind == "confirm":
        verb = "approved" if step.answer is not False else "declined"
        return f"{at} {who} {verb} the remote action at '{_title(procedure, step.node_id)}'"
    if step.kind in ("command", "consultant_command"):
        what = COMMAND_WORDS.get(step.command or "", "Remote action")
        kind = (step.command_params or {}).get("type")
        result = (step.command_result or {}).get("status") or "no answer"
        by = "" if step.kind == "command" else f" by {who}"
        return f"{at} {what}{f' ({kind})' if kind else ''}{by}: charger answered {result}"
    if step.kind == "state":
        return f"{at} The charger reached the expected state"
    if step.kind == "timeout":
        return f"{at} The charger did not reach the expected state in time"
    if step.kind == "undo":
        return f"{at} {who} took back an answer (step {(step.answer or {}).get('undid')})"
    if step.kind == "escalated":
        by = "the procedure" if (step.answer or {}).get("by") == "procedure" else who
        return f"{at} Handed to a consultant by {by}: {step.note or ''}".rstrip(": ")
    if step.kind == "note" and step.note:
        return f"{at} Note by {who}: {step.note}"
    if step.kind == "photo":
        return f"{at} Photo taken by {who}" + (f": {step.note}" if step.note else "")
    if step.kind == "message" and step.note:
        return f"{at} Message from {who}: {step.note}"
    if step.kind == "finished":
        return f"{at} Finished: {OUTCOME_WORDS.get(str((step.answer or {}).get('outcome')), '')}"
    return None


def _title(procedure: Procedure | None, node_id: str | None) -> str:
    if procedure is None or node_id is None:
        return node_id or "step"
    return str(procedure.node(node_id).title)


def gather(
    db: Session,
    row: TroubleshootingSession,
    procedure: Procedure | None,
    live: dict[str, Any],
    uploads_dir: Path,
) -> Report:
    steps = list(
        db.scalars(
            select(SessionStep).where(SessionStep.session_id == row.id).order_by(SessionStep.seq)
        )
    )
    first = (steps[0].live_snapshot if steps else None) or live or {}
    report = Report(
        charger_id=row.charger_id,
        site_id=str(first.get("site_id") or live.get("site_id") or "-"),
        model=f"{first.get('vendor') or ''} {first.get('model') or ''}".strip() or "-",
        connector_id=row.connector_id,
        partner=row.partner,
        started=row.created_at,
        finished=row.finished_at,
        status=row.status,
        outcome=OUTCOME_WORDS.get(row.outcome or "", "Still open" if not row.outcome else ""),
        procedure=procedure.title if procedure else "-",
    )
    if row.symptom:
        report.found.append(f"Reported: {row.symptom}")
    for fault in first.get("open_faults") or []:
        report.found.append(
            f"Fault on connector {fault.get('connector_id')} at the start: {_fault_words(fault)}"
        )
    if procedure is not None and row.cursor and row.cursor.get("node_id"):
        node = procedure.node(row.cursor["node_id"])
        if isinstance(node, TerminalNode) and node.diagnosis:
            report.found.append(f"Diagnosis: {node.diagnosis}")
    if row.outcome_note:
        report.found.append(f"Result: {row.outcome_note}")
    if not live.get("open_faults") and first.get("open_faults"):
        report.found.append("No fault is open on the charger now.")
    folder = uploads_dir / "photos" / re.sub(r"[^A-Za-z0-9-]", "_", row.id)
    for step in steps:
        words = _step_words(procedure, step)
        if words:
            report.done.append(words)
        match = _PHOTO.match(step.photo or "")
        if match and (folder / match.group(1)).is_file():
            report.photos.append((f"{step.at.strftime('%H:%M')} {step.actor}", folder / match[1]))
    end = row.finished_at or datetime.max
    audits = db.scalars(
        select(CommandRow)
        .where(
            CommandRow.charger_id == row.charger_id,
            CommandRow.requested_at >= row.created_at,
            CommandRow.requested_at <= end,
        )
        .order_by(CommandRow.id)
    )
    for audit in audits:
        if audit.forced or audit.overrides:
            what = COMMAND_WORDS.get(audit.command, audit.command)
            guards = f" (over: {audit.overrides})" if audit.overrides else ""
            why = f", reason: {audit.reason}" if audit.reason else ""
            report.overrides.append(
                f"{audit.requested_at.strftime('%H:%M')} {what}{guards} approved by "
                f"{audit.requested_by} ({audit.role}){why}"
            )
    return report


# --------------------------------------------------------------------------- PDF
def _latin1(text: str) -> str:
    """The PDF core fonts hold Latin-1 only: common typography mapped, the rest replaced."""
    table = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "–": "-", "—": "-", "…": "..."})
    return text.translate(table).encode("latin-1", "replace").decode("latin-1")


class _Pdf(FPDF):
    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", size=8)
        self.cell(0, 8, f"ChargeFix service report - page {self.page_no()}", align="C")


def render(report: Report) -> bytes:
    pdf = _Pdf(format="A4")
    pdf.set_auto_page_break(True, margin=16)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(
        0,
        10,
        _latin1(f"Service report: charger {report.charger_id}"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("Helvetica", size=10)
    rows = [
        ("Site", report.site_id),
        ("Charger", f"{report.model}, connector {report.connector_id}"),
        ("Service partner", report.partner),
        ("Started", _when(report.started)),
        ("Finished", _when(report.finished)),
        ("Procedure", report.procedure),
        ("Outcome", report.outcome or report.status),
    ]
    for label, value in rows:
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(40, 6, _latin1(label))
        pdf.set_font("Helvetica", size=10)
        pdf.multi_cell(0, 6, _latin1(value), new_x="LMARGIN", new_y="NEXT")
    sections = [
        ("What was found", report.found or ["Nothing recorded."]),
        ("What was done", report.done or ["Nothing recorded."]),
        ("Overrides approved", report.overrides or ["No safety guard was overridden."]),
    ]
    for title, lines in sections:
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 13)
        pdf.cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=10)
        for line in lines:
            pdf.multi_cell(0, 5.5, _latin1(f"- {line}"), new_x="LMARGIN", new_y="NEXT")
    if report.photos:
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 13)
        pdf.cell(0, 8, "Photos", new_x="LMARGIN", new_y="NEXT")
        for caption, path in report.photos:
            if pdf.get_y() > pdf.h - 90:
                pdf.add_page()
            pdf.set_font("Helvetica", size=9)
            pdf.cell(0, 5, _latin1(caption), new_x="LMARGIN", new_y="NEXT")
            try:
                pdf.image(str(path), h=70, keep_aspect_ratio=True, w=120)
            except Exception:  # a damaged upload must not cost the whole report
                pdf.cell(0, 5, "(photo could not be read)", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
    return bytes(pdf.output())


def _fault_words(fault: dict[str, Any]) -> str:
    """The faces a fault was reported with (1.6 codes and info, a 2.0.1 techCode), its
    standard code and the catalogue's meaning where it knows them."""
    known = fault.get("classification") or {}
    faces = [fault.get(k) for k in ("error_code", "vendor_error_code", "tech_code", "info")]
    if known.get("standard_code") not in faces:
        faces.append(known.get("standard_code"))
    words = " ".join(str(f) for f in faces if f)
    return f"{words} ({known['meaning']})" if known.get("meaning") else words
