"""Generate the sample past-ticket CSVs of the knowledge base (fictional sample content).

Deterministic: a fixed seed and no clock, so running it twice gives byte-identical files.
Texts are drawn from hand-written fragments per fault (``ticket_fragments.yaml``) and passed
through a per-technician writing style (abbreviations, typos, casing), so the tickets read like
many people wrote them.

    .venv/bin/python knowledge_base/tools/generate_tickets.py [--out-dir knowledge_base/tickets]
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import re
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.simulator.models import CHARGER_MODELS, ChargerModel, vendor_error_codes  # noqa: E402
from ingestion.loaders.tickets import TICKET_FIELDS  # noqa: E402

SEED = 20260314
TICKET_COUNT = 430
HELPDESK_COUNT = 40
FRAGMENTS = Path(__file__).with_name("ticket_fragments.yaml")
DEFAULT_OUT = ROOT / "knowledge_base" / "tickets"
FIELDS = list(TICKET_FIELDS)
HELPDESK_FIELDS = [
    "Case Number",
    "Opened",
    "Asset",
    "Manufacturer",
    "Model",
    "Fault Code",
    "OEM Code",
    "Problem Description",
    "Root Cause",
    "Action Taken",
    "Status",
]
HELPDESK_STATUS = {
    "resolved_remote": "Closed - Remote Fix",
    "resolved_onsite": "Closed - Field Service",
    "repeat_visit": "Closed - Revisit Required",
    "escalated_vendor": "Closed - Escalated to OEM",
    "no_fault_found": "Closed - NFF",
    "vehicle_side": "Closed - Customer Vehicle",
}
START = datetime(2024, 2, 1, 6, 0)
SPAN_DAYS = 640

PARTS: dict[str, dict[str, str]] = {
    "voltara_wb22": {
        "lock": "VT-SP-0310",
        "contactor": "VT-SP-0120",
        "reader": "VT-SP-0402",
        "meter": "VT-SP-0130",
        "antenna": "VT-SP-0610",
        "board": "VT-SP-0101",
        "cable": "VT-SP-0315",
        "fan": "VT-SP-0620",
        "screen": "VT-SP-0402",
        "terminal": "VT-SP-0402",
    },
    "northwind_duo": {
        "lock": "NW-PN-2032",
        "contactor": "NW-PN-2051",
        "reader": "NW-PN-2041",
        "meter": "NW-PN-2061",
        "antenna": "NW-PN-2071",
        "board": "NW-PN-2001",
        "cable": "NW-PN-2031",
        "fan": "NW-PN-2090",
        "screen": "NW-PN-2010",
        "terminal": "NW-PN-2041",
    },
    "helion_hx150": {
        "lock": "HX-SP-220",
        "contactor": "HX-SP-120",
        "reader": "HX-SP-400",
        "meter": "HX-SP-130",
        "antenna": "HX-SP-510",
        "board": "HX-SP-300",
        "cable": "HX-SP-210",
        "fan": "HX-SP-150",
        "screen": "HX-SP-410",
        "terminal": "HX-PT-2",
    },
    "kestrel_kx300": {
        "lock": "K7-LK-20",
        "contactor": "K7-DC-2",
        "reader": "K7-RF-1",
        "meter": "K7-MT-1",
        "antenna": "K7-ANT-1",
        "board": "K7-PAU-2",
        "cable": "K7-CB-500",
        "fan": "K7-FN-6",
        "screen": "K7-HMI-15",
        "terminal": "KX-PAY",
    },
}
AC_CARS = ["ID.3", "Zoe", "Model 3", "e-Golf", "Kona", "EQA", "i3", "Enyaq", "MG4", "e-208"]
DC_CARS = ["ID.4", "Model Y", "Ioniq 5", "EV6", "Taycan", "e-tron", "Polestar 2", "iX", "Enyaq"]
CHADEMO_CARS = ["Leaf", "e-NV200", "Outlander PHEV"]

PREFIXES = [
    "",
    "",
    "",
    "cust called: ",
    "site host reports ",
    "NOC alert - ",
    "per driver, ",
    "hotline: ",
    "email from site: ",
    "CPO portal alarm. ",
    "Driver rang 2x. ",
    "fleet mgr says ",
]
SUFFIXES = [
    "",
    "",
    "",
    ". pls check",
    ", urgent",
    " (2nd report today)",
    ". cust waiting on site",
    ". photo in attachments",
    " - high footfall site",
    "!!",
    "?",
    ". weekend",
]
ABBREVIATIONS = {
    "charger": ["chgr", "CP", "charger", "unit"],
    "connector": ["conn", "connector", "plug"],
    "customer": ["cust", "customer", "driver"],
    "reset": ["rst", "reset", "reboot"],
    "power": ["pwr", "power"],
    "with": ["w/", "with"],
    "without": ["w/o", "without"],
    "replaced": ["repl", "replaced", "swapped"],
    "because": ["bc", "coz", "because"],
    "minutes": ["min", "mins", "minutes"],
    "temperature": ["temp", "temperature"],
    "session": ["sess", "session", "tx"],
    "firmware": ["fw", "firmware", "FW"],
    "backend": ["backend", "BO", "CSMS", "portal"],
}
MISSPELLINGS = {
    "connector": "conector",
    "received": "recieved",
    "replaced": "replced",
    "customer": "custmer",
    "charging": "chargin",
    "vehicle": "vehical",
    "separate": "seperate",
    "cleared": "clered",
    "working": "wokring",
    "cable": "cabel",
    "again": "agian",
    "insulation": "insulaton",
    "voltage": "votlage",
    "antenna": "antena",
    "contactor": "contacter",
    "available": "availble",
    "firmware": "firmwear",
    "signal": "singal",
    "tripped": "triped",
}


@dataclass(frozen=True)
class Style:
    """How one technician writes."""

    initials: str
    lower: bool
    abbrev: float
    typo: float
    terse: bool
    sign: bool


STYLES = [
    Style("JK", True, 0.7, 0.08, True, False),
    Style("MB", False, 0.2, 0.02, False, True),
    Style("TS", True, 0.5, 0.12, True, False),
    Style("AR", False, 0.4, 0.04, False, False),
    Style("PL", True, 0.9, 0.05, True, True),
    Style("DW", False, 0.1, 0.01, False, False),
    Style("SN", True, 0.6, 0.15, True, False),
    Style("CH", False, 0.3, 0.06, False, True),
    Style("RV", True, 0.4, 0.03, False, False),
    Style("OG", False, 0.8, 0.09, True, False),
]


@dataclass
class Charger:
    charger_id: str
    model: ChargerModel


@dataclass
class Ticket:
    created_at: datetime
    charger: Charger
    category: str
    error_code: str
    vendor_error_code: str
    symptom: str
    diagnosis: str
    resolution: str
    outcome: str
    follows: Ticket | None = None
    ticket_id: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def build_fleet(rng: random.Random) -> list[Charger]:
    fleet: list[Charger] = []
    sites = rng.sample(range(1, 90), 34)
    for site in sorted(sites):
        kinds = rng.choice(
            [
                ["voltara_wb22"] * 4,
                ["northwind_duo"] * 3,
                ["voltara_wb22", "voltara_wb22", "northwind_duo"],
                ["helion_hx150", "helion_hx150", "northwind_duo"],
                ["kestrel_kx300", "kestrel_kx300", "helion_hx150"],
                ["kestrel_kx300"] * 4,
                ["helion_hx150"],
            ]
        )
        index: dict[str, int] = {}
        for key in kinds:
            model = next(m for m in CHARGER_MODELS if m.key == key)
            index[model.id_kind] = index.get(model.id_kind, 0) + 1
            cid = f"SITE-{site:03d}-{model.id_kind}-{index[model.id_kind]:02d}"
            fleet.append(Charger(cid, model))
    return fleet


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 5 or not word.isalpha():
        return word
    i = rng.randrange(1, len(word) - 2)
    kind = rng.randrange(3)
    if kind == 0:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == 1:
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i] + word[i:]


def stylise(text: str, style: Style, rng: random.Random) -> str:
    words = re.split(r"(\s+)", text)
    out: list[str] = []
    for word in words:
        bare = word.lower().strip(".,")
        if bare in ABBREVIATIONS and rng.random() < style.abbrev:
            word = word.lower().replace(bare, rng.choice(ABBREVIATIONS[bare]))
        elif bare in MISSPELLINGS and rng.random() < style.typo * 3:
            word = word.lower().replace(bare, MISSPELLINGS[bare])
        elif word.strip() and rng.random() < style.typo:
            word = _typo(word, rng)
        out.append(word)
    result = "".join(out)
    if style.lower:
        result = result.lower()
    elif result and result[0].islower():
        result = result[0].upper() + result[1:]
    if style.terse:
        result = result.replace(", ", " ").replace("the ", "")
    return result


TAG = re.compile(r"^(AC|DC|KX|HX|VT|NW|SCR|EV|CP)\|\s*")
TAG_TESTS = {
    "AC": lambda m: m.id_kind == "AC",
    "DC": lambda m: m.id_kind != "AC",
    "KX": lambda m: m.key == "kestrel_kx300",
    "HX": lambda m: m.key == "helion_hx150",
    "VT": lambda m: m.key == "voltara_wb22",
    "NW": lambda m: m.key == "northwind_duo",
    "SCR": lambda m: m.key != "voltara_wb22",
}
# EV: the text blames the vehicle; CP: the text blames the charger. They must fit the outcome.
OUTCOME_TESTS = {
    "EV": lambda o: o in ("vehicle_side", "no_fault_found"),
    "CP": lambda o: o != "vehicle_side",
}


def _keep(
    items: list[str], model: ChargerModel | None = None, outcome: str | None = None
) -> list[str]:
    """The fragments that fit this model (and outcome), without their tags.

    Without an outcome the EV/CP tags stay on, to be resolved once the outcome is known."""
    kept = []
    for item in items:
        text, fits, pending = item, True, ""
        while tag := TAG.match(text):
            name, text = tag.group(1), text[tag.end() :]
            if name in OUTCOME_TESTS:
                if outcome is None:
                    pending += f"{name}| "
                elif not OUTCOME_TESTS[name](outcome):
                    fits = False
            elif model is not None and not TAG_TESTS[name](model):
                fits = False
        if fits:
            kept.append(pending + text)
    return kept


def for_model(spec: dict, model: ChargerModel) -> dict:
    """A category's fragment pools restricted to what fits the model."""
    fitted = dict(spec)
    for key in ("symptoms", "correct", "wrong", "follow_fix"):
        fitted[key] = _keep(spec[key], model)
    fitted["fix"] = {o: _keep(v, model) for o, v in spec["fix"].items()}
    fitted["outcomes"] = {o: w for o, w in spec["outcomes"].items() if fitted["fix"].get(o)}
    return fitted


