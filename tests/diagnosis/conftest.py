"""Fixtures: a real backend with diagnosis on compressed time, and simulated chargers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from app.simulator.config import DEFAULT_ID_TAG, ChargerPlan, FleetConfig
from app.simulator.fleet import Fleet
from app.simulator.models import model_by_key
from tests.conftest import TEST_CHARGER_PASSWORD, RunningBackend, make_settings, start_backend

SPEED = 100.0


def plan(model_key: str, version: str, n: int = 1, site: int = 1) -> ChargerPlan:
    model = model_by_key(model_key)
    charger_id = f"SITE-{site:03d}-{model.id_kind}-{n:02d}"
    return ChargerPlan(charger_id, model, version, f"SITE-{site:03d}", n)


def diagnosis_settings(tmp_path: Path, **overrides: Any) -> Any:
    values: dict[str, Any] = {
        "diagnosis_time_scale": SPEED,
        "diagnosis_recovery_hold_seconds": 60.0,
        "diagnosis_cooldown_seconds": 30.0,
        "offline_debounce_seconds": 120.0 / SPEED,
    }
    values.update(overrides)
    return make_settings(tmp_path, **values)


BackendFactory = Callable[..., Any]


@pytest.fixture
async def make_backend(tmp_path: Path) -> AsyncIterator[BackendFactory]:
    running: list[RunningBackend] = []

    async def factory(**overrides: Any) -> RunningBackend:
        backend = await start_backend(diagnosis_settings(tmp_path / str(len(running)), **overrides))
        running.append(backend)
        return backend

    try:
        yield factory
    finally:
        for backend in running:
            await backend.backend.stop()


@pytest.fixture
async def make_fleet(tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    fleets: list[Fleet] = []

    async def factory(backend: RunningBackend, plans: list[ChargerPlan], **kw: Any) -> Fleet:
        for p in plans:
            await backend.register(p.charger_id)
        await backend.register_id_token(DEFAULT_ID_TAG)  # the simulated drivers' card
        config = FleetConfig(
            outcomes="ideal",  # these tests assume deterministic outcomes
            csms_url=backend.ocpp_url,
            chargers=0,
            speed=SPEED,
            shared_password=TEST_CHARGER_PASSWORD,
            ground_truth_path=tmp_path / f"truth-{len(fleets)}.jsonl",
            **kw,
        )
        fleet = Fleet(config, plans=plans)
        fleets.append(fleet)
        await fleet.start()
        await fleet.wait_online(timeout=10)
        return fleet

    try:
        yield factory
    finally:
        for fleet in fleets:
            await fleet.stop()
