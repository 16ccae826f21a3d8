"""One fault-code catalogue: ChargeX codes, vendor codes, OCPP 2.0.1 components, OCPP 1.6 codes.

Loaded from ``knowledge_base/fault_codes`` (see its README.md), validated, cached per folder.
The one lookup the rest of ChargeFix calls is :meth:`FaultCatalogue.classify`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from app.fault_codes.loader import (
    CatalogueError,
    Issue,
    RawCatalogue,
    entry_line,
    parse_text,
    read_folder,
)
from app.fault_codes.schema import (
    OCPP16_CODES,
    ChargeXEntry,
    Fault,
    Ocpp16Entry,
    Ocpp201Entry,
    PeripheralRestart,
    Responsible,
    SafetyClass,
    VendorCode,
    VendorFile,
)

#: The shipped catalogue: <repo>/knowledge_base/fault_codes.
DEFAULT_FOLDER = Path(__file__).resolve().parents[2] / "knowledge_base" / "fault_codes"
_OCPP16_SET = frozenset(OCPP16_CODES)
_CX_RE = re.compile(r"^CX\d{3}$")


def normalise_ocpp16(raw: str | None) -> str:
    """What a charger sent as 1.6 errorCode -> the enum value: empty -> ``NoError``, values
    outside the enum (e.g. ``"Error"``) -> ``OtherError``. Exact spelling, as the schema."""
    if not raw:
        return "NoError"
    return raw if raw in _OCPP16_SET else "OtherError"


def squash(code: str) -> str:
    """Lower case without separators: ``"NW-0x11"`` -> ``"nw0x11"``, ``"E 101"`` -> ``"e101"``."""
    return re.sub(r"[\s_\-./]+", "", code.strip().lower())


class Classification(BaseModel):
    """What a reported fault is, as far as the catalogue knows.

    ``known`` is False when no catalogue entry names the fault, or when the charger gave a
    vendor/tech code the catalogue does not know: then ``entry_id``, ``fault_key``,
    ``meaning`` and ``procedure`` are None, and ``safety_class`` / ``responsible`` are only
    what the 2.0.1 component or the 1.6 error code says on its own (None if they say nothing).
    Callers must never treat an unknown fault as ``reset_safe``: check ``known`` first.
    """

    model_config = ConfigDict(frozen=True)

    entry_id: str | None = None
    fault_key: str | None = None
    standard_code: str | None = None
    ocpp16_code: str = "NoError"
    safety_class: SafetyClass | None = None
    responsible: Responsible | None = None
    meaning: str | None = None
    procedure: str | None = None
    known: bool = False

    @property
    def reset_allowed(self) -> bool:
        """Only a known, reset-safe fault may be answered with a remote reset."""
        return self.known and self.safety_class == "reset_safe"


@dataclass(frozen=True)
class VendorTable:
    vendor: str
    models: tuple[str, ...]
    codes: dict[str, VendorCode]  # exact code -> entry
    squashed: dict[str, VendorCode]  # squashed code -> entry
    file: str = ""
    restarts: tuple[PeripheralRestart, ...] = ()


@dataclass
class FaultCatalogue:
    """The loaded catalogue. Build it with :func:`load_catalogue`."""

    folder: Path
    faults: dict[str, Fault]
    ocpp16: dict[str, Ocpp16Entry]
    ocpp201: dict[str, Ocpp201Entry]  # entry key ("RCD.Tripped", "ElectricalFeed.ACVoltage:over")
    chargex: dict[str, ChargeXEntry]
    chargex_namespace: str
    vendors: dict[str, VendorTable]  # lower-case vendor name -> table

    # -- simple lookups -------------------------------------------------------------------------
    def fault(self, key: str | None) -> Fault | None:
        return self.faults.get(key) if key else None

    def vendor_table(self, vendor: str | None, model: str | None = None) -> VendorTable | None:
        """A vendor's code table by vendor name (case-insensitive), else by model name."""
        if vendor and vendor.strip().lower() in self.vendors:
            return self.vendors[vendor.strip().lower()]
        if model:
            wanted = model.strip().lower()
            for table in self.vendors.values():
                if any(m.lower() == wanted for m in table.models):
                    return table
        return None

    def vendor_code(self, vendor: str, fault_key: str) -> str | None:
        """The vendor's code for a fault key (the first in its file), if it has one."""
        table = self.vendor_table(vendor)
        if table is None:
            return None
        return next((c.code for c in table.codes.values() if c.fault == fault_key), None)

    def peripheral_restart(
        self, vendor: str | None, model: str | None, fault_key: str | None
    ) -> PeripheralRestart | None:
        """The vendor key that restarts the peripheral whose failure is ``fault_key`` on this
        model (a payment terminal, an RFID reader), if its table names one."""
        table = self.vendor_table(vendor, model)
        if table is None or fault_key is None:
            return None
        wanted = (model or "").strip().lower()
        for restart in table.restarts:
            models = {m.lower() for m in restart.models}
            if restart.fault == fault_key and (not models or wanted in models):
                return restart
        return None

    def restart_setting(
        self,
        vendor: str | None,
        model: str | None,
        fault_key: str | None,
        ocpp_version: str | None,
    ) -> tuple[str, str] | None:
        """The configuration key and value that restart this fault's peripheral on this model
        and protocol (1.6 ChangeConfiguration key, 2.0.1 SetVariables Component.Variable), if
        the vendor's table names one: what the gateway's ``restart_peripheral`` sends."""
        restart = self.peripheral_restart(vendor, model, fault_key)
        key = restart.key_for(ocpp_version) if restart else None
        return (key, restart.value) if restart and key else None

    def vendor_codes_for_fault(self, fault_key: str, vendor: str | None = None) -> tuple[str, ...]:
        """The vendor codes of a fault, for one vendor (case-insensitive) or all vendors."""
        tables = [self.vendor_table(vendor)] if vendor else list(self.vendors.values())
        codes: list[str] = []
        for table in tables:
            for entry in table.codes.values() if table else ():
                if entry.fault == fault_key and entry.code not in codes:
                    codes.append(entry.code)
        return tuple(codes)

    def standard_codes_for_fault(self, fault_key: str) -> tuple[str, ...]:
        """The ChargeX codes that stand for a fault key."""
        return tuple(c.code for c in self.chargex.values() if c.fault == fault_key)

    def codes_for_fault(self, fault_key: str) -> frozenset[str]:
        """Every vendor and ChargeX code that names a fault key."""
        return frozenset(self.vendor_codes_for_fault(fault_key)) | frozenset(
            self.standard_codes_for_fault(fault_key)
        )

    def all_vendor_codes(self) -> frozenset[str]:
        return frozenset(c for t in self.vendors.values() for c in t.codes)

    def ocpp201_entry(
        self, component: str | None, variable: str | None, direction: str | None = None
    ) -> Ocpp201Entry | None:
        if not component or not variable:
            return None
        key = f"{component.strip()}.{variable.strip()}"
        if direction:
            hit = self.ocpp201.get(f"{key}:{direction.strip().lower()}")
            if hit is not None:
                return hit
        return self.ocpp201.get(key)

    def _vendor_entry(
        self, code: str, vendor: str | None, model: str | None
    ) -> tuple[VendorTable, VendorCode] | None:
        table = self.vendor_table(vendor, model)
        if table is not None:
            hit = table.codes.get(code.strip()) or table.squashed.get(squash(code))
            return (table, hit) if hit else None
        hits = [
            (t, t.squashed[squash(code)])
            for t in self.vendors.values()
            if squash(code) in t.squashed
        ]
        faults = {entry.fault for _, entry in hits}
        return hits[0] if len(hits) == 1 or (hits and len(faults) == 1) else None

    # -- the lookup -----------------------------------------------------------------------------
    def classify(
        self,
        *,
        ocpp_version: str | None = None,
        error_code: str | None = None,
        vendor_id: str | None = None,
        vendor_error_code: str | None = None,
        info: str | None = None,
        vendor: str | None = None,
        model: str | None = None,
        component: str | None = None,
        variable: str | None = None,
        tech_code: str | None = None,
        direction: str | None = None,
    ) -> Classification:
        """Classify one reported fault.

        Precedence: a ChargeX code (``vendor_error_code`` or ``tech_code`` ``CXnnn``, whatever
        ``vendor_id``) > the vendor table (by ``vendor`` / ``model``, else a code unique across
        vendors) > the 2.0.1 ``component`` / ``variable`` (``direction`` "over"/"under" picks
        the voltage entry) > the 1.6 ``error_code``. ``ocpp_version``, ``vendor_id`` and
        ``info`` are accepted for the record; they do not change the result today.
        """
        del ocpp_version, vendor_id, info  # accepted, not (yet) needed
        codes = [c.strip() for c in (vendor_error_code, tech_code) if c and c.strip()]
        reported = normalise_ocpp16(error_code) if error_code else None
        for code in codes:
            cx = self.chargex.get(code.upper())
            if cx is not None:
                return self._known(f"chargex:{cx.code}", cx.fault, reported, cx.ocpp16, cx)
        for code in codes:
            hit = self._vendor_entry(code, vendor, model)
            if hit is not None:
                table, entry = hit
                return self._known(
                    f"vendor:{table.vendor}:{entry.code}", entry.fault, reported, None, entry
                )
        e201 = self.ocpp201_entry(component, variable, direction)
        e16 = self.ocpp16.get(reported) if reported else None
        if not codes:
            for entry_id, entry in (
                (f"ocpp201:{e201.entry_key}" if e201 else "", e201),
                (f"ocpp16:{reported}", e16),
            ):
                if entry is not None and entry.fault:
                    return self._known(entry_id, entry.fault, reported, None, entry)
        # unknown: what the component or the 1.6 code says on its own
        fallback = next((e for e in (e201, e16) if e is not None and e.safety_class), None)
        standard = next((c.upper() for c in codes if _CX_RE.match(c.upper())), None)
        given = bool(codes or component or variable)
        if reported is None or reported == "NoError":
            ocpp16 = "OtherError" if given else "NoError"
        else:
            ocpp16 = reported
        return Classification(
            standard_code=standard,
            ocpp16_code=ocpp16,
            safety_class=fallback.safety_class if fallback else None,
            responsible=fallback.responsible if fallback else None,
            known=False,
        )

    def _known(
        self,
        entry_id: str,
        fault_key: str,
        reported: str | None,
        entry_ocpp16: str | None,
        entry: Any,
    ) -> Classification:
        fault = self.faults[fault_key]
        if reported and reported not in ("NoError", "OtherError"):
            ocpp16 = reported
        else:
            ocpp16 = entry_ocpp16 or fault.ocpp16 or "OtherError"
        return Classification(
            entry_id=entry_id,
            fault_key=fault_key,
            standard_code=entry.code if isinstance(entry, ChargeXEntry) else None,
            ocpp16_code=ocpp16,
            safety_class=getattr(entry, "safety_class", None) or fault.safety_class,
            responsible=getattr(entry, "responsible", None) or fault.responsible,
            meaning=getattr(entry, "meaning", None) or fault.meaning,
            procedure=fault.procedure,
            known=True,
        )

    # -- text normaliser ------------------------------------------------------------------------
    @cached_property
    def text(self) -> Any:
        """The text normaliser built from this catalogue (:class:`~app.fault_codes.text.Text`)."""
        from app.fault_codes.text import Text

        return Text(self)


