"""The certificate expiry watch: the server's TLS certificate and a charger's installed
certificates (GetInstalledCertificateIds through the gateway, matched by issuer-name hash and
serial against the operator's certificates) are findings days before they expire. Real
certificates, real backend, real charger sockets."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import select
from typer.testing import CliRunner

from app.cli.main import cli
from app.db.models import CommandRow, SecurityEventRow
from tests.chargers import connected, eventually
from tests.conftest import make_settings, start_backend


def _certificate(name: str, days: int, folder: Path) -> x509.Certificate:
    """A self-signed certificate valid for ``days`` more days, written to folder/name.pem."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("127.0.0.1")]), False)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / f"{name}.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert


def _hash_data(cert: x509.Certificate) -> dict:
    """CertificateHashDataType as a charger reports it (OCPP 2.0.1 M03)."""
    return {
        "hash_algorithm": "SHA256",
        "issuer_name_hash": hashlib.sha256(cert.issuer.public_bytes()).hexdigest(),
        "issuer_key_hash": "00" * 32,
        "serial_number": format(cert.serial_number, "X"),
    }


@pytest.fixture
def settings(tmp_path: Path):
    return make_settings(tmp_path, certificates_dir=tmp_path / "certs")


async def test_charger_certificates_expiring_are_findings(backend, api_client, tmp_path):
    folder = tmp_path / "certs"
    root = _certificate("csms-root", 10, folder)  # expires in 10 days: a finding
    maker = _certificate("manufacturer-root", 400, folder)
    cid = "SITE-017-CERT-01"
    await backend.register(cid)
    url = f"/api/chargers/{cid}/certificates/check"
    async with connected(backend.ocpp_url, cid, "2.0.1") as charger:
        await charger.boot()
        r = await api_client.post(url)
        assert r.status_code == 200 and r.json()["charger_status"] == "NotFound", r.text
        assert r.json()["certificates"] == []
        charger.installed_certificates = [
            ("CSMSRootCertificate", _hash_data(root)),
            ("ManufacturerRootCertificate", _hash_data(maker)),
            ("V2GRootCertificate", {**_hash_data(maker), "serial_number": "0ABC"}),
        ]
        r = await api_client.post(url)
        assert r.status_code == 200, r.text
        found = {c["certificate_type"]: c for c in r.json()["certificates"]}
        assert found["CSMSRootCertificate"]["finding"] is True
        assert found["CSMSRootCertificate"]["severity"] == "expiring"
        assert found["CSMSRootCertificate"]["days_left"] in (9, 10)
        assert found["CSMSRootCertificate"]["subject"] == "CN=csms-root"
        assert found["ManufacturerRootCertificate"]["severity"] == "ok"
        assert found["ManufacturerRootCertificate"]["finding"] is False
        assert found["V2GRootCertificate"]["severity"] == "unknown"  # not the operator's
        partner = backend.token("partner", name="pat", sites=("SITE-017",))
        async with backend.client(partner) as api:
            assert (await api.post(url)).status_code == 403
    await backend.state.recorder.flush()
    with backend.state.session_factory() as db:
        rows = list(db.scalars(select(CommandRow).where(CommandRow.charger_id == cid)))
    checks = [r.outcome for r in rows if r.command == "get_installed_certificate_ids"]
    assert checks == ["answered", "answered"]  # audited (the partner never reached it)


async def test_16_charger_is_asked_for_one_certificate_type(backend, api_client, tmp_path):
    root = _certificate("csms-root", 3, tmp_path / "certs")
    cid = "SITE-017-CERT-03"
    await backend.register(cid)
    async with connected(backend.ocpp_url, cid) as charger:
        await charger.boot()
        charger.installed_certificates = [_hash_data(root)]
        r = await api_client.post(f"/api/chargers/{cid}/certificates/check")
        assert r.status_code == 200, r.text
        assert charger.received[-1] == (
            "GetInstalledCertificateIds",
            {"certificate_type": "CentralSystemRootCertificate"},
        )
        (cert,) = r.json()["certificates"]
        assert cert["severity"] == "expiring" and cert["finding"] is True
        r = await api_client.post(
            f"/api/chargers/{cid}/commands/get_installed_certificate_ids",
            json={"certificate_types": ["V2GRootCertificate"]},
        )
        assert r.status_code == 422 and "one certificate type" in r.text


