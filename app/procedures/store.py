"""Procedures as versioned database records: import YAML, edit (new version), publish, retire.

Two rules keep editors' work:
- the status of a saved version is the action's (save = draft, publish = published), never
  what the text's ``status:`` field says; the field is rewritten to match and the caller is
  told (``notices``);
- shipped YAML seeds a procedure id that has no version yet; it never adds a version on top
  of what is stored, so a restart (``make run`` imports again) cannot revert an editor.

And one that keeps partners safe: a version with a hazardous step (electrical or high-voltage
work) is published only after a second editor, not its author, approved it (four eyes).
Shipped content was reviewed where it was written and is seeded published.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.base import utcnow
from app.db.models_sessions import ProcedureVersionRow
from app.procedures.schema import Procedure, ProcedureStatus
from app.procedures.validation import ValidationReport, validate_text


class ProcedureError(ValueError):
    """A procedure operation that cannot be done; ``http_status`` says how the API answers."""

    def __init__(self, message: str, http_status: int = 422, issues: list | None = None) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.issues = issues or []


def _report(text: str, source: str) -> ValidationReport:
    return validate_text(text, source)


def latest(db: Session, procedure_id: str) -> ProcedureVersionRow | None:
    return db.scalar(
        select(ProcedureVersionRow)
        .where(ProcedureVersionRow.procedure_id == procedure_id)
        .order_by(ProcedureVersionRow.version.desc())
        .limit(1)
    )


def get_version(db: Session, procedure_id: str, version: int) -> ProcedureVersionRow | None:
    return db.scalar(
        select(ProcedureVersionRow).where(
            ProcedureVersionRow.procedure_id == procedure_id,
            ProcedureVersionRow.version == version,
        )
    )


def published(db: Session, procedure_id: str) -> ProcedureVersionRow | None:
    """The newest published version (what new sessions run)."""
    return db.scalar(
        select(ProcedureVersionRow)
        .where(
            ProcedureVersionRow.procedure_id == procedure_id,
            ProcedureVersionRow.status == "published",
        )
        .order_by(ProcedureVersionRow.version.desc())
        .limit(1)
    )


def list_latest(db: Session, include_retired: bool = False) -> list[ProcedureVersionRow]:
    newest = (
        select(ProcedureVersionRow.procedure_id, func.max(ProcedureVersionRow.version).label("v"))
        .group_by(ProcedureVersionRow.procedure_id)
        .subquery()
    )
    rows = db.scalars(
        select(ProcedureVersionRow)
        .join(
            newest,
            (ProcedureVersionRow.procedure_id == newest.c.procedure_id)
            & (ProcedureVersionRow.version == newest.c.v),
        )
        .order_by(ProcedureVersionRow.procedure_id)
    ).all()
    return [r for r in rows if include_retired or r.status != "retired"]


def load(row: ProcedureVersionRow) -> Procedure:
    """The parsed procedure of a stored version (422 if it does not even parse)."""
    report = _report(row.yaml_text, row.source or f"{row.procedure_id}@{row.version}")
    if report.procedure is None:
        raise ProcedureError(
            f"procedure {row.procedure_id} v{row.version} does not parse",
            issues=[i.model_dump() for i in report.issues],
        )
    # model_copy does not validate: convert the stored text to the enum it stands for
    status = ProcedureStatus(row.status)
    return report.procedure.model_copy(update={"version": row.version, "status": status})


_STATUS_LINE = re.compile(r"^status:[ \t]*([^\s#]*)[ \t]*(#.*)?$", re.MULTILINE)


@dataclass
class Saved:
    """A stored version and what the caller should be told about it."""

    row: ProcedureVersionRow
    notices: list[str] = field(default_factory=list)


def with_status(text: str, status: str) -> tuple[str, str | None]:
    """The text with its top-level ``status:`` set to ``status``; and the status it declared
    before, if that differed (None when it already matched or had none)."""
    match = _STATUS_LINE.search(text)
    if match is None or match.group(1) == status:
        return text, None
    line = f"status: {status}" + (f"  {match.group(2)}" if match.group(2) else "")
    return text[: match.start()] + line + text[match.end() :], match.group(1)


def hazardous_nodes(procedure: Procedure) -> list[str]:
    return [node.id for node in procedure.nodes if node.hazardous]


def _needs_review(proc: Procedure) -> ProcedureError:
    return ProcedureError(
        f"procedure {proc.id} has hazardous steps ({', '.join(hazardous_nodes(proc))}): save it "
        "as a draft; another editor approves it, then it can be published",
        http_status=409,
    )


def save_version(
    db: Session,
    yaml_text: str,
    author: str,
    source: str | None = None,
    publish: bool = False,
    expected_id: str | None = None,
    reviewed: bool = False,
) -> Saved:
    """Store the YAML as the next version of its procedure (drafts may be invalid).

    The version's status is ``published`` when ``publish`` is asked and ``draft`` otherwise,
    whatever the text declares. ``expected_id`` (the procedure the editor has open) must be
    the text's ``id``: a text is never stored under another procedure unnoticed."""
    report = _report(yaml_text, source or "<editor>")
    if report.procedure is None:
        # a draft that does not parse still needs an id to be stored under
        raise ProcedureError(
            "procedure does not parse", issues=[i.model_dump() for i in report.issues]
        )
    proc = report.procedure
    if expected_id is not None and proc.id != expected_id:
        raise ProcedureError(
            f"the text's id is {proc.id!r} but the open procedure is {expected_id!r}: "
            f"nothing saved (to make a new procedure, use '+ New procedure')",
            http_status=409,
        )
    if publish and not report.ok:
        raise ProcedureError(
            f"procedure {proc.id} is not valid and cannot be published",
            issues=[i.model_dump() for i in report.errors],
        )
    if publish and not reviewed and hazardous_nodes(proc):
        raise _needs_review(proc)
    status: Literal["draft", "published"] = "published" if publish else "draft"
    text, declared = with_status(yaml_text, status)
    notices = []
    if declared is not None:
        notices.append(
            f"the text said 'status: {declared}'; a version's status is set by the action "
            f"(Save draft / Publish), so it was stored as {status}"
        )
    current = latest(db, proc.id)
    version = (current.version + 1) if current else proc.version
    row = ProcedureVersionRow(
        procedure_id=proc.id,
        version=version,
        status=status,
        title=proc.title,
        yaml_text=text,
        valid=report.ok,
        issues=[i.model_dump() for i in report.issues],
        source=source,
        created_by=author,
    )
    db.add(row)
    db.flush()
    return Saved(row, notices)


