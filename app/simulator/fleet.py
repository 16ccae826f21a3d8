"""A fleet of simulated chargers in one event loop, with its control API and scenario."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Any

import httpx
import ocpp.messages

from app.simulator.charger import Clock, FleetContext, SimCharger, SimulatorError
from app.simulator.config import DEFAULT_ID_TAG, ChargerPlan, FleetConfig, plan_fleet
from app.simulator.ground_truth import GroundTruthLog
from app.simulator.scenario import Scenario, load_scenario
from app.simulator.v16 import Charger16
from app.simulator.v201 import Charger201

log = logging.getLogger(__name__)


def make_charger(plan: ChargerPlan, ctx: FleetContext) -> SimCharger:
    cls = Charger16 if plan.ocpp_version == "1.6" else Charger201
    return cls(plan, ctx)


class Fleet:
    """``fleet = Fleet(config); await fleet.start(); fleet.charger(id); await fleet.stop()``."""

    def __init__(
        self,
        config: FleetConfig,
        scenario: Scenario | Path | None = None,
        plans: list[ChargerPlan] | None = None,
    ) -> None:
        self.config = config
        if isinstance(scenario, Path):
            scenario = load_scenario(scenario)
        self.scenario = scenario
        self.truth = GroundTruthLog(config.ground_truth_path)
        self.ctx = FleetContext(config=config, clock=Clock(config.speed), truth=self.truth)
        self.plans = (
            plans if plans is not None else plan_fleet(config.chargers, config.ocpp, config.seed)
        )
        self._chargers: dict[str, SimCharger] = {}
        self._scenario_task: asyncio.Task | None = None
        self._control_task: asyncio.Task | None = None
        self._control_server: Any = None
        self.control_port: int | None = None

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        ocpp.messages.ASYNC_VALIDATION = False  # validate inline: no thread-pool hop
        self.ctx.http = httpx.AsyncClient(timeout=10)
        for i, plan in enumerate(self.plans):
            charger = make_charger(plan, self.ctx)
            self._chargers[plan.charger_id] = charger
            charger.launch(initial_delay=i / self.config.connect_rate)
        if self.scenario is not None:
            self.scenario.check_against(self)
            self._scenario_task = asyncio.create_task(self._run_scenario(self.scenario))
        if self.config.control_port is not None:
            await self._start_control_api()

    async def stop(self) -> None:
        if self._scenario_task:
            self._scenario_task.cancel()
        if self._control_server is not None:
            self._control_server.should_exit = True
            if self._control_task:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self._control_task, 5)
        await asyncio.gather(*(c.stop() for c in self._chargers.values()))
        if self.ctx.http is not None:
            await self.ctx.http.aclose()
        self.truth.close()

    async def __aenter__(self) -> Fleet:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ access
    def charger(self, charger_id: str) -> SimCharger:
        try:
            return self._chargers[charger_id]
        except KeyError:
            raise SimulatorError(f"no simulated charger {charger_id!r}") from None

    @property
    def chargers(self) -> list[SimCharger]:
        return list(self._chargers.values())

    def refusals(self) -> dict[str, str]:
        """Chargers the CSMS refuses at the handshake, with its reason."""
        return dict(self.ctx.refusals)

    def online_count(self) -> int:
        return sum(1 for c in self._chargers.values() if c.phase == "online")

    async def wait_online(self, count: int | None = None, timeout: float = 30.0) -> None:
        target = len(self._chargers) if count is None else count
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.online_count() < target:
            if loop.time() > deadline:
                raise TimeoutError(f"{self.online_count()}/{target} chargers online")
            await asyncio.sleep(0.05)

    # ------------------------------------------------------------------ scenario
    async def _run_scenario(self, scenario: Scenario) -> None:
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        for event in sorted(scenario.events, key=lambda e: e.at):
            delay = t0 + self.ctx.clock.real(event.at) - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                self.apply_event(event)
            except SimulatorError as exc:
                log.warning("scenario line %s: %s", event.line, exc)

    def apply_event(self, event: Any) -> None:
        charger = self.charger(event.charger_id(self))
        if event.action == "inject":
            charger.inject_now(event.fault, event.connector, source="scenario")
        elif event.action == "clear":
            charger.clear_fault(event.fault, event.connector, how=event.how or "site_visit")
        elif event.action == "start_transaction":
            charger.start_transaction(event.connector or 1, event.id_tag or DEFAULT_ID_TAG)
        elif event.action == "stop_transaction":
            charger.stop_transaction(event.connector or 1, reason="Local")

    # ------------------------------------------------------------------ control API
    async def _start_control_api(self) -> None:
        import uvicorn

        from app.simulator.control_api import create_control_api

        app = create_control_api(self)
        config = uvicorn.Config(
            app,
            host=self.config.control_host,
            port=self.config.control_port or 0,
            log_level="warning",
            lifespan="off",
        )
        server = uvicorn.Server(config)
        server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign]
        self._control_server = server
        self._control_task = asyncio.create_task(server.serve())
        while not server.started:
            if self._control_task.done():
                self._control_task.result()
                raise RuntimeError("control API failed to start")
            await asyncio.sleep(0.01)
        self.control_port = server.servers[0].sockets[0].getsockname()[1]

    @property
    def control_url(self) -> str | None:
        if self.control_port is None:
            return None
        return f"http://{self.config.control_host}:{self.control_port}"
