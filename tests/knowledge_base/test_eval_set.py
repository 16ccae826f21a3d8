"""The retrieval evaluation set is well-formed and points at things that exist."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import yaml

from app.simulator.models import find_model, vendor_error_codes

KB = Path(__file__).resolve().parents[2] / "knowledge_base"
EVAL = KB / "eval" / "retrieval_queries.yaml"
STATE_KEYS = {
    "vendor",
    "model",
    "ocpp_version",
    "status",
    "error_code",
    "vendor_error_code",
    "info",
}


def _queries() -> list[dict]:
    return yaml.safe_load(EVAL.read_text(encoding="utf-8"))["queries"]


def _tickets() -> dict[str, dict[str, str]]:
    with (KB / "tickets" / "tickets.csv").open(encoding="utf-8", newline="") as handle:
        return {row["ticket_id"]: row for row in csv.DictReader(handle)}


def test_eval_set_is_well_formed() -> None:
    queries = _queries()
    assert len(queries) >= 80
    ids = [q["id"] for q in queries]
    assert len(ids) == len(set(ids))
    for q in queries:
        assert set(q) == {"id", "query", "charger_state", "expected", "tags"}, q["id"]
        assert isinstance(q["query"], str) and q["query"].strip(), q["id"]
        assert set(q["charger_state"]) == STATE_KEYS, q["id"]
        assert q["tags"], q["id"]
        state = q["charger_state"]
        if state["vendor"]:
            model = find_model(state["vendor"], state["model"])
            assert model is not None, q["id"]
            assert state["ocpp_version"] in model.ocpp_versions, q["id"]
            if state["vendor_error_code"]:
                assert state["vendor_error_code"] in vendor_error_codes(model).values(), q["id"]


def test_expected_targets_exist() -> None:
    procedure_ids = {p.stem for p in (KB / "procedures").glob("*.yaml")}
    tickets = _tickets()
    for q in _queries():
        expected = q["expected"]
        assert expected["procedure"] in procedure_ids, q["id"]
        if expected.get("manual"):
            file, _, section = expected["manual"].partition("#")
            text = (KB / file).read_text(encoding="utf-8")
            assert re.search(rf"^#+ {re.escape(section)}$", text, flags=re.M), q["id"]
        if expected.get("ticket"):
            ticket = tickets[expected["ticket"]]
            # regenerating the tickets renumbers them: the reference must still be on topic
            state = q["charger_state"]
            assert ticket["vendor"] == state["vendor"], q["id"]
            assert ticket["vendor_error_code"] == state["vendor_error_code"], q["id"]


def test_eval_set_has_the_hard_cases() -> None:
    tags = Counter(tag for q in _queries() for tag in q["tags"])
    for tag in ("vendor_code_only", "symptom_only", "two_faults", "other_vendor_words", "misspelt"):
        assert tags[tag] >= 4, tag
    procedures = {q["expected"]["procedure"] for q in _queries()}
    assert len(procedures) >= 30
