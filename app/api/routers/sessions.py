"""Troubleshooting sessions: start, read (with the full log), answer, escalate, abandon."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from app.api.deps import get_sessions, get_state, require_roles
from app.cluster.nodes import NODE_HEADER
from app.db.models_sessions import TroubleshootingSession
from app.errors import Forbidden
from app.procedures import store
from app.security.roles import Principal, Role
from app.sessions import report
from app.sessions.matching import suggest
from app.sessions.schemas import RunAccepted, SessionListItem, SessionView, Suggestion, SummaryView
from app.sessions.service import SessionService
from app.sessions.summary import build_summary, summary_text
from app.sessions.views import session_view
from app.state import AppState

router = APIRouter(prefix="/api/sessions", tags=["sessions"])
PEOPLE = (Role.PARTNER, Role.CONSULTANT)
# response_model_exclude_unset: keys a view sets only sometimes (suggestions, a progress's
# seconds_left, a summary step's command) stay absent rather than null (app/sessions/schemas.py)


class CreateSession(BaseModel):
    charger_id: str
    procedure_id: str | None = Field(None, description="Omitted: suggestions are returned.")
    connector_id: int | None = Field(None, ge=0, description="Default: the faulted connector.")
    symptom: str | None = Field(None, max_length=2000)
    partner: str | None = Field(None, description="Consultants may open a session for a partner.")


class AnswerBody(BaseModel):
    expected_version: int = Field(..., description="The session version you saw (409 if stale).")
    kind: Literal["answer", "confirm", "acknowledge", "note", "ack", "photo"] = Field(
        "answer",
        description="answer a step; confirm a command; acknowledge a hazardous step's "
        "isolation statement (value false: cannot); note; ack a consultant's step; "
        "photo: log an uploaded photo as its own step at once.",
    )
    value: str | float | bool | None = None
    note: str | None = Field(None, max_length=4000)
    photo: str | None = Field(None, max_length=500, description="Path/URL of an uploaded photo.")


class UndoBody(BaseModel):
    expected_version: int = Field(..., description="The session version you saw (409 if stale).")


class ChooseProcedure(BaseModel):
    expected_version: int
    procedure_id: str


class EscalateBody(BaseModel):
    expected_version: int
    reason: str = Field(..., min_length=1, max_length=4000)
    priority: Literal["low", "normal", "high", "urgent"] = "normal"


class AbandonBody(BaseModel):
    expected_version: int
    note: str = Field("", max_length=4000)


def _suggestions(service: SessionService, row: TroubleshootingSession) -> list[Suggestion]:
    with service.db() as db:
        procedures = []
        for meta in store.list_latest(db):
            pub = store.published(db, meta.procedure_id)
            if pub is not None:
                try:
                    procedures.append(store.load(pub))
                except store.ProcedureError:
                    continue
    found = suggest(procedures, service.live(row.charger_id), row.connector_id, row.symptom)
    return [Suggestion.model_validate(item) for item in found]


def _view(service: SessionService, session_id: str, who: Principal) -> SessionView:
    with service.db() as db:
        row = service.get_row(db, session_id)
        service.check_access(row, who)
        procedure = service.procedure_of(db, row)
        view = session_view(db, row, procedure, service.live(row.charger_id))
        if who.role != Role.PARTNER:
            service.audit(db, who, "session.read", session_id)
            db.commit()
    if procedure is None and view["status"] == "active":
        view["suggestions"] = _suggestions(service, row)
    return SessionView.model_validate(view)


@router.post("", status_code=201, response_model_exclude_unset=True)
async def create_session(
    body: CreateSession,
    service: SessionService = Depends(get_sessions),
    who: Principal = Depends(require_roles(*PEOPLE)),
) -> SessionView:
    session_id = await service.create(
        who, body.charger_id, body.procedure_id, body.connector_id, body.symptom, body.partner
    )
    return _view(service, session_id, who)


@router.get("")
def list_sessions(
    status: str | None = None,
    charger_id: str | None = None,
    service: SessionService = Depends(get_sessions),
    who: Principal = Depends(require_roles(*PEOPLE)),
) -> list[SessionListItem]:
    with service.db() as db:
        query = select(TroubleshootingSession).order_by(TroubleshootingSession.created_at.desc())
        if who.role == Role.PARTNER:
            query = query.where(TroubleshootingSession.partner == who.name)
        if status:
            query = query.where(TroubleshootingSession.status == status)
        if charger_id:
            query = query.where(TroubleshootingSession.charger_id == charger_id)
        return [
            SessionListItem(
                id=r.id,
                version=r.version,
                charger_id=r.charger_id,
                partner=r.partner,
                status=r.status,
                outcome=r.outcome,
                procedure_id=r.procedure_id,
                node_id=(r.cursor or {}).get("node_id"),
                created_at=r.created_at.isoformat(),
                updated_at=r.updated_at.isoformat(),
            )
            for r in db.scalars(query.limit(500))
        ]


@router.get("/{session_id}", response_model_exclude_unset=True)
def get_session(
    session_id: str,
    service: SessionService = Depends(get_sessions),
    who: Principal = Depends(require_roles(*PEOPLE)),
) -> SessionView:
    return _view(service, session_id, who)


@router.get("/{session_id}/summary", response_model_exclude_unset=True)
def get_summary(
    session_id: str,
    service: SessionService = Depends(get_sessions),
    who: Principal = Depends(require_roles(*PEOPLE)),
) -> SummaryView:
    with service.db() as db:
        row = service.get_row(db, session_id)
        service.check_access(row, who)
        summary = build_summary(
            row, service.steps(db, session_id), service.live(row.charger_id), None
        )
        return SummaryView.model_validate({"summary": summary, "text": summary_text(summary)})


@router.post("/{session_id}/answer", response_model_exclude_unset=True)
async def answer(
    session_id: str,
    body: AnswerBody,
    service: SessionService = Depends(get_sessions),
    who: Principal = Depends(require_roles(*PEOPLE)),
) -> SessionView:
    await service.answer(
        session_id, who, body.expected_version, body.kind, body.value, body.note, body.photo
    )
    return _view(service, session_id, who)


@router.post("/{session_id}/undo", response_model_exclude_unset=True)
async def undo(
    session_id: str,
    body: UndoBody,
    service: SessionService = Depends(get_sessions),
    who: Principal = Depends(require_roles(*PEOPLE)),
) -> SessionView:
    """Take back the last answer (logged as an ``undo`` step; 409 across a sent command)."""
    await service.undo(session_id, who, body.expected_version)
    return _view(service, session_id, who)


@router.get("/{session_id}/report.pdf", response_class=Response)
def report_pdf(
    session_id: str,
    state: AppState = Depends(get_state),
    service: SessionService = Depends(get_sessions),
    who: Principal = Depends(require_roles(*PEOPLE)),
) -> Response:
    """The end-of-job report for the site owner: found, done, photos, overrides approved."""
    with service.db() as db:
        row = service.get_row(db, session_id)
        service.check_access(row, who)
        procedure = service.procedure_of(db, row)
        data = report.gather(
            db, row, procedure, service.live(row.charger_id), state.settings.uploads_dir
        )
    pdf = report.render(data)
    name = f"chargefix-{row.charger_id}-{row.id[:8]}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post("/{session_id}/procedure", response_model_exclude_unset=True)
async def choose_procedure(
    session_id: str,
    body: ChooseProcedure,
    service: SessionService = Depends(get_sessions),
    who: Principal = Depends(require_roles(*PEOPLE)),
) -> SessionView:
    await service.choose_procedure(session_id, who, body.procedure_id, body.expected_version)
    return _view(service, session_id, who)


@router.post("/{session_id}/escalate", response_model_exclude_unset=True)
async def escalate(
    session_id: str,
    body: EscalateBody,
    service: SessionService = Depends(get_sessions),
    who: Principal = Depends(require_roles(*PEOPLE)),
) -> SessionView:
    await service.escalate(session_id, who, body.expected_version, body.reason, body.priority)
    return _view(service, session_id, who)


@router.post("/{session_id}/abandon", response_model_exclude_unset=True)
async def abandon(
    session_id: str,
    body: AbandonBody,
    service: SessionService = Depends(get_sessions),
    who: Principal = Depends(require_roles(*PEOPLE)),
) -> SessionView:
    await service.abandon(session_id, who, body.expected_version, body.note)
    return _view(service, session_id, who)


@router.post("/internal/{session_id}/run", include_in_schema=False, status_code=202)
async def run_forwarded_session(
    session_id: str,
    http: Request,
    state: AppState = Depends(get_state),
    service: SessionService = Depends(get_sessions),
) -> RunAccepted:
    """Another node asks this one, which holds the charger, to run the session's step."""
    if not state.cluster.secret_matches(http.headers.get(NODE_HEADER)):
        raise Forbidden("not a node of this cluster")
    service.run_pending(session_id)
    return RunAccepted(session_id=session_id, status="running")
