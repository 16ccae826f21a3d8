"""Reading and writing diagnoses, their actions and the policy audit (plain functions)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.db.base import utcnow
from app.db.models import DiagnosticsUpload, EventRow
from app.db.models_diagnosis import DiagnosisActionRow, DiagnosisAudit, DiagnosisRow

OPEN_STATUSES = ("open", "remediating", "waiting")
# The actions that make a diagnosis another charger's too: a member of a group problem (a
# site's supply, the fleet's card processor, one vehicle) or the same problem seen there later.
MEMBER_STEPS = ("member", "seen_again")
EVIDENCE_ACTIONS = (
    "BootNotification",
    "StatusNotification",
    "NotifyEvent",
    "SecurityEventNotification",
    "StartTransaction",
    "StopTransaction",
    "TransactionEvent",
    "FirmwareStatusNotification",
)


def create(db: Session, **fields: Any) -> DiagnosisRow:
    now = utcnow()
    row = DiagnosisRow(opened_at=now, updated_at=now, status="open", **fields)
    db.add(row)
    db.flush()
    return row


def update(db: Session, diagnosis_id: int, **fields: Any) -> None:
    row = db.get(DiagnosisRow, diagnosis_id)
    if row is None:
        return
    for name, value in fields.items():
        setattr(row, name, value)
    row.updated_at = utcnow()
    if fields.get("status") not in (None, *OPEN_STATUSES) and row.closed_at is None:
        row.closed_at = row.updated_at


def add_action(
    db: Session,
    diagnosis_id: int,
    charger_id: str,
    step: str,
    outcome: str,
    *,
    command: str | None = None,
    params: dict[str, Any] | None = None,
    detail: str | None = None,
) -> None:
    db.add(
        DiagnosisActionRow(
            diagnosis_id=diagnosis_id,
            charger_id=charger_id,
            step=step,
            command=command,
            params=params,
            outcome=outcome,
            detail=detail,
            at=utcnow(),
        )
    )


def audit(db: Session, actor: str, role: str, action: str, **detail: Any) -> None:
    db.add(DiagnosisAudit(actor=actor, role=role, action=action, detail=detail or None))


def event_ids(db: Session, charger_id: str, since: datetime, limit: int = 30) -> list[int]:
    """Ids of the charger's logged OCPP frames since ``since`` that can serve as evidence."""
    return list(
        db.scalars(
            select(EventRow.id)
            .where(
                EventRow.charger_id == charger_id,
                EventRow.ts >= since,
                EventRow.direction == "in",
                EventRow.action.in_(EVIDENCE_ACTIONS),
            )
            .order_by(EventRow.id.desc())
            .limit(limit)
        )
    )[::-1]


def view(row: DiagnosisRow, actions: list[DiagnosisActionRow] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": row.id,
        "charger_id": row.charger_id,
        "site_id": row.site_id,
        "connector_id": row.connector_id,
        "rule_id": row.rule_id,
        "title": row.title,
        "fault_class": row.fault_class,
        "likely_cause": row.likely_cause,
        "confidence": row.confidence,
        "remote_resolvable": row.remote_resolvable,
        "fault_key": row.fault_key,
        "error_code": row.error_code,
        "catalogue_entry": row.catalogue_entry,
        "standard_code": row.standard_code,
        "safety_class": row.safety_class,
        "responsible": row.responsible,
        "procedure_id": row.procedure_id,
        "parts": row.parts,
        "ladder": row.ladder,
        "evidence": row.evidence,
        "event_ids": row.event_ids,
        "status": row.status,
        "outcome_note": row.outcome_note,
        "dry_run": row.dry_run,
        "session_id": row.session_id,
        "handoff_id": row.handoff_id,
        "opened_at": row.opened_at,
        "closed_at": row.closed_at,
    }
    if actions is not None:
        out["actions"] = [
            {
                "step": a.step,
                "command": a.command,
                "params": a.params,
                "outcome": a.outcome,
                "detail": a.detail,
                "at": a.at,
            }
            for a in actions
        ]
    return out


def actions_of(db: Session, diagnosis_id: int) -> list[DiagnosisActionRow]:
    return list(
        db.scalars(
            select(DiagnosisActionRow)
            .where(DiagnosisActionRow.diagnosis_id == diagnosis_id)
            .order_by(DiagnosisActionRow.id)
        )
    )


def query(
    db: Session,
    *,
    charger_id: str | None = None,
    site_id: str | None = None,
    status: str | None = None,
    rule_id: str | None = None,
    fault_class: str | None = None,
    responsible: str | None = None,
    safety_class: str | None = None,
    open_only: bool = False,
    limit: int = 100,
    offset: int = 0,
) -> list[DiagnosisRow]:
    stmt = select(DiagnosisRow)
    if charger_id:
        # its own diagnoses and those of the group problems it is part of
        member_of = select(DiagnosisActionRow.diagnosis_id).where(
            DiagnosisActionRow.charger_id == charger_id,
            DiagnosisActionRow.step.in_(MEMBER_STEPS),
        )
        stmt = stmt.where(
            or_(DiagnosisRow.charger_id == charger_id, DiagnosisRow.id.in_(member_of))
        )
    if site_id:
        stmt = stmt.where(DiagnosisRow.site_id == site_id)
    if status:
        stmt = stmt.where(DiagnosisRow.status == status)
    if rule_id:
        stmt = stmt.where(DiagnosisRow.rule_id == rule_id)
    if fault_class:
        stmt = stmt.where(DiagnosisRow.fault_class == fault_class)
    if responsible:
        stmt = stmt.where(DiagnosisRow.responsible == responsible)
    if safety_class:
        stmt = stmt.where(DiagnosisRow.safety_class == safety_class)
    if open_only:
        stmt = stmt.where(DiagnosisRow.status.in_(OPEN_STATUSES))
    stmt = stmt.order_by(DiagnosisRow.id.desc()).limit(limit).offset(offset)
    return list(db.scalars(stmt))


def latest_upload_path(db: Session, charger_id: str, since: datetime) -> str | None:
    """Where the newest log this charger uploaded into a slot asked for since ``since`` is
    stored (None: nothing arrived)."""
    return db.scalar(
        select(DiagnosticsUpload.stored_path)
        .where(
            DiagnosticsUpload.charger_id == charger_id,
            DiagnosticsUpload.requested_at >= since,
            DiagnosticsUpload.status == "uploaded",
        )
        .order_by(DiagnosticsUpload.id.desc())
        .limit(1)
    )
