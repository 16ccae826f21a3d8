"""Remote commands: one endpoint per command, answered with the charger's own response."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, HTTPException
from pydantic import BaseModel

from app.api.deps import get_state, require_roles
from app.csms.central_system import CommandError
from app.csms.commands import COMMANDS
from app.security.roles import Principal, Role
from app.state import AppState

router = APIRouter(prefix="/api/chargers", tags=["commands"])


class CommandResponse(BaseModel):
    charger_id: str
    command: str
    ocpp_action: str
    status: str | None
    request: dict[str, Any]
    response: dict[str, Any]
    round_trip_ms: float


@router.post("/{charger_id}/commands/{command}", response_model=CommandResponse)
async def run_command(
    charger_id: str,
    command: str,
    body: dict[str, Any] | None = Body(
        None,
        examples=[{"type": "soft"}, {"type": "hard", "force": True, "reason": "stuck session"}],
        description="The command's parameters, plus optional `force` and `reason`.",
    ),
    state: AppState = Depends(get_state),
    principal: Principal = Depends(require_roles(Role.PARTNER, Role.CONSULTANT)),
) -> CommandResponse:
    if command not in COMMANDS:
        raise HTTPException(404, f"unknown command {command!r}; known: {', '.join(COMMANDS)}")
    params = dict(body or {})
    force = bool(params.pop("force", False))
    reason = params.pop("reason", None)
    try:
        result = await state.csms.send_command(
            charger_id, command, params, principal, force=force, reason=reason
        )
    except CommandError as error:
        raise HTTPException(error.http_status, {"error": str(error), **error.detail}) from error
    return CommandResponse(
        charger_id=result.charger_id,
        command=result.command,
        ocpp_action=result.ocpp_action,
        status=result.status,
        request=result.request,
        response=result.response,
        round_trip_ms=result.round_trip_ms,
    )
