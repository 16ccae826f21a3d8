"""A 2.0.1 charger's device model as tables a person reads: its inventory (B07/B08
NotifyReport, stored by ``app/csms/inventory``) and its variable monitors (N02
NotifyMonitoringReport, stored by ``app/csms/monitoring``). Shared by the consultant desk and
the fleet drill-down; every value is charger text and stays in table cells or ``plain``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from app.ui.wording import plain

Rows = Callable[[list[dict[str, Any]]], list[dict[str, Any]]]


def where(item: dict[str, Any]) -> tuple[str, str]:
    """Component and variable, each with its instance when it has one."""
    component = item["component"]
    if item.get("component_instance"):
        component += f" [{item['component_instance']}]"
    variable = item["variable"]
    if item.get("variable_instance"):
        variable += f" [{item['variable_instance']}]"
    return component, variable


def monitor_rows(monitors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for m in monitors:
        component, variable = where(m)
        rows.append(
            {
                "Id": m["monitor_id"],
                "Component": component,
                "EVSE": m.get("evse_id"),
                "Variable": variable,
                "Type": m.get("type") or "",
                "Value": m.get("value"),
                "Severity": m.get("severity"),
                "In transactions only": bool(m.get("transaction")),
            }
        )
    return rows


def inventory_rows(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for item in items:
        # the Actual attribute (2.0.1 AttributeEnumType; absent type means Actual)
        actual = next(
            (a for a in item.get("attributes") or [] if a.get("type") in (None, "Actual")), {}
        )
        component, variable = where(item)
        rows.append(
            {
                "Component": component,
                "EVSE": item.get("evse_id"),
                "Variable": variable,
                "Value": actual.get("value") or "",
                "Unit": (item.get("characteristics") or {}).get("unit") or "",
                "Mutability": actual.get("mutability") or "",
            }
        )
    return rows


def show_reports(reports: list[dict[str, Any]], kind_key: str, items_key: str, rows: Rows) -> None:
    """Each stored report: what it is, how many entries, when generated, then its table."""
    for report in reports:
        st.caption(
            f"{plain(report[kind_key])}: {len(report[items_key])} entries, generated "
            f"{plain(report['generated_at'])}" + (" (truncated)" if report["truncated"] else "")
        )
        st.dataframe(rows(report[items_key]), hide_index=True, width="stretch")
