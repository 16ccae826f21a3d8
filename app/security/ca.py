"""The operator CA that signs chargers' certificate signing requests (OCPP 2.0.1 A02/A03, 1.6
security whitepaper A02/A03: SignCertificate -> CertificateSigned).

A02.FR.04 says the CSMS SHOULD forward the CSR to a dedicated CA server "which MAY be operated
by the CPO"; this is that CA for operators without one: its certificate and key are files the
operator configures (CHARGEFIX_CA_CERT_FILE / CHARGEFIX_CA_KEY_FILE). The key file must be
readable by its owner only; the key is never logged, returned or audited.

Before signing, the CSR is checked here (the CA would refuse it anyway, and then the charger
"will never know", A03 error handling): its signature, a CN equal to the charger identity
(A00.FR.511: the CN is the charger's unique serial number, the identity it connects with),
the O containing the CSO name when one is configured (A02.FR.13 / A00.FR.509), and a key of at
least 2048 bits RSA or a curve of at least 224 bits (A00.FR.501..503). The certificate is signed
with SHA-256 (A00.FR.506), for client authentication only (A00.FR.512 key usage), valid for the
configured days but never beyond the CA's own expiry.
"""

from __future__ import annotations

import stat
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

MIN_RSA_BITS = 2048  # A00.FR.502
MIN_EC_BITS = 224  # A00.FR.503
MAX_CSR_CHARS = 5500  # SignCertificateRequest.csr string[0..5500]


class CsrRejected(ValueError):
    """A CSR this CA will not sign (the reason names what is wrong)."""


class CaUnavailable(RuntimeError):
    """No usable operator CA is configured (the reason names the setting or file)."""


def check_csr(
    csr_pem: str, charger_id: str, organization: str | None
) -> x509.CertificateSigningRequest:
    """The parsed CSR when it may be signed for this charger; raises CsrRejected naming why."""
    if len(csr_pem) > MAX_CSR_CHARS:
        raise CsrRejected(f"csr is longer than {MAX_CSR_CHARS} characters")
    try:
        csr = x509.load_pem_x509_csr(csr_pem.encode())
    except ValueError as error:
        raise CsrRejected(f"csr is not a PEM certificate signing request ({error})") from error
    if not csr.is_signature_valid:
        raise CsrRejected("csr signature does not verify")
    names = [str(a.value) for a in csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    if names != [charger_id]:
        raise CsrRejected(f"csr CN {names!r} is not the charger identity {charger_id!r}")
    if organization:
        orgs = [str(a.value) for a in csr.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)]
        if not any(organization in o for o in orgs):
            raise CsrRejected(f"csr O {orgs!r} does not contain the CSO name {organization!r}")
    key = csr.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            raise CsrRejected(f"RSA key of {key.key_size} bits: at least {MIN_RSA_BITS}")
    elif isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.key_size < MIN_EC_BITS:
            raise CsrRejected(f"EC key on {key.curve.name}: at least {MIN_EC_BITS} bits")
    else:
        raise CsrRejected("csr key is neither RSA nor EC")
    return csr


@dataclass(frozen=True)
class OperatorCA:
    certificate: x509.Certificate
    _key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

    def __repr__(self) -> str:  # never the key
        return f"OperatorCA({self.certificate.subject.rfc4514_string()})"

    @classmethod
    def load(cls, cert_file: Path | None, key_file: Path | None) -> OperatorCA:
        if cert_file is None or key_file is None:
            raise CaUnavailable("no operator CA: set CHARGEFIX_CA_CERT_FILE and _CA_KEY_FILE")
        try:
            mode = key_file.stat().st_mode
        except OSError as error:
            raise CaUnavailable(f"CHARGEFIX_CA_KEY_FILE {key_file}: cannot read it") from error
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise CaUnavailable(
                f"CHARGEFIX_CA_KEY_FILE {key_file}: group or others may access it "
                f"(mode {stat.filemode(mode)}); chmod 600"
            )
        try:
            certificate = x509.load_pem_x509_certificate(cert_file.read_bytes())
        except (OSError, ValueError) as error:
            raise CaUnavailable(f"CHARGEFIX_CA_CERT_FILE {cert_file}: not a PEM certificate") from (
                error
            )
        try:
            key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
        except (OSError, ValueError, TypeError):
            # the error text could quote the file: not chained, not shown
            raise CaUnavailable(
                f"CHARGEFIX_CA_KEY_FILE {key_file}: not an unencrypted PEM private key"
            ) from None
        if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
            raise CaUnavailable(f"CHARGEFIX_CA_KEY_FILE {key_file}: an RSA or EC key")
        if key.public_key().public_numbers() != certificate.public_key().public_numbers():
            raise CaUnavailable("CHARGEFIX_CA_KEY_FILE is not the key of CHARGEFIX_CA_CERT_FILE")
        return cls(certificate, key)

    def sign(
        self, csr: x509.CertificateSigningRequest, validity_days: int, now: datetime | None = None
    ) -> x509.Certificate:
        now = now or datetime.now(UTC)
        not_after = min(now + timedelta(days=validity_days), self.certificate.not_valid_after_utc)
        if not_after <= now:
            raise CaUnavailable("the operator CA certificate has expired")
        public_key = csr.public_key()
        builder = (
            x509.CertificateBuilder()
            .subject_name(csr.subject)
            .issuer_name(self.certificate.subject)
            .public_key(public_key)  # type: ignore[arg-type]
            .serial_number(x509.random_serial_number())  # A00.FR.508
            .not_valid_before(now - timedelta(minutes=5))  # chargers' clocks drift a little
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=isinstance(public_key, rsa.RSAPublicKey),
                    data_encipherment=False,
                    key_agreement=isinstance(public_key, ec.EllipticCurvePublicKey),
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), False)  # type: ignore[arg-type]
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()), False
            )
        )
        return builder.sign(self._key, hashes.SHA256())

    def chain_pem(self, leaf: x509.Certificate) -> str:
        """CertificateSigned.certificateChain: the leaf, then the CA when it is not a root
        (a sub-CA the charger may not hold); a self-signed root is not sent."""
        pem = leaf.public_bytes(serialization.Encoding.PEM)
        if self.certificate.issuer != self.certificate.subject:
            pem += self.certificate.public_bytes(serialization.Encoding.PEM)
        return pem.decode()
