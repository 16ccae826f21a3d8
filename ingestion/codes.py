"""Error-code normaliser: OCPP codes, vendor codes and plain words map to one canonical fault.

Public functions (reusable outside ingestion):

- :func:`normalize_error_code` turns one code as a charger or a person gives it (``"E-101"``,
  ``"GroundFailure"``, ``"earth leakage"``, ``"hx1104"``) into a :class:`NormalizedCode`.
- :func:`extract_codes` finds every OCPP code, vendor code and fault phrase in a text.
- :func:`search_terms` lists the words and codes a search should use for a normalised code.

Vendor codes come from :mod:`app.fleet_catalog` (keyed by canonical fault key); this module
only adds the OCPP 1.6 ``ChargePointErrorCode`` names, the fault-key -> OCPP mapping and the
plain-words synonyms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from app.fleet_catalog import CHARGER_MODELS
from app.ocpp_codes import OCPP16_ERROR_CODES

OCPP_ERROR_CODES: tuple[str, ...] = OCPP16_ERROR_CODES

#: Canonical fault key -> the OCPP code a charger reports for it (None: no specific code).
FAULT_TO_OCPP: dict[str, str | None] = {
    "firmware_hang": "InternalError",
    "stuck_process": "OtherError",
    "connector_lock_failure": "ConnectorLockFailure",
    "rfid_reader_failure": "ReaderFailure",
    "phantom_connector_state": "OtherError",
    "ground_fault": "GroundFailure",
    "welded_contactor": "PowerSwitchFailure",
    "over_temperature": "HighTemperature",
    "power_meter_failure": "PowerMeterFailure",
    "weak_signal": "WeakSignal",
    "modem_drop": None,
    "ev_communication_error": "EVCommunicationError",
    "over_voltage": "OverVoltage",
    "under_voltage": "UnderVoltage",
    "over_current": "OverCurrentFailure",
    "intermittent_fault": "OtherError",
    "firmware_boot_failure": "InternalError",
}

#: Plain words (lower case) -> canonical fault key. Matched as whole phrases.
FAULT_SYNONYMS: dict[str, tuple[str, ...]] = {
    "ground_fault": (
        "ground fault",
        "ground failure",
        "earth fault",
        "earth leakage",
        "earth-leakage",
        "leakage current",
        "residual current",
        "rcd trip",
        "rcd tripped",
        "rcd",
        "rcbo",
        "rcmu",
        "rdc-dd",
        "dc leakage",
        "insulation fault",
        "insulation monitoring",
    ),
    "welded_contactor": (
        "welded contactor",
        "contactor welded",
        "stuck contactor",
        "contactor stuck",
        "welded relay",
        "relay welded",
        "power switch failure",
        "voltage on the socket",
        "voltage at the socket",
        "live socket",
        "socket is live",
    ),
    "over_temperature": (
        "over temperature",
        "overtemperature",
        "over-temperature",
        "overheat",
        "overheating",
        "overheated",
        "high temperature",
        "too hot",
        "thermal derating",
    ),
    "power_meter_failure": (
        "power meter",
        "energy meter",
        "meter failure",
        "meter fault",
        "meter not responding",
        "meter error",
    ),
    "weak_signal": ("weak signal", "poor signal", "low signal", "bad reception", "signal strength"),
    "modem_drop": ("modem drop", "modem dropped", "modem", "lte drop", "sim card", "apn"),
    "ev_communication_error": (
        "ev communication",
        "communication error with the car",
        "control pilot",
        "cp signal",
        "pwm signal",
        "iso 15118",
        "plc handshake",
        "handshake",
        "car not recognised",
        "car not recognized",
    ),
    "over_voltage": ("over voltage", "overvoltage", "over-voltage", "voltage too high"),
    "under_voltage": (
        "under voltage",
        "undervoltage",
        "under-voltage",
        "voltage too low",
        "low voltage",
        "brownout",
        "voltage sag",
    ),
    "over_current": ("over current", "overcurrent", "over-current", "current too high"),
    "connector_lock_failure": (
        "connector lock",
        "lock failure",
        "locking failure",
        "lock motor",
        "lock actuator",
        "cable locked",
        "cable stuck",
        "stuck cable",
        "cannot unplug",
        "can't unplug",
        "cant unplug",
        "won't unlock",
        "wont unlock",
    ),
    "rfid_reader_failure": (
        "rfid",
        "card reader",
        "reader failure",
        "badge not read",
        "card not read",
        "card not recognised",
        "card not recognized",
        "nfc",
    ),
    "firmware_hang": ("firmware hang", "frozen", "freezes", "unresponsive", "watchdog", "hangs"),
    "stuck_process": (
        "stuck transaction",
        "stuck session",
        "session won't stop",
        "session wont stop",
        "won't stop charging",
        "transaction stuck",
    ),
    "phantom_connector_state": (
        "phantom",
        "ghost session",
        "shows occupied",
        "occupied but no car",
        "stuck in preparing",
        "preparing forever",
        "wrong connector status",
    ),
    "intermittent_fault": ("intermittent", "comes and goes", "random faults", "now and then"),
    "firmware_boot_failure": (
        "boot loop",
        "bootloop",
        "reboot loop",
        "keeps rebooting",
        "won't boot",
        "wont boot",
        "does not boot",
        "firmware update failed",
    ),
}


@dataclass(frozen=True)
class NormalizedCode:
    """One error normalised: the OCPP code, the canonical fault key and the vendor codes."""

    ocpp_code: str | None
    fault_key: str | None
    vendor_codes: tuple[str, ...] = ()  # the vendor codes for this fault (one vendor if known)
    vendor: str | None = None
    matched: str = ""  # the text that was recognised
    recognized_as: str = ""  # "vendor_code", "ocpp_code", "fault_key" or "phrase"

    @property
    def all_codes(self) -> tuple[str, ...]:
        """The OCPP code and vendor codes, canonical spelling."""
        return ((self.ocpp_code,) if self.ocpp_code else ()) + self.vendor_codes


@dataclass
class ExtractedCodes:
    """Codes found in a text, canonical spelling, sorted lists."""

    ocpp_codes: list[str] = field(default_factory=list)
    vendor_codes: list[str] = field(default_factory=list)
    fault_keys: list[str] = field(default_factory=list)

    def merge(self, other: ExtractedCodes) -> ExtractedCodes:
        return ExtractedCodes(
            sorted(set(self.ocpp_codes) | set(other.ocpp_codes)),
            sorted(set(self.vendor_codes) | set(other.vendor_codes)),
            sorted(set(self.fault_keys) | set(other.fault_keys)),
        )


def _squash(code: str) -> str:
    """Lower case without separators: ``"NW-0x11"`` -> ``"nw0x11"``, ``"E 101"`` -> ``"e101"``."""
    return re.sub(r"[\s_\-./]+", "", code.strip().lower())


@dataclass(frozen=True)
class _Tables:
    vendor_code: dict[str, tuple[str, str, str]]  # squashed code -> (code, fault key, vendor)
    ocpp: dict[str, str]  # lower-case OCPP name -> name
    ocpp_to_fault: dict[str, str]  # OCPP code -> fault key, only where unique
    synonyms: dict[str, str]  # phrase -> fault key
    vendor_code_re: re.Pattern[str]
    ocpp_re: re.Pattern[str]
    synonym_re: re.Pattern[str]


@cache
def _tables() -> _Tables:
    vendor_code: dict[str, tuple[str, str, str]] = {}
    for entry in CHARGER_MODELS:
        for fault, code in entry.vendor_error_codes.items():
            vendor_code[_squash(code)] = (code, fault, entry.vendor)
    counts: dict[str, list[str]] = {}
    for fault, ocpp in FAULT_TO_OCPP.items():
        if ocpp:
            counts.setdefault(ocpp, []).append(fault)
    ocpp_to_fault = {ocpp: faults[0] for ocpp, faults in counts.items() if len(faults) == 1}
    synonyms = {p: fault for fault, phrases in FAULT_SYNONYMS.items() for p in phrases}
    # Vendor codes in free text: each code with optional separators between its parts.
    alternatives = []
    for code, _, _ in vendor_code.values():
        parts = re.split(r"[-\s]+", code)
        alternatives.append(r"[\s\-]?".join(re.escape(p) for p in parts))
    alternatives.sort(key=len, reverse=True)
    vendor_code_re = re.compile(
        r"(?<![A-Za-z0-9])(" + "|".join(alternatives) + r")(?![A-Za-z0-9])", re.IGNORECASE
    )
    ocpp_re = re.compile(r"\b(" + "|".join(OCPP_ERROR_CODES) + r")\b", re.IGNORECASE)
    phrases = sorted(synonyms, key=len, reverse=True)
    synonym_re = re.compile(
        r"(?<![a-z0-9])(" + "|".join(re.escape(p) for p in phrases) + r")(?![a-z0-9])",
        re.IGNORECASE,
    )
    return _Tables(
        vendor_code=vendor_code,
        ocpp={c.lower(): c for c in OCPP_ERROR_CODES},
        ocpp_to_fault=ocpp_to_fault,
        synonyms=synonyms,
        vendor_code_re=vendor_code_re,
        ocpp_re=ocpp_re,
        synonym_re=synonym_re,
    )


def vendor_codes_for_fault(fault_key: str, vendor: str | None = None) -> tuple[str, ...]:
    """The vendor codes of a fault, for one vendor (case-insensitive) or all sample vendors."""
    codes = []
    for entry in CHARGER_MODELS:
        if vendor and entry.vendor.lower() != vendor.lower():
            continue
        code = entry.vendor_error_codes.get(fault_key)
        if code and code not in codes:
            codes.append(code)
    return tuple(codes)


def normalize_error_code(code: str | None, vendor: str | None = None) -> NormalizedCode | None:
    """Normalise one error code or phrase; ``None`` if it is not recognised.

    ``"E-101"``, ``"e101"``, ``"GroundFailure"``, ``"ground fault"`` and ``"RCD trip"`` all give
    ``NormalizedCode(ocpp_code="GroundFailure", fault_key="ground_fault", ...)``. With a
    ``vendor``, ``vendor_codes`` is narrowed to that vendor's code for the fault. ``NoError``
    and empty input give ``None``.
    """
    if not code or not code.strip():
        return None
    text = code.strip()
    tables = _tables()
    squashed = _squash(text)
    hit = tables.vendor_code.get(squashed)
    if hit:
        vcode, fault, vvendor = hit
        return NormalizedCode(
            FAULT_TO_OCPP.get(fault), fault, (vcode,), vvendor, text, "vendor_code"
        )
    ocpp = tables.ocpp.get(squashed) or tables.ocpp.get(text.lower())
    if ocpp:
        if ocpp == "NoError":
            return None
        fault = tables.ocpp_to_fault.get(ocpp)
        vcodes = vendor_codes_for_fault(fault, vendor) if fault else ()
        return NormalizedCode(ocpp, fault, vcodes, vendor, text, "ocpp_code")
    fault_key = text.lower().replace(" ", "_")
    if fault_key in FAULT_TO_OCPP:
        return NormalizedCode(
            FAULT_TO_OCPP[fault_key],
            fault_key,
            vendor_codes_for_fault(fault_key, vendor),
            vendor,
            text,
            "fault_key",
        )
    match = tables.synonym_re.search(text)
    if match:
        fault = tables.synonyms[match.group(1).lower()]
        return NormalizedCode(
            FAULT_TO_OCPP.get(fault),
            fault,
            vendor_codes_for_fault(fault, vendor),
            vendor,
            text,
            "phrase",
        )
    return None


def extract_codes(text: str) -> ExtractedCodes:
    """Every OCPP code, vendor code and fault phrase in ``text``, normalised.

    Vendor codes found add their fault key and OCPP code; OCPP codes add their fault key where
    it is unique; phrases add their fault key and OCPP code (not vendor codes: a phrase does not
    say which vendor).
    """
    tables = _tables()
    ocpp: set[str] = set()
    vendor: set[str] = set()
    faults: set[str] = set()
    for match in tables.vendor_code_re.finditer(text):
        vcode, fault, _ = tables.vendor_code[_squash(match.group(1))]
        vendor.add(vcode)
        faults.add(fault)
        if FAULT_TO_OCPP.get(fault):
            ocpp.add(FAULT_TO_OCPP[fault])  # type: ignore[arg-type]
    for match in tables.ocpp_re.finditer(text):
        name = tables.ocpp[match.group(1).lower()]
        if name == "NoError":
            continue
        ocpp.add(name)
        if name in tables.ocpp_to_fault:
            faults.add(tables.ocpp_to_fault[name])
    for match in tables.synonym_re.finditer(text):
        fault = tables.synonyms[match.group(1).lower()]
        faults.add(fault)
        if FAULT_TO_OCPP.get(fault):
            ocpp.add(FAULT_TO_OCPP[fault])  # type: ignore[arg-type]
    return ExtractedCodes(sorted(ocpp), sorted(vendor), sorted(faults))


def fault_phrase(fault_key: str) -> str:
    """A readable phrase for a fault key: ``"ground_fault"`` -> ``"ground fault"``."""
    synonyms = FAULT_SYNONYMS.get(fault_key)
    return synonyms[0] if synonyms else fault_key.replace("_", " ")


def search_terms(code: NormalizedCode) -> list[str]:
    """Words and codes a keyword search should add for a normalised code."""
    terms: list[str] = []
    if code.ocpp_code:
        terms.append(code.ocpp_code)
    terms.extend(code.vendor_codes)
    if code.fault_key:
        terms.append(fault_phrase(code.fault_key))
    return terms
