"""Remote commands through the REST API, answered by real chargers over real sockets."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from ocpp.v16 import call as call16
from sqlalchemy import select

from app.db.models import CommandRow
from tests.chargers import connected, now


async def test_soft_and_hard_reset_16(backend, api_client):
    await backend.register("SITE-005-AC-01")
    async with connected(backend.ocpp_url, "SITE-005-AC-01") as charger:
        await charger.boot()
        response = await api_client.post(
            "/api/chargers/SITE-005-AC-01/commands/reset", json={"type": "soft"}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "Accepted"
        assert body["ocpp_action"] == "Reset"
        assert body["round_trip_ms"] > 0
        response = await api_client.post(
            "/api/chargers/SITE-005-AC-01/commands/reset", json={"type": "hard"}
        )
        assert response.status_code == 200
        drain = ("ChangeAvailability", {"connector_id": 0, "type": "Inoperative"})
        # each reset is drained first (app/commands/drain.py)
        assert charger.received == [
            drain,
            ("Reset", {"type": "Soft"}),
            drain,
            ("Reset", {"type": "Hard"}),
        ]


async def test_reset_maps_to_onidle_unless_forced_201(backend, api_client):
    await backend.register("SITE-005-DC-01")
    async with connected(backend.ocpp_url, "SITE-005-DC-01", "2.0.1") as charger:
        await charger.boot()
        for kind in ("soft", "hard"):
            response = await api_client.post(
                "/api/chargers/SITE-005-DC-01/commands/reset", json={"type": kind}
            )
            assert response.status_code == 200, response.text
        # (self-diagnosis also asks a 2.0.1 station for its base report and sets monitors)
        resets = [r for r in charger.received if r[0] == "Reset"]
        # Immediate only when a consultant or admin forces it (tests/commands/test_drain.py)
        assert [r[1]["type"] for r in resets] == ["OnIdle", "OnIdle"]


@pytest.mark.parametrize(
    ("command", "body", "expected"),
    [
        ("unlock_connector", {"connector_id": 1}, ("UnlockConnector", {"connector_id": 1})),
        (
            "change_availability",
            {"connector_id": 0, "type": "inoperative"},
            ("ChangeAvailability", {"connector_id": 0, "type": "Inoperative"}),
        ),
        (
            "trigger_message",
            {"message": "StatusNotification"},
            ("TriggerMessage", {"requested_message": "StatusNotification"}),
        ),
        (
            "change_configuration",
            {"key": "HeartbeatInterval", "value": "120"},
            ("ChangeConfiguration", {"key": "HeartbeatInterval", "value": "120"}),
        ),
        ("clear_cache", {}, ("ClearCache", {})),
    ],
)
async def test_each_command_16(backend, api_client, command, body, expected):
    await backend.register("SITE-005-AC-02")
    async with connected(backend.ocpp_url, "SITE-005-AC-02") as charger:
        await charger.boot()
        response = await api_client.post(
            f"/api/chargers/SITE-005-AC-02/commands/{command}", json=body
        )
        assert response.status_code == 200, response.text
        # an unlock's connector is drained and restored around it (app/commands/drain.py,
        # tests/commands/test_drain.py)
        drain = "ChangeAvailability" if command == "unlock_connector" else None
        assert [r for r in charger.received if r[0] != drain] == [expected]


async def test_get_configuration_returns_charger_answer(backend, api_client):
    await backend.register("SITE-005-AC-03")
    async with connected(backend.ocpp_url, "SITE-005-AC-03") as charger:
        await charger.boot()
        response = await api_client.post(
            "/api/chargers/SITE-005-AC-03/commands/get_configuration", json={"keys": []}
        )
        assert response.json()["response"]["configurationKey"][0]["key"] == "HeartbeatInterval"


async def test_variables_201(backend, api_client):
    await backend.register("SITE-005-DC-02")
    async with connected(backend.ocpp_url, "SITE-005-DC-02", "2.0.1") as charger:
        await charger.boot()
        got = await api_client.post(
            "/api/chargers/SITE-005-DC-02/commands/get_configuration",
            json={"keys": ["OCPPCommCtrlr.HeartbeatInterval"]},
        )
        assert got.status_code == 200, got.text
        assert got.json()["response"]["getVariableResult"][0]["attributeValue"] == "60"
        changed = await api_client.post(
            "/api/chargers/SITE-005-DC-02/commands/change_configuration",
            json={"key": "OCPPCommCtrlr.HeartbeatInterval", "value": "90"},
        )
        assert changed.status_code == 200
        assert charger.received[-1][1]["data"][0]["attribute_value"] == "90"


async def test_diagnostics_upload_lands_in_backend(backend, api_client):
    await backend.register("SITE-005-AC-04")
    async with connected(backend.ocpp_url, "SITE-005-AC-04") as charger:
        await charger.boot()
        response = await api_client.post(
            "/api/chargers/SITE-005-AC-04/commands/get_diagnostics", json={}
        )
        assert response.status_code == 200, response.text
        location = charger.received[0][1]["location"]
        assert location.startswith(backend.api_url + "/api/uploads/diagnostics/")
        async with httpx.AsyncClient() as plain:  # the charger has no bearer token
            put = await plain.put(location, content=b"line 1\nline 2\n")
            assert put.status_code == 201
            again = await plain.put(location, content=b"x")
            assert again.status_code == 404  # one-time location
        uploads = (await api_client.get("/api/chargers/SITE-005-AC-04/diagnostics")).json()
        assert uploads[0]["status"] == "uploaded"
        download = await api_client.get(f"/api/diagnostics/{uploads[0]['id']}/download")
        assert download.content == b"line 1\nline 2\n"


async def test_unknown_offline_and_bad_params(backend, api_client):
    unknown = await api_client.post("/api/chargers/NOPE/commands/reset", json={"type": "soft"})
    assert unknown.status_code == 404
    await backend.register("SITE-005-AC-05")
    offline = await api_client.post(
        "/api/chargers/SITE-005-AC-05/commands/reset", json={"type": "soft"}
    )
    assert offline.status_code == 409
    assert "offline" in offline.json()["detail"]["error"]
    async with connected(backend.ocpp_url, "SITE-005-AC-05") as charger:
        await charger.boot()
        bad = await api_client.post(
            "/api/chargers/SITE-005-AC-05/commands/reset", json={"type": "sideways"}
        )
        assert bad.status_code == 422
        assert "type" in bad.json()["detail"]["error"]
        no_such = await api_client.post("/api/chargers/SITE-005-AC-05/commands/explode", json={})
        assert no_such.status_code == 404


async def test_reset_during_transaction_needs_force_and_reason(backend, api_client):
    await backend.register("SITE-005-AC-06")
    async with connected(backend.ocpp_url, "SITE-005-AC-06") as charger:
        await charger.boot()
        await charger.call(
            call16.StartTransaction(connector_id=1, id_tag="T", meter_start=0, timestamp=now())
        )
        url = "/api/chargers/SITE-005-AC-06/commands/reset"
        refused = await api_client.post(url, json={"type": "soft"})
        assert refused.status_code == 409
        assert "transaction" in refused.json()["detail"]["error"]
        no_reason = await api_client.post(url, json={"type": "soft", "force": True})
        assert no_reason.status_code == 422  # force needs a reason
        forced = await api_client.post(
            url, json={"type": "soft", "force": True, "reason": "session stuck, driver agreed"}
        )
        assert forced.status_code == 200
        assert charger.received == [("Reset", {"type": "Soft"})]
        unlock = await api_client.post(
            "/api/chargers/SITE-005-AC-06/commands/unlock_connector", json={"connector_id": 1}
        )
        assert unlock.status_code == 409
    await backend.state.recorder.flush()
    with backend.state.session_factory() as session:
        rows = session.scalars(
            select(CommandRow).where(CommandRow.charger_id == "SITE-005-AC-06")
        ).all()
    assert [r.outcome for r in rows] == [
        "TransactionActive",
        "BadCommand",
        "answered",
        "TransactionActive",
    ]
    assert rows[2].forced and rows[2].reason == "session stuck, driver agreed"
    assert rows[2].requested_by == "test-admin"


async def test_remote_stop_uses_active_transaction(backend, api_client):
    await backend.register("SITE-005-AC-07")
    async with connected(backend.ocpp_url, "SITE-005-AC-07") as charger:
        await charger.boot()
        started = await charger.call(
            call16.StartTransaction(connector_id=1, id_tag="T", meter_start=0, timestamp=now())
        )
        response = await api_client.post(
            "/api/chargers/SITE-005-AC-07/commands/remote_stop", json={"connector_id": 1}
        )
        assert response.status_code == 200, response.text
        assert charger.received == [
            ("RemoteStopTransaction", {"transaction_id": started.transaction_id})
        ]


async def test_command_times_out_with_504(tmp_path):
    from tests.conftest import make_settings, start_backend

    running = await start_backend(make_settings(tmp_path, command_timeout=0.5))
    try:
        await running.register("SITE-005-AC-08")
        async with connected(running.ocpp_url, "SITE-005-AC-08") as charger:
            await charger.boot()

            async def never_answer(**_):
                await asyncio.sleep(10)

            charger.route_map["Reset"]["_on_action"] = never_answer
            async with running.client() as client:
                response = await client.post(
                    "/api/chargers/SITE-005-AC-08/commands/reset", json={"type": "soft"}
                )
            assert response.status_code == 504
    finally:
        await running.backend.stop()


async def test_disconnect_mid_command_answers_at_once(backend, api_client):
    await backend.register("SITE-005-AC-09")
    async with connected(backend.ocpp_url, "SITE-005-AC-09") as charger:
        await charger.boot()

        async def hang_up(**_):
            await charger._connection.close()
            await asyncio.sleep(10)

        charger.route_map["Reset"]["_on_action"] = hang_up
        started = asyncio.get_running_loop().time()
        response = await api_client.post(
            "/api/chargers/SITE-005-AC-09/commands/reset", json={"type": "soft"}
        )
        elapsed = asyncio.get_running_loop().time() - started
    assert response.status_code == 409
    assert "disconnected" in response.json()["detail"]["error"]
    assert elapsed < backend.state.settings.command_timeout


async def test_commands_need_a_role_that_may_send_them(backend):
    await backend.register("SITE-005-AC-10")
    async with connected(backend.ocpp_url, "SITE-005-AC-10") as charger:
        await charger.boot()
        async with backend.client(backend.token("editor")) as editor:
            response = await editor.post(
                "/api/chargers/SITE-005-AC-10/commands/reset", json={"type": "soft"}
            )
            assert response.status_code == 403
        async with backend.client(backend.token("partner", sites=("SITE-005",))) as partner:
            response = await partner.post(
                "/api/chargers/SITE-005-AC-10/commands/reset", json={"type": "soft"}
            )
            assert response.status_code == 200
