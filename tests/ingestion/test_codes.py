from __future__ import annotations

import pytest

from app.fault_codes.text import code_forms, extract_codes, normalize_error_code, search_terms
from ingestion.tokenize import tokenize


@pytest.mark.parametrize(
    "raw",
    [
        "GroundFailure",
        "groundfailure",
        "ground fault",
        "Earth leakage",
        "RCD trip",
        "E-101",
        "e101",
        "E 101",
        "HX-1104",
        "hx1104",
        "K7-PW-101",
        "NW-0x11",
        "nw-0X11",
        "ground_fault",
    ],
)
def test_ground_fault_spellings_normalise_to_one_fault(raw: str) -> None:
    code = normalize_error_code(raw)
    assert code is not None
    assert code.ocpp_code == "GroundFailure"
    assert code.fault_key == "ground_fault"


def test_vendor_code_keeps_its_vendor_and_canonical_spelling() -> None:
    code = normalize_error_code("e101")
    assert code is not None
    assert code.vendor_codes == ("E-101",)
    assert code.vendor == "Voltara"
    assert code.recognized_as == "vendor_code"


def test_ocpp_code_gives_vendor_codes_narrowed_by_vendor() -> None:
    every = normalize_error_code("GroundFailure")
    assert every is not None and set(every.vendor_codes) == {
        "E-101",
        "NW-0x11",
        "HX-1104",
        "K7-PW-101",
    }
    helion = normalize_error_code("GroundFailure", vendor="helion power")
    assert helion is not None and helion.vendor_codes == ("HX-1104",)


def test_ambiguous_ocpp_code_has_no_fault_key() -> None:
    code = normalize_error_code("InternalError")
    assert code is not None and code.ocpp_code == "InternalError" and code.fault_key is None


@pytest.mark.parametrize("raw", [None, "", "  ", "NoError", "blue smoke", "X-999"])
def test_unknown_or_empty_is_none(raw: str | None) -> None:
    assert normalize_error_code(raw) is None


def test_extract_codes_from_free_text() -> None:
    found = extract_codes("Display shows E-310; also saw a HighTemperature and the rcd tripped.")
    assert found.vendor_codes == ["E-310"]
    assert found.ocpp_codes == ["ConnectorLockFailure", "GroundFailure", "HighTemperature"]
    assert found.fault_keys == ["connector_lock_failure", "ground_fault", "over_temperature"]


def test_extract_codes_does_not_match_inside_words_or_model_names() -> None:
    found = extract_codes("The WB-22 and HX-150 and KX-300 models; code E-1010 is unknown.")
    assert found.vendor_codes == [] and found.ocpp_codes == []


def test_search_terms_for_a_code() -> None:
    code = normalize_error_code("HX-1502")
    assert code is not None
    assert search_terms(code) == ["HighTemperature", "HX-1502", "over temperature"]


def test_tokenizer_keeps_codes_whole() -> None:
    tokens = tokenize("Error E-101, NW-0x11, HX-1104 and K7-PW-101: re-seat the plug")
    for code in ("e-101", "nw-0x11", "hx-1104", "k7-pw-101"):
        assert code in tokens
    assert "101" not in tokens and "e" not in tokens
    assert {"re-seat", "seat", "plug", "error"} <= set(tokens)


def test_tokenizer_folds_simple_inflections() -> None:
    assert tokenize("tripped")[0] == tokenize("tripping")[0] == "trip"
    assert tokenize("chargers") == tokenize("charger")


@pytest.mark.parametrize(
    ("typed", "form"),
    [("F.214", "f214"), ("f214", "f214"), ("f 214", "f214"), ("F-214", "f214"), ("q 12", "q12")],
)
def test_codes_of_an_unknown_vendor_match_however_typed(typed: str, form: str) -> None:
    # F.214 / Q12 are in no catalogue table: the keyword tokens still agree on one form.
    assert form in tokenize(f"message {typed} shown")
    assert form in tokenize("F.214 Coolant level low" if form == "f214" else "Q12 No ground")


def test_words_and_numbers_are_not_codes() -> None:
    assert code_forms("up to 1000 V at 40 C, rev. 4, page 3 of 7") == []
