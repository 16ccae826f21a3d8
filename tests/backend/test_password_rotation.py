"""Rotating a charger's Basic-auth password (OCPP 2.0.1 A01: SetVariables
SecurityCtrlr.BasicAuthPassword; 1.6 security whitepaper: ChangeConfiguration
AuthorizationKey) through the gateway: generated server-side, never logged or audited, pending
until the charger takes it, the old one revoked at the first login with the new one. Real
websocket chargers reconnecting with the old and the new password; real database."""

from __future__ import annotations

import pytest
import websockets
from sqlalchemy import select

from app.db.models import CommandRow, EventRow, SecurityEventRow
from tests.chargers import connected
from tests.conftest import TEST_CHARGER_PASSWORD, make_settings, start_backend

ROTATE = "rotate_basic_auth_password"


async def _refused(backend, cid: str, password: str, version: str = "1.6") -> None:
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with connected(backend.ocpp_url, cid, version, password=password):
            pass
    assert refused.value.response.status_code == 401


async def _stored_text(backend, cid: str) -> str:
    """Everything stored about the charger: frames, command audit, security events."""
    await backend.state.recorder.flush()
    with backend.state.session_factory() as db:
        frames = [r.frame for r in db.scalars(select(EventRow).where(EventRow.charger_id == cid))]
        audit = [
            f"{r.params} {r.response} {r.reason}"
            for r in db.scalars(select(CommandRow).where(CommandRow.charger_id == cid))
        ]
        security = [
            f"{r.kind} {r.detail}"
            for r in db.scalars(select(SecurityEventRow).where(SecurityEventRow.charger_id == cid))
        ]
    return "\n".join(frames + audit + security)


async def test_201_rotation_adopted_then_old_password_refused(backend, api_client):
    cid = "SITE-017-PW-01"
    await backend.register(cid)
    url = f"/api/chargers/{cid}/commands/{ROTATE}"
    async with connected(backend.ocpp_url, cid, "2.0.1") as charger:
        await charger.boot()
        r = await api_client.post(url, json={})
        assert r.status_code == 200, r.text
        action, sent = charger.received[-1]
        assert action == "SetVariables"
        (item,) = sent["data"]
        assert item["component"] == {"name": "SecurityCtrlr"}
        assert item["variable"] == {"name": "BasicAuthPassword"}
        new = item["attribute_value"]
        assert 16 <= len(new) <= 40 and new != TEST_CHARGER_PASSWORD
        assert r.json()["status"] == "Accepted" and new not in r.text  # not in the answer
    # not yet logged in with the new one: the old one still works (no lock-out)
    async with connected(backend.ocpp_url, cid, "2.0.1") as charger:
        await charger.boot()
    async with connected(backend.ocpp_url, cid, "2.0.1", password=new) as charger:
        await charger.boot()  # A01.FR.03: the station reconnects with the new password
    await _refused(backend, cid, TEST_CHARGER_PASSWORD, "2.0.1")  # revoked
    async with connected(backend.ocpp_url, cid, "2.0.1", password=new) as charger:
        await charger.boot()
    stored = await _stored_text(backend, cid)
    assert new not in stored  # never logged, never in the audit
    assert "BasicAuthPasswordAdopted" in stored and "***" in stored
    with backend.state.session_factory() as db:
        rows = list(db.scalars(select(CommandRow).where(CommandRow.command == ROTATE)))
    assert [(r.outcome, r.requested_by, r.params) for r in rows] == [("answered", "test-admin", {})]


async def test_16_rotation_refused_by_the_charger_keeps_the_old_password(backend, api_client):
    cid = "SITE-017-PW-02"
    await backend.register(cid)
    url = f"/api/chargers/{cid}/commands/{ROTATE}"
    async with connected(backend.ocpp_url, cid) as charger:
        await charger.boot()
        charger.configuration_answer = "Rejected"
        r = await api_client.post(url, json={})
        assert r.status_code == 200 and r.json()["status"] == "Rejected", r.text
        action, sent = charger.received[-1]
        assert action == "ChangeConfiguration" and sent["key"] == "AuthorizationKey"
        # 1.6 security whitepaper / TC_073_CSMS: the password of 16 to 20 bytes, hex encoded
        assert len(sent["value"]) == 40 and int(sent["value"], 16) >= 0
        refused_password = bytes.fromhex(sent["value"]).decode()
        charger.configuration_answer = "Accepted"
        r = await api_client.post(url, json={})
        assert r.status_code == 200 and r.json()["status"] == "Accepted", r.text
        new = bytes.fromhex(charger.received[-1][1]["value"]).decode()
    await _refused(backend, cid, refused_password)  # the charger did not take that one
    async with connected(backend.ocpp_url, cid) as charger:  # old: still valid
        await charger.boot()
    async with connected(backend.ocpp_url, cid, password=new) as charger:
        await charger.boot()
    await _refused(backend, cid, TEST_CHARGER_PASSWORD)
    stored = await _stored_text(backend, cid)
    assert new not in stored and refused_password not in stored


async def test_rotation_is_for_admins_and_other_password_sets_are_redacted(backend, api_client):
    cid = "SITE-017-PW-03"
    await backend.register(cid)
    consultant = backend.token("consultant", name="casey")
    partner = backend.token("partner", name="pat", sites=("SITE-017",))
    async with connected(backend.ocpp_url, cid, "2.0.1") as charger:
        await charger.boot()
        for token in (consultant, partner):
            async with backend.client(token) as api:
                r = await api.post(f"/api/chargers/{cid}/commands/{ROTATE}", json={})
                assert r.status_code == 403, r.text
        assert not [a for a, _ in charger.received if a == "SetVariables"]
        r = await api_client.post(f"/api/chargers/{cid}/commands/{ROTATE}", json={"length": 8})
        assert r.status_code == 422 and "length" in r.text  # nothing to choose
        # an admin setting the variable by hand: the value is not kept either
        chosen = "hand-set-password-0123456789"
        r = await api_client.post(
            f"/api/chargers/{cid}/commands/set_variables",
            json={
                "variables": [
                    {"component": "SecurityCtrlr", "variable": "BasicAuthPassword", "value": chosen}
                ]
            },
        )
        assert r.status_code == 200 and chosen not in r.text, r.text
    assert chosen not in await _stored_text(backend, cid)


async def test_a_password_sent_but_never_answered_is_adopted_at_login(tmp_path):
    running = await start_backend(make_settings(tmp_path, command_timeout=0.5))
    cid = "SITE-017-PW-04"
    try:
        await running.register(cid)
        async with connected(running.ocpp_url, cid, "2.0.1") as charger:
            await charger.boot()
            charger.never_answer_set_variables = True
            async with running.client() as api:
                r = await api.post(f"/api/chargers/{cid}/commands/{ROTATE}", json={})
            assert r.status_code == 504, r.text  # no answer
            new = charger.received[-1][1]["data"][0]["attribute_value"]
        # only a charger that received it can present it: it took the password
        async with connected(running.ocpp_url, cid, "2.0.1", password=new) as charger:
            await charger.boot()
        await _refused(running, cid, TEST_CHARGER_PASSWORD, "2.0.1")
    finally:
        await running.backend.stop()
