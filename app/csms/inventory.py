"""A charging station's inventory: its device model as NotifyReport parts report it.

OCPP 2.0.1 B07 (GetBaseReport) and B08 (GetReport): the station answers the request with
Accepted and then sends its report in one or more NotifyReportRequest parts, each carrying the
``requestId`` of the request, a ``seqNo`` starting at 0 and ``tbc`` ("to be continued") true on
every part but the last (NotifyReportRequest schema). Each ``reportData`` item is one variable
of one component: ComponentType {name, instance, evse {id, connectorId}}, VariableType {name,
instance}, 1..4 VariableAttributeType {type, value string[0..2500], mutability, persistent,
constant} and VariableCharacteristicsType {unit string[0..16], dataType, minLimit, maxLimit,
valuesList string[0..1000], supportsMonitoring}.

Parts are gathered here per connection and request; when the last part has arrived the whole
report replaces the charger's stored inventory of the same report base (a SummaryInventory
does not wipe a FullInventory). Sizes are bounded where the parts enter: items per report,
string lengths per the schema, parts per report, reports gathered at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import InventoryRow

# The report a NotifyReport answers: the GetBaseReport reportBase, "Custom" for GetReport
# (B08: a selection by componentVariable/componentCriteria), "Unrequested" for a requestId this
# connection never sent (a report still arriving after the backend restarted).
ReportBase = Literal[
    "ConfigurationInventory", "FullInventory", "SummaryInventory", "Custom", "Unrequested"
]
REPORT_BASES: tuple[str, ...] = (
    "ConfigurationInventory",
    "FullInventory",
    "SummaryInventory",
    "Custom",
    "Unrequested",
)

MAX_ITEMS_PER_REPORT = 5_000  # a large DC station reports some 1,500 variables
MAX_PARTS_PER_REPORT = 1_000
MAX_OPEN_REPORTS = 4  # reports gathered at once on one connection; the oldest is dropped
NAME_CHARS = 50  # ComponentType.name/instance, VariableType.name/instance string[0..50]
VALUE_CHARS = 2_500  # VariableAttributeType.value string[0..2500]
UNIT_CHARS = 16  # VariableCharacteristicsType.unit string[0..16]
VALUES_LIST_CHARS = 1_000  # VariableCharacteristicsType.valuesList string[0..1000]
MAX_ATTRIBUTES = 4  # variableAttribute maxItems 4 (Actual, Target, MinSet, MaxSet)
ENUM_CHARS = 20


def bounded(value: Any, limit: int) -> str | None:
    if value is None:
        return None
    return str(value)[:limit]


def int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def number_or_none(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def read_item(data: dict[str, Any]) -> dict[str, Any] | None:
    """One reportData item (as the ``ocpp`` package hands it: snake_case keys) as a bounded
    inventory row; None when it names no component or variable."""
    component = data.get("component") or {}
    variable = data.get("variable") or {}
    if not isinstance(component, dict) or not isinstance(variable, dict):
        return None
    if not component.get("name") or not variable.get("name"):
        return None
    evse = component.get("evse") or {}
    attributes = []
    for attribute in (data.get("variable_attribute") or [])[:MAX_ATTRIBUTES]:
        if not isinstance(attribute, dict):
            continue
        attributes.append(
            {
                "type": bounded(attribute.get("type") or "Actual", ENUM_CHARS),
                "value": bounded(attribute.get("value"), VALUE_CHARS),
                "mutability": bounded(attribute.get("mutability"), ENUM_CHARS),
                "persistent": bool(attribute.get("persistent", False)),
                "constant": bool(attribute.get("constant", False)),
            }
        )
    characteristics = data.get("variable_characteristics")
    chars = None
    if isinstance(characteristics, dict):
        chars = {
            "unit": bounded(characteristics.get("unit"), UNIT_CHARS),
            "data_type": bounded(characteristics.get("data_type"), ENUM_CHARS),
            "min_limit": number_or_none(characteristics.get("min_limit")),
            "max_limit": number_or_none(characteristics.get("max_limit")),
            "values_list": bounded(characteristics.get("values_list"), VALUES_LIST_CHARS),
            "supports_monitoring": bool(characteristics.get("supports_monitoring", False)),
        }
    return {
        "component": bounded(component["name"], NAME_CHARS),
        "component_instance": bounded(component.get("instance"), NAME_CHARS),
        "evse_id": int_or_none(evse.get("id")) if isinstance(evse, dict) else None,
        "connector_id": int_or_none(evse.get("connector_id")) if isinstance(evse, dict) else None,
        "variable": bounded(variable["name"], NAME_CHARS),
        "variable_instance": bounded(variable.get("instance"), NAME_CHARS),
        "attributes": attributes,
        "characteristics": chars,
    }


def read_items(data: dict[str, Any]) -> list[dict[str, Any]]:
    item = read_item(data)
    return [item] if item is not None else []


@dataclass
class _Report:
    report_base: str
    items: list[dict[str, Any]] = field(default_factory=list)
    next_seq: int = 0
    truncated: bool = False
    broken: bool = False  # a part was missing or came out of order: the report is incomplete


@dataclass(frozen=True)
class CompletedReport:
    request_id: int
    report_base: str
    generated_at: datetime
    items: list[dict[str, Any]]
    truncated: bool


class ReportAssembler:
    """Gathers the parts of the reports one connection asked for: NotifyReport (B07/B08) and,
    with another ``reader``, NotifyMonitoringReport (N02), which have the same seqNo/tbc."""

    def __init__(
        self,
        reader: Callable[[dict[str, Any]], list[dict[str, Any]]] = read_items,
        max_items: int = MAX_ITEMS_PER_REPORT,
    ) -> None:
        self._reader = reader
        self._max_items = max_items
        self._requested: dict[int, str] = {}  # requestId -> report base, as sent
        self._open: dict[int, _Report] = {}

    def requested(self, request_id: Any, report_base: str) -> None:
        """This connection sent a request for a report with this requestId."""
        if isinstance(request_id, int):
            self._requested[request_id] = report_base
            while len(self._requested) > MAX_OPEN_REPORTS * 4:
                del self._requested[next(iter(self._requested))]

    def part(
        self,
        request_id: int,
        seq_no: int,
        tbc: bool,
        generated_at: datetime,
        data: list[dict[str, Any]] | None,
    ) -> CompletedReport | None:
        """Take one part; the whole report once its last part (tbc false) is in.

        A report whose parts did not arrive in sequence (seqNo 0, 1, ...) is not stored: a
        partial report would look complete and replace the stored one."""
        report = self._open.get(request_id)
        if report is None:
            report = _Report(report_base=self._requested.get(request_id, "Unrequested"))
            self._open[request_id] = report
            while len(self._open) > MAX_OPEN_REPORTS:
                del self._open[next(iter(self._open))]
        if seq_no != report.next_seq or report.next_seq >= MAX_PARTS_PER_REPORT:
            report.broken = True
        report.next_seq = seq_no + 1
        for entry in data or []:
            rows = self._reader(entry) if isinstance(entry, dict) else []
            room = self._max_items - len(report.items)
            if len(rows) > room:
                report.items.extend(rows[:room])
                report.truncated = True
                break
            report.items.extend(rows)
        if tbc:
            return None
        del self._open[request_id]
        self._requested.pop(request_id, None)
        if report.broken:
            return None
        return CompletedReport(
            request_id=request_id,
            report_base=report.report_base,
            generated_at=generated_at,
            items=report.items,
            truncated=report.truncated,
        )


def stored_reports(db: Session, charger_id: str) -> list[InventoryRow]:
    """The charger's stored inventory rows, report by report, in the order reported."""
    return list(
        db.scalars(
            select(InventoryRow)
            .where(InventoryRow.charger_id == charger_id)
            .order_by(InventoryRow.report_base, InventoryRow.position)
        )
    )


MESSAGE_LIMITS = ("ItemsPerMessage", "BytesPerMessage")


def message_limits(
    session_factory: Callable[[], Session], charger_id: str
) -> dict[tuple[str, str | None], int]:
    """DeviceDataCtrlr.ItemsPerMessage / BytesPerMessage per instance (GetVariables,
    SetVariables, ...) as the charger's stored full or configuration inventory says."""
    with session_factory() as db:
        rows = db.scalars(
            select(InventoryRow).where(
                InventoryRow.charger_id == charger_id,
                InventoryRow.report_base.in_(("FullInventory", "ConfigurationInventory")),
                InventoryRow.component == "DeviceDataCtrlr",
                InventoryRow.variable.in_(MESSAGE_LIMITS),
            )
        )
        out: dict[tuple[str, str | None], int] = {}
        for row in rows:
            for attribute in row.attributes or []:
                value = str(attribute.get("value") or "")
                if attribute.get("type") in (None, "Actual") and value.isdigit() and int(value):
                    out[(row.variable, row.variable_instance)] = int(value)
        return out
