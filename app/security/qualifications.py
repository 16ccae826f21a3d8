"""The one vocabulary of qualifications a person may hold, and what each one implies.

Procedures name them on their hazardous steps (``qualifications:``), accounts hold them
(``chargefix users qualify NAME --add electrician``, ``PUT /api/users/{name}/qualifications``)
and the procedure engine lets a person into a step only when they hold every qualification it
needs (``app/procedures/engine.py``). A name outside this list is an error wherever it enters.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Qualification(StrEnum):
    # A skilled person for electrical work on low-voltage installations (IEC 60364, its
    # national forms BS 7671 / DIN VDE 0100, and EN 50110-1 "skilled person"): opens the
    # enclosure, isolates, locks off and proves dead, tests AC supplies and protective devices.
    electrician = "electrician"
    # Trained for the DC side of DC chargers: DC link, power modules, DC contactors, cable
    # cooling loops next to live DC parts. Built on being an electrician (implies it).
    hv_dc = "hv_dc"
    # The manufacturer's own service training. Level 1: displays, RFID readers, payment
    # terminals, filters, coolant top-up on the outside of the loop.
    vendor_l1 = "vendor_l1"
    # Level 2: power modules, pumps, contactors, boards. Implies level 1.
    vendor_l2 = "vendor_l2"


DESCRIPTIONS: dict[Qualification, str] = {
    Qualification.electrician: "qualified electrician",
    Qualification.hv_dc: "HV / DC-qualified technician",
    Qualification.vendor_l1: "vendor-trained technician (level 1)",
    Qualification.vendor_l2: "vendor-trained technician (level 2)",
}

IMPLIES: dict[Qualification, frozenset[Qualification]] = {
    Qualification.hv_dc: frozenset({Qualification.electrician}),
    Qualification.vendor_l2: frozenset({Qualification.vendor_l1}),
}

NAMES: tuple[str, ...] = tuple(q.value for q in Qualification)


class UnknownQualification(ValueError):
    pass


def parse(names: Iterable[str], where: str = "qualifications") -> frozenset[Qualification]:
    """Names from outside (YAML, CLI, API) as qualifications; an unknown one is an error that
    names it and lists the vocabulary."""
    result = set()
    for name in names:
        text = str(name).strip()
        if text not in NAMES:
            raise UnknownQualification(
                f"{where}: unknown qualification {text!r}; known: {', '.join(NAMES)}"
            )
        result.add(Qualification(text))
    return frozenset(result)


def effective(held: Iterable[str]) -> frozenset[Qualification]:
    """What a person holds, with what their qualifications imply (unknown names ignored)."""
    out: set[Qualification] = set()
    for name in held:
        if name in NAMES:
            q = Qualification(name)
            out.add(q)
            out |= IMPLIES.get(q, frozenset())
    return frozenset(out)


def missing(required: Iterable[str], held: Iterable[str]) -> list[Qualification]:
    """Required qualifications the person does not hold (sorted, empty when qualified)."""
    have = effective(held)
    return sorted((Qualification(r) for r in required if Qualification(r) not in have), key=str)


def describe(names: Iterable[str]) -> str:
    return ", ".join(f"{DESCRIPTIONS[Qualification(n)]} ({n})" for n in names)
