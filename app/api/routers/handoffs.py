"""Consultant handoff queue: claim, message, push a procedure or step, run commands, close."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, HTTPException, Path
from pydantic import BaseModel, Field, model_validator

from app.api.deps import get_sessions, require_roles
from app.security.roles import Principal, Role
from app.sessions.handoffs import HandoffService
from app.sessions.schemas import CommandOutcome, HandoffView, StatusOnly
from app.sessions.service import SessionService

router = APIRouter(prefix="/api/handoffs", tags=["handoffs"])
# response_model_exclude_unset: a summary step's optional keys (command, branch) and a
# command outcome's (response, error) stay absent, as the views build them

CONSULTANTS = (Role.CONSULTANT,)
# bounded where it enters: a 23-digit id overflowed the database's integer (HTTP 500)
HandoffId = Annotated[int, Path(ge=1, le=2**62)]


def get_handoffs(service: SessionService = Depends(get_sessions)) -> HandoffService:
    return HandoffService(service)


class MessageBody(BaseModel):
    text: str = Field(..., min_length=1, max_length=4000)


Choice = Annotated[str, Field(min_length=1, max_length=80)]


class PushBody(BaseModel):
    procedure_id: str | None = None
    text: str | None = Field(None, max_length=4000)
    answers: list[Choice] | None = Field(
        None,
        min_length=2,
        max_length=4,
        description="With text: a question the partner answers with one of these buttons.",
    )

    @model_validator(mode="after")
    def _one(self) -> PushBody:
        if bool(self.procedure_id) == bool(self.text):
            raise ValueError("give either procedure_id or text")
        if self.answers is not None:
            if self.procedure_id:
                raise ValueError("answers go with a step's text, not with a procedure")
            cleaned = [" ".join(a.split()) for a in self.answers]
            if not all(cleaned) or len({a.casefold() for a in cleaned}) != len(cleaned):
                raise ValueError("answers: each one different and not blank")
            self.answers = cleaned
        return self


class CloseBody(BaseModel):
    resolution: str = Field(..., min_length=1, max_length=4000)
    outcome: Literal["resolved", "site_visit", "vehicle_side", "not_reproducible", "abandoned"]
    diagnosis: str | None = Field(None, max_length=4000)


@router.get("", response_model_exclude_unset=True)
def queue(
    status: str | None = None,
    handoffs: HandoffService = Depends(get_handoffs),
    _: Principal = Depends(require_roles(*CONSULTANTS)),
) -> list[HandoffView]:
    return [HandoffView.model_validate(item) for item in handoffs.queue(status)]


async def _call(coro: Any) -> Any:
    return await coro


@router.get("/{handoff_id}", response_model_exclude_unset=True)
def get_handoff(
    handoff_id: HandoffId,
    handoffs: HandoffService = Depends(get_handoffs),
    who: Principal = Depends(require_roles(Role.CONSULTANT, Role.PARTNER)),
) -> HandoffView:
    return HandoffView.model_validate(handoffs.get(handoff_id, who))


@router.post("/{handoff_id}/claim", response_model_exclude_unset=True)
async def claim(
    handoff_id: HandoffId,
    handoffs: HandoffService = Depends(get_handoffs),
    who: Principal = Depends(require_roles(*CONSULTANTS)),
) -> HandoffView:
    return HandoffView.model_validate(await _call(handoffs.claim(handoff_id, who)))


@router.post("/{handoff_id}/messages", status_code=201)
async def message(
    handoff_id: HandoffId,
    body: MessageBody,
    handoffs: HandoffService = Depends(get_handoffs),
    who: Principal = Depends(require_roles(Role.CONSULTANT, Role.PARTNER)),
) -> StatusOnly:
    await _call(handoffs.message(handoff_id, who, body.text))
    return StatusOnly(status="sent")


@router.post("/{handoff_id}/push")
async def push(
    handoff_id: HandoffId,
    body: PushBody,
    handoffs: HandoffService = Depends(get_handoffs),
    who: Principal = Depends(require_roles(*CONSULTANTS)),
) -> StatusOnly:
    if body.procedure_id:
        await _call(handoffs.push_procedure(handoff_id, who, body.procedure_id))
    else:
        await _call(handoffs.push_step(handoff_id, who, body.text or "", body.answers))
    return StatusOnly(status="pushed")


@router.post("/{handoff_id}/commands/{command}", response_model_exclude_unset=True)
async def command(
    handoff_id: HandoffId,
    command: str,
    params: dict[str, Any] | None = Body(None),
    handoffs: HandoffService = Depends(get_handoffs),
    who: Principal = Depends(require_roles(*CONSULTANTS)),
) -> CommandOutcome:
    outcome = await _call(handoffs.run_command(handoff_id, who, command, dict(params or {})))
    return CommandOutcome.model_validate(outcome)


@router.post("/{handoff_id}/close", response_model_exclude_unset=True)
async def close(
    handoff_id: HandoffId,
    body: CloseBody,
    handoffs: HandoffService = Depends(get_handoffs),
    who: Principal = Depends(require_roles(*CONSULTANTS)),
) -> HandoffView:
    if body is None:
        raise HTTPException(422, "body required")
    closed = await _call(
        handoffs.close(handoff_id, who, body.resolution, body.outcome, body.diagnosis)
    )
    return HandoffView.model_validate(closed)
