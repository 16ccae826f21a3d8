"""Search request and grouped results (the JSON the CLI prints and the API returns)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from ingestion.models import Kind

Mode = Literal["hybrid", "dense", "bm25"]


class SearchRequest(BaseModel):
    """A partner's words plus what is known about the charger (all optional but one)."""

    text: str = ""
    vendor: str | None = None
    model: str | None = None
    firmware: str | None = None
    ocpp_version: str | None = None
    status: str | None = None  # connector status, e.g. Faulted
    error_code: str | None = None  # OCPP error code
    vendor_error_code: str | None = None
    info: str | None = None
    open_faults: list[str] = Field(default_factory=list)
    kinds: list[Kind] | None = None  # filter; None: all kinds
    k: int = Field(5, ge=1, le=50)  # hits per group


class Hit(BaseModel):
    kind: Kind
    id: str  # procedure id, "manuals/x.md#Section", ticket id
    title: str
    source: str
    section: str | None = None  # heading path of a manual passage (as section_path)
    section_path: str | None = None  # "Error codes > C-40 Coolant level low"
    page: int | None = None  # the PDF page the passage is on
    citation: str | None = None  # "manual.pdf, Error codes > C-40 Coolant level low, p. 3"
    score: float
    matched_terms: list[str] = Field(default_factory=list)
    matched_codes: list[str] = Field(default_factory=list)
    snippet: str
    vendor: str | None = None
    model: str | None = None
    resolution: str | None = None  # tickets
    outcome: str | None = None  # tickets
    summary: str | None = None  # procedures
    chunk_id: str


class QueryInfo(BaseModel):
    """How the query was understood (shown so the UI can explain the suggestions)."""

    text: str
    vendor: str | None = None
    model: str | None = None
    codes: list[str] = Field(default_factory=list)
    fault_keys: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)


class SearchResults(BaseModel):
    query: QueryInfo
    procedures: list[Hit] = Field(default_factory=list)
    manuals: list[Hit] = Field(default_factory=list)
    tickets: list[Hit] = Field(default_factory=list)
    took_ms: float = 0.0
    generation: int = 0

    def all_hits(self) -> list[Hit]:
        return self.procedures + self.manuals + self.tickets

    def group(self, kind: str) -> list[Hit]:
        return {"procedure": self.procedures, "manual": self.manuals, "ticket": self.tickets}[kind]

    def to_json_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")
