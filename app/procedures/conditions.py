"""Pure evaluation of :class:`StateCondition` against a charger's live state.

The live state is taken as a plain dict (``ChargerLiveState.model_dump()``): ``online``,
``ocpp_version``, ``vendor``, ``model``,
``connectors`` (dict or list of ``{connector_id, status, error_code, vendor_error_code}``),
``transactions`` (dict or list of ``{transaction_id, connector_id}``) and ``open_faults``
(list of ``{error_code, vendor_error_code, ...}``). Containers may be dicts, lists or counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from app.fault_codes import load_catalogue
from app.procedures.schema import StateCondition

Live = Mapping[str, Any]


def resolve_connector(ref: int | str | None, connector_id: int) -> int | None:
    """``$connector`` → the session's connector; ints pass through."""
    if ref == "$connector":
        return connector_id
    return ref  # type: ignore[return-value]


def _values(container: Any) -> list[Any]:
    if container is None:
        return []
    if isinstance(container, Mapping):
        return list(container.values())
    if isinstance(container, int) and not isinstance(container, bool):
        return [{}] * container
    return list(container)


def connector_state(live: Live | None, connector_id: int) -> Mapping[str, Any]:
    if not live:
        return {}
    for conn in _values(live.get("connectors")):
        if _get(conn, "connector_id") == connector_id:
            return conn if isinstance(conn, Mapping) else _as_dict(conn)
    return {}


def _as_dict(obj: Any) -> Mapping[str, Any]:
    if hasattr(obj, "model_dump"):
        return obj.model_dump()
    return vars(obj) if hasattr(obj, "__dict__") else {}


