"""The REST API application: routers in one list, state attached by the backend."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from app.api.errors import install as install_error_handler
from app.api.limits import BodyLimit
from app.api.routers import (
    admin,
    api_tokens,
    auth,
    certificates,
    chargers,
    commands,
    diagnoses,
    diagnostics,
    fault_codes,
    firmware,
    firmware_campaigns,
    handoffs,
    health,
    id_tokens,
    inventory,
    knowledge,
    knowledge_admin,
    partner_sites,
    photos,
    procedures,
    qualifications,
    security_events,
    sessions,
    users,
)
from app.state import AppState

ROUTERS: list[APIRouter] = [
    health.router,
    auth.router,
    chargers.router,
    commands.router,
    diagnostics.router,
    security_events.router,
    knowledge.router,
    knowledge_admin.router,
    procedures.router,
    sessions.router,
    photos.router,
    handoffs.router,
    diagnoses.router,
    partner_sites.router,
    fault_codes.router,
    id_tokens.router,
    firmware.router,
    firmware_campaigns.router,
    certificates.router,
    inventory.router,
    qualifications.router,
    users.router,
    api_tokens.router,
    admin.router,
]


def create_api(state: AppState) -> FastAPI:
    api = FastAPI(
        title="ChargeFix API",
        version="0.1.0",
        description="Live charger state, remote commands and troubleshooting for charger fleets.",
    )
    api.state.chargefix = state
    install_error_handler(api)
    api.add_middleware(BodyLimit, settings=state.settings)  # before a body is read
    for router in ROUTERS:
        api.include_router(router)
    return api
