"""The simulator's control API (loopback HTTP): chargers, true state, faults, transactions,
ground truth."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

from app.simulator.charger import SimCharger, SimulatorError
from app.simulator.config import DEFAULT_ID_TAG
from app.simulator.faults import fault_catalogue
from app.simulator.state import ChargerTrueState

if TYPE_CHECKING:
    from app.simulator.fleet import Fleet


class ChargerSummary(BaseModel):
    charger_id: str
    site: str
    vendor: str
    model: str
    ocpp_version: str
    phase: str
    faults: list[str]


class InjectRequest(BaseModel):
    fault: str
    connector_id: int | None = Field(None, ge=0)


class ClearRequest(BaseModel):
    connector_id: int | None = Field(None, ge=0)
    how: str = "manual"


class TransactionRequest(BaseModel):
    connector_id: int = Field(1, ge=1)
    id_tag: str = DEFAULT_ID_TAG


class FaultInfo(BaseModel):
    key: str
    title: str
    scope: str
    error_code_16: str
    status_16: str
    component_201: str
    variable_201: str
    clears_by: list[str]
    remedy: str


def create_control_api(fleet: Fleet) -> FastAPI:
    """Every endpoint is async: it runs on the fleet's event loop, never in a thread."""
    api = FastAPI(title="ChargeFix simulator control", docs_url="/docs")

    def get(charger_id: str) -> SimCharger:
        try:
            return fleet.charger(charger_id)
        except SimulatorError as exc:
            raise HTTPException(404, str(exc)) from None

    @api.get("/health")
    async def health() -> dict[str, Any]:
        return {"chargers": len(fleet.chargers), "online": fleet.online_count()}

    @api.get("/faults", response_model=list[FaultInfo])
    async def faults() -> list[FaultInfo]:
        return [
            FaultInfo(
                key=f.key,
                title=f.title,
                scope=f.scope,
                error_code_16=f.v16.error_code,
                status_16=f.v16.status,
                component_201=f.v201.component,
                variable_201=f.v201.variable,
                clears_by=list(f.truth.clears_by),
                remedy=f.truth.remedy,
            )
            for f in fault_catalogue().values()
        ]

    @api.get("/chargers", response_model=list[ChargerSummary])
    async def chargers() -> list[ChargerSummary]:
        return [
            ChargerSummary(
                charger_id=c.charger_id,
                site=c.plan.site,
                vendor=c.plan.model.vendor,
                model=c.plan.model.model,
                ocpp_version=c.ocpp_version,
                phase=c.phase,
                faults=[f"{k}@{cid}" for (k, cid) in c.faults],
            )
            for c in fleet.chargers
        ]

    @api.get("/chargers/{charger_id}", response_model=ChargerTrueState)
    async def true_state(charger_id: str) -> ChargerTrueState:
        return get(charger_id).true_state()

    @api.post("/chargers/{charger_id}/faults", response_model=ChargerTrueState)
    async def inject(charger_id: str, body: InjectRequest) -> ChargerTrueState:
        charger = get(charger_id)
        try:
            charger.inject_now(body.fault, body.connector_id, source="api")
        except SimulatorError as exc:
            raise HTTPException(422, str(exc)) from None
        return charger.true_state()

    @api.post("/chargers/{charger_id}/faults/{fault}/clear", response_model=ChargerTrueState)
    async def clear(
        charger_id: str, fault: str, body: ClearRequest | None = None
    ) -> ChargerTrueState:
        charger = get(charger_id)
        body = body or ClearRequest()
        if not charger.clear_fault(fault, body.connector_id, how=body.how):
            raise HTTPException(404, f"{fault} is not active on {charger_id}")
        return charger.true_state()

    @api.post("/chargers/{charger_id}/transactions", response_model=ChargerTrueState)
    async def start_tx(charger_id: str, body: TransactionRequest) -> ChargerTrueState:
        charger = get(charger_id)
        try:
            charger.start_transaction(body.connector_id, body.id_tag)
        except SimulatorError as exc:
            raise HTTPException(409, str(exc)) from None
        return charger.true_state()

    @api.post(
        "/chargers/{charger_id}/transactions/{connector_id}/stop",
        response_model=ChargerTrueState,
    )
    async def stop_tx(charger_id: str, connector_id: int) -> ChargerTrueState:
        charger = get(charger_id)
        try:
            stopped = charger.stop_transaction(connector_id, reason="Local")
        except SimulatorError as exc:
            raise HTTPException(404, str(exc)) from None
        if not stopped:
            raise HTTPException(409, f"no transaction on {charger_id}:{connector_id}")
        return charger.true_state()

    @api.get("/ground-truth")
    async def ground_truth(
        n: int = 100, charger_id: str | None = None, kind: str | None = None
    ) -> list[dict[str, Any]]:
        return fleet.truth.tail(n, charger_id=charger_id, kind=kind)

    return api
