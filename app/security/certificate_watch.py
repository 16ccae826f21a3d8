"""The periodic certificate expiry watch: every ``certificate_check_interval`` seconds the
server's TLS certificate, the installed certificates of every charger connected to this
node and the client certificates of its profile-3 chargers (those also at each handshake) are
checked (``app/security/certificates.py``); each certificate within
``certificate_warning_days`` of expiry, or past it, is recorded once as a security event
(CertificateExpiring / CertificateExpired), which the API and the app list.

A connected, accepted profile-3 charger whose own certificate is expiring (or expired) is also
asked once per certificate to renew it when the operator CA is configured (A02, renewal by
request of the CSMS: TriggerMessage SignChargingStationCertificate; 1.6: ExtendedTriggerMessage
SignChargePointCertificate, through the gateway as the watch): its SignCertificate is then
signed and sent back (CertificateSigned) before the old certificate takes it offline."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from app.commands.gateway import Actor, CommandRequest
from app.db.base import utcnow
from app.errors import CommandError
from app.security import certificates
from app.security.certificates import CertificateFinding
from app.security.roles import Principal, Role
from app.security.tls import ClientCertificate

log = logging.getLogger(__name__)
WATCH = Actor(Principal("system", Role.ADMIN), "system", "certificate expiry watch")
FIRST_CHECK_S = 300.0  # the first check after start, once reconnecting chargers have booted
KINDS = {"expiring": "CertificateExpiring", "expired": "CertificateExpired"}


class CertificateWatch:
    def __init__(self, state: Any) -> None:
        self.state = state
        self._reported: set[tuple[str, str | None, str]] = set()  # (where, serial, severity)
        self._renewals: set[tuple[str, str]] = set()  # (charger id, serial) asked to renew
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.state.settings.certificate_check_interval > 0 and self._task is None:
            self._task = asyncio.create_task(self._run(), name="certificate-watch")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        # Not at start-up: chargers reconnecting then are booting, and a CALL before their
        # BootNotification is answered is one they may refuse (OCPP 1.6 §4.2, 2.0.1 B01).
        await asyncio.sleep(min(self.state.settings.certificate_check_interval, FIRST_CHECK_S))
        while True:
            try:
                await self.check_all()
            except Exception:  # the watch must keep watching
                log.exception("certificate check failed")
            await asyncio.sleep(self.state.settings.certificate_check_interval)

    async def check_all(self) -> list[CertificateFinding]:
        settings = self.state.settings
        days = settings.certificate_warning_days
        found = certificates.server_findings(settings.tls_cert_file, utcnow(), days)
        known = await asyncio.to_thread(certificates.load_known, settings.certificates_dir)
        for charger_id in list(self.state.csms.connections):
            live = self.state.live.get(charger_id)
            if live is None or live.registration_status != "Accepted":
                continue  # booting, or Pending/Rejected: not ours to ask yet
            request = CommandRequest(charger_id=charger_id, command="get_installed_certificate_ids")
            try:
                result = await self.state.gateway.execute(request, WATCH)
            except CommandError as error:  # e.g. a charger without the operation: next one
                log.info("certificates of %s not checked: %s", charger_id, error)
                continue
            found += certificates.charger_findings(
                charger_id, result.response, known, utcnow(), days
            )
        renew: list[CertificateFinding] = []
        for charger_id, cert in self.state.csms.client_certificates().items():
            finding = self._client_finding(charger_id, cert)
            found.append(finding)
            if finding.severity in KINDS:
                renew.append(finding)
        for finding in found:
            self._report(finding)
        for finding in renew:
            await self._renew(finding)
        return found

    async def _renew(self, finding: CertificateFinding) -> None:
        """A02: ask the charger for a CSR for a new ChargingStationCertificate, once per
        certificate, when the operator CA can sign it and the charger may be sent commands."""
        charger_id, serial = finding.where, finding.serial or "?"
        if self.state.settings.ca_cert_file is None or (charger_id, serial) in self._renewals:
            return
        live = self.state.live.get(charger_id)
        if live is None or live.registration_status != "Accepted":
            return  # asked at a later check, once its boot is accepted
        request = CommandRequest(
            charger_id=charger_id,
            command="trigger_message",
            params={"message": "SignChargingStationCertificate"},
            reason=f"its certificate serial {serial} expires in {finding.days_left} days",
        )
        try:
            await self.state.gateway.execute(request, WATCH)
        except CommandError as error:
            log.info("renewal of %s's certificate not asked: %s", charger_id, error)
            return
        self._renewals.add((charger_id, serial))

    def client_certificate(self, charger_id: str, cert: ClientCertificate) -> None:
        """A profile-3 charger's own certificate, seen at its handshake: checked at once."""
        self._report(self._client_finding(charger_id, cert))

    def _client_finding(self, charger_id: str, cert: ClientCertificate) -> CertificateFinding:
        days = self.state.settings.certificate_warning_days
        return certificates.client_finding(
            charger_id, cert.subject, cert.serial, cert.not_after, utcnow(), days
        )

    def _report(self, finding: CertificateFinding) -> None:
        kind = KINDS.get(finding.severity)
        key = (finding.where, finding.serial, finding.severity)
        if kind is None or key in self._reported:
            return
        self._reported.add(key)
        when = finding.not_after.isoformat() if finding.not_after else "?"
        self.state.recorder.security_event(
            kind,
            charger_id=None if finding.where == "server" else finding.where,
            detail=f"{finding.certificate_type or 'certificate'} {finding.subject} serial "
            f"{finding.serial} expires {when} ({finding.days_left} days)",
            remote=None,
        )
