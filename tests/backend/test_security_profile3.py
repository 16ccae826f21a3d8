"""Security profile 3 (OCPP 2.0.1 A00.FR.401..407, 1.6 security whitepaper): TLS with client
certificates on a real wss server, real TLS websocket chargers, a throwaway CA made here.
The server serves an ECDSA and an RSA certificate and only the cipher suites of A00.FR.318."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import websockets
from cryptography import x509
from sqlalchemy import select
from typer.testing import CliRunner

from app.cli.main import cli
from app.db.models import Charger, SecurityEventRow
from app.security.tls import TlsConfigError, server_context
from tests.chargers import connected
from tests.conftest import RunningBackend, make_settings, start_backend
from tests.pki import ORG, Authority, client_context


@pytest.fixture
def pki(tmp_path: Path) -> dict[str, object]:
    ca = Authority.create(tmp_path / "pki")
    return {
        "ca": ca,
        "server_ec": ca.issue("localhost", kind="ec", server=True),
        "server_rsa": ca.issue("localhost", kind="rsa", server=True),
    }


@pytest.fixture
async def tls_backend(tmp_path: Path, pki: dict) -> AsyncIterator[RunningBackend]:
    settings = make_settings(
        tmp_path,
        tls_cert_file=pki["server_ec"].cert_file,
        tls_key_file=pki["server_ec"].key_file,
        tls_second_cert_file=pki["server_rsa"].cert_file,
        tls_second_key_file=pki["server_rsa"].key_file,
        tls_client_ca_file=pki["ca"].cert_file,
        tls_organization=ORG,
    )
    running = await start_backend(settings)
    try:
        yield running
    finally:
        await running.backend.stop()


async def security_events(running: RunningBackend, charger_id: str) -> list[SecurityEventRow]:
    await running.state.recorder.flush()
    with running.state.session_factory() as db:
        rows = db.scalars(select(SecurityEventRow).where(SecurityEventRow.charger_id == charger_id))
        return list(rows)


async def profile3(running: RunningBackend, charger_id: str) -> None:
    await running.register(charger_id)
    async with running.client() as api:
        r = await api.put(f"/api/chargers/{charger_id}/security-profile", json={"profile": 3})
        assert r.status_code == 200, r.text


async def test_profile3_charger_connects_with_its_certificate_and_no_basic_auth(tls_backend, pki):
    cid = "SITE-031-MTLS-01"
    await profile3(tls_backend, cid)
    cert = pki["ca"].issue(cid, org=ORG)
    assert tls_backend.ocpp_url.startswith("wss://")
    context = client_context(pki["ca"], cert)
    async with connected(tls_backend.ocpp_url, cid, "2.0.1", password=None, ssl=context) as cp:
        answer = await cp.boot()
        assert answer.status == "Accepted"
        assert tls_backend.state.csms.holds(cid)
    async with connected(tls_backend.ocpp_url, cid, "2.0.1", password=None, ssl=context) as cp:
        assert (await cp.boot()).status == "Accepted"
        found = await tls_backend.state.certificate_watch.check_all()  # the periodic check
        (mine,) = [f for f in found if f.where == cid]
        assert mine.certificate_type == "ChargingStationCertificate"
        assert mine.severity == "expiring" and mine.serial == format(cert.cert.serial_number, "x")
    # its certificate expires in 10 days (< 30 warning days): a finding, once per certificate
    events = await security_events(tls_backend, cid)
    assert [e.kind for e in events] == ["SecurityProfileSet", "CertificateExpiring"]
    assert f"CN={cid}" in events[-1].detail and "(9 days)" in events[-1].detail


@pytest.mark.parametrize(
    "case", ["no certificate", "another charger's certificate", "wrong organization"]
)
async def test_profile3_charger_without_its_valid_certificate_is_refused(tls_backend, pki, case):
    cid = "SITE-031-MTLS-02"
    await profile3(tls_backend, cid)
    issued = {
        "no certificate": None,
        "another charger's certificate": pki["ca"].issue("SITE-031-MTLS-99", org=ORG),
        "wrong organization": pki["ca"].issue(cid, org="Somebody Else"),
    }[case]
    context = client_context(pki["ca"], issued)
    with pytest.raises(websockets.InvalidStatus) as refused:
        # the right Basic password does not help a profile-3 charger
        async with connected(tls_backend.ocpp_url, cid, "2.0.1", ssl=context):
            pass
    assert refused.value.response.status_code == 403
    events = await security_events(tls_backend, cid)
    assert [e.kind for e in events] == ["SecurityProfileSet", "InvalidChargerCertificate"]
    event = events[-1]
    expected = {
        "no certificate": "no client certificate",
        "another charger's certificate": "'SITE-031-MTLS-99' is not the charger identity",
        "wrong organization": "does not contain",
    }[case]
    assert expected in event.detail


async def test_a_certificate_of_another_ca_fails_the_handshake(tls_backend, pki, tmp_path):
    cid = "SITE-031-MTLS-03"
    await profile3(tls_backend, cid)
    stranger = Authority.create(tmp_path / "stranger", cn="Stranger CA").issue(cid, org=ORG)
    context = client_context(pki["ca"], stranger)
    with pytest.raises((ssl.SSLError, ConnectionError, websockets.InvalidMessage, EOFError)):
        async with connected(tls_backend.ocpp_url, cid, "2.0.1", password=None, ssl=context):
            pass
    assert not tls_backend.state.csms.holds(cid)


async def test_profile2_chargers_still_use_basic_auth_on_the_same_port(tls_backend, pki):
    cid = "SITE-031-TLS-04"
    await tls_backend.register(cid)
    context = client_context(pki["ca"])  # no client certificate
    async with connected(tls_backend.ocpp_url, cid, "1.6", ssl=context) as cp:
        assert (await cp.boot()).status == "Accepted"
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with connected(tls_backend.ocpp_url, cid, "1.6", password=None, ssl=context):
            pass
    assert refused.value.response.status_code == 401


async def test_profile2_and_3_chargers_are_refused_without_tls(backend):
    cid = "SITE-031-PLAIN-05"
    await backend.register(cid)
    async with backend.client() as api:
        r = await api.put(f"/api/chargers/{cid}/security-profile", json={"profile": 2})
        assert r.status_code == 200
    with pytest.raises(websockets.InvalidStatus):
        async with connected(backend.ocpp_url, cid):
            pass
    kinds = [e.kind for e in await security_events(backend, cid)]
    assert kinds == ["SecurityProfileSet", "InsecureConnection"]


async def _served_certificate(port: int, ca: Authority, cipher: str) -> x509.Certificate:
    context = client_context(ca)
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(cipher)
    _, writer = await asyncio.open_connection("127.0.0.1", port, ssl=context)
    try:
        der = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
        return x509.load_der_x509_certificate(der)
    finally:
        writer.close()


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning")
async def test_ecdsa_and_rsa_certificates_and_only_the_specified_suites(tls_backend, pki):
    port = tls_backend.state.csms.port
    for cipher, served in [
        ("ECDHE-ECDSA-AES128-GCM-SHA256", pki["server_ec"]),
        ("ECDHE-ECDSA-AES256-GCM-SHA384", pki["server_ec"]),
        ("AES128-GCM-SHA256", pki["server_rsa"]),  # TLS_RSA_WITH_AES_128_GCM_SHA256
        ("AES256-GCM-SHA384", pki["server_rsa"]),
        ("ECDHE-RSA-AES256-GCM-SHA384", pki["server_rsa"]),
    ]:
        cert = await _served_certificate(port, pki["ca"], cipher)
        assert cert.serial_number == served.cert.serial_number, cipher
    for cipher in ["ECDHE-RSA-CHACHA20-POLY1305", "ECDHE-ECDSA-AES128-SHA", "AES128-SHA256"]:
        with pytest.raises(OSError):  # SSLError, or the server resets the handshake
            await _served_certificate(port, pki["ca"], cipher)
    old = client_context(pki["ca"])
    old.minimum_version = ssl.TLSVersion.TLSv1
    old.maximum_version = ssl.TLSVersion.TLSv1_1
    old.set_ciphers("ALL:@SECLEVEL=0")
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", port, ssl=old)


def test_two_server_certificates_of_one_key_type_are_refused(tmp_path, pki):
    ca = pki["ca"]
    other = ca.issue("other", kind="ec", server=True)
    settings = make_settings(
        tmp_path,
        tls_cert_file=pki["server_ec"].cert_file,
        tls_key_file=pki["server_ec"].key_file,
        tls_second_cert_file=other.cert_file,
        tls_second_key_file=other.key_file,
    )
    with pytest.raises(TlsConfigError, match="both server certificates are ECDSA"):
        server_context(settings)


async def test_only_admins_set_a_profile_and_the_cli_sets_it(backend):
    cid = "SITE-031-PROFILE-06"
    await backend.register(cid)
    consultant = backend.token("consultant")
    async with backend.client(consultant) as api:
        r = await api.put(f"/api/chargers/{cid}/security-profile", json={"profile": 3})
        assert r.status_code == 403
    async with backend.client() as api:
        r = await api.put(f"/api/chargers/{cid}/security-profile", json={"profile": 4})
        assert r.status_code == 422 and "profile" in r.text
        r = await api.put("/api/chargers/NOPE/security-profile", json={"profile": 3})
        assert r.status_code == 404
    auth = ["--api-url", backend.api_url, "--token", backend.admin_token]
    result = await asyncio.to_thread(
        CliRunner().invoke, cli, ["certificates", "profile", cid, "3", *auth]
    )
    assert result.exit_code == 0, result.output
    assert "security profile 3" in result.output
    assert backend.state.directory.lookup(cid).security_profile == 3


async def test_a_profile_raised_by_another_node_is_read_at_the_handshake(tls_backend, pki):
    cid = "SITE-031-NODES-07"
    await tls_backend.register(cid)
    assert tls_backend.state.directory.cached(cid).security_profile is None
    with tls_backend.state.session_factory() as db, db.begin():  # as another node does
        db.get(Charger, cid).security_profile = 3
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with connected(tls_backend.ocpp_url, cid, "2.0.1", ssl=client_context(pki["ca"])):
            pass
    assert refused.value.response.status_code == 403


async def test_registered_with_profile_3_through_the_api(tls_backend, pki):
    cid = "SITE-031-REG-08"
    async with tls_backend.client() as api:
        r = await api.post("/api/chargers", json={"charger_id": cid, "security_profile": 3})
        assert r.status_code == 201, r.text
        r = await api.post("/api/chargers", json={"charger_id": "X-9", "security_profile": 5})
        assert r.status_code == 422 and "security_profile" in r.text
    cert = pki["ca"].issue(cid, org=ORG)
    context = client_context(pki["ca"], cert)
    async with connected(tls_backend.ocpp_url, cid, "2.0.1", password=None, ssl=context) as cp:
        assert (await cp.boot()).status == "Accepted"


async def test_without_a_client_ca_a_profile_3_charger_is_refused(tmp_path, pki):
    settings = make_settings(
        tmp_path, tls_cert_file=pki["server_ec"].cert_file, tls_key_file=pki["server_ec"].key_file
    )
    running = await start_backend(settings)
    try:
        cid = "SITE-031-NOCA-09"
        await profile3(running, cid)
        context = client_context(pki["ca"], pki["ca"].issue(cid, org=ORG))
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with connected(running.ocpp_url, cid, "2.0.1", password=None, ssl=context):
                pass
        assert refused.value.response.status_code == 403
        event = (await security_events(running, cid))[-1]
        assert "CHARGEFIX_TLS_CLIENT_CA_FILE" in event.detail
    finally:
        await running.backend.stop()


async def test_a05_upgrade_to_profile_3_then_the_lower_profile_is_refused(tls_backend, pki):
    """TC_A_19_CSMS (A05) from profile 2: SetNetworkProfile with securityProfile 3,
    NetworkConfigurationPriority naming that slot, Reset; the station reconnects with its
    client certificate and no Basic auth (accepted, profile 3 from then on); reconnecting with
    profile 2 is refused; with profile 3 again accepted."""
    cid = "SITE-031-A05-10"
    await tls_backend.register(cid)
    async with tls_backend.client() as api:
        r = await api.put(f"/api/chargers/{cid}/security-profile", json={"profile": 2})
        assert r.status_code == 200, r.text
    tls_only = client_context(pki["ca"])
    async with (
        tls_backend.client() as api,
        connected(tls_backend.ocpp_url, cid, "2.0.1", ssl=tls_only) as cp,
    ):
        assert (await cp.boot()).status == "Accepted"
        profile = {
            "configuration_slot": 1,
            "ocpp_csms_url": tls_backend.ocpp_url,
            "security_profile": 3,
            "ocpp_interface": "Wired0",
            "message_timeout": 30,
        }
        priority = {
            "component": "OCPPCommCtrlr",
            "variable": "NetworkConfigurationPriority",
            "value": "1,0",
        }
        for command, body in [
            ("set_network_profile", profile),
            ("set_variables", {"variables": [priority]}),
            ("reset", {"type": "hard"}),
        ]:
            r = await api.post(f"/api/chargers/{cid}/commands/{command}", json=body)
            assert r.status_code == 200, r.text
            answer = r.json()
            statuses = [
                x["attributeStatus"] for x in answer["response"].get("setVariableResult", [])
            ]
            assert (answer["status"] or statuses[0]) == "Accepted", r.text
        assert cp.network_profiles[1]["security_profile"] == 3
        assert [a for a, _ in cp.received][-1] == "Reset"
    # steps 7-8: profile 3 (its certificate, no HTTP Basic) is accepted
    mine = client_context(pki["ca"], pki["ca"].issue(cid, org=ORG))
    async with connected(tls_backend.ocpp_url, cid, "2.0.1", password=None, ssl=mine) as cp:
        assert (await cp.boot()).status == "Accepted"
    assert tls_backend.state.directory.lookup(cid).security_profile == 3
    # steps 10-11: profile 2 (TLS + the right Basic password) is refused from now on
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with connected(tls_backend.ocpp_url, cid, "2.0.1", ssl=tls_only):
            pass
    assert refused.value.response.status_code == 403
    # steps 12-13: profile 3 again
    async with connected(tls_backend.ocpp_url, cid, "2.0.1", password=None, ssl=mine) as cp:
        assert (await cp.boot()).status == "Accepted"
    kinds = [e.kind for e in await security_events(tls_backend, cid)]
    assert kinds[:2] == ["SecurityProfileSet", "SecurityProfileRaised"]
    assert kinds.count("SecurityProfileRaised") == 1 and "InvalidChargerCertificate" in kinds


async def test_a05_basic_auth_over_tls_raises_profile_1_to_2_once(tls_backend, pki):
    """A charger seen using TLS with Basic auth is at profile 2 from then on (a plain ws://
    connection of a profile-2 charger is refused: test_profile2_and_3_chargers_are_refused_
    without_tls). Sending its certificate along with Basic auth is still profile 2, and a
    certificate that is not its own upgrades nothing."""
    cid = "SITE-031-A05-11"
    await tls_backend.register(cid)
    assert tls_backend.state.directory.lookup(cid).security_profile is None
    with_cert = client_context(pki["ca"], pki["ca"].issue(cid, org=ORG))
    for _ in range(2):
        async with connected(tls_backend.ocpp_url, cid, "2.0.1", ssl=with_cert) as cp:
            assert (await cp.boot()).status == "Accepted"
    assert tls_backend.state.directory.lookup(cid).security_profile == 2
    other = client_context(pki["ca"], pki["ca"].issue("SITE-031-A05-99", org=ORG))
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with connected(tls_backend.ocpp_url, cid, "2.0.1", password=None, ssl=other):
            pass
    assert refused.value.response.status_code == 401
    assert tls_backend.state.directory.lookup(cid).security_profile == 2
    events = await security_events(tls_backend, cid)
    assert [e.kind for e in events] == ["SecurityProfileRaised", "MissingCredentials"]
    assert "security profile 2 (TLS with HTTP Basic)" in events[0].detail
