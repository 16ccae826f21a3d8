"""Handlers that are the same in OCPP 1.6 and 2.0.1 (each answers with its version's result)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

from ocpp.routing import after, on

from app.csms.charge_point import now_iso
from app.csms.context import CsmsContext
from app.csms.data_transfer import DataTransferRequest
from app.csms.registration import RegistrationGate, boot_answer


class CommonHandlers:
    """Mixed into both versions' charge points; ``_call_result`` is the version's module."""

    id: str
    context: CsmsContext
    gate: RegistrationGate
    _call_result: ModuleType
    _ocpp_version: str
    _csr_approved: Any = None

    def _boot_answer(self) -> tuple[str, int]:
        """Accepted with the heartbeat interval; Pending (commissioning) or Rejected (blocked)
        with the interval the charger waits before its next BootNotification (B02, B03)."""
        answer = boot_answer(self.context.registration(self.id))
        self.gate.answered(answer)
        settings = self.context.settings
        interval = (
            settings.heartbeat_interval if answer == "Accepted" else settings.boot_retry_interval
        )
        return answer, interval

    @on("Heartbeat")
    def on_heartbeat(self, **_: Any) -> Any:
        return self._call_result.Heartbeat(current_time=now_iso())

    @on("FirmwareStatusNotification")
    def on_firmware_status(self, status: str, **_: Any) -> Any:
        self.context.live.set_firmware_status(self.id, str(status))
        return self._call_result.FirmwareStatusNotification()

    @on("LogStatusNotification")
    def on_log_status(self, status: str, request_id: int | None = None, **_: Any) -> Any:
        self.context.live.set_log_status(self.id, str(status))
        if request_id is not None:  # N01: a status without requestId is an Idle report
            self.context.recorder.log_status(self.id, int(request_id), str(status))
        return self._call_result.LogStatusNotification()

    @on("SecurityEventNotification")
    def on_security_event(self, type: str, timestamp: str, **kw: Any) -> Any:
        # A04: the charger's own time of the event is kept beside the time we heard of it
        self.context.recorder.security_event(
            type,
            charger_id=self.id,
            detail=kw.get("tech_info"),
            remote=None,
            reported_at=_charger_time(timestamp),
        )
        self.context.live.report_security_event(self.id, str(type))
        return self._call_result.SecurityEventNotification()

    # OCPP 2.0.1 A02/A03 and the 1.6 security whitepaper: a charger's CSR (2.0.1 with an
    # optional certificateType). Accepted when it can be processed (A02.FR.11), else Rejected
    # (A02.FR.12); an accepted one is signed and sent back (CertificateSigned) after the answer.
    @on("SignCertificate")
    def on_sign_certificate(self, csr: str, **kw: Any) -> Any:
        signer = self.context.csr_signer
        approved = signer.check(self.id, csr, kw.get("certificate_type")) if signer else None
        self._csr_approved = approved
        return self._call_result.SignCertificate(
            status="Accepted" if approved is not None else "Rejected"
        )

    @after("SignCertificate")
    def after_sign_certificate(self, **_: Any) -> None:
        approved, self._csr_approved = getattr(self, "_csr_approved", None), None
        if approved is not None and self.context.csr_signer is not None:
            self.context.csr_signer.start(approved)

    @on("DataTransfer")
    def on_data_transfer(self, vendor_id: str, **kw: Any) -> Any:
        """Always a DataTransferResponse (UnknownVendorId, UnknownMessageId, or a registered
        handler's Accepted/Rejected), never a CALLERROR: 1.6 §4.3, 2.0.1 P02."""
        status, data = self.context.data_transfer.answer(
            DataTransferRequest(
                charger_id=self.id,
                ocpp_version=self._ocpp_version,
                vendor_id=vendor_id,
                message_id=kw.get("message_id"),
                data=kw.get("data"),
            )
        )
        if data is not None and self._ocpp_version == "1.6" and not isinstance(data, str):
            data = json.dumps(data)  # 1.6 data is a string of any format
        return self._call_result.DataTransfer(status=status, data=data)


def _charger_time(value: str) -> datetime | None:
    """A charger's dateTime (RFC 3339, validated by the OCPP schema); a value without an
    offset is taken as UTC (OCPP asks for UTC); one that does not parse is None."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
