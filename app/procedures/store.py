"""Procedures as versioned database records: import YAML, edit (new version), publish, retire."""

from __future__ import annotations

from pathlib import Path

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


def save_version(
    db: Session, yaml_text: str, author: str, source: str | None = None, publish: bool = False
) -> ProcedureVersionRow:
    """Store the YAML as the next version of its procedure (drafts may be invalid)."""
    report = _report(yaml_text, source or "<editor>")
    if report.procedure is None:
        ids = [i for i in report.issues]
        # a draft that does not parse still needs an id to be stored under
        raise ProcedureError("procedure does not parse", issues=[i.model_dump() for i in ids])
    proc = report.procedure
    current = latest(db, proc.id)
    version = (current.version + 1) if current else proc.version
    status = "published" if publish or proc.status == "published" else proc.status.value
    if status == "published" and not report.ok:
        status = "draft"
        if publish:
            raise ProcedureError(
                f"procedure {proc.id} is not valid and cannot be published",
                issues=[i.model_dump() for i in report.errors],
            )
    row = ProcedureVersionRow(
        procedure_id=proc.id,
        version=version,
        status=status,
        title=proc.title,
        yaml_text=yaml_text,
        valid=report.ok,
        issues=[i.model_dump() for i in report.issues],
        source=source,
        created_by=author,
    )
    db.add(row)
    db.flush()
    return row


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
    row.status = status
    row.updated_at = utcnow()
    db.flush()
    return row


def import_directory(db: Session, folder: Path, author: str) -> dict[str, list[str]]:
    """Import every YAML under folder; an unchanged text is skipped, a changed one is a new
    version. Returns ``{"imported": [...], "unchanged": [...], "failed": [...]}``."""
    result: dict[str, list[str]] = {"imported": [], "unchanged": [], "failed": []}
    for path in sorted([*folder.rglob("*.yaml"), *folder.rglob("*.yml")]):
        text = path.read_text(encoding="utf-8")
        report = _report(text, str(path))
        if report.procedure is None:
            result["failed"].append(f"{path}: {report.issues[0] if report.issues else '?'}")
            continue
        current = latest(db, report.procedure.id)
        if current is not None and current.yaml_text == text:
            result["unchanged"].append(report.procedure.id)
            continue
        save_version(db, text, author, source=str(path))
        result["imported"].append(report.procedure.id)
    return result
