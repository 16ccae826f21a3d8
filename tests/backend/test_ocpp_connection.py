"""Handshake, authentication and subprotocols over real websockets."""

from __future__ import annotations

import pytest
import websockets
from sqlalchemy import select

from app.db.models import SecurityEventRow
from tests.chargers import basic_auth, connected, eventually
from tests.conftest import TEST_CHARGER_PASSWORD


async def test_registered_charger_boots_and_is_online(backend, api_client):
    await backend.register("SITE-001-AC-01")
    async with connected(backend.ocpp_url, "SITE-001-AC-01") as charger:
        answer = await charger.boot()
        assert answer.status == "Accepted"
        assert answer.interval == backend.state.settings.heartbeat_interval
        response = await api_client.get("/api/chargers/SITE-001-AC-01")
        body = response.json()
        assert response.status_code == 200
        assert body["online"] is True
        assert body["vendor"] == "Voltara"
        assert body["ocpp_version"] == "1.6"
        assert body["site_id"] == "SITE-001"
    await eventually(lambda: not backend.state.live.get("SITE-001-AC-01").online)


@pytest.mark.parametrize(
    ("charger_id", "password", "register", "kind"),
    [
        ("SITE-001-AC-02", TEST_CHARGER_PASSWORD, False, "UnknownChargePoint"),
        ("SITE-001-AC-03", "wrong-password-000000", True, "InvalidChargePointPassword"),
    ],
)
async def test_unknown_or_bad_password_is_refused_and_logged(
    backend, charger_id, password, register, kind
):
    if register:
        await backend.register(charger_id)
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(
            f"{backend.ocpp_url}/{charger_id}",
            subprotocols=["ocpp1.6"],
            additional_headers=basic_auth(charger_id, password),
        )
    assert refused.value.response.status_code == 401

    def logged():
        with backend.state.session_factory() as session:
            return session.scalar(
                select(SecurityEventRow).where(
                    SecurityEventRow.charger_id == charger_id, SecurityEventRow.kind == kind
                )
            )

    await backend.state.recorder.flush()
    assert logged() is not None


async def test_missing_credentials_refused(backend):
    await backend.register("SITE-001-AC-04")
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(f"{backend.ocpp_url}/SITE-001-AC-04", subprotocols=["ocpp1.6"])
    assert refused.value.response.status_code == 401
    assert "Basic" in refused.value.response.headers["WWW-Authenticate"]


async def test_username_must_match_charge_point_id(backend):
    await backend.register("SITE-001-AC-05")
    await backend.register("SITE-001-AC-06")
    with pytest.raises(websockets.InvalidStatus):
        await websockets.connect(
            f"{backend.ocpp_url}/SITE-001-AC-05",
            subprotocols=["ocpp1.6"],
            additional_headers=basic_auth("SITE-001-AC-06", TEST_CHARGER_PASSWORD),
        )


async def test_connection_without_ocpp_subprotocol_is_refused(backend):
    await backend.register("SITE-001-AC-07")
    for offered in ([], ["ocpp1.5"]):
        with pytest.raises(websockets.InvalidStatus) as refused:
            await websockets.connect(
                f"{backend.ocpp_url}/SITE-001-AC-07",
                subprotocols=offered or None,
                additional_headers=basic_auth("SITE-001-AC-07", TEST_CHARGER_PASSWORD),
            )
        assert refused.value.response.status_code == 400


async def test_both_versions_negotiated(backend):
    await backend.register("SITE-002-DC-01")
    async with connected(backend.ocpp_url, "SITE-002-DC-01", "2.0.1") as charger:
        answer = await charger.boot()
        assert answer.status == "Accepted"
        state = backend.state.live.get("SITE-002-DC-01")
        assert state.ocpp_version == "2.0.1"
        assert state.vendor == "Helion Power"


async def test_auto_register_accepts_unknown_charger(tmp_path):
    from tests.conftest import make_settings, start_backend

    running = await start_backend(make_settings(tmp_path, auto_register=True))
    try:
        async with connected(running.ocpp_url, "SITE-099-AC-01") as charger:
            assert (await charger.boot()).status == "Accepted"
        assert running.state.directory.cached("SITE-099-AC-01") is not None
    finally:
        await running.backend.stop()


async def test_new_connection_replaces_stale_one(backend):
    await backend.register("SITE-001-AC-08")
    async with connected(backend.ocpp_url, "SITE-001-AC-08") as first:
        await first.boot()
        async with connected(backend.ocpp_url, "SITE-001-AC-08") as second:
            assert (await second.boot()).status == "Accepted"
            await eventually(
                lambda: (
                    backend.state.csms.connections["SITE-001-AC-08"].charge_point.id
                    == "SITE-001-AC-08"
                )
            )
            assert backend.state.live.get("SITE-001-AC-08").online
