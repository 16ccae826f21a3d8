"""Throwaway PKI for tests: a CA, server and charger certificates, made with `cryptography` in
the test's temp dir (never committed)."""

from __future__ import annotations

import ipaddress
import os
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ORG = "ChargeFix Test CPO"  # the CSO name in the O RDN (A00.FR.509)
Key = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


def new_key(kind: str = "ec") -> Key:
    return (
        ec.generate_private_key(ec.SECP256R1())
        if kind == "ec"
        else rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )


def name(cn: str, org: str | None = "ChargeFix Test CPO") -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if org:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    return x509.Name(attributes)


def key_pem(key: Key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


@dataclass
class Issued:
    cert: x509.Certificate
    key: Key
    cert_file: Path
    key_file: Path


@dataclass
class Authority:
    cert: x509.Certificate
    key: Key
    cert_file: Path
    key_file: Path
    folder: Path

    @classmethod
    def create(cls, folder: Path, cn: str = "Test CPO Root CA") -> Authority:
        folder.mkdir(parents=True, exist_ok=True)
        key = new_key("ec")
        now = datetime.now(UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name(cn))
            .issuer_name(name(cn))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256())
        )
        slug = cn.replace(" ", "-").lower()
        cert_file, key_file = folder / f"{slug}.pem", folder / f"{slug}.key"
        cert_file.write_bytes(cert_pem(cert))
        key_file.write_bytes(key_pem(key))
        os.chmod(key_file, 0o600)
        return cls(cert, key, cert_file, key_file, folder)

    def issue(
        self,
        cn: str,
        *,
        kind: str = "ec",
        server: bool = False,
        org: str | None = "ChargeFix Test CPO",
    ) -> Issued:
        key = new_key(kind)
        now = datetime.now(UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(name(cn, org))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=10))
            .add_extension(
                x509.ExtendedKeyUsage(
                    [ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH]
                ),
                critical=False,
            )
        )
        if server:
            builder = builder.add_extension(
                x509.SubjectAlternativeName(
                    [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
                ),
                critical=False,
            )
        cert = builder.sign(self.key, hashes.SHA256())
        slug = f"{cn}-{kind}"
        cert_file, key_file = self.folder / f"{slug}.pem", self.folder / f"{slug}.key"
        cert_file.write_bytes(cert_pem(cert))
        key_file.write_bytes(key_pem(key))
        return Issued(cert, key, cert_file, key_file)


def make_csr(cn: str, key: Key | None = None, org: str | None = "ChargeFix Test CPO") -> str:
    """A PEM CSR as a charger sends it in SignCertificate (RFC 2986, PEM)."""
    key = key or new_key("ec")
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(name(cn, org))
        .sign(key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.PEM).decode()


def client_context(ca: Authority, issued: Issued | None = None) -> ssl.SSLContext:
    """A charger's TLS context: trusts the CA; with ``issued``, presents that certificate."""
    context = ssl.create_default_context(cafile=str(ca.cert_file))
    if issued is not None:
        context.load_cert_chain(issued.cert_file, issued.key_file)
    return context


def root_pem(cn: str = "Interop Root CA") -> str:
    """A self-signed CA certificate in memory (nothing written)."""
    key = new_key("ec")
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name(cn))
        .issuer_name(name(cn))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert_pem(cert).decode()
