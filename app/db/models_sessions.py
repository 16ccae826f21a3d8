"""Tables for procedures (versioned), troubleshooting sessions (append-only steps), handoffs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, JSONType, UTCDateTime, utcnow


class ProcedureVersionRow(Base):
    """One version of a procedure: the YAML text as written, plus what validation said."""

    __tablename__ = "procedure_versions"
    __table_args__ = (UniqueConstraint("procedure_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    procedure_id: Mapped[str] = mapped_column(String(80), index=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    title: Mapped[str] = mapped_column(String(300), default="")
    yaml_text: Mapped[str] = mapped_column(Text)
    valid: Mapped[bool] = mapped_column(Boolean, default=False)
    issues: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    source: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # a version with hazardous steps is published only after another editor approved it
    approved_by: Mapped[str | None] = mapped_column(String(100))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class TroubleshootingSession(Base):
    """A partner working through a procedure on one charger."""

    __tablename__ = "ts_sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    charger_id: Mapped[str] = mapped_column(String(64), index=True)
    connector_id: Mapped[int] = mapped_column(Integer, default=1)
    partner: Mapped[str] = mapped_column(String(100), index=True)
    procedure_id: Mapped[str | None] = mapped_column(String(80), index=True)
    procedure_version: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="active", index=True)
    outcome: Mapped[str | None] = mapped_column(String(20))
    outcome_note: Mapped[str | None] = mapped_column(Text)
    symptom: Mapped[str | None] = mapped_column(Text)
    cursor: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    pending: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    exported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SessionStep(Base):
    """One append-only entry of a session's log."""

    __tablename__ = "ts_session_steps"
    __table_args__ = (
        UniqueConstraint("session_id", "seq"),
        Index("ix_ts_steps_procedure", "procedure_id", "node_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("ts_sessions.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(30))
    node_id: Mapped[str | None] = mapped_column(String(64))
    procedure_id: Mapped[str | None] = mapped_column(String(80))
    procedure_version: Mapped[int | None] = mapped_column(Integer)
    answer: Mapped[Any | None] = mapped_column(JSONType)
    note: Mapped[str | None] = mapped_column(Text)
    photo: Mapped[str | None] = mapped_column(String(500))
    command: Mapped[str | None] = mapped_column(String(40))
    command_params: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    command_result: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    branch: Mapped[str | None] = mapped_column(String(80))
    live_snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    cursor: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    elapsed_seconds: Mapped[float] = mapped_column(Float, default=0.0)


class HandoffRow(Base):
    """A session handed to consultants: queue entry, claim, close."""

    __tablename__ = "ts_handoffs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("ts_sessions.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default="waiting", index=True)
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    reason: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    summary_text: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution: Mapped[str | None] = mapped_column(Text)
    # one case per charger: the handoffs open on it at once (a diagnosis's and a partner's)
    # share the first one's id; closing the case closes them all
    case_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # since when the charger has been healthy again, as self-diagnosis saw it after the
    # recovery hold (None: not seen healthy since the handoff): a visit may not be needed
    recovered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SessionAudit(Base):
    """Every change made through the sessions/procedures/handoffs API, and consultant reads."""

    __tablename__ = "ts_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(120), index=True)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
