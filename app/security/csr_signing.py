"""SignCertificate from a charger -> the operator CA signs it -> CertificateSigned to the charger
(OCPP 2.0.1 A02 by request of the CSMS: TriggerMessage SignChargingStationCertificate; A03
initiated by the charger; 1.6 security whitepaper A02/A03 with ExtendedTriggerMessage
SignChargePointCertificate).

The OCPP handler asks :meth:`CsrSigner.check` while it answers: Accepted when this CSMS can
process the request (A02.FR.11: a CA is configured and the CSR passes the checks of
``app/security/ca.py``), else Rejected (A02.FR.12) with a security event naming why. An
accepted CSR is signed after the answer has gone out (the handler's ``@after`` hook:
:meth:`CsrSigner.start`) and sent back as the catalogue command ``certificate_signed`` through
the command gateway (audited, as the system), never straight through the socket. The
charger's CertificateSigned answer is a security event either way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any

from cryptography import x509

from app.commands.gateway import Actor, CommandRequest
from app.errors import CommandError
from app.security.ca import CaUnavailable, CsrRejected, OperatorCA, check_csr
from app.security.roles import Principal, Role

log = logging.getLogger(__name__)
SIGNER = Actor(Principal("system", Role.ADMIN), "system", "SignCertificate")
# CertificateSigningUseEnumType (2.0.1); 1.6 has no type: a charge point certificate
SIGNABLE = (None, "ChargingStationCertificate")


@dataclass(frozen=True)
class Approved:
    """A CSR answered Accepted, to be signed once the answer is out."""

    charger_id: str
    csr: x509.CertificateSigningRequest
    certificate_type: str | None
    authority: OperatorCA


class CsrSigner:
    def __init__(self, state: Any) -> None:
        self.state = state
        self._ca: OperatorCA | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    def _authority(self) -> OperatorCA:
        if self._ca is None:
            settings = self.state.settings
            self._ca = OperatorCA.load(settings.ca_cert_file, settings.ca_key_file)
        return self._ca

    def check(self, charger_id: str, csr_pem: str, certificate_type: str | None) -> Approved | None:
        """The SignCertificate handler's question: can this request be processed (A02.FR.11),
        or is it Rejected (A02.FR.12, a security event names why)?"""
        try:
            if certificate_type not in SIGNABLE:
                raise CsrRejected(
                    f"{certificate_type} is signed by the V2G PKI, not the operator CA"
                )
            csr = check_csr(csr_pem, charger_id, self.state.settings.tls_organization)
            authority = self._authority()
        except (CsrRejected, CaUnavailable) as error:
            self._event("CsrRejected", charger_id, str(error))
            return None
        return Approved(charger_id, csr, certificate_type, authority)

    def start(self, approved: Approved) -> None:
        """After the Accepted answer went out: sign, and send CertificateSigned."""
        task = asyncio.get_running_loop().create_task(
            self._sign_and_send(approved), name=f"certificate-signed-{approved.charger_id}"
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _sign_and_send(self, approved: Approved) -> None:
        charger_id, authority = approved.charger_id, approved.authority
        certificate_type = approved.certificate_type
        try:
            leaf = authority.sign(approved.csr, self.state.settings.certificate_validity_days)
        except CaUnavailable as error:
            self._event("CsrRejected", charger_id, str(error))
            return
        params: dict[str, Any] = {"certificate_chain": authority.chain_pem(leaf)}
        if certificate_type is not None:
            params["certificate_type"] = certificate_type
        request = CommandRequest(charger_id=charger_id, command="certificate_signed", params=params)
        detail = (
            f"{leaf.subject.rfc4514_string()} serial {format(leaf.serial_number, 'x')} "
            f"valid until {leaf.not_valid_after_utc.isoformat()}"
        )
        try:
            result = await self.state.gateway.execute(request, SIGNER)
        except CommandError as error:
            self._event("CertificateSignedFailed", charger_id, f"{detail}: {error}")
            return
        kind = "CertificateSigned" if result.status == "Accepted" else "CertificateSignedRejected"
        self._event(kind, charger_id, f"{detail}; charger answered {result.status}")

    def _event(self, kind: str, charger_id: str, detail: str) -> None:
        self.state.recorder.security_event(kind, charger_id=charger_id, detail=detail, remote=None)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
