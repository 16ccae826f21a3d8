"""The sample charger models: one source of truth for the simulator, the knowledge base and tests.

All vendors and models are fictional sample content. Vendor error codes are keyed by the
canonical fault key used across ChargeFix (simulator fault catalogue, diagnosis rules,
procedures' applies-to).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ConnectorSpec:
    connector_id: int
    connector_type: str  # e.g. "Type2 socket", "CCS2", "CHAdeMO"
    max_kw: float
    current: str  # "AC" or "DC"


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
    vendor_error_codes: dict[str, str] = field(default_factory=dict)  # fault key -> code


VOLTARA_WB22 = ChargerModel(
    key="voltara_wb22",
    vendor="Voltara",
    model="WB-22",
    firmware="VT-WB 3.4.2",
    description="AC wallbox, one Type 2 socket, 22 kW, RDC-DD 6 mA DC fault protection",
    id_kind="AC",
    ocpp_versions=("1.6",),
    connectors=(ConnectorSpec(1, "Type2 socket", 22.0, "AC"),),
    vendor_error_codes={
        "firmware_hang": "E-201",
        "stuck_process": "E-205",
        "connector_lock_failure": "E-310",
        "rfid_reader_failure": "E-402",
        "phantom_connector_state": "E-318",
        "ground_fault": "E-101",
        "welded_contactor": "E-120",
        "over_temperature": "E-150",
        "power_meter_failure": "E-130",
        "weak_signal": "E-501",
        "modem_drop": "E-502",
        "ev_communication_error": "E-330",
        "over_voltage": "E-141",
        "under_voltage": "E-142",
        "over_current": "E-145",
        "intermittent_fault": "E-209",
        "firmware_boot_failure": "E-260",
    },
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
    vendor_error_codes={
        "firmware_hang": "NW-0x21",
        "stuck_process": "NW-0x24",
        "connector_lock_failure": "NW-0x31",
        "rfid_reader_failure": "NW-0x41",
        "phantom_connector_state": "NW-0x35",
        "ground_fault": "NW-0x11",
        "welded_contactor": "NW-0x13",
        "over_temperature": "NW-0x51",
        "power_meter_failure": "NW-0x61",
        "weak_signal": "NW-0x71",
        "modem_drop": "NW-0x72",
        "ev_communication_error": "NW-0x33",
        "over_voltage": "NW-0x14",
        "under_voltage": "NW-0x15",
        "over_current": "NW-0x16",
        "intermittent_fault": "NW-0x2A",
        "firmware_boot_failure": "NW-0x2F",
    },
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
    vendor_error_codes={
        "firmware_hang": "HX-3001",
        "stuck_process": "HX-3007",
        "connector_lock_failure": "HX-2210",
        "rfid_reader_failure": "HX-4102",
        "phantom_connector_state": "HX-2290",
        "ground_fault": "HX-1104",
        "welded_contactor": "HX-1201",
        "over_temperature": "HX-1502",
        "power_meter_failure": "HX-1301",
        "weak_signal": "HX-5101",
        "modem_drop": "HX-5102",
        "ev_communication_error": "HX-2301",
        "over_voltage": "HX-1401",
        "under_voltage": "HX-1402",
        "over_current": "HX-1405",
        "intermittent_fault": "HX-3050",
        "firmware_boot_failure": "HX-3099",
    },
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
    vendor_error_codes={
        "firmware_hang": "K7-SW-010",
        "stuck_process": "K7-SW-014",
        "connector_lock_failure": "K7-CN-201",
        "rfid_reader_failure": "K7-UI-301",
        "phantom_connector_state": "K7-CN-209",
        "ground_fault": "K7-PW-101",
        "welded_contactor": "K7-PW-110",
        "over_temperature": "K7-TH-401",
        "power_meter_failure": "K7-MT-120",
        "weak_signal": "K7-NW-501",
        "modem_drop": "K7-NW-502",
        "ev_communication_error": "K7-CN-230",
        "over_voltage": "K7-PW-140",
        "under_voltage": "K7-PW-141",
        "over_current": "K7-PW-145",
        "intermittent_fault": "K7-SW-050",
        "firmware_boot_failure": "K7-SW-099",
    },
)

CHARGER_MODELS: tuple[ChargerModel, ...] = (
    VOLTARA_WB22,
    NORTHWIND_DUO,
    HELION_HX150,
    KESTREL_KX300,
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
