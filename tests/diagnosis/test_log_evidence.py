"""Reading an uploaded diagnostics log for a vendor's hardware log message (unit tests)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from app.diagnosis.log_evidence import (
    MAX_READ_BYTES,
    LogTableError,
    find_hardware_evidence,
    load_log_tables,
    read_log_text,
    shipped_tables,
)
from app.simulator.evidence import PHRASES

TABLES = shipped_tables()
HELION_PM = "2026-11-30T08:00:00Z PM2 fault: DC output undervoltage, module disabled"
KESTREL_PM = "2026-11-30T08:00:00Z PowerUnit[1] state=FAILED code 0x31"
HEAD = "# diagnostics SITE-001-DC-01\nvendor=Helion Power model=HX-150 firmware=HX 5.2.7\n"


def test_a_hardware_line_is_found_with_its_part() -> None:
    text = HEAD + "# recent log\nconnected\n" + HELION_PM + "\nBootNotification Accepted\n"
    found = find_hardware_evidence(text, "Helion Power", "firmware_hang", TABLES)
    assert found is not None
    assert found.part == "power module"
    assert found.line == HELION_PM
    other = find_hardware_evidence(KESTREL_PM, "kestrel ev", "firmware_hang", TABLES)
    assert other is not None and other.part == "power unit"  # vendor matched in any case


def test_a_firmware_line_is_no_evidence() -> None:
    for vendor in ("Voltara", "Helion Power", "Kestrel EV"):
        for kind in ("app_watchdog", "process_restart", "ocp_trip", "modbus_timeout"):
            line = PHRASES[vendor][kind].format(n=1, c=1)
            for fault in ("firmware_hang", "stuck_process", "over_current", "power_meter_failure"):
                assert find_hardware_evidence(line, vendor, fault, TABLES) is None, line


def test_only_markers_for_the_fault_at_hand_count() -> None:
    # a dead meter does not explain a watchdog timeout
    meter = "DCM1 fault: DC meter no response, meter failed"
    assert find_hardware_evidence(meter, "Helion Power", "power_meter_failure", TABLES)
    assert find_hardware_evidence(meter, "Helion Power", "firmware_hang", TABLES) is None
    assert find_hardware_evidence(HELION_PM, "Helion Power", None, TABLES) is None


def test_the_held_out_vendors_wording_is_not_known() -> None:
    assert "northwind charging" not in TABLES
    for kind in ("power_module", "control_board", "rfid_reader", "energy_meter"):
        line = PHRASES["Northwind Charging"][kind].format(n=1, c=1)
        for fault in ("firmware_hang", "stuck_process", "rfid_reader_failure"):
            assert find_hardware_evidence(line, "Northwind Charging", fault, TABLES) is None
    # another vendor's line on a Northwind charger is not read either
    assert find_hardware_evidence(HELION_PM, "Northwind Charging", "firmware_hang", TABLES) is None


def test_a_huge_log_is_read_in_bounded_size(tmp_path: Path) -> None:
    path = tmp_path / "huge.log"
    filler = b"x" * 1023 + b"\n"
    with path.open("wb") as fh:
        fh.write(b"head\n")
        for _ in range(20 * 1024):  # 20 MiB
            fh.write(filler)
        fh.write(HELION_PM.encode() + b"\n")  # in the tail: read
    started = time.perf_counter()
    text = read_log_text(path)
    assert len(text.encode()) <= MAX_READ_BYTES + 8
    assert text.startswith("head")
    assert find_hardware_evidence(text, "Helion Power", "firmware_hang", TABLES)
    assert time.perf_counter() - started < 2.0
    # a marker buried in the middle of a huge file is beyond what is read
    middle = tmp_path / "middle.log"
    with middle.open("wb") as fh:
        for _ in range(10 * 1024):
            fh.write(filler)
        fh.write(HELION_PM.encode() + b"\n")
        for _ in range(10 * 1024):
            fh.write(filler)
    assert (
        find_hardware_evidence(read_log_text(middle), "Helion Power", "firmware_hang", TABLES)
        is None
    )


def test_a_binary_log_matches_nothing_and_raises_nothing(tmp_path: Path) -> None:
    path = tmp_path / "core.bin"
    path.write_bytes(bytes(range(256)) * 4096 + b"\x00PM2 fault\xff\xfe")
    text = read_log_text(path)
    assert find_hardware_evidence(text, "Helion Power", "firmware_hang", TABLES) is None
    # a long line is cut, not matched beyond its bound
    long_line = "y" * 10_000 + " PM2 fault: DC output undervoltage"
    assert find_hardware_evidence(long_line, "Helion Power", "firmware_hang", TABLES) is None


TABLE = """vendor: Acme
source: test
markers:
  - pattern: 'PSU fault'
    part: power supply
    faults: [firmware_hang]
"""


@pytest.mark.parametrize(
    ("bad", "where", "what"),
    [
        (TABLE.replace("'PSU fault'", "'PSU (fault'"), ":4:", "not a regular expression"),
        (TABLE.replace("    part: power supply\n", ""), ":4:", "part"),
        (TABLE.replace("[firmware_hang]", "[no_such_fault]"), ":6:", "no_such_fault"),
        (TABLE + "  - pattern: 'x'\n    part: y\n    faults: [firmware_hang]\n", ":7:", "pattern"),
        (TABLE.replace("source: test\n", "source: test\ncolour: red\n"), ":3:", "colour"),
    ],
)
def test_a_bad_entry_names_file_and_line(tmp_path: Path, bad: str, where: str, what: str) -> None:
    (tmp_path / "acme.yaml").write_text(bad)
    with pytest.raises(LogTableError) as err:
        load_log_tables(tmp_path, frozenset({"firmware_hang"}))
    message = str(err.value)
    assert "acme.yaml" + where in message and what in message, message


def test_the_shipped_tables_load_and_know_every_vendor_but_the_held_out_one() -> None:
    assert set(TABLES) == {"voltara", "helion power", "kestrel ev"}
    assert set(load_log_tables()) == set(TABLES)  # without the fault-key check as well


def test_a_broken_table_is_reported_and_diagnosis_runs_without_log_evidence(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from app.diagnosis.service import _log_tables

    (tmp_path / "acme.yaml").write_text(TABLE.replace("[firmware_hang]", "[no_such_fault]"))
    with caplog.at_level("ERROR"):
        assert _log_tables(tmp_path) == {}
    assert "acme.yaml:6" in caplog.text and "no_such_fault" in caplog.text
    assert set(_log_tables(Path("knowledge_base/log_messages"))) == set(TABLES)
