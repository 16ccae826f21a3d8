"""The certificate expiry watch (``app/security/certificates.py``): the server's TLS
certificate, and a charger's installed certificates read with GetInstalledCertificateIds (a
catalogue command: through the gateway, audited) and matched against the operator's
certificates. Each comes back with its expiry and whether it is a finding."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict

from app.api.deps import get_gateway, get_state, require_roles
from app.commands.gateway import Actor, CommandGateway, CommandRequest
from app.db.base import utcnow
from app.security import certificates
from app.security.roles import Principal, Role
from app.state import AppState

router = APIRouter(tags=["certificates"])


class CertificateView(BaseModel):
    model_config = ConfigDict(extra="forbid")

    where: str
    subject: str | None
    certificate_type: str | None
    serial: str | None
    not_after: datetime | None
    days_left: int | None
    severity: str
    finding: bool


class CertificatesView(BaseModel):
    model_config = ConfigDict(extra="forbid")

    warning_days: int
    certificates: list[CertificateView]
    charger_status: str | None = None  # the charger's answer (Accepted / NotFound)


def _views(found: list[certificates.CertificateFinding]) -> list[CertificateView]:
    return [
        CertificateView(**vars(f), finding=f.severity in ("expired", "expiring")) for f in found
    ]


@router.get("/api/certificates/server", response_model=CertificatesView)
def server_certificate(
    _: Principal = Depends(require_roles(Role.CONSULTANT)),
    state: AppState = Depends(get_state),
) -> CertificatesView:
    days = state.settings.certificate_warning_days
    found = certificates.server_findings(state.settings.tls_cert_file, utcnow(), days)
    return CertificatesView(warning_days=days, certificates=_views(found))


@router.post("/api/chargers/{charger_id}/certificates/check", response_model=CertificatesView)
async def check_charger_certificates(
    charger_id: str,
    who: Principal = Depends(require_roles(Role.CONSULTANT)),
    gateway: CommandGateway = Depends(get_gateway),
    state: AppState = Depends(get_state),
) -> CertificatesView:
    request = CommandRequest(charger_id=charger_id, command="get_installed_certificate_ids")
    result = await gateway.execute(request, Actor(who))
    known = certificates.load_known(state.settings.certificates_dir)
    days = state.settings.certificate_warning_days
    found = certificates.charger_findings(charger_id, result.response, known, utcnow(), days)
    return CertificatesView(
        warning_days=days, certificates=_views(found), charger_status=result.status
    )
