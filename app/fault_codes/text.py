"""Error-code text normaliser: OCPP codes, ChargeX codes, vendor codes and plain words map to
one canonical fault, from the catalogue's data.

- :func:`normalize_error_code` turns one code as a charger or a person gives it (``"E-101"``,
  ``"GroundFailure"``, ``"earth leakage"``, ``"hx1104"``, ``"CX002"``) into a
  :class:`NormalizedCode`.
- :func:`extract_codes` finds every OCPP code, vendor / ChargeX code and fault phrase in a text.
- :func:`search_terms` lists the words and codes a search should use for a normalised code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.fault_codes.schema import OCPP16_CODES

if TYPE_CHECKING:
    from app.fault_codes.catalogue import FaultCatalogue


@dataclass(frozen=True)
class NormalizedCode:
    """One error normalised: the OCPP code, the canonical fault key and the vendor codes."""

    ocpp_code: str | None
    fault_key: str | None
    vendor_codes: tuple[str, ...] = ()  # the vendor codes for this fault (one vendor if known)
    vendor: str | None = None
    matched: str = ""  # the text that was recognised
    recognized_as: str = ""  # "vendor_code", "standard_code", "ocpp_code", "fault_key", "phrase"

    @property
    def all_codes(self) -> tuple[str, ...]:
        """The OCPP code and vendor codes, canonical spelling."""
        return ((self.ocpp_code,) if self.ocpp_code else ()) + self.vendor_codes


@dataclass
class ExtractedCodes:
    """Codes found in a text, canonical spelling, sorted lists (ChargeX codes count as vendor
    codes: they travel in the same field)."""

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
    return re.sub(r"[\s_\-./]+", "", code.strip().lower())


#: A code-like string of any vendor, catalogued or not: a letter prefix and a number, with an
#: optional separator ("F.214", "f214", "Q-12", "HX1104", "NW-0x11"); a space is a separator only
#: after a single letter ("q 12", "F 902"), so "up to 1000 V" stays words.
_CODE_LIKE_RE = re.compile(
    r"(?<![a-z0-9])(?:([a-z]{1,4})[.\-_/]?|([a-z])\s)(0x[0-9a-f]+|\d{2,5})(?![a-z0-9.\-])",
    re.IGNORECASE,
)


def code_forms(text: str) -> list[str]:
    """The squashed form of every code-like string in ``text`` (``"F.214"``, ``"f 214"`` and
    ``"F-214"`` all give ``"f214"``), so a keyword index matches a code however it is typed,
    also for vendors that are not in the catalogue."""
    forms = []
    for match in _CODE_LIKE_RE.finditer(text):
        prefix = match.group(1) or match.group(2)
        forms.append(_squash(prefix + match.group(3)))
    return forms


def _code_alternative(code: str) -> str:
    """A code in free text: its parts with optional separators between them."""
    return r"[\s\-]?".join(re.escape(p) for p in re.split(r"[-\s]+", code))


class Text:
    """The normaliser's tables for one catalogue (built once, see ``FaultCatalogue.text``)."""

    def __init__(self, catalogue: FaultCatalogue) -> None:
        self.catalogue = catalogue
        #: squashed code -> (code, fault key, vendor); ChargeX codes have vendor None
        self.codes: dict[str, tuple[str, str, str | None]] = {}
        for table in catalogue.vendors.values():
            for entry in table.codes.values():
                self.codes[_squash(entry.code)] = (entry.code, entry.fault, table.vendor)
        for cx in catalogue.chargex.values():
            self.codes.setdefault(_squash(cx.code), (cx.code, cx.fault, None))
        self.fault_to_ocpp: dict[str, str | None] = {
            k: f.ocpp16 for k, f in catalogue.faults.items()
        }
        self.ocpp = {c.lower(): c for c in OCPP16_CODES}
        self.ocpp_to_fault = {c: e.fault for c, e in catalogue.ocpp16.items() if e.fault}
        self.synonyms = {p: k for k, f in catalogue.faults.items() for p in f.synonyms}
        alternatives = sorted(
            (_code_alternative(c) for c, _, _ in self.codes.values()), key=len, reverse=True
        )
        self.code_re = re.compile(
            r"(?<![A-Za-z0-9])(" + "|".join(alternatives) + r")(?![A-Za-z0-9])", re.IGNORECASE
        )
        self.ocpp_re = re.compile(r"\b(" + "|".join(OCPP16_CODES) + r")\b", re.IGNORECASE)
        phrases = sorted(self.synonyms, key=len, reverse=True)
        self.synonym_re = re.compile(
            r"(?<![a-z0-9])(" + "|".join(re.escape(p) for p in phrases) + r")(?![a-z0-9])",
            re.IGNORECASE,
        )

    def _ocpp_of(self, code: str, fault: str) -> str | None:
        cx = self.catalogue.chargex.get(code)
        return cx.ocpp16 if cx is not None else self.fault_to_ocpp.get(fault)

    def fault_phrase(self, fault_key: str) -> str:
        fault = self.catalogue.faults.get(fault_key)
        if fault is not None and fault.synonyms:
            return fault.synonyms[0]
        return fault_key.replace("_", " ")

    def normalize(self, code: str | None, vendor: str | None = None) -> NormalizedCode | None:
        if not code or not code.strip():
            return None
        text = code.strip()
        squashed = _squash(text)
        hit = self.codes.get(squashed)
        if hit:
            vcode, fault, vvendor = hit
            kind = "vendor_code" if vvendor else "standard_code"
            return NormalizedCode(self._ocpp_of(vcode, fault), fault, (vcode,), vvendor, text, kind)
        vcodes_for = self.catalogue.vendor_codes_for_fault
        ocpp = self.ocpp.get(squashed) or self.ocpp.get(text.lower())
        if ocpp:
            if ocpp == "NoError":
                return None
            fault = self.ocpp_to_fault.get(ocpp)
            vcodes = vcodes_for(fault, vendor) if fault else ()
            return NormalizedCode(ocpp, fault, vcodes, vendor, text, "ocpp_code")
        fault_key = text.lower().replace(" ", "_")
        if fault_key in self.fault_to_ocpp:
            return NormalizedCode(
                self.fault_to_ocpp[fault_key],
                fault_key,
                vcodes_for(fault_key, vendor),
                vendor,
                text,
                "fault_key",
            )
        match = self.synonym_re.search(text)
        if match:
            fault = self.synonyms[match.group(1).lower()]
            return NormalizedCode(
                self.fault_to_ocpp.get(fault),
                fault,
                vcodes_for(fault, vendor),
                vendor,
                text,
                "phrase",
            )
        return None

    def extract(self, text: str) -> ExtractedCodes:
        ocpp: set[str] = set()
        vendor: set[str] = set()
        faults: set[str] = set()
        for match in self.code_re.finditer(text):
            vcode, fault, _ = self.codes[_squash(match.group(1))]
            vendor.add(vcode)
            faults.add(fault)
            code16 = self._ocpp_of(vcode, fault)
            if code16:
                ocpp.add(code16)
        for match in self.ocpp_re.finditer(text):
            name = self.ocpp[match.group(1).lower()]
            if name == "NoError":
                continue
            ocpp.add(name)
            if name in self.ocpp_to_fault:
                faults.add(self.ocpp_to_fault[name])
        for match in self.synonym_re.finditer(text):
            fault = self.synonyms[match.group(1).lower()]
            faults.add(fault)
            if self.fault_to_ocpp.get(fault):
                ocpp.add(self.fault_to_ocpp[fault])  # type: ignore[arg-type]
        return ExtractedCodes(sorted(ocpp), sorted(vendor), sorted(faults))


