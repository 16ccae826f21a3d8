"""SignCertificate -> the operator CA signs -> CertificateSigned (OCPP 2.0.1 A02/A03, 1.6
security whitepaper), triggered from the API and the CLI; the signed certificate then opens a
profile-3 (client certificate) connection. Real backend serving wss, real TLS chargers, a
throwaway CA made in the test."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from sqlalchemy import select
from typer.testing import CliRunner

from app.cli.main import cli
from app.db.models import CommandRow, SecurityEventRow
from tests.chargers import connected, eventually
from tests.conftest import RunningBackend, make_settings, start_backend
from tests.pki import ORG, Authority, Issued, client_context, make_csr, new_key

VALIDITY_DAYS = 20


async def start(tmp_path: Path, ca: Authority, **overrides: object) -> RunningBackend:
    server = ca.issue("localhost", server=True)
    values: dict[str, object] = {
        "tls_cert_file": server.cert_file,
        "tls_key_file": server.key_file,
        "tls_client_ca_file": ca.cert_file,
        "tls_organization": ORG,
        "ca_cert_file": ca.cert_file,
        "ca_key_file": ca.key_file,
        "certificate_validity_days": VALIDITY_DAYS,
    }
    values.update(overrides)
    return await start_backend(make_settings(tmp_path, **values))


@pytest.fixture
def ca(tmp_path: Path) -> Authority:
    return Authority.create(tmp_path / "pki")


@pytest.fixture
async def running(tmp_path: Path, ca: Authority) -> AsyncIterator[RunningBackend]:
    backend = await start(tmp_path, ca)
    try:
        yield backend
    finally:
        await backend.backend.stop()


async def events(running: RunningBackend, charger_id: str) -> list[SecurityEventRow]:
    await running.state.recorder.flush()
    with running.state.session_factory() as db:
        query = select(SecurityEventRow).where(SecurityEventRow.charger_id == charger_id)
        # a charger's first TLS + Basic connection raises it to profile 2 (A05): not looked at here
        return [e for e in db.scalars(query) if e.kind != "SecurityProfileRaised"]


async def audit(running: RunningBackend, charger_id: str) -> list[CommandRow]:
    await running.state.recorder.flush()
    with running.state.session_factory() as db:
        return list(db.scalars(select(CommandRow).where(CommandRow.charger_id == charger_id)))


async def test_renewal_triggered_signed_and_the_new_certificate_opens_profile_3(
    running, ca, tmp_path
):
    cid = "SITE-032-SIGN-01"
    await running.register(cid)
    context = client_context(ca)
    async with connected(running.ocpp_url, cid, "2.0.1", ssl=context) as charger:
        await charger.boot()
        async with running.client(running.token("consultant")) as api:
            r = await api.post(
                f"/api/chargers/{cid}/commands/trigger_message",
                json={"message": "SignChargingStationCertificate"},
            )
            assert r.status_code == 403  # a charger's identity: admins only
        async with running.client() as api:
            r = await api.post(
                f"/api/chargers/{cid}/commands/trigger_message",
                json={"message": "SignChargingStationCertificate"},
            )
            assert r.status_code == 200, r.text
        assert charger.received[-1] == (
            "TriggerMessage",
            {"requested_message": "SignChargingStationCertificate"},
        )
        key = new_key("ec")  # A02.FR.05: the key never leaves the charger
        answer = await charger.sign_certificate(make_csr(cid, key), "ChargingStationCertificate")
        assert answer.status == "Accepted"
        chain = await asyncio.wait_for(charger.signed_chains.get(), 5)
    assert charger.received[-1][1]["certificate_type"] == "ChargingStationCertificate"
    (leaf,) = x509.load_pem_x509_certificates(chain.encode())  # a root CA is not sent
    leaf.verify_directly_issued_by(ca.cert)
    assert leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == cid
    assert leaf.public_key().public_numbers() == key.public_key().public_numbers()
    eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    days = (leaf.not_valid_after_utc - datetime.now(UTC)).total_seconds() / 86_400
    assert VALIDITY_DAYS - 1 < days <= VALIDITY_DAYS
    rows = [r for r in await audit(running, cid) if r.command == "certificate_signed"]
    assert [(r.outcome, r.requested_by, r.origin) for r in rows] == [
        ("answered", "system", "system")
    ]
    kinds = [e.kind for e in await events(running, cid)]
    assert "CertificateSigned" in kinds
    # the charger switches to its new certificate: profile 3, no Basic auth
    await profile3_only(running, cid)
    cert_file, key_file = tmp_path / "new.pem", tmp_path / "new.key"
    cert_file.write_text(chain)
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    issued = Issued(leaf, key, cert_file, key_file)
    context = client_context(ca, issued)
    async with connected(running.ocpp_url, cid, "2.0.1", password=None, ssl=context) as charger:
        assert (await charger.boot()).status == "Accepted"


async def profile3_only(running: RunningBackend, cid: str) -> None:
    async with running.client() as api:
        r = await api.put(f"/api/chargers/{cid}/security-profile", json={"profile": 3})
        assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    ("csr", "certificate_type", "reason"),
    [
        (lambda cid: make_csr("SITE-032-OTHER"), None, "is not the charger identity"),
        (lambda cid: make_csr(cid, org="Somebody Else"), None, "does not contain the CSO name"),
        (lambda cid: make_csr(cid, new_key_rsa_1024()), None, "RSA key of 1024 bits"),
        (lambda cid: make_csr(cid), "V2GCertificate", "V2G PKI"),
        (lambda cid: "-----BEGIN CERTIFICATE REQUEST-----\nAAAA", None, "not a PEM"),
    ],
)
async def test_a_bad_csr_is_rejected_and_nothing_is_signed(
    running, ca, csr, certificate_type, reason
):
    cid = "SITE-032-SIGN-02"
    await running.register(cid)
    async with connected(running.ocpp_url, cid, "2.0.1", ssl=client_context(ca)) as charger:
        answer = await charger.sign_certificate(csr(cid), certificate_type)
        assert answer.status == "Rejected"
    (event,) = await events(running, cid)
    assert event.kind == "CsrRejected" and reason in event.detail
    assert not [r for r in await audit(running, cid) if r.command == "certificate_signed"]
    assert charger.signed_chains.empty()


def new_key_rsa_1024():  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=1024)


async def test_a_ca_key_others_can_read_is_not_used(tmp_path, ca):
    os.chmod(ca.key_file, 0o644)
    backend = await start(tmp_path, ca)
    cid = "SITE-032-SIGN-03"
    try:
        await backend.register(cid)
        async with connected(backend.ocpp_url, cid, "2.0.1", ssl=client_context(ca)) as charger:
            assert (await charger.sign_certificate(make_csr(cid))).status == "Rejected"
        (event,) = await events(backend, cid)
        assert "chmod 600" in event.detail and str(ca.key_file) in event.detail
        assert "PRIVATE KEY" not in event.detail
    finally:
        await backend.backend.stop()


async def test_no_ca_configured_rejects(tmp_path, ca):
    backend = await start(tmp_path, ca, ca_cert_file=None, ca_key_file=None)
    cid = "SITE-032-SIGN-04"
    try:
        await backend.register(cid)
        async with connected(backend.ocpp_url, cid, "2.0.1", ssl=client_context(ca)) as charger:
            assert (await charger.sign_certificate(make_csr(cid))).status == "Rejected"
        (event,) = await events(backend, cid)
        assert "CHARGEFIX_CA_CERT_FILE" in event.detail
    finally:
        await backend.backend.stop()


async def test_16_charger_renews_through_the_security_extension_from_the_cli(running, ca):
    cid = "SITE-032-SIGN-05"
    await running.register(cid)
    auth = ["--api-url", running.api_url, "--token", running.admin_token]
    async with connected(running.ocpp_url, cid, "1.6", ssl=client_context(ca)) as charger:
        await charger.boot()
        charger.certificate_signed_answer = "Rejected"
        result = await asyncio.to_thread(
            CliRunner().invoke, cli, ["certificates", "renew", cid, *auth]
        )
        assert result.exit_code == 0, result.output
        assert "ExtendedTriggerMessage answered Accepted" in result.output
        assert charger.received[-1] == (
            "ExtendedTriggerMessage",
            {"requested_message": "SignChargePointCertificate"},
        )
        assert (await charger.sign_certificate(make_csr(cid))).status == "Accepted"
        chain = await asyncio.wait_for(charger.signed_chains.get(), 5)
        assert "BEGIN CERTIFICATE" in chain
        assert charger.received[-1] == ("CertificateSigned", {"certificate_chain": chain})

        async def answered() -> bool:  # recorded once the charger's reply is in
            return "CertificateSignedRejected" in [e.kind for e in await events(running, cid)]

        assert await eventually(answered)


async def test_the_expiry_watch_asks_a_charger_to_renew_its_expiring_certificate(running, ca):
    """A02 from the watch: a profile-3 charger whose certificate expires within the warning
    days is asked once (TriggerMessage SignChargingStationCertificate, audited as the watch)."""
    cid = "SITE-032-SIGN-06"
    await running.register(cid)
    await profile3_only(running, cid)
    expiring = client_context(ca, ca.issue(cid, org=ORG))  # 10 days left, warning at 30
    async with connected(running.ocpp_url, cid, "2.0.1", password=None, ssl=expiring) as cp:
        assert (await cp.boot()).status == "Accepted"
        await running.state.certificate_watch.check_all()
        await running.state.certificate_watch.check_all()  # asked once per certificate
        triggers = [p for a, p in cp.received if a == "TriggerMessage"]
        assert triggers == [{"requested_message": "SignChargingStationCertificate"}]
        answer = await cp.sign_certificate(make_csr(cid), "ChargingStationCertificate")
        assert answer.status == "Accepted"
        await asyncio.wait_for(cp.signed_chains.get(), 5)
    rows = [r for r in await audit(running, cid) if r.command == "trigger_message"]
    assert [(r.requested_by, r.outcome) for r in rows] == [("system", "answered")]
    assert "CertificateExpiring" in [e.kind for e in await events(running, cid)]
