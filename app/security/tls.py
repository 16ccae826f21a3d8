"""The OCPP server's TLS: security profiles 2 and 3 (OCPP 2.0.1 part 2 A00; the OCPP 1.6
security whitepaper, same requirement numbers shifted by one: 1.6 A00.FR.317 = 2.0.1
A00.FR.318).

- TLS 1.2 or above only (2.0.1 A00.FR.313 / A00.FR.416).
- The CSMS SHALL support at least TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, TLS_RSA_WITH_AES_128_GCM_SHA256 and
  TLS_RSA_WITH_AES_256_GCM_SHA384 (A00.FR.318 / A00.FR.421), and "will have to provide 2
  different certificates to support both" (RSA and ECDSA): a second certificate chain is loaded
  beside the first, and OpenSSL picks the one the negotiated suite needs. The two ECDHE_RSA
  GCM suites are allowed too (forward secrecy for RSA chargers, which the spec recommends);
  nothing else is offered for TLS 1.2 (A00.FR.319: no primitives unsuitable for legacy use).
  TLS 1.3 suites are all AEAD and stay as OpenSSL has them. No TLS compression (A00.FR.320).
- Profile 3 (A00.FR.401..407): the charger authenticates with its client certificate; the CSMS
  verifies the certification path against the operator's CA (A00.FR.403), that the O RDN
  contains the CSO name (A00.FR.404, when configured) and that the CN RDN is the charger's
  identity (A00.FR.405: its unique serial number, which is the identity it connects with);
  without a valid certificate the connection is terminated (A00.FR.407) and a security event
  logged (A00.FR.408).

The client certificate is *requested* (CERT_OPTIONAL), not required of every charger: profile-2
chargers on the same port send none and authenticate with HTTP Basic. A certificate that does
not chain to the CA fails the TLS handshake itself (before any charger id is known).
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

# OpenSSL names of the TLS 1.2 suites (IANA names in the module docstring)
TLS12_CIPHERS = ":".join(
    (
        "ECDHE-ECDSA-AES128-GCM-SHA256",  # TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
        "ECDHE-ECDSA-AES256-GCM-SHA384",  # TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
        "ECDHE-RSA-AES128-GCM-SHA256",  # forward-secret RSA (recommended)
        "ECDHE-RSA-AES256-GCM-SHA384",
        "AES128-GCM-SHA256",  # TLS_RSA_WITH_AES_128_GCM_SHA256
        "AES256-GCM-SHA384",  # TLS_RSA_WITH_AES_256_GCM_SHA384
    )
)


class TlsConfigError(ValueError):
    """A TLS setting that cannot be served as given (names the setting and the file)."""


def _key_kind(cert_file: Path) -> str:
    try:
        cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    except (OSError, ValueError) as error:
        raise TlsConfigError(f"{cert_file}: not a readable PEM certificate ({error})") from error
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "ECDSA"
    raise TlsConfigError(f"{cert_file}: a server certificate is RSA or ECDSA")


def server_context(settings: Any) -> ssl.SSLContext | None:
    """The TLS context of the OCPP port, or None (plain ws) when no certificate is set."""
    if not (settings.tls_cert_file and settings.tls_key_file):
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.options |= ssl.OP_NO_COMPRESSION
    context.set_ciphers(TLS12_CIPHERS)
    chains = [(settings.tls_cert_file, settings.tls_key_file, "CHARGEFIX_TLS_CERT_FILE")]
    if settings.tls_second_cert_file or settings.tls_second_key_file:
        if not (settings.tls_second_cert_file and settings.tls_second_key_file):
            raise TlsConfigError(
                "CHARGEFIX_TLS_SECOND_CERT_FILE and CHARGEFIX_TLS_SECOND_KEY_FILE go together"
            )
        chains.append(
            (
                settings.tls_second_cert_file,
                settings.tls_second_key_file,
                "CHARGEFIX_TLS_SECOND_CERT_FILE",
            )
        )
    kinds = [_key_kind(Path(cert)) for cert, _, _ in chains]
    if len(kinds) == 2 and kinds[0] == kinds[1]:
        raise TlsConfigError(
            f"both server certificates are {kinds[0]}: the second one must be of the other key "
            "type (one RSA, one ECDSA), or OpenSSL replaces the first"
        )
    for cert, key, name in chains:
        try:
            context.load_cert_chain(cert, key)
        except (OSError, ssl.SSLError) as error:
            raise TlsConfigError(f"{name}: cannot load {cert} with its key ({error})") from error
    if settings.tls_client_ca_file:
        try:
            context.load_verify_locations(cafile=settings.tls_client_ca_file)
        except (OSError, ssl.SSLError) as error:
            raise TlsConfigError(
                f"CHARGEFIX_TLS_CLIENT_CA_FILE: cannot load {settings.tls_client_ca_file} ({error})"
            ) from error
        context.verify_mode = ssl.CERT_OPTIONAL  # profile-2 chargers send none
    return context


@dataclass(frozen=True)
class ClientCertificate:
    """The verified client certificate of a TLS connection (profile 3)."""

    common_names: tuple[str, ...]
    organizations: tuple[str, ...]
    serial: str
    subject: str
    not_after: datetime


def client_certificate(transport: Any) -> ClientCertificate | None:
    """The client certificate OpenSSL verified on this connection, or None (none sent, or a
    plain connection). Only a certificate that chained to the CA gets here."""
    ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
    if ssl_object is None:
        return None
    der = ssl_object.getpeercert(binary_form=True)
    if not der:
        return None
    cert = x509.load_der_x509_certificate(der)
    return ClientCertificate(
        common_names=tuple(
            str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        ),
        organizations=tuple(
            str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
        ),
        serial=format(cert.serial_number, "x"),
        subject=cert.subject.rfc4514_string()[:200],
        not_after=cert.not_valid_after_utc,
    )


def certificate_problem(
    cert: ClientCertificate | None, charger_id: str, organization: str | None
) -> str | None:
    """Why this certificate does not authenticate this charger (None: it does)."""
    if cert is None:
        return "no client certificate (security profile 3)"
    if cert.common_names != (charger_id,):
        shown = ", ".join(repr(n[:64]) for n in cert.common_names) or "none"
        return f"certificate CN {shown} is not the charger identity (A00.FR.405)"
    if organization and not any(organization in o for o in cert.organizations):
        return f"certificate O does not contain {organization!r} (A00.FR.404)"
    return None