def _text() -> Text:
    from app.fault_codes.catalogue import load_catalogue

    return load_catalogue().text


def normalize_error_code(code: str | None, vendor: str | None = None) -> NormalizedCode | None:
    """Normalise one error code or phrase; ``None`` if it is not recognised.

    ``"E-101"``, ``"e101"``, ``"GroundFailure"``, ``"ground fault"``, ``"RCD trip"`` and
    ``"CX002"`` all give ``NormalizedCode(ocpp_code="GroundFailure", fault_key="ground_fault",
    ...)``. With a ``vendor``, ``vendor_codes`` is narrowed to that vendor's code for the
    fault. ``NoError`` and empty input give ``None``.
    """
    return _text().normalize(code, vendor)


def extract_codes(text: str) -> ExtractedCodes:
    """Every OCPP code, vendor / ChargeX code and fault phrase in ``text``, normalised.

    Codes found add their fault key and OCPP code; OCPP codes add their fault key where the
    catalogue names one; phrases add their fault key and OCPP code (not vendor codes: a phrase
    does not say which vendor).
    """
    return _text().extract(text)


def fault_phrase(fault_key: str) -> str:
    """A readable phrase for a fault key: ``"ground_fault"`` -> ``"ground fault"``."""
    return _text().fault_phrase(fault_key)


def vendor_codes_for_fault(fault_key: str, vendor: str | None = None) -> tuple[str, ...]:
    """The vendor codes of a fault, for one vendor (case-insensitive) or all vendors."""
    return _text().catalogue.vendor_codes_for_fault(fault_key, vendor)


def fault_to_ocpp() -> dict[str, str | None]:
    """Canonical fault key -> the OCPP 1.6 code a charger reports for it (None: no code)."""
    return dict(_text().fault_to_ocpp)


def search_terms(code: NormalizedCode) -> list[str]:
    """Words and codes a keyword search should add for a normalised code."""
    terms: list[str] = []
    if code.ocpp_code:
        terms.append(code.ocpp_code)
    terms.extend(code.vendor_codes)
    if code.fault_key:
        terms.append(fault_phrase(code.fault_key))
    return terms
