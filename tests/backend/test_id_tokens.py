"""Id tokens: what Authorize, StartTransaction/StopTransaction (1.6) and TransactionEvent
(2.0.1) answer, over real sockets; the API and CLI that keep the token store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201
from typer.testing import CliRunner

from app.cli.main import cli
from tests.chargers import connected, eventually, now
from tests.conftest import make_settings, start_backend

FUTURE = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
PAST = (datetime.now(UTC) - timedelta(days=1)).replace(microsecond=0)


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


async def _register_tokens(api_client) -> None:
    for body in (
        {"id_token": "CARD-ok-0001", "expires_at": _iso(FUTURE), "group_id": "FLEET-A"},
        {"id_token": "CARD-BLOCKED", "status": "Blocked"},
        {"id_token": "CARD-EXPIRED", "expires_at": _iso(PAST)},
        {"id_token": "04A2B3C4D5E6F7", "type": "ISO14443"},
    ):
        response = await api_client.post("/api/id-tokens", json=body)
        assert response.status_code == 200, response.text


async def _authorize16(charger, tag: str) -> dict:  # the client snake-cases the answer
    return (await charger.call(call16.Authorize(id_tag=tag))).id_tag_info


async def _authorize201(charger, token: str, kind: str = "ISO14443") -> dict:
    answer = await charger.call(call201.Authorize(id_token={"id_token": token, "type": kind}))
    return answer.id_token_info


async def test_v16_answers_from_the_token_store(backend, api_client):
    await _register_tokens(api_client)
    await backend.register("SITE-041-AC-01")
    async with connected(backend.ocpp_url, "SITE-041-AC-01") as charger:
        await charger.boot()
        accepted = await _authorize16(charger, "card-OK-0001")  # CiString: any case
        assert accepted == {
            "status": "Accepted",
            "expiry_date": _iso(FUTURE),
            "parent_id_tag": "FLEET-A",
        }
        assert (await _authorize16(charger, "CARD-BLOCKED"))["status"] == "Blocked"
        expired = await _authorize16(charger, "CARD-EXPIRED")
        assert expired == {"status": "Expired", "expiry_date": _iso(PAST)}
        assert await _authorize16(charger, "NOBODY-KNOWS-ME") == {"status": "Invalid"}

        started = await charger.call(
            call16.StartTransaction(
                connector_id=1, id_tag="CARD-BLOCKED", meter_start=0, timestamp=now()
            )
        )
        assert started.id_tag_info == {"status": "Blocked"}
        # the charger started it: it is in the live state until the charger stops it
        state = backend.state.live.get("SITE-041-AC-01")
        assert str(started.transaction_id) in state.transactions
        stopped = await charger.call(
            call16.StopTransaction(
                meter_stop=10,
                timestamp=now(),
                transaction_id=started.transaction_id,
                reason="DeAuthorized",
                id_tag="CARD-BLOCKED",
            )
        )
        assert stopped.id_tag_info == {"status": "Blocked"}

        ok = await charger.call(
            call16.StartTransaction(
                connector_id=1, id_tag="CARD-OK-0001", meter_start=0, timestamp=now()
            )
        )
        assert ok.id_tag_info["status"] == "Accepted"


async def test_v201_answers_from_the_token_store(backend, api_client):
    await _register_tokens(api_client)
    await backend.register("SITE-041-DC-01")
    async with connected(backend.ocpp_url, "SITE-041-DC-01", "2.0.1") as charger:
        await charger.boot()
        accepted = await _authorize201(charger, "card-ok-0001", "KeyCode")
        assert accepted == {
            "status": "Accepted",
            "cache_expiry_date_time": _iso(FUTURE),
            "group_id_token": {"id_token": "FLEET-A", "type": "Central"},
        }
        assert (await _authorize201(charger, "CARD-BLOCKED"))["status"] == "Blocked"
        assert (await _authorize201(charger, "CARD-EXPIRED"))["status"] == "Expired"
        assert await _authorize201(charger, "NOBODY") == {"status": "Invalid"}
        # a token stored with a type is that type only
        assert (await _authorize201(charger, "04a2b3c4d5e6f7"))["status"] == "Accepted"
        wrong_type = await _authorize201(charger, "04A2B3C4D5E6F7", "KeyCode")
        assert wrong_type == {"status": "Invalid"}

        def event(tx_id: str, token: str) -> call201.TransactionEvent:
            return call201.TransactionEvent(
                event_type="Started",
                timestamp=now(),
                trigger_reason="Authorized",
                seq_no=0,
                transaction_info={"transaction_id": tx_id},
                evse={"id": 1, "connector_id": 1},
                id_token={"id_token": token, "type": "ISO14443"},
            )

        refused = await charger.call(event("tx-unknown", "NOBODY"))
        assert refused.id_token_info == {"status": "Invalid"}
        assert "tx-unknown" in backend.state.live.get("SITE-041-DC-01").transactions
        expired = await charger.call(event("tx-expired", "CARD-EXPIRED"))
        assert expired.id_token_info["status"] == "Expired"
        ok = await charger.call(event("tx-ok", "CARD-OK-0001"))
        assert ok.id_token_info["status"] == "Accepted"


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_accept_all_accepts_unknown_tokens_but_not_blocked_ones(tmp_path, version):
    running = await start_backend(make_settings(tmp_path, accept_all_tokens=True))
    try:
        async with running.client() as client:
            await _register_tokens(client)
        await running.register("SITE-041-AC-02")
        async with connected(running.ocpp_url, "SITE-041-AC-02", version) as charger:
            await charger.boot()
            ask = _authorize16 if version == "1.6" else _authorize201
            assert (await ask(charger, "NOBODY-KNOWS-ME"))["status"] == "Accepted"
            assert (await ask(charger, "CARD-BLOCKED"))["status"] == "Blocked"
            assert (await ask(charger, "CARD-EXPIRED"))["status"] == "Expired"
    finally:
        await running.backend.stop()


async def test_api_block_delete_roles_and_bounds(backend, api_client):
    await _register_tokens(api_client)
    await backend.register("SITE-041-AC-03")
    async with connected(backend.ocpp_url, "SITE-041-AC-03") as charger:
        await charger.boot()
        blocked = await api_client.post("/api/id-tokens/card-ok-0001/block")
        assert blocked.status_code == 200, blocked.text
        assert blocked.json()["status"] == "Blocked"
        assert (await _authorize16(charger, "CARD-OK-0001"))["status"] == "Blocked"
        assert (await api_client.delete("/api/id-tokens/CARD-OK-0001")).status_code == 204
        assert (await _authorize16(charger, "CARD-OK-0001"))["status"] == "Invalid"
    missing = await api_client.delete("/api/id-tokens/CARD-OK-0001")
    assert missing.status_code == 404
    assert (await api_client.post("/api/id-tokens/NOPE/block")).status_code == 404

    listed = (await api_client.get("/api/id-tokens")).json()
    assert [t["id_token"] for t in listed] == ["04A2B3C4D5E6F7", "CARD-BLOCKED", "CARD-EXPIRED"]
    assert listed[0]["type"] == "ISO14443" and listed[0]["updated_by"] == "test-admin"

    for bad in (
        {"id_token": "X" * 37},
        {"id_token": "CARTE-\u00e9t\u00e9"},
        {"id_token": "OK", "type": "Magic"},
        {"id_token": "OK", "status": "Maybe"},
        {"id_token": "OK", "expires_at": "2030-01-01T00:00:00"},  # no time zone
    ):
        response = await api_client.post("/api/id-tokens", json=bad)
        assert response.status_code == 422, (bad, response.text)

    async with backend.client(backend.token("consultant")) as consultant:
        assert (await consultant.get("/api/id-tokens")).status_code == 200
    for role in ("partner", "editor"):
        async with backend.client(backend.token(role)) as other:
            assert (await other.get("/api/id-tokens")).status_code == 403
            response = await other.post("/api/id-tokens", json={"id_token": "MINE"})
            assert response.status_code == 403


async def test_cli_changes_reach_a_running_backend(tmp_path, monkeypatch):
    settings = make_settings(tmp_path, id_token_refresh_seconds=0.1)
    running = await start_backend(settings)
    monkeypatch.setenv("CHARGEFIX_DATA_DIR", str(settings.data_dir))
    runner = CliRunner()
    try:
        await running.register("SITE-041-AC-04")
        async with connected(running.ocpp_url, "SITE-041-AC-04") as charger:
            await charger.boot()
            assert (await _authorize16(charger, "CLI-CARD"))["status"] == "Invalid"
            added = runner.invoke(cli, ["id-tokens", "add", "CLI-CARD", "--group", "G1"])
            assert added.exit_code == 0, added.output

            async def answer_is(status: str):
                return (await _authorize16(charger, "cli-card"))["status"] == status

            await eventually(lambda: answer_is("Accepted"), timeout=5)
            listed = runner.invoke(cli, ["id-tokens", "list"])
            assert "CLI-CARD" in listed.output and "G1" in listed.output
            assert runner.invoke(cli, ["id-tokens", "block", "CLI-CARD"]).exit_code == 0
            await eventually(lambda: answer_is("Blocked"), timeout=5)
            assert runner.invoke(cli, ["id-tokens", "remove", "CLI-CARD"]).exit_code == 0
            await eventually(lambda: answer_is("Invalid"), timeout=5)
            gone = runner.invoke(cli, ["id-tokens", "remove", "CLI-CARD"])
            assert gone.exit_code == 1 and "no id token" in gone.output
            bad = runner.invoke(cli, ["id-tokens", "add", "X" * 37])
            assert bad.exit_code == 1 and "1 to 36" in bad.output
    finally:
        await running.backend.stop()
