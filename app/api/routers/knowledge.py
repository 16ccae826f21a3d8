"""``GET /api/knowledge/search``: procedures, manual passages and past tickets for a problem."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.concurrency import run_in_threadpool

from app.api.deps import get_retriever, get_state, require_roles
from app.retrieval.models import SearchRequest, SearchResults
from app.retrieval.query import request_from_live_state
from app.retrieval.service import IndexNotFoundError
from app.security.roles import Principal
from app.state import AppState

router = APIRouter(prefix="/api/knowledge", tags=["knowledge"])


@router.get("/search", response_model=SearchResults)
async def search_knowledge(
    q: Annotated[str, Query(max_length=1000, description="The partner's words.")] = "",
    charger: Annotated[
        str | None, Query(description="Charger id: its live state refines the query.")
    ] = None,
    connector_id: Annotated[int | None, Query(ge=0)] = None,
    vendor: str | None = None,
    model: str | None = None,
    error_code: Annotated[str | None, Query(description="OCPP error code.")] = None,
    vendor_error_code: str | None = None,
    kind: Annotated[list[Literal["procedure", "manual", "ticket"]] | None, Query()] = None,
    k: Annotated[int, Query(ge=1, le=50)] = 5,
    state: AppState = Depends(get_state),
    _: Principal = Depends(require_roles("partner", "consultant", "editor", "admin")),
) -> SearchResults:
    if not q.strip() and not (charger or error_code or vendor_error_code):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "give q, charger, error_code or vendor_error_code",
        )
    overrides = {
        "vendor": vendor,
        "model": model,
        "error_code": error_code,
        "vendor_error_code": vendor_error_code,
        "kinds": kind or None,
        "k": k,
    }
    if charger:
        live = state.live.get(charger)
        if live is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"charger {charger} not found")
        req = request_from_live_state(live, q, connector_id, **overrides)
    else:
        req = SearchRequest(text=q, **{key: v for key, v in overrides.items() if v is not None})
    retriever = await run_in_threadpool(get_retriever, state)  # the first use loads the model
    try:
        # Embedding and index look-ups are CPU-bound: keep them off the event loop.
        return await run_in_threadpool(retriever.search, req)
    except IndexNotFoundError as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc)) from exc