class _Keep(dict):
    """format_map mapping that leaves unknown placeholders (e.g. {prev}) in place."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill(template: str, charger: Charger, connector: int, rng: random.Random) -> str:
    model = charger.model
    dc = model.id_kind != "AC"
    if model.key == "helion_hx150" and connector == 2:
        car = rng.choice(CHADEMO_CARS)
    else:
        car = rng.choice(DC_CARS if dc else AC_CARS)
    values = {
        "car": car,
        "c": str(connector),
        "temp": str(rng.randint(41, 58)),
        "volt": str(rng.randint(226, 238)),
        "hv": str(rng.choice([257, 259, 262, 266, 271])),
        "lv": str(rng.choice([184, 188, 191, 194, 198])),
        "rssi": str(-rng.randint(104, 117)),
        "n": str(rng.randint(2, 4)),
        "kw": str(rng.choice([38, 45, 50, 60, 75]) if dc else rng.choice([3.6, 4, 6, 7.2, 11]))
        .rstrip("0")
        .rstrip("."),
        "fw": model.firmware,
        "time": f"{rng.randint(5, 23):02d}:{rng.choice(['00', '15', '30', '45', '10'])}",
        **PARTS[model.key],
    }
    return template.format_map(_Keep(values))


def pick_outcome(outcomes: dict[str, int], rng: random.Random) -> str:
    names = list(outcomes)
    return rng.choices(names, weights=[outcomes[n] for n in names])[0]


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 2}


def matching(pool: list[str], resolution: str, rng: random.Random) -> str:
    """The diagnosis that fits the resolution best (most shared words; ties broken at random)."""
    target = _words(resolution)
    scored = [(len(_words(d) & target), rng.random(), d) for d in pool]
    return max(scored)[2]


def make_text(pool: list[str], charger: Charger, conn: int, rng: random.Random) -> str:
    parts = rng.sample(pool, k=min(len(pool), rng.choice([1, 1, 1, 2])))
    return ". ".join(fill(p, charger, conn, rng) for p in parts)


def generate(seed: int = SEED, count: int = TICKET_COUNT) -> list[Ticket]:
    rng = random.Random(seed)
    data = yaml.safe_load(FRAGMENTS.read_text(encoding="utf-8"))["categories"]
    fleet = build_fleet(rng)
    names = list(data)
    weights = [data[n]["weight"] for n in names]
    tickets: list[Ticket] = []
    while len(tickets) < count:
        category = rng.choices(names, weights=weights)[0]
        excluded = data[category].get("exclude_models", [])
        charger = rng.choice([c for c in fleet if c.model.key not in excluded])
        model = charger.model
        spec = for_model(data[category], model)
        conn = rng.randint(1, len(model.connectors))
        style = rng.choice(STYLES)
        created = START + timedelta(minutes=rng.randrange(SPAN_DAYS * 24 * 60))
        created = created.replace(second=0)
        code = vendor_error_codes(model).get(category, "")
        ocpp = spec["error_code"]
        if ocpp == "" and rng.random() < 0.15:
            ocpp = "NoError"
        outcome = pick_outcome(spec["outcomes"], rng)

        def fmt(template: str, code: str = code, ocpp: str = ocpp) -> str:
            return template.replace("{code}", code or "no code").replace("{ocpp}", ocpp or "-")

        symptom_pool = [fmt(s) for s in _keep(spec["symptoms"], outcome=outcome)]
        symptom = make_text(symptom_pool, charger, conn, rng)
        symptom = rng.choice(PREFIXES) + symptom + rng.choice(SUFFIXES)
        if outcome == "repeat_visit":
            diagnosis = fill(rng.choice(_keep(spec["wrong"], outcome=outcome)), charger, conn, rng)
            resolution = fill(
                rng.choice(_keep(spec["fix"][outcome], outcome=outcome)), charger, conn, rng
            )
        else:
            resolution = fill(
                rng.choice(_keep(spec["fix"][outcome], outcome=outcome)), charger, conn, rng
            )
            correct = _keep(spec["correct"], outcome=outcome)
            diagnosis = fill(fmt(matching(correct, resolution, rng)), charger, conn, rng)
        if style.sign:
            resolution += f" -{style.initials}"
        ticket = Ticket(
            created_at=created,
            charger=charger,
            category=category,
            error_code=ocpp,
            vendor_error_code=code if rng.random() > 0.08 else "",
            symptom=stylise(symptom, style, rng),
            diagnosis=stylise(diagnosis, style, rng),
            resolution=stylise(resolution, style, rng),
            outcome=outcome,
        )
        tickets.append(ticket)
        if outcome == "repeat_visit":
            tickets.append(follow_up(ticket, spec, conn, rng))
    tickets.sort(key=lambda t: (t.created_at, t.charger.charger_id))
    for number, ticket in enumerate(tickets, start=10001):
        ticket.ticket_id = f"CF-{number}"
    for ticket in tickets:
        if ticket.follows is not None:
            ticket.symptom = ticket.symptom.replace("{prev}", ticket.follows.ticket_id)
    return tickets


AGAIN = [
    "same fault again, see {prev}",
    "back again after {prev}",
    "revisit for {prev}",
    "repeat of {prev}, not fixed",
    "{prev} came back",
    "again!! ref {prev}",
    "follow up {prev}",
]
AGAIN_DIAG = [
    "first visit missed it. ",
    "prev diag wrong. ",
    "",
    "2nd look: ",
    "root cause this time: ",
]


def follow_up(first: Ticket, spec: dict, conn: int, rng: random.Random) -> Ticket:
    style = rng.choice(STYLES)
    charger = first.charger
    created = first.created_at + timedelta(days=rng.randint(1, 12), minutes=rng.randint(5, 600))
    outcome = "escalated_vendor" if rng.random() < 0.12 else "resolved_onsite"
    again = rng.choice(_keep(spec["symptoms"], outcome=outcome))
    symptom = rng.choice(AGAIN) + ". " + fill(again, charger, conn, rng)
    symptom = symptom.replace("{code}", first.vendor_error_code or "no code")
    symptom = symptom.replace("{ocpp}", first.error_code or "-")
    resolution = fill(rng.choice(_keep(spec["follow_fix"], outcome=outcome)), charger, conn, rng)
    correct = _keep(spec["correct"], outcome=outcome)
    found = fill(matching(correct, resolution, rng), charger, conn, rng)
    diagnosis = rng.choice(AGAIN_DIAG) + found
    diagnosis = diagnosis.replace("{code}", first.vendor_error_code or "the code")
    return Ticket(
        created_at=created,
        charger=charger,
        category=first.category,
        error_code=first.error_code,
        vendor_error_code=first.vendor_error_code,
        symptom=stylise(symptom, style, rng),
        diagnosis=stylise(diagnosis, style, rng),
        resolution=stylise(resolution, style, rng),
        outcome=outcome,
        follows=first,
    )


def tickets_csv(tickets: list[Ticket]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(FIELDS)
    for t in tickets:
        writer.writerow(
            [
                t.ticket_id,
                t.created_at.strftime("%Y-%m-%dT%H:%M:00Z"),
                t.charger.charger_id,
                t.charger.model.vendor,
                t.charger.model.model,
                t.error_code,
                t.vendor_error_code,
                t.symptom,
                t.diagnosis,
                t.resolution,
                t.outcome,
            ]
        )
    return buffer.getvalue()


def helpdesk_csv(seed: int = SEED + 1, count: int = HELPDESK_COUNT) -> str:
    """A second, smaller export in another help desk's columns (different dates and statuses)."""
    tickets = generate(seed, count)[:count]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HELPDESK_FIELDS)
    for number, t in enumerate(tickets, start=4711):
        writer.writerow(
            [
                f"HD-{number:06d}",
                t.created_at.strftime("%d/%m/%Y %H:%M"),
                t.charger.charger_id,
                t.charger.model.vendor,
                t.charger.model.model,
                t.error_code,
                t.vendor_error_code,
                t.symptom.replace(t.follows.ticket_id, "prev case") if t.follows else t.symptom,
                t.diagnosis,
                t.resolution,
                HELPDESK_STATUS[t.outcome],
            ]
        )
    return buffer.getvalue()


def write_all(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    tickets_path = out_dir / "tickets.csv"
    helpdesk_path = out_dir / "helpdesk_export.csv"
    tickets_path.write_text(tickets_csv(generate()), encoding="utf-8")
    helpdesk_path.write_text(helpdesk_csv(), encoding="utf-8")
    return [tickets_path, helpdesk_path]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    for path in write_all(args.out_dir):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
