"""The fault-code catalogue: shipped files load, bad files say where, classify's precedence."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.fault_codes import (
    DEFAULT_FOLDER,
    CatalogueError,
    load_catalogue,
    normalise_ocpp16,
    normalize_error_code,
)
from app.fault_codes.schema import OCPP16_CODES

CHARGEX_NS = "https://chargex.inl.gov"


@pytest.fixture(scope="module")
def cat():
    return load_catalogue()


# -- shipped files ---------------------------------------------------------------------------
def test_shipped_catalogue_loads(cat) -> None:
    assert {"ground_fault", "welded_contactor", "emergency_stop", "insulation_fault"} <= set(
        cat.faults
    )
    assert set(cat.ocpp16) == set(OCPP16_CODES)
    assert {"voltara", "northwind charging", "helion power", "kestrel ev"} == set(cat.vendors)
    assert "CX002" in cat.chargex and cat.chargex_namespace == CHARGEX_NS
    assert load_catalogue() is cat  # cached
    assert load_catalogue(DEFAULT_FOLDER.parent) is cat  # the knowledge-base folder works too


def test_every_referenced_procedure_exists(cat) -> None:
    procedures = {
        line.split(":", 1)[1].strip()
        for path in (DEFAULT_FOLDER.parent / "procedures").glob("*.yaml")
        for line in path.read_text(encoding="utf-8").splitlines()[:5]
        if line.startswith("id:")
    }
    assert {f.procedure for f in cat.faults.values() if f.procedure} <= procedures


@pytest.mark.parametrize(
    "key",
    [
        "ground_fault",
        "welded_contactor",
        "emergency_stop",
        "insulation_fault",
        "cable_damage",
        "cable_over_temperature",
        "over_voltage",
    ],
)
def test_safety_faults_are_never_reset(cat, key: str) -> None:
    assert cat.faults[key].safety_class == "never_reset"


# -- classify: precedence ----------------------------------------------------------------------
def test_chargex_code_on_16_status_notification_with_other_error(cat) -> None:
    c = cat.classify(
        ocpp_version="1.6",
        error_code="OtherError",
        vendor_id=CHARGEX_NS,
        vendor_error_code="CX008",
        vendor="Voltara",
        model="WB-22",
    )
    assert c.known and c.entry_id == "chargex:CX008" and c.standard_code == "CX008"
    assert c.fault_key == "emergency_stop" and c.safety_class == "never_reset"
    assert c.ocpp16_code == "OtherError" and not c.reset_allowed


def test_chargex_code_with_specific_16_code_and_any_vendor_id(cat) -> None:
    c = cat.classify(error_code="GroundFailure", vendor_id="com.example", vendor_error_code="cx002")
    assert c.entry_id == "chargex:CX002" and c.fault_key == "ground_fault"
    assert c.ocpp16_code == "GroundFailure" and c.safety_class == "never_reset"


def test_chargex_code_on_201_notify_event(cat) -> None:
    c = cat.classify(ocpp_version="2.0.1", component="EVSE", variable="Problem", tech_code="CX017")
    assert c.known and c.entry_id == "chargex:CX017" and c.fault_key == "welded_contactor"
    assert c.safety_class == "never_reset"


def test_chargex_beats_a_vendor_code(cat) -> None:
    c = cat.classify(vendor="Voltara", vendor_error_code="CX004", tech_code="E-101")
    assert c.entry_id == "chargex:CX004"


def test_vendor_code_by_vendor_and_model(cat) -> None:
    c = cat.classify(
        error_code="OtherError", vendor="Voltara", model="WB-22", vendor_error_code="E-101"
    )
    assert c.known and c.entry_id == "vendor:Voltara:E-101"
    assert c.fault_key == "ground_fault" and c.ocpp16_code == "GroundFailure"
    assert c.procedure == "ground-fault-rcd-trip" and c.responsible == "operator"


def test_vendor_code_unique_across_vendors_without_vendor(cat) -> None:
    c = cat.classify(vendor_error_code="hx1502")
    assert c.entry_id == "vendor:Helion Power:HX-1502" and c.fault_key == "over_temperature"


def test_vendor_code_of_another_vendor_is_not_used(cat) -> None:
    c = cat.classify(vendor="Voltara", model="WB-22", vendor_error_code="HX-1502")
    assert not c.known and c.fault_key is None


def test_vendor_code_beats_201_component(cat) -> None:
    c = cat.classify(
        vendor="Kestrel EV", component="RCD", variable="Tripped", tech_code="K7-PW-110"
    )
    assert c.entry_id == "vendor:Kestrel EV:K7-PW-110" and c.fault_key == "welded_contactor"


def test_201_component_variable(cat) -> None:
    c = cat.classify(ocpp_version="2.0.1", component="RCD", variable="Tripped")
    assert c.known and c.entry_id == "ocpp201:RCD.Tripped" and c.fault_key == "ground_fault"
    assert c.safety_class == "never_reset" and c.ocpp16_code == "GroundFailure"


def test_201_over_and_under_voltage_are_different_faults(cat) -> None:
    over = cat.classify(component="ElectricalFeed", variable="ACVoltage", direction="over")
    under = cat.classify(component="ElectricalFeed", variable="ACVoltage", direction="under")
    unsure = cat.classify(component="ElectricalFeed", variable="ACVoltage")
    assert (over.fault_key, under.fault_key) == ("over_voltage", "under_voltage")
    assert over.safety_class == "never_reset" and under.safety_class == "outside_charger"
    assert not unsure.known and unsure.safety_class == "never_reset"


def test_201_token_reader_enabled_is_not_a_fault(cat) -> None:
    assert cat.ocpp201_entry("TokenReader", "Enabled") is None
    c = cat.classify(component="TokenReader", variable="Enabled")
    assert not c.known and c.entry_id is None and c.fault_key is None
    assert cat.classify(component="TokenReader", variable="Problem").fault_key == (
        "rfid_reader_failure"
    )


def test_201_beats_16(cat) -> None:
    c = cat.classify(error_code="HighTemperature", component="RCD", variable="Tripped")
    assert c.entry_id == "ocpp201:RCD.Tripped" and c.ocpp16_code == "HighTemperature"


def test_generic_201_problem_falls_back_to_the_16_code(cat) -> None:
    c = cat.classify(error_code="PowerSwitchFailure", component="EVSE", variable="Problem")
    assert c.entry_id == "ocpp16:PowerSwitchFailure" and c.fault_key == "welded_contactor"


def test_16_code_alone(cat) -> None:
    c = cat.classify(error_code="GroundFailure")
    assert c.known and c.entry_id == "ocpp16:GroundFailure" and c.safety_class == "never_reset"


# -- classify: unknown --------------------------------------------------------------------------
def test_unknown_vendor_code_is_not_known(cat) -> None:
    c = cat.classify(error_code="OtherError", vendor="Voltara", vendor_error_code="E-999")
    assert not c.known and c.entry_id is None and c.fault_key is None
    assert c.safety_class is None and c.ocpp16_code == "OtherError" and not c.reset_allowed


def test_unknown_vendor_code_keeps_the_safety_of_a_specific_16_code(cat) -> None:
    c = cat.classify(error_code="GroundFailure", vendor_error_code="X-999")
    assert not c.known and c.fault_key is None
    assert c.safety_class == "never_reset" and c.ocpp16_code == "GroundFailure"


def test_unknown_chargex_code_keeps_its_standard_code(cat) -> None:
    c = cat.classify(vendor_id=CHARGEX_NS, vendor_error_code="CX099")
    assert not c.known and c.standard_code == "CX099"


def test_out_of_enum_16_code_is_other_error(cat) -> None:
    c = cat.classify(error_code="Error")
    assert not c.known and c.ocpp16_code == "OtherError"
    assert cat.classify().ocpp16_code == "NoError"


@pytest.mark.parametrize(
    "raw,expected",
    [
        (None, "NoError"),
        ("", "NoError"),
        ("Error", "OtherError"),
        ("GroundFailure", "GroundFailure"),
    ],
)
def test_normalise_ocpp16(raw, expected) -> None:
    assert normalise_ocpp16(raw) == expected


def test_simulator_vendor_code_comes_from_the_catalogue(cat) -> None:
    assert cat.vendor_code("Helion Power", "ground_fault") == "HX-1104"
    assert cat.vendor_code("Nobody", "ground_fault") is None


def test_peripheral_restart_by_vendor_model_and_protocol(cat) -> None:
    terminal = cat.peripheral_restart("Helion Power", "HX-150", "payment_terminal_failure")
    assert terminal is not None and terminal.value == "true"
    assert terminal.key_for("1.6") == "HX_TerminalRestart"
    assert terminal.key_for("2.0.1") == "HelionCtrlr.HX_TerminalRestart"
    reader = cat.peripheral_restart("kestrel ev", "KX-300", "rfid_reader_failure")
    assert reader is not None and (reader.key_for("2.0.1"), reader.value) == (
        "KestrelCtrlr.PeripheralRestart",
        "Reader",
    )
    assert reader.key_for("1.6") is None  # the KX-300 speaks 2.0.1 only
    assert cat.peripheral_restart("Helion Power", "HX-150", "rfid_reader_failure") is None
    assert cat.peripheral_restart("Voltara", "WB-22", "rfid_reader_failure") is None
    assert cat.peripheral_restart(None, "KX-300", "payment_terminal_failure") is not None


def test_restart_setting_is_the_key_and_value_for_the_protocol(cat) -> None:
    fault = "payment_terminal_failure"
    assert cat.restart_setting("Helion Power", "HX-150", fault, "1.6") == (
        "HX_TerminalRestart",
        "true",
    )
    assert cat.restart_setting("Helion Power", "HX-150", fault, "2.0.1") == (
        "HelionCtrlr.HX_TerminalRestart",
        "true",
    )
    assert cat.restart_setting("Kestrel EV", "KX-300", "rfid_reader_failure", "2.0.1") == (
        "KestrelCtrlr.PeripheralRestart",
        "Reader",
    )
    assert cat.restart_setting("Kestrel EV", "KX-300", "rfid_reader_failure", "1.6") is None
    assert cat.restart_setting("Voltara", "WB-22", fault, "1.6") is None
    assert cat.restart_setting("Helion Power", "HX-150", None, "1.6") is None


def test_text_normaliser_knows_chargex_codes() -> None:
    code = normalize_error_code("CX-002")
    assert code is not None and code.fault_key == "ground_fault"
    assert code.recognized_as == "standard_code" and code.vendor_codes == ("CX002",)


# -- the package is a leaf ----------------------------------------------------------------------
def test_fault_codes_imports_nothing_else_from_app_or_ingestion() -> None:
    package = Path(__file__).resolve().parents[2] / "app" / "fault_codes"
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                assert top not in ("ingestion",), (path.name, name)
                assert top != "app" or name.startswith("app.fault_codes"), (path.name, name)
    code = (
        "import sys, app.fault_codes as f; f.load_catalogue(); "
        "print(sorted(m for m in sys.modules if (m.startswith('app.') and not "
        "m.startswith('app.fault_codes')) or m.split('.')[0] == 'ingestion'))"
    )
    root = str(package.parents[1])
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=root,
        env={"PYTHONPATH": root, "PATH": ""},
    )
    assert out.stdout.strip() == "[]", out.stdout


# -- malformed files ----------------------------------------------------------------------------
@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "fault_codes"
    shutil.copytree(DEFAULT_FOLDER, target)
    return target


def _error(folder: Path) -> CatalogueError:
    with pytest.raises(CatalogueError) as info:
        load_catalogue(folder, reload=True)
    return info.value


def _line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_unknown_field_names_file_line_and_entry(folder: Path) -> None:
    path = folder / "vendors" / "voltara.yaml"
    path.write_text(
        path.read_text().replace("fault: ground_fault", "fault: ground_fault\n    colour: red")
    )
    err = _error(folder)
    issue = err.issues[0]
    assert issue.file.endswith("voltara.yaml") and issue.entry == "'E-101'"
    assert issue.line == _line_of(path, "colour: red") and "colour" in issue.message
    assert f"voltara.yaml:{issue.line}: entry 'E-101':" in str(err)


def test_bad_safety_class(folder: Path) -> None:
    path = folder / "faults.yaml"
    text = path.read_text()
    start = text.index("  - key: welded_contactor")
    path.write_text(text[:start] + text[start:].replace("never_reset", "sometimes", 1))
    issue = _error(folder).issues[0]
    assert issue.entry == "'welded_contactor'" and "safety_class" in issue.message
    assert issue.line == _line_of(path, "safety_class: sometimes")


def test_duplicate_code(folder: Path) -> None:
    path = folder / "chargex.yaml"
    path.write_text(path.read_text().replace("code: CX003", "code: CX002"))
    issue = _error(folder).issues[0]
    assert issue.entry == "'CX002'" and "duplicate code" in issue.message
    assert issue.line == _line_of(path, "name: HighTemperature") - 1


def test_a_bad_peripheral_restart_is_named_with_file_and_line(folder: Path) -> None:
    path = folder / "vendors" / "kestrel-ev.yaml"
    text = path.read_text()
    path.write_text(text.replace("value: Reader", "value: Reader\n    models: [KX-900]"))
    issue = _error(folder).issues[0]
    assert issue.entry == "'rfid_reader_failure'" and "KX-900" in issue.message
    assert issue.line == _line_of(path, "value: Reader") - 2
    path.write_text(
        text.replace(
            "    key201: KestrelCtrlr.PeripheralRestart\n    value: Reader", "    value: Reader"
        )
    )
    issue = _error(folder).issues[0]
    assert issue.file.endswith("kestrel-ev.yaml") and "key16" in issue.message
    path.write_text(text.replace("fault: rfid_reader_failure\n", "fault: rfid_reader_fail\n"))
    assert "unknown fault key 'rfid_reader_fail'" in str(_error(folder))


def test_duplicate_vendor_code_spelled_differently(folder: Path) -> None:
    path = folder / "vendors" / "helion-power.yaml"
    path.write_text(path.read_text().replace("code: HX-3007", "code: hx 3001"))
    issue = _error(folder).issues[0]
    assert "duplicate code" in issue.message and issue.line == _line_of(path, "hx 3001")


def test_unknown_fault_key_reference(folder: Path) -> None:
    path = folder / "ocpp201.yaml"
    path.write_text(path.read_text().replace("fault: emergency_stop", "fault: big_red_button"))
    issue = _error(folder).issues[0]
    assert issue.file.endswith("ocpp201.yaml") and issue.entry == "'EmergencyStopSensor.Tripped'"
    assert "big_red_button" in issue.message
    assert issue.line == _line_of(path, "component: EmergencyStopSensor")


def test_unknown_procedure_reference(folder: Path, tmp_path: Path) -> None:
    (tmp_path / "procedures").mkdir()
    (tmp_path / "procedures" / "one.yaml").write_text("id: ground-fault-rcd-trip\n")
    issues = _error(folder).issues
    assert any("unknown procedure 'welded-contactor'" in i.message for i in issues)


def test_yaml_syntax_error_has_a_line(folder: Path) -> None:
    path = folder / "ocpp16.yaml"
    path.write_text(path.read_text() + "  - code: [unclosed\n")
    issue = _error(folder).issues[0]
    assert issue.file.endswith("ocpp16.yaml") and issue.line is not None
