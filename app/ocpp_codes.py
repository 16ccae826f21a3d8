"""OCPP vocabulary shared by the backend, ingestion and tests."""

from __future__ import annotations

#: OCPP 1.6 ChargePointErrorCode values (2.0.1 faults are mapped onto the same names).
OCPP16_ERROR_CODES: tuple[str, ...] = (
    "ConnectorLockFailure",
    "EVCommunicationError",
    "GroundFailure",
    "HighTemperature",
    "InternalError",
    "LocalListConflict",
    "NoError",
    "OtherError",
    "OverCurrentFailure",
    "OverVoltage",
    "PowerMeterFailure",
    "PowerSwitchFailure",
    "ReaderFailure",
    "ResetFailure",
    "UnderVoltage",
    "WeakSignal",
)
