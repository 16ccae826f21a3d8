"""Remote commands: one endpoint per command, answered with the charger's own response.

Every command goes through the command gateway (``app/commands/gateway.py``), which checks
scope, the safety interlock and running charges, and audits the attempt whatever happens.
"""

from __future__ import annotations

import asyncio
from typing import Any, get_args

from fastapi import APIRouter, Body, Depends, Request
from pydantic import BaseModel

from app.api.deps import get_gateway, get_state, require_roles
from app.cluster.nodes import (
    NODE_HEADER,
    ON_BEHALF_HEADER,
    ORIGIN_HEADER,
    PRINCIPAL_NAME_HEADER,
    PRINCIPAL_ROLE_HEADER,
)
from app.commands import batches
from app.commands.gateway import Actor, CommandGateway, CommandRequest, CommandResult, Origin
from app.csms.inventory import message_limits
from app.errors import Forbidden
from app.security.roles import Principal, Role
from app.state import AppState

router = APIRouter(prefix="/api", tags=["commands"])
FORWARDABLE_ORIGINS = frozenset(get_args(Origin))  # the gateway's own list of paths
ITEM_LIMITS = batches.ItemLimits()  # the chargers' Items/BytesPerMessage, asked once each


class CommandResponse(BaseModel):
    charger_id: str
    command: str
    ocpp_action: str
    status: str | None
    request: dict[str, Any]
    response: dict[str, Any]
    round_trip_ms: float
    overrides: list[str] = []


def _response(result: CommandResult) -> CommandResponse:
    return CommandResponse(
        charger_id=result.charger_id,
        command=result.command,
        ocpp_action=result.ocpp_action,
        status=result.status,
        request=result.request,
        response=result.response,
        round_trip_ms=result.round_trip_ms,
        overrides=list(result.overrides),
    )


@router.post("/chargers/{charger_id}/commands/{command}", response_model=CommandResponse)
async def run_command(
    charger_id: str,
    command: str,
    body: dict[str, Any] | None = Body(
        None,
        examples=[{"type": "soft"}, {"type": "hard", "force": True, "reason": "stuck session"}],
        description="The command's parameters, plus optional `force` and `reason` "
        "(consultants and admins only).",
    ),
    gateway: CommandGateway = Depends(get_gateway),
    state: AppState = Depends(get_state),
    principal: Principal = Depends(require_roles(Role.PARTNER, Role.CONSULTANT)),
) -> CommandResponse:
    request = CommandRequest.of(charger_id, command, body)
    actor = Actor(principal, "api")

    async def stored(cid: str) -> dict[tuple[str, str | None], int]:
        return await asyncio.to_thread(message_limits, state.session_factory, cid)

    return _response(await batches.execute(gateway, request, actor, ITEM_LIMITS, stored))


@router.post(
    "/internal/chargers/{charger_id}/commands/{command}",
    include_in_schema=False,
    response_model=CommandResponse,
)
async def run_forwarded_command(
    charger_id: str,
    command: str,
    http: Request,
    body: dict[str, Any] | None = Body(None),
    state: AppState = Depends(get_state),
    gateway: CommandGateway = Depends(get_gateway),
) -> CommandResponse:
    """A command forwarded by another backend node: checked and audited here, in the
    caller's name (never forwarded again)."""
    if not state.cluster.secret_matches(http.headers.get(NODE_HEADER)):
        raise Forbidden("not a node of this cluster")
    principal = Principal(
        name=http.headers.get(PRINCIPAL_NAME_HEADER, "node")[:100],
        role=http.headers.get(PRINCIPAL_ROLE_HEADER, Role.PARTNER.value)[:20],
    )
    origin = http.headers.get(ORIGIN_HEADER, "api")
    actor = Actor(
        principal,
        origin if origin in FORWARDABLE_ORIGINS else "api",  # type: ignore[arg-type]
        http.headers.get(ON_BEHALF_HEADER) or None,
    )
    request = CommandRequest.of(charger_id, command, body)
    return _response(await gateway.execute_here(request, actor))
