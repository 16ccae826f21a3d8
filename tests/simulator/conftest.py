"""Fixtures: a mini CSMS (ocpp library server side) and fleets of simulated chargers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from app.simulator.config import ChargerPlan, FleetConfig
from app.simulator.fleet import Fleet
from app.simulator.models import model_by_key
from tests.simulator.mini_csms import MiniCSMS, UploadReceiver

PASSWORD = "sim-secret"


def plan(model_key: str, version: str, n: int = 1, site: int = 1) -> ChargerPlan:
    model = model_by_key(model_key)
    charger_id = f"SITE-{site:03d}-{model.id_kind}-{n:02d}"
    return ChargerPlan(charger_id, model, version, f"SITE-{site:03d}", n)


@pytest.fixture
async def csms() -> AsyncIterator[MiniCSMS]:
    server = MiniCSMS(password=PASSWORD, heartbeat_interval=300)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def uploads() -> AsyncIterator[UploadReceiver]:
    receiver = UploadReceiver()
    await receiver.start()
    try:
        yield receiver
    finally:
        await receiver.stop()


FleetFactory = Callable[..., Any]


@pytest.fixture
async def make_fleet(csms: MiniCSMS, tmp_path: Path) -> AsyncIterator[FleetFactory]:
    fleets: list[Fleet] = []

    async def factory(
        plans: Iterable[ChargerPlan], speed: float = 100.0, online: bool = True, **kw: Any
    ) -> Fleet:
        kw.setdefault("outcomes", "ideal")  # most tests assume deterministic outcomes
        config = FleetConfig(
            csms_url=csms.url,
            chargers=0,
            speed=speed,
            shared_password=PASSWORD,
            ground_truth_path=tmp_path / f"truth-{len(fleets)}.jsonl",
            **kw,
        )
        fleet = Fleet(config, plans=list(plans))
        fleets.append(fleet)
        await fleet.start()
        if online:
            await fleet.wait_online(timeout=10)
        return fleet

    try:
        yield factory
    finally:
        for fleet in fleets:
            await fleet.stop()
