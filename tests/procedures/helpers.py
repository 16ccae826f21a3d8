"""Small builders for procedure tests."""

from __future__ import annotations

from typing import Any

import yaml

from app.procedures.schema import Procedure

HEADER = {"id": "t", "title": "Test", "status": "draft"}


def proc(start: str, *nodes: dict[str, Any]) -> Procedure:
    return Procedure.model_validate({**HEADER, "start": start, "nodes": list(nodes)})


def proc_yaml(start: str, *nodes: dict[str, Any]) -> str:
    return yaml.safe_dump({**HEADER, "start": start, "nodes": list(nodes)}, sort_keys=False)


def terminal(node_id: str, outcome: str = "resolved", **extra: Any) -> dict[str, Any]:
    return {"id": node_id, "type": "terminal", "title": node_id, "outcome": outcome, **extra}


def instruction(node_id: str, next_: str, **extra: Any) -> dict[str, Any]:
    return {"id": node_id, "type": "instruction", "title": node_id, "next": next_, **extra}


def yes_no(node_id: str, on_yes: str, on_no: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": node_id,
        "type": "question",
        "kind": "yes_no",
        "title": node_id,
        "on_yes": on_yes,
        "on_no": on_no,
        **extra,
    }


def action(node_id: str, command: str = "reset", **extra: Any) -> dict[str, Any]:
    node = {
        "id": node_id,
        "type": "remote_action",
        "title": node_id,
        "command": command,
        "on_success": "ok",
        "on_failure": "fail",
    }
    node.update(extra)
    return node


def live(
    status: str = "Available",
    error_code: str = "NoError",
    online: bool = True,
    transactions: list[dict[str, Any]] | None = None,
    faults: list[dict[str, Any]] | None = None,
    connectors: int = 2,
) -> dict[str, Any]:
    return {
        "charger_id": "CP-1",
        "online": online,
        "connectors": [
            {
                "connector_id": 1,
                "status": status,
                "error_code": error_code,
                "vendor_error_code": None,
            },
            *(
                [{"connector_id": 2, "status": "Available", "error_code": "NoError"}]
                if connectors > 1
                else []
            ),
        ],
        "active_transactions": transactions or [],
        "open_faults": faults or [],
    }