# -- building and caching ------------------------------------------------------------------------
def _procedure_ids(folder: Path) -> set[str] | None:
    proc_dir = folder.parent / "procedures"
    if not proc_dir.is_dir():
        return None
    ids = set()
    for path in [*proc_dir.glob("*.yaml"), *proc_dir.glob("*.yml")]:
        for line in path.read_text(encoding="utf-8").splitlines():
            m = re.match(r"^id:\s*['\"]?([^'\"\s#]+)", line)
            if m:
                ids.add(m.group(1))
                break
    return ids


def _duplicates(
    items: Iterable[tuple[str, int]], file: str, data: Any, section: str, what: str
) -> list[Issue]:
    seen: dict[str, int] = {}
    issues = []
    for name, index in items:
        line = entry_line(data, section, index)
        if name in seen:
            issues.append(
                Issue(file, line, repr(name), f"duplicate {what} (first on line {seen[name]})")
            )
        else:
            seen[name] = line or 0
    return issues


def build(raw: RawCatalogue) -> tuple[FaultCatalogue | None, list[Issue]]:
    """Cross-file checks (duplicates, fault and procedure references) and the catalogue."""
    issues: list[Issue] = []
    folder = raw.folder
    if not (raw.faults and raw.ocpp16 and raw.ocpp201 and raw.chargex):
        return None, issues
    faults_file, fdata = raw.faults
    ffile = str(folder / "faults.yaml")
    issues += _duplicates(
        ((f.key, i) for i, f in enumerate(faults_file.faults)), ffile, fdata, "faults", "fault key"
    )
    faults = {f.key: f for f in faults_file.faults}
    owner: dict[str, str] = {}
    procedures = _procedure_ids(folder)
    for i, fault in enumerate(faults_file.faults):
        line = entry_line(fdata, "faults", i)
        for phrase in fault.synonyms:
            if phrase != phrase.lower():
                issues.append(
                    Issue(ffile, line, repr(fault.key), f"synonym {phrase!r} not lower case")
                )
            if owner.setdefault(phrase, fault.key) != fault.key:
                issues.append(
                    Issue(
                        ffile,
                        line,
                        repr(fault.key),
                        f"synonym {phrase!r} already belongs to {owner[phrase]!r}",
                    )
                )
        if fault.procedure and procedures is not None and fault.procedure not in procedures:
            issues.append(
                Issue(ffile, line, repr(fault.key), f"unknown procedure {fault.procedure!r}")
            )

    def check_fault(file: str, data: Any, section: str, index: int, name: str, key: str | None):
        if key is not None and key not in faults:
            issues.append(
                Issue(
                    file,
                    entry_line(data, section, index),
                    repr(name),
                    f"unknown fault key {key!r} (not in faults.yaml)",
                )
            )

    o16, d16 = raw.ocpp16
    f16 = str(folder / "ocpp16.yaml")
    issues += _duplicates(((e.code, i) for i, e in enumerate(o16.codes)), f16, d16, "codes", "code")
    for i, e in enumerate(o16.codes):
        check_fault(f16, d16, "codes", i, e.code, e.fault)
    o201, d201 = raw.ocpp201
    f201 = str(folder / "ocpp201.yaml")
    issues += _duplicates(
        ((e.entry_key, i) for i, e in enumerate(o201.entries)), f201, d201, "entries", "entry"
    )
    for i, e in enumerate(o201.entries):
        check_fault(f201, d201, "entries", i, e.entry_key, e.fault)
    cx, dcx = raw.chargex
    fcx = str(folder / "chargex.yaml")
    issues += _duplicates(((e.code, i) for i, e in enumerate(cx.codes)), fcx, dcx, "codes", "code")
    for i, e in enumerate(cx.codes):
        check_fault(fcx, dcx, "codes", i, e.code, e.fault)
    vendors: dict[str, VendorTable] = {}
    for path, vfile, vdata in raw.vendors:
        file = str(path)
        issues += _duplicates(
            ((squash(c.code), i) for i, c in enumerate(vfile.codes)), file, vdata, "codes", "code"
        )
        for i, c in enumerate(vfile.codes):
            check_fault(file, vdata, "codes", i, c.code, c.fault)
        issues += _duplicates(
            ((f"{r.fault} {sorted(r.models)}", i) for i, r in enumerate(vfile.restarts)),
            file,
            vdata,
            "restarts",
            "restart (fault, models)",
        )
        for i, r in enumerate(vfile.restarts):
            check_fault(file, vdata, "restarts", i, r.fault, r.fault)
            for m in set(r.models) - set(vfile.models):
                issues.append(
                    Issue(
                        file,
                        entry_line(vdata, "restarts", i),
                        repr(r.fault),
                        f"model {m!r} is not one of the vendor's models {list(vfile.models)}",
                    )
                )
        name = vfile.vendor.lower()
        if name in vendors:
            issues.append(
                Issue(
                    file,
                    getattr(vdata, "line", None),
                    repr(vfile.vendor),
                    f"vendor already defined in {vendors[name].file}",
                )
            )
            continue
        vendors[name] = VendorTable(
            vendor=vfile.vendor,
            models=vfile.models,
            codes={c.code: c for c in vfile.codes},
            squashed={squash(c.code): c for c in vfile.codes},
            file=file,
            restarts=vfile.restarts,
        )
    if issues:
        return None, issues
    return (
        FaultCatalogue(
            folder=folder,
            faults=faults,
            ocpp16={e.code: e for e in o16.codes},
            ocpp201={e.entry_key: e for e in o201.entries},
            chargex={e.code: e for e in cx.codes},
            chargex_namespace=cx.namespace,
            vendors=vendors,
        ),
        [],
    )


