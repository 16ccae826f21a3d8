"""Simulated stations' certificates (2.0.1; 1.6 security extension) against the real backend
(issue 17, blocks A and M): a root installed, listed, checked for expiry and deleted; a renewal
triggered, the station's CSR signed by the operator CA and the certificate installed on it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from app.db.models import SecurityEventRow
from app.simulator.certificates import hash_data
from app.simulator.config import FleetConfig
from app.simulator.fleet import Fleet
from tests.chargers import eventually
from tests.conftest import TEST_CHARGER_PASSWORD, make_settings
from tests.pki import Authority, cert_pem
from tests.simulator.conftest import plan


@pytest.fixture
def ca(tmp_path: Path) -> Authority:
    return Authority.create(tmp_path / "pki")


@pytest.fixture
def settings(tmp_path: Path, ca: Authority):  # type: ignore[no-untyped-def]
    return make_settings(
        tmp_path,
        ca_cert_file=ca.cert_file,
        ca_key_file=ca.key_file,
        certificates_dir=ca.folder,  # the operator's roots: the expiry check knows them
    )


@pytest.mark.parametrize(
    ("model", "version"), [("helion_hx150", "2.0.1"), ("northwind_duo", "1.6")]
)
async def test_simulated_station_certificates(backend, api_client, tmp_path, ca, model, version):
    p = plan(model, version, site=45)
    await backend.register(p.charger_id)
    config = FleetConfig(
        csms_url=backend.ocpp_url,
        speed=100,
        shared_password=TEST_CHARGER_PASSWORD,
        ground_truth_path=tmp_path / "truth.jsonl",
    )
    commands = f"/api/chargers/{p.charger_id}/commands"
    async with Fleet(config, plans=[p]) as fleet:
        await fleet.wait_online(timeout=15)
        station = fleet.charger(p.charger_id)
        root = {
            "certificate_type": "CSMSRootCertificate",
            "certificate": cert_pem(ca.cert).decode(),
        }
        r = await api_client.post(f"{commands}/install_certificate", json=root)
        assert r.status_code == 200 and r.json()["status"] == "Accepted", r.text
        r = await api_client.post(f"/api/chargers/{p.charger_id}/certificates/check")
        assert r.status_code == 200, r.text
        (found,) = r.json()["certificates"]
        # a 1.6 answer is a flat list of hash data, without the certificate type
        assert found["certificate_type"] == ("CSMSRootCertificate" if version == "2.0.1" else None)
        assert found["subject"] == ca.cert.subject.rfc4514_string()
        assert found["severity"] == "expiring"  # the test CA lives 30 days: within warning

        r = await api_client.post(
            f"{commands}/trigger_message", json={"message": "SignChargingStationCertificate"}
        )
        assert r.status_code == 200 and r.json()["status"] == "Accepted", r.text
        await station.wait_for(lambda _: station.certificates.station_certificate is not None, 10)
        leaf = station.certificates.station_certificate
        leaf.verify_directly_issued_by(ca.cert)

        async def signed() -> bool:
            await backend.state.recorder.flush()
            with backend.state.session_factory() as db:
                kinds = db.scalars(
                    select(SecurityEventRow.kind).where(SecurityEventRow.charger_id == p.charger_id)
                )
                return "CertificateSigned" in list(kinds)

        assert await eventually(signed)

        data = hash_data(ca.cert)
        r = await api_client.post(f"{commands}/delete_certificate", json=data)
        assert r.status_code == 200 and r.json()["status"] == "Accepted", r.text
        r = await api_client.post(f"{commands}/delete_certificate", json=data)
        assert r.json()["status"] == "NotFound"
        r = await api_client.post(f"{commands}/get_installed_certificate_ids", json={})
        assert r.json()["status"] == "NotFound"
