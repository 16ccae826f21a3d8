"""`chargefix command`: catalogue commands from the shell, through the running backend's API
(the gateway checks and audits them); real backend, real charger socket."""

from __future__ import annotations

import asyncio
import json

from typer.testing import CliRunner

from app.cli.main import cli
from tests.chargers import connected


async def test_cli_sends_a_catalogue_command_and_shows_refusals(backend):
    cid = "SITE-017-CLI-01"
    await backend.register(cid)
    runner = CliRunner()
    base = ["command", "--api-url", backend.api_url, "--token", backend.admin_token]
    async with connected(backend.ocpp_url, cid, "2.0.1") as charger:
        await charger.boot()
        result = await asyncio.to_thread(
            runner.invoke,
            cli,
            [
                *base[:1],
                cid,
                "trigger_message",
                "--params",
                json.dumps({"message": "TransactionEvent", "evse_id": 1}),
                *base[1:],
            ],
        )
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["status"] == "Accepted"
        assert charger.received[-1] == (
            "TriggerMessage",
            {"requested_message": "TransactionEvent", "evse": {"id": 1}},
        )
        consultant = backend.token("consultant", name="casey")
        refused = await asyncio.to_thread(
            runner.invoke,
            cli,
            [
                "command",
                cid,
                "update_firmware",
                "-p",
                '{"location": "https://fw.example.com/a.bin"}',
                "--api-url",
                backend.api_url,
                "--token",
                consultant,
            ],
        )
        assert refused.exit_code == 1 and "403" in refused.output and "admins" in refused.output
    listed = runner.invoke(cli, ["commands"])
    assert listed.exit_code == 0 and "update_firmware (1.6, 2.0.1)" in listed.output
    assert "get_transaction_status (2.0.1)" in listed.output
