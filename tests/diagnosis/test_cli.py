"""`chargefix diagnosis` over the REST API of a running backend and over the database."""

from __future__ import annotations

import asyncio
import json

from typer.testing import CliRunner

from app.cli.main import cli
from tests.diagnosis.conftest import plan
from tests.diagnosis.test_service import wait_diagnosis


async def test_diagnosis_cli_list_show_policy(make_backend, make_fleet, monkeypatch) -> None:
    backend = await make_backend()
    p = plan("voltara_wb22", "1.6")
    fleet = await make_fleet(backend, [p])
    fleet.charger(p.charger_id).inject_now("ground_fault", 1)
    row = await wait_diagnosis(backend, p.charger_id, ("site_visit",))
    monkeypatch.setenv("CHARGEFIX_API_URL", backend.api_url)
    monkeypatch.setenv("CHARGEFIX_DATA_DIR", str(backend.state.settings.data_dir))
    runner = CliRunner()

    def run(*args: str) -> object:
        return asyncio.to_thread(runner.invoke, cli, ["diagnosis", *args])

    monkeypatch.delenv("CHARGEFIX_API_TOKEN", raising=False)
    refused = await run("list")
    assert refused.exit_code == 1 and "CHARGEFIX_API_TOKEN" in refused.output
    monkeypatch.setenv("CHARGEFIX_API_TOKEN", backend.admin_token)
    listed = await run("list", "--json")
    assert listed.exit_code == 0, listed.output
    assert [d["rule_id"] for d in json.loads(listed.output)] == ["ground-fault"]
    shown = await run("show", str(row.id))
    assert shown.exit_code == 0 and json.loads(shown.output)["actions"]
    assert (await run("show", "999999")).exit_code == 1
    switched = await run("policy", "--kill-switch", "on")
    assert switched.exit_code == 0 and json.loads(switched.output)["kill_switch"] is True
    assert backend.state.diagnosis.kill_switch is True
    assert (await run("policy", "--dry-run", "maybe")).exit_code == 1
    from_db = await run("list", "--db", "--json")
    assert from_db.exit_code == 0, from_db.output
    assert [d["id"] for d in json.loads(from_db.output)] == [row.id]
    assert (await run("policy", "--db", "--kill-switch", "off")).exit_code == 1