_CACHE: dict[Path, FaultCatalogue] = {}
_CACHE_LOCK = threading.Lock()


def catalogue_folder(folder: Path | str | None = None) -> Path:
    """The catalogue folder: ``folder`` (or a knowledge-base folder with a ``fault_codes``
    subfolder), by default the repository's ``knowledge_base/fault_codes``."""
    path = Path(folder) if folder is not None else DEFAULT_FOLDER
    if not (path / "faults.yaml").exists() and (path / "fault_codes").is_dir():
        path = path / "fault_codes"
    return path.resolve()


def load_catalogue(
    folder: Path | str | None = None,
    *,
    reload: bool = False,
    vendor_texts: Mapping[str, str] | None = None,
) -> FaultCatalogue:
    """The catalogue of ``folder``, loaded once and cached. ``vendor_texts`` (label -> YAML of
    one vendor table, e.g. the versions editors published) replace the shipped table of the
    same vendor, or add a vendor; giving them rebuilds the cached catalogue, so every reader
    of this folder sees the editors' tables. Raises :class:`CatalogueError` listing every
    problem (file:line entry)."""
    path = catalogue_folder(folder)
    with _CACHE_LOCK:
        if not reload and vendor_texts is None and path in _CACHE:
            return _CACHE[path]
        catalogue = _build_folder(path, vendor_texts or {})
        _CACHE[path] = catalogue
        return catalogue


