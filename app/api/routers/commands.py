"""Remote commands: one endpoint per command, answered with the charger's own response."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Body, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from app.api.deps import get_state, require_roles
from app.csms.central_system import CommandError
from app.csms.cluster import NODE_HEADER, PRINCIPAL_NAME_HEADER, PRINCIPAL_ROLE_HEADER
from app.csms.commands import COMMANDS
from app.security.roles import Principal, Role
from app.state import AppState

router = APIRouter(prefix="/api", tags=["commands"])


class CommandResponse(BaseModel):
    charger_id: str
    command: str
    ocpp_action: str
    status: str | None
    request: dict[str, Any]
    response: dict[str, Any]
    round_trip_ms: float


@router.post("/chargers/{charger_id}/commands/{command}", response_model=CommandResponse)
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
) -> CommandResponse | JSONResponse:
    if charger_id not in state.csms.connections and state.cluster.enabled:
        remote = await asyncio.to_thread(state.cluster.remote, charger_id)
        if remote is not None:  # another node holds this charger's socket
            answer = await state.cluster.forward_command(remote, command, body or {}, principal)
            return JSONResponse(answer.json(), status_code=answer.status_code)
    return await _run_locally(state, charger_id, command, body, principal)


@router.post(
    "/internal/chargers/{charger_id}/commands/{command}",
    include_in_schema=False,
    response_model=CommandResponse,
)
async def run_forwarded_command(
    charger_id: str,
    command: str,
    request: Request,
    body: dict[str, Any] | None = Body(None),
    state: AppState = Depends(get_state),
) -> CommandResponse:
    """A command forwarded by another backend node (never forwarded again)."""
    if not state.cluster.secret_matches(request.headers.get(NODE_HEADER)):
        raise HTTPException(403, "not a node of this cluster")
    principal = Principal(
        name=request.headers.get(PRINCIPAL_NAME_HEADER, "node"),
        role=request.headers.get(PRINCIPAL_ROLE_HEADER, Role.PARTNER.value),
    )
    return await _run_locally(state, charger_id, command, body, principal)


async def _run_locally(
    state: AppState,
    charger_id: str,
    command: str,
    body: dict[str, Any] | None,
    principal: Principal,
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