async def test_cli_checks_a_chargers_certificates(backend, tmp_path):
    root = _certificate("csms-root", 0, tmp_path / "certs")  # expires now: expired
    cid = "SITE-017-CERT-04"
    await backend.register(cid)
    runner = CliRunner()
    auth = ["--api-url", backend.api_url, "--token", backend.admin_token]
    async with connected(backend.ocpp_url, cid, "2.0.1") as charger:
        await charger.boot()
        charger.installed_certificates = [("CSMSRootCertificate", _hash_data(root))]
        result = await asyncio.to_thread(runner.invoke, cli, ["certificates", "check", cid, *auth])
    assert result.exit_code == 0, result.output
    assert "EXPIRED" in result.output and "CN=csms-root" in result.output
    server = await asyncio.to_thread(runner.invoke, cli, ["certificates", "server", *auth])
    assert server.exit_code == 0 and "no certificates" in server.output  # plain ws here


async def test_server_certificate_expiring_is_a_finding(tmp_path):
    folder = tmp_path / "tls"
    _certificate("server", 5, folder)
    settings = make_settings(
        tmp_path,
        tls_cert_file=folder / "server.pem",
        tls_key_file=folder / "server.key",
        certificate_warning_days=14,
    )
    running = await start_backend(settings)
    try:
        async with running.client() as api:
            r = await api.get("/api/certificates/server")
            assert r.status_code == 200, r.text
            (cert,) = r.json()["certificates"]
            assert cert["where"] == "server" and cert["subject"] == "CN=server"
            assert cert["severity"] == "expiring" and cert["finding"] is True
            assert r.json()["warning_days"] == 14
    finally:
        await running.backend.stop()


async def test_the_watch_records_each_expiring_certificate_once(tmp_path):
    root = _certificate("csms-root", 7, tmp_path / "certs")
    settings = make_settings(
        tmp_path, certificates_dir=tmp_path / "certs", certificate_check_interval=0.2
    )
    running = await start_backend(settings)
    cid = "SITE-017-CERT-05"
    try:
        await running.register(cid)
        async with connected(running.ocpp_url, cid, "2.0.1") as charger:
            charger.installed_certificates = [("CSMSRootCertificate", _hash_data(root))]
            await charger.boot()

            async def recorded() -> list[SecurityEventRow]:
                await running.state.recorder.flush()
                with running.state.session_factory() as db:
                    return list(
                        db.scalars(
                            select(SecurityEventRow).where(
                                SecurityEventRow.charger_id == cid,
                                SecurityEventRow.kind == "CertificateExpiring",
                            )
                        )
                    )

            await eventually(recorded)
            checks = len([a for a, _ in charger.received if a == "GetInstalledCertificateIds"])
            await eventually(
                lambda: (
                    len([a for a, _ in charger.received if a == "GetInstalledCertificateIds"])
                    >= checks + 2
                )
            )  # checked again, and again
            rows = await recorded()
        assert len(rows) == 1 and "CN=csms-root" in rows[0].detail  # once, not every check
    finally:
        await running.backend.stop()


async def test_the_watch_asks_no_charger_before_its_boot_is_accepted(tmp_path):
    settings = make_settings(tmp_path, certificate_check_interval=0.1)
    running = await start_backend(settings)
    cid = "SITE-017-CERT-06"
    try:
        await running.register(cid)
        async with connected(running.ocpp_url, cid, "2.0.1") as charger:
            booting, booted = [], []
            watch = running.state.certificate_watch
            assert watch is not None
            await watch.check_all()  # connected, no BootNotification yet: not asked
            booting += [a for a, _ in charger.received if a == "GetInstalledCertificateIds"]
            await charger.boot()
            await watch.check_all()
            booted += [a for a, _ in charger.received if a == "GetInstalledCertificateIds"]
        assert booting == [] and booted == ["GetInstalledCertificateIds"]
    finally:
        await running.backend.stop()
