"""Procedures: list, read, validate, create versions, publish/retire, graph, effectiveness."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.api.deps import ANY_ROLE, get_db, get_state, require_roles
from app.db.models_sessions import ProcedureVersionRow, SessionAudit
from app.errors import NotFound
from app.procedures import store
from app.procedures.graph import to_dot
from app.procedures.loader import MAX_YAML_CHARS
from app.procedures.schema import procedure_json_schema
from app.procedures.validation import validate_text
from app.security.roles import Principal, Role
from app.sessions.effectiveness import ProcedureEffectiveness, effectiveness
from app.state import AppState

router = APIRouter(prefix="/api/procedures", tags=["procedures"])
EDITORS = (Role.EDITOR,)
Version = Annotated[int | None, Query(ge=1, le=2**31 - 1)]


class ProcedureText(BaseModel):
    yaml: str = Field(..., max_length=MAX_YAML_CHARS, description="The procedure as YAML text.")
    publish: bool = Field(
        False,
        description="Publish this version (it must be valid); otherwise it is a draft. The "
        "text's own `status:` field is ignored and rewritten to match.",
    )
    procedure_id: str | None = Field(
        None,
        max_length=80,
        description="The procedure the editor has open: the text's `id` must match (409 if "
        "not), so a text is never saved under another procedure unnoticed.",
    )


class IssueView(BaseModel):
    """One problem found in a procedure text (app.procedures.validation.Issue as stored)."""

    model_config = ConfigDict(extra="forbid")
    file: str
    line: int | None = None
    node_id: str | None = None
    field: str | None = None
    message: str
    severity: Literal["error", "warning"] = "error"


class ProcedureMeta(BaseModel):
    """One version of a procedure, without its text."""

    model_config = ConfigDict(extra="forbid")
    procedure_id: str
    version: int
    status: Literal["draft", "published", "retired"]
    title: str
    valid: bool
    issues: list[IssueView]
    source: str | None
    created_by: str
    created_at: str = Field(description="ISO 8601, UTC.")
    approved_by: str | None
    approved_at: str | None


class SavedVersion(ProcedureMeta):
    notices: list[str] = Field(description="What the save changed or ignored in the text.")


class ProcedureDetail(ProcedureMeta):
    yaml: str
    procedure: dict[str, Any] | None = Field(
        description="The parsed procedure (its JSON form); null when the text does not parse."
    )


class StatusEvent(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: str = Field(description="procedure.save, procedure.published, procedure.approved…")
    by: str
    at: str


class VersionEntry(ProcedureMeta):
    events: list[StatusEvent] = Field(description="Who saved, approved, published or retired.")


class ValidationReport(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ok: bool
    issues: list[IssueView]


class ImportResult(BaseModel):
    model_config = ConfigDict(extra="forbid")
    imported: list[str]
    unchanged: list[str]
    kept: list[str] = Field(description="Already changed by an editor: never overwritten.")
    failed: list[str]


def _meta(row: ProcedureVersionRow) -> dict[str, Any]:
    return {
        "procedure_id": row.procedure_id,
        "version": row.version,
        "status": row.status,
        "title": row.title,
        "valid": row.valid,
        "issues": row.issues or [],
        "source": row.source,
        "created_by": row.created_by,
        "created_at": row.created_at.isoformat(),
        "approved_by": row.approved_by,
        "approved_at": row.approved_at.isoformat() if row.approved_at else None,
    }


def _fail(error: store.ProcedureError) -> HTTPException:
    return HTTPException(error.http_status, {"error": str(error), "issues": error.issues})


def _audit(db: Session, who: Principal, action: str, target: str, **detail: Any) -> None:
    db.add(SessionAudit(actor=who.name, role=who.role, action=action, target=target, detail=detail))


@router.get("")
def list_procedures(
    db: Session = Depends(get_db), who: Principal = Depends(require_roles(*ANY_ROLE))
) -> list[ProcedureMeta]:
    rows = store.list_latest(db, include_retired=who.has(Role.EDITOR))
    if not who.has(Role.EDITOR):
        out = []
        for row in rows:
            pub = row if row.status == "published" else store.published(db, row.procedure_id)
            if pub is not None:
                out.append(ProcedureMeta(**_meta(pub)))
        return out
    return [ProcedureMeta(**_meta(r)) for r in rows]


@router.get("/schema")
def json_schema(_: Principal = Depends(require_roles(*ANY_ROLE))) -> dict[str, Any]:
    return procedure_json_schema()


@router.post("/validate")
def validate(
    body: ProcedureText, _: Principal = Depends(require_roles(*ANY_ROLE))
) -> ValidationReport:
    report = validate_text(body.yaml, "<editor>")
    return ValidationReport(
        ok=report.ok, issues=[IssueView(**i.model_dump()) for i in report.issues]
    )


@router.post("", status_code=201)
def create_version(
    body: ProcedureText,
    db: Session = Depends(get_db),
    who: Principal = Depends(require_roles(*EDITORS)),
) -> SavedVersion:
    try:
        saved = store.save_version(
            db,
            body.yaml,
            who.name,
            source="editor",
            publish=body.publish,
            expected_id=body.procedure_id,
        )
    except store.ProcedureError as error:
        raise _fail(error) from error
    return _saved(db, who, saved, "procedure.save")


def _saved(db: Session, who: Principal, saved: store.Saved, action: str) -> SavedVersion:
    row = saved.row
    _audit(db, who, action, row.procedure_id, version=row.version, status=row.status)
    db.commit()
    return SavedVersion(**_meta(row), notices=saved.notices)


@router.post("/import")
def import_knowledge_base(
    db: Session = Depends(get_db),
    state: AppState = Depends(get_state),
    who: Principal = Depends(require_roles(*EDITORS)),
) -> ImportResult:
    folder = state.settings.knowledge_base_dir / "procedures"
    result = store.import_directory(db, folder, who.name)
    _audit(db, who, "procedure.import", str(folder), imported=result["imported"])
    db.commit()
    return ImportResult(**result)


def _row(db: Session, procedure_id: str, version: int | None) -> ProcedureVersionRow:
    row = (
        store.get_version(db, procedure_id, version)
        if version
        else store.published(db, procedure_id) or store.latest(db, procedure_id)
    )
    if row is None:
        raise HTTPException(
            404, f"no procedure {procedure_id!r}" + (f" v{version}" if version else "")
        )
    return row


def _visible_row(
    db: Session, who: Principal, procedure_id: str, version: int | None
) -> ProcedureVersionRow:
    """Partners see only published versions: drafts and retired ones are not found."""
    row = _row(db, procedure_id, version)
    if row.status != "published" and not who.has(Role.EDITOR, Role.CONSULTANT):
        raise HTTPException(404, f"no published procedure {procedure_id!r}")
    return row


@router.get("/{procedure_id}")
def get_procedure(
    procedure_id: str,
    version: Version = None,
    db: Session = Depends(get_db),
    who: Principal = Depends(require_roles(*ANY_ROLE)),
) -> ProcedureDetail:
    row = _visible_row(db, who, procedure_id, version)
    try:
        parsed = store.load(row).model_dump(mode="json", by_alias=True)
    except store.ProcedureError:
        parsed = None
    return ProcedureDetail(**_meta(row), yaml=row.yaml_text, procedure=parsed)


def _set_status(
    db: Session, who: Principal, procedure_id: str, version: int | None, status: str
) -> ProcedureMeta:
    try:
        row = store.set_status(db, procedure_id, version, status)
    except store.ProcedureError as error:
        raise _fail(error) from error
    _audit(db, who, f"procedure.{status}", procedure_id, version=row.version)
    db.commit()
    return ProcedureMeta(**_meta(row))


@router.post("/{procedure_id}/publish")
def publish(
    procedure_id: str,
    version: int | None = None,
    db: Session = Depends(get_db),
    who: Principal = Depends(require_roles(*EDITORS)),
) -> ProcedureMeta:
    return _set_status(db, who, procedure_id, version, "published")


@router.post("/{procedure_id}/approve")
def approve(
    procedure_id: str,
    version: Annotated[int, Query(ge=1, le=2**31 - 1)],
    db: Session = Depends(get_db),
    who: Principal = Depends(require_roles(*EDITORS)),
) -> ProcedureMeta:
    """A second editor approves a draft (needed to publish one with hazardous steps)."""
    try:
        row = store.approve(db, procedure_id, version, who.name)
    except store.ProcedureError as error:
        raise _fail(error) from error
    _audit(db, who, "procedure.approved", procedure_id, version=row.version)
    db.commit()
    return ProcedureMeta(**_meta(row))


@router.post("/{procedure_id}/retire")
def retire(
    procedure_id: str,
    version: int | None = None,
    db: Session = Depends(get_db),
    who: Principal = Depends(require_roles(*EDITORS)),
) -> ProcedureMeta:
    return _set_status(db, who, procedure_id, version, "retired")


@router.get("/{procedure_id}/versions")
def history(
    procedure_id: str,
    db: Session = Depends(get_db),
    _: Principal = Depends(require_roles(*EDITORS)),
) -> list[VersionEntry]:
    """Every version, newest first, with who made it and when, and who changed its status."""
    rows = store.versions(db, procedure_id)
    if not rows:
        raise HTTPException(404, f"no procedure {procedure_id!r}")
    events: dict[int, list[dict[str, Any]]] = {}
    audits = db.scalars(
        select(SessionAudit)
        .where(SessionAudit.target == procedure_id, SessionAudit.action.like("procedure.%"))
        .order_by(SessionAudit.id)
    )
    for audit in audits:
        version = (audit.detail or {}).get("version")
        if isinstance(version, int):
            events.setdefault(version, []).append(
                {"action": audit.action, "by": audit.actor, "at": audit.at.isoformat()}
            )
    return [
        VersionEntry(**_meta(r), events=[StatusEvent(**e) for e in events.get(r.version, [])])
        for r in rows
    ]


@router.get("/{procedure_id}/diff", response_class=PlainTextResponse)
def diff(
    procedure_id: str,
    old: Annotated[int, Query(ge=1, le=2**31 - 1, alias="from")],
    new: Annotated[int, Query(ge=1, le=2**31 - 1, alias="to")],
    db: Session = Depends(get_db),
    _: Principal = Depends(require_roles(*EDITORS)),
) -> str:
    """A unified diff from one version's text to another's (empty when they are the same)."""
    try:
        return store.diff(db, procedure_id, old, new)
    except store.ProcedureError as error:
        raise _fail(error) from error


@router.post("/{procedure_id}/rollback", status_code=201)
def rollback(
    procedure_id: str,
    version: Annotated[int, Query(ge=1, le=2**31 - 1)],
    db: Session = Depends(get_db),
    who: Principal = Depends(require_roles(*EDITORS)),
) -> SavedVersion:
    """Bring back an old version as a new draft version (history is never rewritten)."""
    try:
        saved = store.roll_back(db, procedure_id, version, who.name)
    except store.ProcedureError as error:
        raise _fail(error) from error
    return _saved(db, who, saved, "procedure.rollback")


@router.get("/{procedure_id}/graph", response_class=PlainTextResponse)
def graph(
    procedure_id: str,
    version: Version = None,
    db: Session = Depends(get_db),
    who: Principal = Depends(require_roles(*ANY_ROLE)),
) -> str:
    try:
        return to_dot(store.load(_visible_row(db, who, procedure_id, version)))
    except store.ProcedureError as error:
        raise _fail(error) from error


@router.get("/{procedure_id}/effectiveness")
def procedure_effectiveness(
    procedure_id: str,
    db: Session = Depends(get_db),
    _: Principal = Depends(require_roles(*EDITORS)),
) -> ProcedureEffectiveness:
    """How often the procedure was used, how often it fixed the fault, and the step where
    partners most often leave or call a consultant (editors and admins)."""
    if store.latest(db, procedure_id) is None:
        raise NotFound(f"no procedure {procedure_id!r}")
    return effectiveness(db, procedure_id)
