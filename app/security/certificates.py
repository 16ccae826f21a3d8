"""The certificate expiry watch: the server's TLS certificate and the certificates installed on
a charger, each a finding days before it expires (an expired CSMS root on a charger, or an
expired server certificate, takes chargers offline at the TLS handshake).

A charger names its installed certificates only by their hash data (OCPP 2.0.1 M03
GetInstalledCertificateIds, CertificateHashDataType; 1.6 security whitepaper likewise):
issuerNameHash (the hash of the issuer's DER-encoded distinguished name), issuerKeyHash and
serialNumber (hexadecimal, without leading zeros). So the watch matches them against the
certificates the operator installs (``CHARGEFIX_CERTIFICATES_DIR``) by issuer-name hash and
serial number; a certificate it cannot match is reported as unknown, without a date.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from cryptography import x509

Severity = Literal["expired", "expiring", "ok", "unknown"]
# hashAlgorithm of CertificateHashDataType (HashAlgorithmEnumType)
HASHES = {"SHA256": hashlib.sha256, "SHA384": hashlib.sha384, "SHA512": hashlib.sha512}


@dataclass(frozen=True)
class KnownCertificate:
    subject: str
    serial: str  # hex, lower case, no leading zeros
    issuer_der: bytes
    not_after: datetime

    def name_hash(self, algorithm: str) -> str | None:
        digest = HASHES.get(algorithm.upper())
        return digest(self.issuer_der).hexdigest() if digest else None


@dataclass(frozen=True)
class CertificateFinding:
    where: str  # "server" or the charger id
    subject: str | None
    certificate_type: str | None
    serial: str | None
    not_after: datetime | None
    days_left: int | None
    severity: Severity


def read_pem(path: Path) -> list[KnownCertificate]:
    """Every certificate in a PEM file; a file that is not PEM raises ValueError naming it."""
    try:
        certificates = x509.load_pem_x509_certificates(path.read_bytes())
    except ValueError as error:
        raise ValueError(f"{path}: not a PEM certificate file ({error})") from error
    return [
        KnownCertificate(
            subject=c.subject.rfc4514_string()[:200],
            serial=format(c.serial_number, "x"),
            issuer_der=c.issuer.public_bytes(),
            not_after=c.not_valid_after_utc,
        )
        for c in certificates
    ]


def load_known(folder: Path | None) -> list[KnownCertificate]:
    if folder is None or not folder.is_dir():
        return []
    out: list[KnownCertificate] = []
    for path in sorted(folder.glob("*.pem")) + sorted(folder.glob("*.crt")):
        out += read_pem(path)
    return out


def judge(not_after: datetime, now: datetime, warning_days: int) -> tuple[int, Severity]:
    left = not_after - now
    days = int(left.total_seconds() // 86_400)
    if left <= timedelta(0):
        return days, "expired"
    return days, "expiring" if left <= timedelta(days=warning_days) else "ok"


def server_findings(
    cert_file: Path | None, now: datetime, warning_days: int
) -> list[CertificateFinding]:
    """The server's TLS certificate (the leaf, first in the file) when one is configured."""
    if cert_file is None:
        return []
    leaf = read_pem(cert_file)[0]
    days, severity = judge(leaf.not_after, now, warning_days)
    return [
        CertificateFinding("server", leaf.subject, "server TLS", leaf.serial, leaf.not_after,
                           days, severity)
    ]  # fmt: skip


def hash_data_of(answer: dict[str, Any]) -> list[tuple[str | None, dict[str, Any]]]:
    """(certificateType, certificateHashData) pairs from a GetInstalledCertificateIds answer
    (2.0.1 certificateHashDataChain with child certificates; 1.6 certificateHashData)."""
    out: list[tuple[str | None, dict[str, Any]]] = []
    for chain in answer.get("certificateHashDataChain") or []:
        if not isinstance(chain, dict):
            continue
        kind = chain.get("certificateType")
        if isinstance(chain.get("certificateHashData"), dict):
            out.append((kind, chain["certificateHashData"]))
        for child in chain.get("childCertificateHashData") or []:
            if isinstance(child, dict):
                out.append((kind, child))
    for data in answer.get("certificateHashData") or []:
        if isinstance(data, dict):
            out.append((None, data))
    return out


def charger_findings(
    charger_id: str,
    answer: dict[str, Any],
    known: list[KnownCertificate],
    now: datetime,
    warning_days: int,
) -> list[CertificateFinding]:
    findings = []
    for kind, data in hash_data_of(answer):
        serial = str(data.get("serialNumber") or "").lower().lstrip("0") or "0"
        algorithm = str(data.get("hashAlgorithm") or "SHA256")
        name_hash = str(data.get("issuerNameHash") or "").lower()
        match = next(
            (k for k in known if k.serial == serial and k.name_hash(algorithm) == name_hash),
            None,
        )
        if match is None:
            findings.append(
                CertificateFinding(charger_id, None, kind, serial[:64], None, None, "unknown")
            )
            continue
        days, severity = judge(match.not_after, now, warning_days)
        findings.append(
            CertificateFinding(charger_id, match.subject, kind, serial[:64], match.not_after,
                               days, severity)
        )  # fmt: skip
    return findings


def client_finding(
    charger_id: str,
    subject: str,
    serial: str,
    not_after: datetime,
    now: datetime,
    warning_days: int,
) -> CertificateFinding:
    """A charger's own certificate, as it presented it at a profile-3 handshake."""
    days, severity = judge(not_after, now, warning_days)
    return CertificateFinding(
        charger_id, subject, "ChargingStationCertificate", serial, not_after, days, severity
    )
