"""The public, read-only view of a charger that the API returns (never the store's object)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from app.fleet.model import ActiveTransaction, ChargerLiveState, ConnectorState, OpenFault


class ChargerView(BaseModel):
    model_config = ConfigDict(frozen=True)

    charger_id: str
    site_id: str | None
    vendor: str | None
    model: str | None
    serial_number: str | None
    firmware_version: str | None
    ocpp_version: str | None
    online: bool
    connected_since: datetime | None
    disconnected_at: datetime | None
    last_seen: datetime | None
    last_action: str | None
    last_boot_at: datetime | None
    boot_count: int
    boot_reason: str | None
    registration_status: str | None
    heartbeat_interval: int | None
    firmware_status: str | None
    diagnostics_status: str | None
    last_security_event: str | None
    connectors: dict[int, ConnectorState]
    transactions: dict[str, ActiveTransaction]
    open_faults: list[OpenFault]
    node_id: str | None

    @classmethod
    def of(cls, state: ChargerLiveState) -> ChargerView:
        """A copy taken now: later changes to the live state do not show through."""
        return cls.model_validate(state.model_dump())
