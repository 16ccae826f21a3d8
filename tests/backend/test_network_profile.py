"""SetNetworkProfile (OCPP 2.0.1 B09): a catalogue command for admins only (a wrong profile can
take a charger off the network), bounded by the 2.0.1 schema, refused for 1.6 (no such
operation), audited with its VPN/APN secrets redacted; real sockets, real database."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import select
from typer.testing import CliRunner

from app.cli.main import cli
from app.db.models import CommandRow, EventRow
from tests.chargers import connected

PROFILE = {
    "configuration_slot": 2,
    "ocpp_csms_url": "wss://csms-b.example.com/ocpp",
    "security_profile": 2,
    "ocpp_interface": "Wired0",
    "message_timeout": 45,
    "vpn": {
        "server": "vpn.example.com",
        "user": "cp",
        "password": "vpn-secret-1",
        "key": "k-1",
        "type": "IKEv2",
    },
    "apn": {"apn": "internet.example", "apn_password": "apn-secret", "apn_authentication": "PAP"},
}


async def test_admin_sets_a_network_profile_and_it_is_audited_without_secrets(backend, api_client):
    cid = "SITE-017-NET-01"
    await backend.register(cid)
    async with connected(backend.ocpp_url, cid, "2.0.1") as charger:
        await charger.boot()
        r = await api_client.post(f"/api/chargers/{cid}/commands/set_network_profile", json=PROFILE)
        assert r.status_code == 200, r.text
        assert r.json()["ocpp_action"] == "SetNetworkProfile"
        assert r.json()["status"] == "Accepted"
        assert "vpn-secret-1" not in r.text and "apn-secret" not in r.text
        # what the station received passed the ocpp package's 2.0.1 schema validation
        assert charger.network_profiles[2] == {
            "ocpp_version": "OCPP20",
            "ocpp_transport": "JSON",
            "ocpp_csms_url": "wss://csms-b.example.com/ocpp",
            "message_timeout": 45,
            "security_profile": 2,
            "ocpp_interface": "Wired0",
            "vpn": PROFILE["vpn"],
            "apn": {
                "apn": "internet.example",
                "apn_password": "apn-secret",
                "use_only_preferred_network": False,
                "apn_authentication": "PAP",
            },
        }
        body = {**PROFILE, "configuration_slot": 3, "vpn": None, "apn": None}
        runner = CliRunner()
        args = ["command", cid, "set_network_profile", "-p", json.dumps(body)]
        args += ["--api-url", backend.api_url, "--token", backend.admin_token]
        result = await asyncio.to_thread(runner.invoke, cli, args)
        assert result.exit_code == 0, result.output
        assert '"SetNetworkProfile"' in result.output
        assert 3 in charger.network_profiles
    await backend.state.recorder.flush()
    rows = list(
        backend.state.session_factory().scalars(
            select(CommandRow).where(
                CommandRow.charger_id == cid, CommandRow.command == "set_network_profile"
            )
        )
    )
    assert len(rows) == 2  # audited
    kept = json.dumps([(row.params, row.response) for row in rows])
    assert "vpn-secret-1" not in kept and "apn-secret" not in kept
    assert "csms-b.example.com" in kept
    frames = list(
        backend.state.session_factory().scalars(
            select(EventRow.frame).where(EventRow.charger_id == cid)
        )
    )
    sent = [f for f in frames if "SetNetworkProfile" in f]
    assert sent and "csms-b.example.com" in sent[0]  # the recorded frames, redacted too
    assert not [f for f in frames if "vpn-secret-1" in f or "apn-secret" in f]


async def test_network_profile_is_for_admins_bounded_and_201_only(backend, api_client):
    cid, cid16 = "SITE-017-NET-02", "SITE-017-NET-03"
    await backend.register(cid)
    await backend.register(cid16)
    consultant = backend.token("consultant", name="casey")
    async with (
        connected(backend.ocpp_url, cid, "2.0.1") as charger,
        connected(backend.ocpp_url, cid16, "1.6") as charger16,
    ):
        await charger.boot()
        await charger16.boot()
        url = f"/api/chargers/{cid}/commands/set_network_profile"
        async with backend.client(token=consultant) as api:
            r = await api.post(url, json=PROFILE)
            assert r.status_code == 403 and "network profiles" in r.text, r.text
        for change, words in (
            ({"ocpp_csms_url": "wss://x/" + "a" * 510}, "ocpp_csms_url"),
            ({"ocpp_csms_url": "https://csms.example.com"}, "ws:// or wss://"),
            ({"ocpp_csms_url": "ws://csms.example.com"}, "security_profile 2 needs TLS"),
            ({"security_profile": 4}, "security_profile"),
            ({"configuration_slot": -1}, "configuration_slot"),
            ({"message_timeout": 0}, "message_timeout"),
            ({"ocpp_interface": "Wired9"}, "ocpp_interface"),
            ({"vpn": {**PROFILE["vpn"], "password": "p" * 21}}, "password"),
            ({"apn": {"apn": "internet"}}, "apn_authentication"),
        ):
            r = await api_client.post(url, json={**PROFILE, **change})
            assert r.status_code == 422 and words in r.text, (change, r.text)
        assert not charger.network_profiles
        r = await api_client.post(
            f"/api/chargers/{cid16}/commands/set_network_profile", json=PROFILE
        )
        assert r.status_code in (400, 422), r.text
        assert "OCPP 2.0.1 only" in r.text and "OCPP 1.6 has no SetNetworkProfile" in r.text