def approve(db: Session, procedure_id: str, version: int, who: str) -> ProcedureVersionRow:
    """A second editor's approval of a draft (its author cannot approve it)."""
    row = _existing(db, procedure_id, version)
    if row.created_by == who:
        raise ProcedureError(
            f"v{version} of {procedure_id} was saved by {who}: another editor approves it", 403
        )
    if row.status != "draft":
        raise ProcedureError(f"v{version} of {procedure_id} is {row.status}, not a draft", 409)
    if not row.valid:
        raise ProcedureError(f"v{version} of {procedure_id} is not valid: fix it first", 422)
    row.approved_by, row.approved_at = who, utcnow()
    db.flush()
    return row


def versions(db: Session, procedure_id: str) -> list[ProcedureVersionRow]:
    """Every version of a procedure, newest first."""
    return list(
        db.scalars(
            select(ProcedureVersionRow)
            .where(ProcedureVersionRow.procedure_id == procedure_id)
            .order_by(ProcedureVersionRow.version.desc())
        )
    )


def _existing(db: Session, procedure_id: str, version: int) -> ProcedureVersionRow:
    row = get_version(db, procedure_id, version)
    if row is None:
        raise ProcedureError(f"no version {version} of procedure {procedure_id!r}", 404)
    return row


def diff(db: Session, procedure_id: str, old: int, new: int) -> str:
    """A unified diff of two versions' texts ('' when they are the same)."""
    a, b = _existing(db, procedure_id, old), _existing(db, procedure_id, new)
    lines = difflib.unified_diff(
        a.yaml_text.splitlines(),
        b.yaml_text.splitlines(),
        f"v{a.version} ({a.status}, {a.created_by})",
        f"v{b.version} ({b.status}, {b.created_by})",
        lineterm="",
    )
    return "\n".join(lines)


def roll_back(db: Session, procedure_id: str, version: int, author: str) -> Saved:
    """Bring back an old version's text as a new draft version (history is never rewritten)."""
    old = _existing(db, procedure_id, version)
    saved = save_version(
        db, old.yaml_text, author, source=f"rollback of v{version}", expected_id=procedure_id
    )
    saved.notices = [f"v{saved.row.version} is a draft copy of v{version}; publish it to use it"]
    return saved


def set_status(
    db: Session, procedure_id: str, version: int | None, status: str
) -> ProcedureVersionRow:
    row = get_version(db, procedure_id, version) if version else latest(db, procedure_id)
    if row is None:
        raise ProcedureError(f"no procedure {procedure_id!r}", http_status=404)
    if status == "published" and not row.valid:
        raise ProcedureError(
            f"procedure {procedure_id} v{row.version} is not valid and cannot be published",
            issues=[i for i in row.issues if i.get("severity") == "error"],
        )
    if status == "published" and row.status != "published" and not row.approved_by:
        proc = load(row)
        if hazardous_nodes(proc):
            raise _needs_review(proc)
    if status == "published":
        row.yaml_text = with_status(row.yaml_text, "published")[0]
    row.status = status
    row.updated_at = utcnow()
    db.flush()
    return row


def import_directory(
    db: Session, folder: Path, author: str, publish: bool = True
) -> dict[str, list[str]]:
    """Seed procedures from the YAML under folder: a procedure id with no version yet gets
    the file as its first version (published when valid, declared published and
    ``publish``); an id that has versions is left alone, whatever the file says, so editors'
    work is never overwritten.

    Returns ``{"imported": [...], "unchanged": [...], "kept": [...], "failed": [...]}``:
    ``kept`` lists the ids whose stored versions differ from the shipped file."""
    result: dict[str, list[str]] = {"imported": [], "unchanged": [], "kept": [], "failed": []}
    for path in sorted([*folder.rglob("*.yaml"), *folder.rglob("*.yml")]):
        text = path.read_text(encoding="utf-8")
        report = _report(text, str(path))
        if report.procedure is None:
            result["failed"].append(f"{path}: {report.issues[0] if report.issues else '?'}")
            continue
        current = latest(db, report.procedure.id)
        if current is not None:
            same = with_status(text, current.status)[0] == current.yaml_text
            result["unchanged" if same else "kept"].append(report.procedure.id)
            continue
        # shipped content is released content: a shipped file that says published and is
        # valid is published on seeding (the only place a text's status is honoured)
        ships_published = report.procedure.status.value == "published"
        save_version(
            db,
            text,
            author,
            source=str(path),
            publish=publish and report.ok and ships_published,
            reviewed=True,
        )
        result["imported"].append(report.procedure.id)
    return result
