"""GET /api/knowledge/search against a real backend, a real charger and a real index."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from app.config import Settings
from ingestion.pipeline import ingest
from tests.chargers import connected, eventually
from tests.conftest import make_settings


@pytest.fixture
def settings(tmp_path: Path, kb: Path, embedder) -> Settings:
    """The backend's settings, with a knowledge index already built under its data dir."""
    settings = make_settings(tmp_path)
    summary = ingest(kb, settings.resolved_index_dir, embedder=embedder)
    assert summary.issues == []
    return settings


async def test_search_from_a_faulted_chargers_live_state(backend) -> None:
    await backend.register("SITE-001-AC-01")
    async with connected(backend.ocpp_url, "SITE-001-AC-01") as charger:
        await charger.boot(vendor="Voltara", model="WB-22")
        await charger.status(1, "Faulted", "GroundFailure", vendor_error_code="E-101")
        await eventually(lambda: backend.state.live.get("SITE-001-AC-01").open_faults)
        async with backend.client(backend.token("partner")) as partner:
            response = await partner.get(
                "/api/knowledge/search", params={"charger": "SITE-001-AC-01", "q": "red light"}
            )
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["query"]["vendor"] == "Voltara"
    assert {"E-101", "GroundFailure"} <= set(data["query"]["codes"])
    assert data["procedures"][0]["id"] == "PROC-GROUND-FAULT"
    assert data["manuals"][0]["id"] == "manuals/wb22.md#Ground fault (E-101)"
    assert data["tickets"][0]["id"] == "T-1001"
    assert "E-101" in data["tickets"][0]["matched_codes"]


async def test_search_by_words_filters_and_errors(backend) -> None:
    async with backend.client(backend.token("consultant")) as consultant:
        words = await consultant.get(
            "/api/knowledge/search", params={"q": "NW-0x11", "kind": "ticket", "k": 1}
        )
        assert words.status_code == 200
        data = words.json()
        assert [t["id"] for t in data["tickets"]] == ["T-1003"]
        assert data["procedures"] == [] and data["manuals"] == []
        unknown = await consultant.get("/api/knowledge/search", params={"charger": "NOPE"})
        assert unknown.status_code == 404
        empty = await consultant.get("/api/knowledge/search")
        assert empty.status_code == 422
    async with httpx.AsyncClient(base_url=backend.api_url) as anonymous:
        assert (await anonymous.get("/api/knowledge/search?q=x")).status_code == 401