def _get(obj: Any, key: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(key, default)
    return getattr(obj, key, default)


def transactions(live: Live | None) -> list[Any]:
    live = live or {}
    return _values(live.get("transactions", live.get("active_transactions")))


def in_transaction(live: Live | None, connector_id: int) -> bool:
    txs = transactions(live)
    if connector_id == 0:
        return bool(txs)
    for tx in txs:
        tx_connector = _get(tx, "connector_id", _get(tx, "evse_id"))
        if tx_connector is None or tx_connector == connector_id:
            return True  # a transaction of unknown connector counts everywhere (safe side)
    return False


def transaction_id_on(live: Live | None, connector_id: int) -> Any:
    """The id of the transaction running on a connector (None if none is known)."""
    for tx in transactions(live):
        tx_connector = _get(tx, "connector_id", _get(tx, "evse_id"))
        if connector_id in (0, tx_connector) or tx_connector is None:
            return _get(tx, "transaction_id", _get(tx, "id"))
    return None


def _codes_for(fault_key: str, catalogue_folder: Path | None = None) -> set[str]:
    """The vendor and ChargeX codes that name a fault key (the fault-code catalogue of that
    folder, the one in force; None: the shipped one)."""
    return set(load_catalogue(catalogue_folder).codes_for_fault(fault_key))


def open_faults(live: Live | None) -> list[Any]:
    return _values((live or {}).get("open_faults"))


def fault_is_open(live: Live | None, key: str, catalogue_folder: Path | None = None) -> bool:
    """A canonical fault key (matched via the catalogue's vendor and ChargeX codes), a vendor
    error code or an OCPP error code names an open fault."""
    codes = _codes_for(key, catalogue_folder) | {key}
    for fault in open_faults(live):
        if isinstance(fault, str):
            if fault in codes:
                return True
            continue
        values = {
            _get(fault, "fault_key"),
            _get(fault, "vendor_error_code"),
            _get(fault, "error_code"),
            _get(fault, "raw_error_code"),
        }
        if values & codes:
            return True
    return False


def restart_known(live: Live | None, fault_key: str, catalogue_folder: Path | None = None) -> bool:
    """The catalogue names a key that restarts this fault's part on this charger's vendor,
    model and OCPP version (what the gateway's ``restart_peripheral`` would send)."""
    live = live or {}
    setting = load_catalogue(catalogue_folder).restart_setting(
        live.get("vendor"), live.get("model"), fault_key, live.get("ocpp_version")
    )
    return setting is not None


def energy_flowing(live: Live | None, connector_id: int) -> bool:
    """A transaction runs on the connector and its latest meter reading shows energy
    delivered: the Energy.Active.Import.Register above the transaction's start value, or
    Power.Active.Import above zero (1.6 MeterValues / 2.0.1 TransactionEvent meterValue)."""
    for tx in transactions(live):
        tx_connector = _get(tx, "connector_id", _get(tx, "evse_id"))
        if connector_id not in (0, tx_connector):
            continue
        meter = _get(tx, "last_meter")
        if not meter:
            continue
        power, energy = _get(meter, "power_w"), _get(meter, "energy_wh")
        start = _get(tx, "meter_start_wh")
        if power is not None and power > 0:
            return True
        if energy is not None and start is not None and energy > start:
            return True
    return False


def evaluate(
    condition: StateCondition,
    live: Live | None,
    connector_id: int = 1,
    catalogue_folder: Path | None = None,
) -> bool:
    """True when every test set on the condition holds for this live state (fault keys and
    restarts looked up in the fault-code catalogue of ``catalogue_folder``, the one the
    backend runs with; None: the shipped one)."""
    connector = resolve_connector(condition.connector, connector_id)
    conn = connector_state(live, connector or 0)
    status = conn.get("status")
    error_code = conn.get("error_code")
    checks: list[bool] = []
    if condition.online is not None:
        checks.append(bool((live or {}).get("online")) == condition.online)
    if condition.ocpp_version is not None:
        checks.append((live or {}).get("ocpp_version") == condition.ocpp_version)
    if condition.status_in is not None:
        checks.append(status in condition.status_in)
    if condition.status_not_in is not None:
        checks.append(status not in condition.status_not_in)
    if condition.error_code is not None:
        checks.append((error_code or "NoError") == condition.error_code)
    if condition.error_code_in is not None:
        checks.append((error_code or "NoError") in condition.error_code_in)
    if condition.vendor_error_code is not None:
        checks.append(conn.get("vendor_error_code") == condition.vendor_error_code)
    if condition.no_open_faults is not None:
        checks.append((not open_faults(live)) == condition.no_open_faults)
    if condition.fault_open is not None:
        checks.append(fault_is_open(live, condition.fault_open, catalogue_folder))
    if condition.fault_not_open is not None:
        checks.append(not fault_is_open(live, condition.fault_not_open, catalogue_folder))
    if condition.restart_known is not None:
        checks.append(restart_known(live, condition.restart_known, catalogue_folder))
    if condition.in_transaction is not None:
        checks.append(in_transaction(live, connector or 0) == condition.in_transaction)
    if condition.energy_flowing is not None:
        checks.append(energy_flowing(live, connector or 0) == condition.energy_flowing)
    if condition.any_of is not None:
        checks.append(
            any(evaluate(c, live, connector_id, catalogue_folder) for c in condition.any_of)
        )
    if condition.not_ is not None:
        checks.append(not evaluate(condition.not_, live, connector_id, catalogue_folder))
    return all(checks)


def describe(condition: StateCondition) -> str:
    """Short human text, e.g. 'connector $connector status in [Available] and error NoError'."""
    parts = []
    data = condition.model_dump(exclude_none=True, by_alias=True)
    connector = data.pop("connector", "$connector")
    for key, value in data.items():
        if key == "any_of":
            inner = " or ".join(describe(c) for c in condition.any_of or [])
            parts.append(f"({inner})")
        elif key == "not":
            parts.append(f"not ({describe(condition.not_)})")  # type: ignore[arg-type]
        else:
            parts.append(f"{key}={value}")
    return f"connector {connector}: " + " and ".join(parts)
