"""The fault-code catalogue's file formats (pydantic; unknown fields are errors)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: What a remote reset may do while the fault is open.
#: ``reset_safe``: a reset may clear it; ``never_reset``: safety, a reset must never be sent
#: while it is open; ``outside_charger``: the cause is outside the charger (vehicle, site power,
#: network, payment provider), a reset does not fix it.
SafetyClass = Literal["reset_safe", "never_reset", "outside_charger"]
SAFETY_CLASSES: tuple[str, ...] = ("reset_safe", "never_reset", "outside_charger")

#: Who has to act to fix the cause.
Responsible = Literal[
    "charger_maker",
    "operator",
    "vehicle",
    "driver",
    "site_power",
    "network_provider",
    "payment_provider",
]
RESPONSIBLE: tuple[str, ...] = (
    "charger_maker",
    "operator",
    "vehicle",
    "driver",
    "site_power",
    "network_provider",
    "payment_provider",
)

#: OCPP 1.6 ChargePointErrorCode values.
Ocpp16Code = Literal[
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
]
OCPP16_CODES: tuple[str, ...] = Ocpp16Code.__args__  # type: ignore[attr-defined]

FAULT_KEY_PATTERN = r"^[a-z][a-z0-9_]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Fault(_Strict):
    key: str = Field(pattern=FAULT_KEY_PATTERN)
    title: str = Field(min_length=1)
    meaning: str = Field(min_length=1)
    safety_class: SafetyClass
    responsible: Responsible
    procedure: str | None = None
    synonyms: tuple[str, ...] = ()
    ocpp16: Ocpp16Code | None = Field(
        description="The 1.6 error code a charger reports for this fault (None: no code)."
    )


class FaultsFile(_Strict):
    source: str | None = None
    faults: tuple[Fault, ...]


class Ocpp16Entry(_Strict):
    code: Ocpp16Code
    meaning: str = Field(min_length=1)
    fault: str | None = None
    safety_class: SafetyClass | None = None
    responsible: Responsible | None = None


class Ocpp16File(_Strict):
    source: str | None = None
    codes: tuple[Ocpp16Entry, ...]


class Ocpp201Entry(_Strict):
    component: str = Field(min_length=1)
    variable: str = Field(min_length=1)
    direction: Literal["over", "under"] | None = None
    meaning: str = Field(min_length=1)
    fault: str | None = None
    safety_class: SafetyClass | None = None
    responsible: Responsible | None = None

    @property
    def entry_key(self) -> str:
        key = f"{self.component}.{self.variable}"
        return f"{key}:{self.direction}" if self.direction else key


class Ocpp201File(_Strict):
    source: str | None = None
    entries: tuple[Ocpp201Entry, ...]


class ChargeXEntry(_Strict):
    code: str = Field(pattern=r"^CX\d{3}$")
    name: str = Field(min_length=1)
    ocpp16: Ocpp16Code
    meaning: str = Field(min_length=1)
    functional_class: str | None = None
    responsible: Responsible
    safety_class: SafetyClass
    fault: str


class ChargeXFile(_Strict):
    source: str | None = None
    namespace: str = Field(min_length=1, description="vendorId EVerest sends on 1.6")
    codes: tuple[ChargeXEntry, ...]


class VendorCode(_Strict):
    code: str = Field(min_length=1, max_length=50)
    fault: str
    meaning: str | None = None
    safety_class: SafetyClass | None = None


class PeripheralRestart(_Strict):
    """A vendor configuration key that restarts one peripheral (payment terminal, RFID
    reader) without a reboot or ending a charge (the model's manual): 1.6 ChangeConfiguration
    ``key16``, 2.0.1 SetVariables ``key201`` (Component.Variable), each written ``value``."""

    fault: str
    value: str = Field(min_length=1, max_length=500)
    key16: str | None = Field(None, min_length=1, max_length=50)
    key201: str | None = Field(None, pattern=r"^[A-Za-z0-9_]+\.[A-Za-z0-9_]+$", max_length=100)
    models: tuple[str, ...] = ()  # empty: every model of the vendor

    @model_validator(mode="after")
    def _one_key(self) -> PeripheralRestart:
        if self.key16 is None and self.key201 is None:
            raise ValueError("a restart needs key16 (OCPP 1.6) or key201 (OCPP 2.0.1)")
        return self

    def key_for(self, ocpp_version: str | None) -> str | None:
        """The key to write on this protocol (None: the model has none there)."""
        return self.key16 if ocpp_version == "1.6" else self.key201


class VendorFile(_Strict):
    source: str | None = None
    vendor: str = Field(min_length=1)
    models: tuple[str, ...] = ()
    codes: tuple[VendorCode, ...]
    restarts: tuple[PeripheralRestart, ...] = ()
