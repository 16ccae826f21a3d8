"""What the procedures API answers: declared models (``extra="forbid"``), so a field a route
adds must be declared here and is documented in the OpenAPI schema."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IssueView(_Strict):
    """One problem found in a procedure (``app.procedures.validation.Issue``)."""

    file: str
    line: int | None = None
    node_id: str | None = None
    field: str | None = None
    message: str
    severity: Literal["error", "warning"] = "error"

    @classmethod
    def of(cls, stored: dict[str, Any]) -> IssueView:
        """From an issue as stored with a version (only the keys this model declares)."""
        return cls.model_validate({k: v for k, v in stored.items() if k in cls.model_fields})


class ProcedureMeta(_Strict):
    procedure_id: str
    version: int
    status: Literal["draft", "published", "retired"]
    title: str
    valid: bool
    issues: list[IssueView]
    source: str | None
    created_by: str | None
    created_at: str = Field(description="ISO 8601, UTC.")
    approved_by: str | None
    approved_at: str | None = Field(description="ISO 8601, UTC.")


class SavedVersion(ProcedureMeta):
    notices: list[str] = Field(description="What the editor should know (e.g. status rewritten).")


class ProcedureDetail(ProcedureMeta):
    yaml: str = Field(description="The version's text as saved.")
    procedure: dict[str, Any] | None = Field(
        description="The parsed procedure (its JSON Schema: GET /api/procedures/schema); null "
        "when the text does not parse."
    )


class VersionEvent(_Strict):
    action: str
    by: str
    at: str = Field(description="ISO 8601, UTC.")


class VersionView(ProcedureMeta):
    events: list[VersionEvent] = Field(description="Who saved, approved, published, retired.")


class ValidationReport(_Strict):
    ok: bool
    issues: list[IssueView]


class ImportResult(_Strict):
    imported: list[str]
    unchanged: list[str]
    kept: list[str] = Field(description="Procedures an editor changed: shipped text not applied.")
    failed: list[str]


class LeaveStep(_Strict):
    node_id: str
    count: int


class Effectiveness(_Strict):
    procedure_id: str
    runs: int
    finished: int
    resolved: int
    resolution_rate: float | None
    escalation_rate: float | None
    median_minutes: float | None
    outcomes: dict[str, int]
    leave_steps: list[LeaveStep]
    most_left_step: str | None


class ProcedureSchema(_Strict):
    """The JSON Schema (draft 2020-12) of a procedure document, as pydantic writes it."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    schema_: str = Field(alias="$schema")
    defs: dict[str, Any] = Field(alias="$defs")
    title: str
    description: str | None = None
    type: str
    properties: dict[str, Any]
    required: list[str]
    additionalProperties: bool  # the JSON Schema keyword, as it is spelt