def check_vendor_text(
    folder: Path | str | None, label: str, text: str, published: Mapping[str, str]
) -> list[Issue]:
    """Would this vendor table load beside the rest of the catalogue? Its issues (file:line
    entry, the file being ``label``), without touching the cached catalogue."""
    try:
        _build_folder(catalogue_folder(folder), {**published, label: text})
    except CatalogueError as error:
        return error.issues
    return []


def vendor_name_of(text: str, label: str) -> str:
    """The vendor a table's YAML names (raises CatalogueError when it does not parse)."""
    parsed, _, issues = parse_text(text, label, VendorFile)
    if parsed is None:
        raise CatalogueError(issues)
    return parsed.vendor


def _build_folder(path: Path, vendor_texts: Mapping[str, str]) -> FaultCatalogue:
    raw, issues = read_folder(path)
    extra = []
    for label, text in vendor_texts.items():
        parsed, data, found = parse_text(text, label, VendorFile)
        issues += found
        if parsed is not None:
            extra.append((Path(label), parsed, data))
    replaced = {vfile.vendor.lower() for _, vfile, _ in extra}
    raw.vendors = tuple(v for v in raw.vendors if v[1].vendor.lower() not in replaced) + tuple(
        extra
    )
    catalogue, more = build(raw) if not issues else (None, [])
    issues += more
    if catalogue is None:
        raise CatalogueError(issues or [Issue(str(path), None, None, "not loaded")])
    return catalogue
