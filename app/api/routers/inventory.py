"""A charger's device model as it reported it (OCPP 2.0.1).

- Inventory (B07/B08): its components, variables, attributes and characteristics as its last
  complete report of each report base said, asked for with the ``get_base_report`` and
  ``get_report`` commands and stored as the NotifyReport parts arrive (``app/csms/inventory``).
- Monitors (N02): the monitors its last complete NotifyMonitoringReport listed, asked for with
  ``get_monitoring_report`` (``app/csms/monitoring``); set and cleared with
  ``set_variable_monitoring``/``clear_variable_monitoring``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from app.api.deps import get_db, readable_charger, require_roles
from app.csms import customer_information, inventory, monitoring
from app.fleet.model import ChargerLiveState
from app.security.roles import Principal, Role

router = APIRouter(prefix="/api/chargers", tags=["inventory"])


class _View(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AttributeView(_View):
    type: str | None = None
    value: str | None = None
    mutability: str | None = None
    persistent: bool = False
    constant: bool = False


class CharacteristicsView(_View):
    unit: str | None = None
    data_type: str | None = None
    min_limit: float | None = None
    max_limit: float | None = None
    values_list: str | None = None
    supports_monitoring: bool = False


class InventoryItemView(_View):
    component: str
    component_instance: str | None
    evse_id: int | None
    connector_id: int | None
    variable: str
    variable_instance: str | None
    attributes: list[AttributeView]
    characteristics: CharacteristicsView | None


class InventoryReportView(_View):
    report_base: str
    request_id: int
    generated_at: datetime
    stored_at: datetime
    truncated: bool
    items: list[InventoryItemView]


class InventoryView(_View):
    charger_id: str
    reports: list[InventoryReportView]


@router.get("/{charger_id}/inventory", response_model=InventoryView)
def charger_inventory(
    charger_id: str,
    db: Session = Depends(get_db),
    _: Principal = Depends(require_roles(Role.CONSULTANT, Role.PARTNER)),
    __: ChargerLiveState = Depends(readable_charger),
    report_base: Literal[inventory.REPORT_BASES] | None = Query(None),  # type: ignore[valid-type]
    component: str | None = Query(
        None, min_length=1, max_length=50, description="Only this component (any case)."
    ),
) -> InventoryView:
    reports: dict[str, dict[str, Any]] = {}
    wanted = component.lower() if component else None
    for row in inventory.stored_reports(db, charger_id):
        if report_base is not None and row.report_base != report_base:
            continue
        report = reports.setdefault(
            row.report_base,
            {
                "report_base": row.report_base,
                "request_id": row.request_id,
                "generated_at": row.generated_at,
                "stored_at": row.stored_at,
                "truncated": row.truncated,
                "items": [],
            },
        )
        if wanted is not None and row.component.lower() != wanted:
            continue
        report["items"].append(
            InventoryItemView(
                component=row.component,
                component_instance=row.component_instance,
                evse_id=row.evse_id,
                connector_id=row.connector_id,
                variable=row.variable,
                variable_instance=row.variable_instance,
                attributes=[AttributeView(**a) for a in row.attributes or []],
                characteristics=CharacteristicsView(**row.characteristics)
                if row.characteristics
                else None,
            )
        )
    return InventoryView(
        charger_id=charger_id, reports=[InventoryReportView(**r) for r in reports.values()]
    )


class MonitorView(_View):
    component: str
    component_instance: str | None
    evse_id: int | None
    connector_id: int | None
    variable: str
    variable_instance: str | None
    monitor_id: int
    transaction: bool
    value: float | None
    type: str | None
    severity: int | None


class MonitorReportView(_View):
    selection: str
    request_id: int
    generated_at: datetime
    stored_at: datetime
    truncated: bool
    monitors: list[MonitorView]


class MonitorsView(_View):
    charger_id: str
    reports: list[MonitorReportView]


@router.get("/{charger_id}/monitors", response_model=MonitorsView)
def charger_monitors(
    charger_id: str,
    db: Session = Depends(get_db),
    _: Principal = Depends(require_roles(Role.CONSULTANT, Role.PARTNER)),
    __: ChargerLiveState = Depends(readable_charger),
) -> MonitorsView:
    reports: dict[str, dict[str, Any]] = {}
    for row in monitoring.stored_monitors(db, charger_id):
        report = reports.setdefault(
            row.selection,
            {
                "selection": row.selection,
                "request_id": row.request_id,
                "generated_at": row.generated_at,
                "stored_at": row.stored_at,
                "truncated": row.truncated,
                "monitors": [],
            },
        )
        report["monitors"].append(
            MonitorView(
                **{name: getattr(row, name) for name in MonitorView.model_fields},
            )
        )
    return MonitorsView(
        charger_id=charger_id, reports=[MonitorReportView(**r) for r in reports.values()]
    )


class CustomerInformationView(_View):
    request_id: int
    generated_at: datetime
    stored_at: datetime
    truncated: bool
    parts: int
    data: str


@router.get("/{charger_id}/customer-information", response_model=list[CustomerInformationView])
def charger_customer_information(
    charger_id: str,
    db: Session = Depends(get_db),
    _: Principal = Depends(require_roles(Role.ADMIN)),
    __: ChargerLiveState = Depends(readable_charger),
    limit: int = Query(20, ge=1, le=200),
) -> list[CustomerInformationView]:
    """What the charger reported for CustomerInformation requests (N09), newest first."""
    return [
        CustomerInformationView(
            request_id=row.request_id,
            generated_at=row.generated_at,
            stored_at=row.stored_at,
            truncated=row.truncated,
            parts=row.parts,
            data=row.data,
        )
        for row in customer_information.stored(db, charger_id, limit)
    ]
