"""A simulated station's certificate store (OCPP 2.0.1 A02/A03, M03, M04, M05): the CA
certificates installed on it, named by their CertificateHashDataType as a real station reports
them, and its own charging-station certificate renewed through SignCertificate /
CertificateSigned with a key pair that never leaves it (A02.FR.05)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

MAX_INSTALLED = 20  # a station's store is small; more is Rejected like a full one


def hash_data(cert: x509.Certificate) -> dict[str, str]:
    """CertificateHashDataType (SHA256): hashes of the issuer's DER name and public key (for
    a self-signed root, its own key), the serial number in hex without leading zeros."""
    key_der = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return {
        "hash_algorithm": "SHA256",
        "issuer_name_hash": hashlib.sha256(cert.issuer.public_bytes()).hexdigest(),
        "issuer_key_hash": hashlib.sha256(key_der).hexdigest(),
        "serial_number": format(cert.serial_number, "x"),
    }


@dataclass
class StationCertificates:
    charger_id: str
    organization: str = "ChargeFix CPO"  # the station's CpoName / OrganizationName
    installed: list[tuple[str, x509.Certificate]] = field(default_factory=list)
    station_certificate: x509.Certificate | None = None
    _pending_key: ec.EllipticCurvePrivateKey | None = None

    def install(self, certificate_type: str, pem: str) -> str:
        """M05: Accepted, Rejected (not a CA certificate, or the store is full) or Failed."""
        try:
            cert = x509.load_pem_x509_certificate(pem.encode())
            constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        except (ValueError, x509.ExtensionNotFound):
            return "Rejected"
        if not constraints.ca or len(self.installed) >= MAX_INSTALLED:
            return "Rejected"
        if all(c.serial_number != cert.serial_number for _, c in self.installed):
            self.installed.append((certificate_type, cert))
        return "Accepted"

    def delete(self, data: dict[str, Any]) -> str:
        """M04: Accepted or NotFound (matched on issuer-name hash and serial)."""
        for entry in list(self.installed):
            mine = hash_data(entry[1])
            if (
                mine["issuer_name_hash"] == str(data.get("issuer_name_hash", "")).lower()
                and mine["serial_number"] == str(data.get("serial_number", "")).lower()
            ):
                self.installed.remove(entry)
                return "Accepted"
        return "NotFound"

    def chains(self, types: list[str] | None) -> list[dict[str, Any]]:
        """M03 certificateHashDataChain entries of the asked types (none: all)."""
        return [
            {"certificate_type": kind, "certificate_hash_data": hash_data(cert)}
            for kind, cert in self.installed
            if not types or kind in types
        ]

    def hash_list(self, certificate_type: str) -> list[dict[str, str]]:
        """1.6 security whitepaper GetInstalledCertificateIds: the hash data of one type."""
        return [hash_data(cert) for kind, cert in self.installed if kind == certificate_type]

    def new_csr(self) -> str:
        """A02.FR.02/03: a new key pair and its CSR (CN = the station's identity, O = CpoName,
        A02.FR.13), PEM. The key stays here until the signed certificate arrives."""
        self._pending_key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, self.charger_id),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, self.organization),
            ]
        )
        csr = x509.CertificateSigningRequestBuilder().subject_name(subject)
        signed = csr.sign(self._pending_key, hashes.SHA256())
        return signed.public_bytes(serialization.Encoding.PEM).decode()

    def accept_signed(self, chain_pem: str) -> bool:
        """A02.FR.06: the leaf is for this station's pending key and valid now; else it is
        discarded (A02.FR.07: the caller reports InvalidChargingStationCertificate)."""
        try:
            leaf = x509.load_pem_x509_certificates(chain_pem.encode())[0]
        except ValueError:
            return False
        key = self._pending_key
        if key is None:
            return False
        if leaf.public_key().public_numbers() != key.public_key().public_numbers():  # type: ignore[union-attr]
            return False
        names = [a.value for a in leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
        if names != [self.charger_id]:
            return False
        self.station_certificate, self._pending_key = leaf, None
        return True
