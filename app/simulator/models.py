"""The simulator's sample charger models (fictional sample content).

Their vendor error codes live in the fault-code catalogue
(``knowledge_base/fault_codes/vendors/*.yaml``, :mod:`app.fault_codes`):
``load_catalogue().vendor_code(model.vendor, fault_key)``. What their firmware does is theirs:
the configuration keys that restart one peripheral (``peripheral_restarts``) are the
simulated firmware's, written from the models' manuals (``knowledge_base/manuals``); the
catalogue's restart entries are what ChargeFix knows of them, and a test holds the two equal.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ConnectorSpec:
    connector_id: int
    connector_type: str  # e.g. "Type2 socket", "CCS2", "CHAdeMO"
    max_kw: float
    current: str  # "AC" or "DC"


@dataclass(frozen=True)
class PeripheralRestart:
    """A vendor configuration key that restarts one peripheral (a payment terminal, an RFID
    reader) while the charger keeps charging: 1.6 ChangeConfiguration ``key16``, 2.0.1
    SetVariables ``key201`` (Component.Variable), each with ``value``."""

    fault: str  # the fault key of the peripheral's failure
    value: str
    key16: str | None = None
    key201: str | None = None

    def matches(self, version: str, key: str) -> bool:
        return key == (self.key16 if version == "1.6" else self.key201)


@dataclass(frozen=True)
class ChargerModel:
    key: str
    vendor: str
    model: str
    firmware: str
    description: str
    id_kind: str  # used in charger ids, e.g. SITE-014-DC-02
    ocpp_versions: tuple[str, ...]
    connectors: tuple[ConnectorSpec, ...]
    peripheral_restarts: tuple[PeripheralRestart, ...] = ()


VOLTARA_WB22 = ChargerModel(
    key="voltara_wb22",
    vendor="Voltara",
    model="WB-22",
    firmware="VT-WB 3.4.2",
    description="AC wallbox, one Type 2 socket, 22 kW, RDC-DD 6 mA DC fault protection",
    id_kind="AC",
    ocpp_versions=("1.6",),
    connectors=(ConnectorSpec(1, "Type2 socket", 22.0, "AC"),),
)

NORTHWIND_DUO = ChargerModel(
    key="northwind_duo",
    vendor="Northwind Charging",
    model="Duo AC Post",
    firmware="NWC-DUO 2.11.0",
    description="AC post with two Type 2 sockets, 2 x 22 kW, shared 32 A supply",
    id_kind="AC",
    ocpp_versions=("1.6", "2.0.1"),
    connectors=(
        ConnectorSpec(1, "Type2 socket", 22.0, "AC"),
        ConnectorSpec(2, "Type2 socket", 22.0, "AC"),
    ),
)

HELION_HX150 = ChargerModel(
    key="helion_hx150",
    vendor="Helion Power",
    model="HX-150",
    firmware="HX 5.2.7",
    description="DC fast charger, CCS2 and CHAdeMO cables, 150 kW shared, air cooled",
    id_kind="DC",
    ocpp_versions=("2.0.1", "1.6"),
    connectors=(
        ConnectorSpec(1, "CCS2", 150.0, "DC"),
        ConnectorSpec(2, "CHAdeMO", 50.0, "DC"),
    ),
    # manual "Reset and power-cycle instructions": HX_TerminalRestart, no prefix on 1.6
    peripheral_restarts=(
        PeripheralRestart(
            "payment_terminal_failure",
            "true",
            key16="HX_TerminalRestart",
            key201="HelionCtrlr.HX_TerminalRestart",
        ),
    ),
)

KESTREL_KX300 = ChargerModel(
    key="kestrel_kx300",
    vendor="Kestrel EV",
    model="KX-300",
    firmware="KX-OS 1.9.4",
    description="High-power DC charger, two liquid-cooled CCS2 cables, 300 kW with power sharing",
    id_kind="HPC",
    ocpp_versions=("2.0.1",),
    connectors=(
        ConnectorSpec(1, "CCS2 liquid-cooled", 300.0, "DC"),
        ConnectorSpec(2, "CCS2 liquid-cooled", 300.0, "DC"),
    ),
    # manual "Peripheral restart": KestrelCtrlr.PeripheralRestart = Reader, Terminal or Hmi
    peripheral_restarts=(
        PeripheralRestart(
            "payment_terminal_failure", "Terminal", key201="KestrelCtrlr.PeripheralRestart"
        ),
        PeripheralRestart("rfid_reader_failure", "Reader", key201="KestrelCtrlr.PeripheralRestart"),
    ),
)

CHARGER_MODELS: tuple[ChargerModel, ...] = (
    VOLTARA_WB22,
    NORTHWIND_DUO,
    HELION_HX150,
    KESTREL_KX300,
)


def restart_of(model: ChargerModel, version: str, key: str, value: str) -> PeripheralRestart | None:
    """The peripheral restart a configuration write asks for on this model (None: not one)."""
    return next(
        (r for r in model.peripheral_restarts if r.matches(version, key) and r.value == value),
        None,
    )


def model_by_key(key: str) -> ChargerModel:
    for model in CHARGER_MODELS:
        if model.key == key:
            return model
    raise KeyError(f"unknown charger model key {key!r}")


def find_model(vendor: str | None, model: str | None) -> ChargerModel | None:
    """The catalogue entry for a vendor/model pair as a charger reports it, if any."""
    for entry in CHARGER_MODELS:
        if (vendor or "").lower() == entry.vendor.lower() and (model or "").lower() == (
            entry.model.lower()
        ):
            return entry
    return None


def vendor_error_code(model: ChargerModel, fault_key: str) -> str | None:
    """The model's vendor code for a fault key, from the fault-code catalogue."""
    from app.fault_codes import load_catalogue

    return load_catalogue().vendor_code(model.vendor, fault_key)


def vendor_error_codes(model: ChargerModel) -> dict[str, str]:
    """Fault key -> the model's vendor code, from the fault-code catalogue."""
    from app.fault_codes import load_catalogue

    table = load_catalogue().vendor_table(model.vendor, model.model)
    codes: dict[str, str] = {}
    for entry in table.codes.values() if table else ():
        codes.setdefault(entry.fault, entry.code)
    return codes
