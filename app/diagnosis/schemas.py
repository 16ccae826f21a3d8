"""Response models of the diagnosis API: what storage.view() returns, every field named.

storage.view() builds a plain dict (the CLI prints it as JSON too); the routers declare these
models so each response is checked against them (``extra="forbid"``: a new field must be
declared here) and the OpenAPI schema documents them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

# Serialised as datetime.isoformat() ("...+00:00"), as these routes always answered (pydantic's
# own form is "...Z"): the shape the app and scripts read stays the same.
IsoDateTime = Annotated[
    datetime,
    PlainSerializer(lambda value: value.isoformat(), return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DiagnosisAction(Strict):
    """One rung of the remediation ladder, as taken (or refused)."""

    step: str
    command: str | None
    params: dict[str, Any] | None = Field(description="The command's parameters (free-form).")
    outcome: str
    detail: str | None
    at: IsoDateTime


class DiagnosisView(Strict):
    id: int
    charger_id: str
    site_id: str | None
    connector_id: int
    rule_id: str
    title: str
    fault_class: str
    likely_cause: str
    confidence: float
    remote_resolvable: bool
    fault_key: str | None
    error_code: str | None
    catalogue_entry: str | None
    standard_code: str | None
    safety_class: str | None
    responsible: str | None
    procedure_id: str | None
    parts: list[str]
    ladder: list[str]
    evidence: list[dict[str, Any]] = Field(
        description="Observations (seq, t, kind, connector_id and what each frame said)."
    )
    event_ids: list[int]
    status: str
    outcome_note: str | None
    dry_run: bool
    session_id: str | None
    handoff_id: int | None
    opened_at: IsoDateTime
    closed_at: IsoDateTime | None
    actions: list[DiagnosisAction] | None = Field(None, description="On the detail view only.")


class PolicyView(Strict):
    kill_switch: bool
    dry_run: bool
    max_resets_per_day: int
    cooldown_seconds: float
    site_concurrent_limit: int
    wait_for_idle: bool
    recovery_hold_seconds: float
    time_scale: float
    rules: int = Field(description="Rules loaded.")
    active: int = Field(description="Remediations in progress.")


class PolicyFlags(Strict):
    kill_switch: bool
    dry_run: bool


class PolicyAuditEntry(Strict):
    at: IsoDateTime
    actor: str
    role: str
    action: str
    detail: dict[str, Any] | None = Field(description="What changed (free-form).")
