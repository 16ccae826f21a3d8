"""Diagnoses: what the system found and did; the remediation policy (admins, audited)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.api.deps import get_db, get_diagnosis, readable_charger, require_roles
from app.db.models_diagnosis import DiagnosisAudit, DiagnosisRow
from app.diagnosis import storage
from app.diagnosis.schemas import DiagnosisView, PolicyAuditEntry, PolicyFlags, PolicyView
from app.diagnosis.service import DiagnosisService
from app.errors import NotFound
from app.fleet.model import ChargerLiveState
from app.security.roles import Principal, Role

router = APIRouter(prefix="/api", tags=["diagnosis"])


class PolicyUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kill_switch: bool | None = None
    dry_run: bool | None = None


@router.get("/diagnoses", response_model_exclude_unset=True)
def list_diagnoses(
    db: Session = Depends(get_db),
    _: Principal = Depends(require_roles(Role.CONSULTANT)),
    charger_id: str | None = None,
    site_id: str | None = None,
    status_: str | None = Query(None, alias="status"),
    rule_id: str | None = None,
    fault_class: str | None = None,
    responsible: str | None = Query(None, max_length=32),
    safety_class: str | None = Query(None, max_length=20),
    open_only: bool = False,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0),
) -> list[DiagnosisView]:
    rows = storage.query(
        db,
        charger_id=charger_id,
        site_id=site_id,
        status=status_,
        rule_id=rule_id,
        fault_class=fault_class,
        responsible=responsible,
        safety_class=safety_class,
        open_only=open_only,
        limit=limit,
        offset=offset,
    )
    return [DiagnosisView.model_validate(storage.view(r)) for r in rows]


@router.get("/diagnoses/{diagnosis_id}", response_model_exclude_unset=True)
def diagnosis_detail(
    diagnosis_id: int = Path(ge=1, le=2**62),
    db: Session = Depends(get_db),
    _: Principal = Depends(require_roles(Role.CONSULTANT)),
) -> DiagnosisView:
    row = db.get(DiagnosisRow, diagnosis_id)
    if row is None:
        raise NotFound(f"no diagnosis {diagnosis_id}")
    return DiagnosisView.model_validate(storage.view(row, storage.actions_of(db, diagnosis_id)))


@router.get("/chargers/{charger_id}/diagnoses", response_model_exclude_unset=True)
def charger_diagnoses(
    charger_id: str,
    db: Session = Depends(get_db),
    _: Principal = Depends(require_roles(Role.CONSULTANT, Role.PARTNER)),
    __: ChargerLiveState = Depends(readable_charger),
    limit: int = Query(20, ge=1, le=500),
) -> list[DiagnosisView]:
    rows = storage.query(db, charger_id=charger_id, limit=limit)
    return [DiagnosisView.model_validate(storage.view(r)) for r in rows]


@router.get("/diagnosis/policy")
def get_policy(
    service: DiagnosisService = Depends(get_diagnosis),
    _: Principal = Depends(require_roles(Role.CONSULTANT)),
) -> PolicyView:
    policy = service.policy()
    return PolicyView(
        kill_switch=policy.kill_switch,
        dry_run=policy.dry_run,
        max_resets_per_day=policy.max_resets_per_day,
        cooldown_seconds=policy.cooldown_s,
        site_concurrent_limit=policy.site_concurrent_limit,
        wait_for_idle=policy.wait_for_idle,
        recovery_hold_seconds=service.state.settings.diagnosis_recovery_hold_seconds,
        time_scale=service.scale,
        rules=len(service.rules),
        active=len(service.active),
    )


@router.patch("/diagnosis/policy")
def update_policy(
    body: PolicyUpdate,
    service: DiagnosisService = Depends(get_diagnosis),
    who: Principal = Depends(require_roles(Role.ADMIN)),
) -> PolicyFlags:
    flags = service.set_flags(who, kill_switch=body.kill_switch, dry_run=body.dry_run)
    return PolicyFlags.model_validate(flags)


@router.get("/diagnosis/audit")
def policy_audit(
    db: Session = Depends(get_db),
    _: Principal = Depends(require_roles(Role.ADMIN)),
    limit: int = Query(100, ge=1, le=1000),
) -> list[PolicyAuditEntry]:
    rows = db.scalars(select(DiagnosisAudit).order_by(DiagnosisAudit.id.desc()).limit(limit))
    return [
        PolicyAuditEntry(at=r.at, actor=r.actor, role=r.role, action=r.action, detail=r.detail)
        for r in rows
    ]
