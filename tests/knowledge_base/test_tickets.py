"""The sample tickets: format, variety, and a deterministic generator."""

from __future__ import annotations

import csv
import importlib.util
import re
import sys
from pathlib import Path

import yaml

from app.simulator.models import CHARGER_MODELS, vendor_error_codes
from ingestion.loaders.tickets import TICKET_FIELDS

KB = Path(__file__).resolve().parents[2] / "knowledge_base"
TICKETS = KB / "tickets" / "tickets.csv"
HELPDESK = KB / "tickets" / "helpdesk_export.csv"
MAPPING = KB / "tickets" / "helpdesk_export.mapping.yaml"
FIELDS = list(TICKET_FIELDS)
OUTCOMES = {
    "resolved_remote",
    "resolved_onsite",
    "repeat_visit",
    "escalated_vendor",
    "no_fault_found",
    "vehicle_side",
}


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _generator():
    spec = importlib.util.spec_from_file_location(
        "generate_tickets", KB / "tools" / "generate_tickets.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while executing
    spec.loader.exec_module(module)
    return module


def test_tickets_have_the_plain_format_and_enough_rows() -> None:
    with TICKETS.open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    assert header == FIELDS
    rows = _rows(TICKETS)
    assert len(rows) >= 400
    for row in rows:
        assert row["outcome"] in OUTCOMES
        assert re.fullmatch(r"SITE-\d{3}-(AC|DC|HPC)-\d{2}", row["charger_id"]), row
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:00Z", row["created_at"]), row
        assert row["symptom"] and row["diagnosis"] and row["resolution"]
    assert len({r["ticket_id"] for r in rows}) == len(rows)


def test_tickets_match_the_catalogue() -> None:
    models = {(m.vendor, m.model): m for m in CHARGER_MODELS}
    seen_models = set()
    for row in _rows(TICKETS):
        model = models[(row["vendor"], row["model"])]
        seen_models.add(model.key)
        assert row["charger_id"].split("-")[2] == model.id_kind
        if row["vendor_error_code"]:
            assert row["vendor_error_code"] in vendor_error_codes(model).values(), row
    assert seen_models == {m.key for m in CHARGER_MODELS}


def test_tickets_read_like_many_people_wrote_them() -> None:
    rows = _rows(TICKETS)
    for column in ("symptom", "diagnosis", "resolution"):
        distinct = len({r[column] for r in rows}) / len(rows)
        floor = 0.8 if column == "symptom" else 0.5
        assert distinct > floor, f"{column}: only {distinct:.0%} distinct"
    for column in ("symptom", "resolution"):
        lengths = sorted(len(r[column]) for r in rows)
        short, long = lengths[len(lengths) // 10], lengths[-len(lengths) // 10]
        assert long >= 2 * short, f"{column}: lengths too uniform ({short}..{long})"

    lower = sum(r["symptom"] == r["symptom"].lower() for r in rows) / len(rows)
    assert 0.2 < lower < 0.8, "mix of casing styles expected"
    outcomes = {r["outcome"] for r in rows}
    assert outcomes == OUTCOMES
    faults = {r["vendor_error_code"] for r in rows if r["vendor_error_code"]}
    assert len(faults) >= 50


def test_repeat_visits_point_back_to_an_earlier_ticket_on_the_same_charger() -> None:
    rows = _rows(TICKETS)
    by_id = {r["ticket_id"]: r for r in rows}
    follow_ups = 0
    for row in rows:
        for ref in re.findall(r"CF-\d{5}", row["symptom"].upper()):
            earlier = by_id[ref]
            assert earlier["charger_id"] == row["charger_id"]
            assert earlier["created_at"] < row["created_at"]
            assert earlier["outcome"] == "repeat_visit"
            follow_ups += 1
    assert follow_ups >= 30


def test_generator_is_deterministic_and_matches_the_checked_in_files(tmp_path: Path) -> None:
    generator = _generator()
    first, second = tmp_path / "a", tmp_path / "b"
    generator.write_all(first)
    generator.write_all(second)
    for name in ("tickets.csv", "helpdesk_export.csv"):
        produced = (first / name).read_bytes()
        assert produced == (second / name).read_bytes()
        assert produced == (KB / "tickets" / name).read_bytes(), f"{name} is stale: regenerate"


def test_helpdesk_export_mapping_covers_every_column_and_status() -> None:
    mapping = yaml.safe_load(MAPPING.read_text(encoding="utf-8"))
    rows = _rows(HELPDESK)
    assert len(rows) >= 20
    columns = mapping["columns"]
    assert set(columns) == set(rows[0])
    assert set(columns.values()) == set(FIELDS)
    statuses = mapping["values"]["outcome"]
    assert set(statuses.values()) <= OUTCOMES
    for row in rows:
        assert row["Status"] in statuses
    from datetime import datetime

    for row in rows:
        datetime.strptime(row["Opened"], mapping["date_format"])
