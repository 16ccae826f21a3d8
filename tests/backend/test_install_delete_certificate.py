"""InstallCertificate and DeleteCertificate (OCPP 2.0.1 M05/M04, the 1.6 security extension's
equivalents) as catalogue commands: admins only, parameters checked, audited, from the API and
the CLI, on real charger sockets."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select
from typer.testing import CliRunner

from app.cli.main import cli
from app.db.models import CommandRow
from tests.chargers import connected
from tests.pki import Authority, cert_pem


@pytest.fixture
def ca(tmp_path: Path) -> Authority:
    return Authority.create(tmp_path / "pki")


def root_pem(ca: Authority) -> str:
    return cert_pem(ca.cert).decode()


async def commands(backend, cid: str) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    await backend.state.recorder.flush()
    with backend.state.session_factory() as db:
        rows = db.scalars(select(CommandRow).where(CommandRow.charger_id == cid))
        return [(r.command, r.requested_by, r.outcome) for r in rows if "certificate" in r.command]


async def test_install_a_root_on_201_and_16(backend, api_client, ca, tmp_path):
    cid = "SITE-033-INST-01"
    await backend.register(cid)
    url = f"/api/chargers/{cid}/commands/install_certificate"
    body = {"certificate_type": "CSMSRootCertificate", "certificate": root_pem(ca)}
    async with connected(backend.ocpp_url, cid, "2.0.1") as charger:
        await charger.boot()
        async with backend.client(backend.token("consultant")) as api:
            assert (await api.post(url, json=body)).status_code == 403
        r = await api_client.post(url, json=body)
        assert r.status_code == 200 and r.json()["status"] == "Accepted", r.text
        assert charger.received[-1] == ("InstallCertificate", body)
        leaf = cert_pem(ca.issue(cid).cert).decode()
        r = await api_client.post(url, json={**body, "certificate": leaf})
        assert r.status_code == 422 and "not a CA certificate" in r.text
        r = await api_client.post(url, json={**body, "certificate": "hello"})
        assert r.status_code == 422 and "not a PEM X.509 certificate" in r.text
        charger.install_answer = "Rejected"
        r = await api_client.post(url, json={**body, "certificate_type": "V2GRootCertificate"})
        assert r.status_code == 200 and r.json()["status"] == "Rejected"
    assert await commands(backend, cid) == [
        ("install_certificate", "test-consultant", "OutOfScope"),
        ("install_certificate", "test-admin", "answered"),
        ("install_certificate", "test-admin", "BadCommand"),
        ("install_certificate", "test-admin", "BadCommand"),
        ("install_certificate", "test-admin", "answered"),
    ]
    cid16 = "SITE-033-INST-02"
    await backend.register(cid16)
    pem_file = tmp_path / "root.pem"
    pem_file.write_text(root_pem(ca))
    auth = ["--api-url", backend.api_url, "--token", backend.admin_token]
    async with connected(backend.ocpp_url, cid16) as charger:
        await charger.boot()
        result = await asyncio.to_thread(
            CliRunner().invoke, cli, ["certificates", "install", cid16, str(pem_file), *auth]
        )
        assert result.exit_code == 0, result.output
        assert "InstallCertificate answered Accepted" in result.output
        assert charger.received[-1] == (
            "InstallCertificate",
            {"certificate_type": "CentralSystemRootCertificate", "certificate": root_pem(ca)},
        )
        r = await api_client.post(
            f"/api/chargers/{cid16}/commands/install_certificate",
            json={**body, "certificate_type": "V2GRootCertificate"},
        )
        assert r.status_code == 422 and "CSMSRootCertificate or Manufacturer" in r.text


@pytest.mark.parametrize("version", ["2.0.1", "1.6"])
async def test_delete_a_certificate_by_its_hash_data(backend, api_client, ca, version):
    cid = f"SITE-033-DEL-{version[0]}"
    await backend.register(cid)
    issuer = ca.cert.issuer.public_bytes()
    key_der = ca.cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    body = {
        "hash_algorithm": "SHA256",
        "issuer_name_hash": hashlib.sha256(issuer).hexdigest().upper(),
        "issuer_key_hash": hashlib.sha256(key_der).hexdigest(),
        "serial_number": "00ABC123",  # as an operator may copy it
    }
    url = f"/api/chargers/{cid}/commands/delete_certificate"
    async with connected(backend.ocpp_url, cid, version) as charger:
        await charger.boot()
        async with backend.client(backend.token("consultant")) as api:
            assert (await api.post(url, json=body)).status_code == 403
        charger.delete_answer = "NotFound"
        r = await api_client.post(url, json=body)
        assert r.status_code == 200 and r.json()["status"] == "NotFound", r.text
        # sent as GetInstalledCertificateIds reports it: lower-case hex, no leading zeros
        assert charger.received[-1] == (
            "DeleteCertificate",
            {
                "hash_algorithm": "SHA256",
                "issuer_name_hash": body["issuer_name_hash"].lower(),
                "issuer_key_hash": body["issuer_key_hash"],
                "serial_number": "abc123",
            },
        )
        r = await api_client.post(url, json={**body, "serial_number": "xyz"})
        assert r.status_code == 422 and "serial_number" in r.text
        r = await api_client.post(url, json={**body, "hash_algorithm": "MD5"})
        assert r.status_code == 422 and "hash_algorithm" in r.text
