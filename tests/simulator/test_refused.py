"""`chargefix simulate` against a backend that refuses the chargers says why, at once."""

from __future__ import annotations

import asyncio

import pytest

from app.cli import simulate
from app.simulator.config import FleetConfig


async def _first_refusal(monkeypatch, config: FleetConfig) -> tuple[str, float]:  # type: ignore[no-untyped-def]
    lines: asyncio.Queue[str] = asyncio.Queue()
    monkeypatch.setattr(simulate.typer, "echo", lambda text, err=False: lines.put_nowait(text))
    loop = asyncio.get_running_loop()
    started = loop.time()
    task = asyncio.create_task(simulate._run(config, None))
    try:
        while True:
            line = await asyncio.wait_for(lines.get(), 8)
            if line.startswith("refused"):
                return line, loop.time() - started
            assert not line.startswith("online"), f"no reason before {line!r}"
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_no_password_is_named_with_what_to_pass(backend, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    config = FleetConfig(
        outcomes="ideal",  # these tests assume deterministic outcomes
        csms_url=backend.ocpp_url,
        chargers=1,
        speed=50,
        ground_truth_path=tmp_path / "truth.jsonl",
        control_port=0,
    )
    line, after = await _first_refusal(monkeypatch, config)
    assert "401 HTTP Basic credentials required" in line
    assert "--password-file" in line and "1/1 chargers" in line
    assert after < 5  # at once, not after the first 10 s status line


def test_refusal_report_groups_by_reason_and_tells_once() -> None:
    told: set[str] = set()
    refusals = {f"C{i}": "401 unknown charge point" for i in range(5)}
    refusals["D1"] = "401 bad credentials"
    lines = simulate.refusal_report(refusals, 12, told)
    assert len(lines) == 2
    unknown = next(line for line in lines if "unknown" in line)
    assert "5/12 chargers (C0, C1, C2 and 2 more)" in unknown
    assert "chargefix chargers add" in unknown
    assert simulate.refusal_report(refusals, 12, told) == []
