"""Tables for self-diagnosis: diagnoses with their evidence, the actions taken, policy audit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, JSONType, UTCDateTime, utcnow


class DiagnosisRow(Base):
    """One diagnosis raised by a rule, and where its remediation ended."""

    __tablename__ = "diagnoses"
    __table_args__ = (Index("ix_diagnoses_charger_opened", "charger_id", "opened_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    charger_id: Mapped[str] = mapped_column(String(64))
    site_id: Mapped[str | None] = mapped_column(String(64), index=True)
    connector_id: Mapped[int] = mapped_column(Integer, default=0)
    subject: Mapped[str] = mapped_column(String(200))
    rule_id: Mapped[str] = mapped_column(String(80), index=True)
    fault_class: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    likely_cause: Mapped[str] = mapped_column(Text)
    confidence: Mapped[float] = mapped_column(Float)
    remote_resolvable: Mapped[bool] = mapped_column(Boolean)
    fault_key: Mapped[str | None] = mapped_column(String(64))
    error_code: Mapped[str | None] = mapped_column(String(64))
    # the fault-code catalogue's reading: entry (e.g. chargex:CX011), standard code (CX011),
    # safety class (reset_safe / never_reset / outside_charger / unknown) and who must act
    catalogue_entry: Mapped[str | None] = mapped_column(String(120))
    standard_code: Mapped[str | None] = mapped_column(String(16))
    safety_class: Mapped[str | None] = mapped_column(String(20))
    responsible: Mapped[str | None] = mapped_column(String(32), index=True)
    procedure_id: Mapped[str | None] = mapped_column(String(80))
    parts: Mapped[list[str]] = mapped_column(JSONType, default=list)
    ladder: Mapped[list[str]] = mapped_column(JSONType, default=list)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    event_ids: Mapped[list[int]] = mapped_column(JSONType, default=list)
    # open, remediating, waiting, resolved, self_cleared, site_visit, escalated, dry_run, blocked,
    # superseded (a later diagnosis covers it, e.g. the fault turned out to follow a vehicle)
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    outcome_note: Mapped[str | None] = mapped_column(Text)
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    session_id: Mapped[str | None] = mapped_column(String(36))
    handoff_id: Mapped[int | None] = mapped_column(Integer)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DiagnosisActionRow(Base):
    """Each step of a diagnosis' escalation ladder: done, skipped, refused or only planned."""

    __tablename__ = "diagnosis_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    diagnosis_id: Mapped[int] = mapped_column(
        ForeignKey("diagnoses.id", ondelete="CASCADE"), index=True
    )
    charger_id: Mapped[str] = mapped_column(String(64), index=True)
    step: Mapped[str] = mapped_column(String(40))
    command: Mapped[str | None] = mapped_column(String(40))
    params: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    # sent, dry_run, refused, blocked, deferred, failed, proven, not_proven, skipped, noted
    outcome: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class DiagnosisAudit(Base):
    """Changes to the remediation policy at run time (kill switch, dry-run) and who made them."""

    __tablename__ = "diagnosis_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
