"""What the OCPP handlers need from the backend, in one object."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from app.authorization.store import TokenStore
from app.config import Settings
from app.csms.data_transfer import DataTransferRegistry
from app.csms.recorder import Recorder
from app.fleet.store import FleetStore


class CsrHandler(Protocol):
    """Answers a charger's SignCertificate (``app/security/csr_signing.py``)."""

    def check(self, charger_id: str, csr_pem: str, certificate_type: str | None) -> Any | None:
        """An approval when the CSR will be signed, else None (Rejected)."""
        ...

    def start(self, approved: Any) -> None:
        """Sign and send CertificateSigned (after the answer went out)."""
        ...


@dataclass
class CsmsContext:
    settings: Settings
    live: FleetStore
    recorder: Recorder
    tokens: TokenStore
    data_transfer: DataTransferRegistry = field(default_factory=DataTransferRegistry)
    # charger id -> its status (commissioning, active, blocked): the BootNotification answer
    registration: Callable[[str], str] = lambda _charger_id: "active"
    csr_signer: CsrHandler | None = None
