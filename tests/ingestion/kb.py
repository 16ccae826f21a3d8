"""A small knowledge base written into a temp dir, for ingestion and retrieval tests."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

MANUAL_MD = """---
title: Voltara WB-22 service manual
vendor: Voltara
model: WB-22
doc_type: service_manual
language: en
---
# Voltara WB-22 service manual

## Ground fault (E-101)
The RDC-DD module trips when DC leakage above 6 mA is detected. The LED blinks red twice.
Ask the driver to try another car, then reset the RDC-DD module from the backend.

## Connector lock (E-310)
The lock actuator fails to engage. Inspect the socket shutter for debris and grit.
"""

MANUAL_HTML = """<html><head><title>Kestrel KX-300 bulletin</title>
<meta name="vendor" content="Kestrel EV"><meta name="model" content="KX-300"></head>
<body><h1>Service bulletin 7</h1><p>Coolant pump noise on early units.</p>
<h2>Coolant temperature</h2><p>K7-TH-401 is raised when the coolant loop exceeds 60 C.
Check the pump fuse F7 and the coolant level.</p><script>var x = 1;</script></body></html>
"""

MANUAL_TXT = """Northwind Duo service note 17
The meter of connector 2 stops answering after a firmware update (NW-0x61).
Power-cycle the meter bus, then update to 2.11.1.
"""

TICKET_ROWS = [
    ("ticket_id", "created_at", "charger_id", "vendor", "model", "error_code",
     "vendor_error_code", "symptom", "diagnosis", "resolution", "outcome"),
    ("T-1001", "2024-01-02", "SITE-001-AC-01", "Voltara", "WB-22", "GroundFailure", "E-101",
     "Charger trips at start of session", "Faulty onboard charger in the car",
     "Advised driver; charger OK", "vehicle_side"),
    ("T-1002", "2024-01-05", "SITE-002-DC-01", "Helion Power", "HX-150", "HighTemperature",
     "HX-1502", "Derating in summer afternoon", "Clogged air filter", "Replaced air filter",
     "resolved_onsite"),
    ("T-1003", "2024-02-11", "SITE-003-AC-02", "Northwind Charging", "Duo AC Post", "",
     "NW-0x11", "Socket 1 dead after rain", "Water in socket housing tripped the RCD",
     "Dried housing and replaced gasket", "resolved_onsite"),
]  # fmt: skip
TICKETS_CSV = "".join(",".join(row) + "\n" for row in TICKET_ROWS)


PROCEDURE_YAML = """id: PROC-GROUND-FAULT
title: Ground fault / RCD trip
version: 1
status: published
summary: Find out whether the car or the charger leaks current.
applies_to:
  vendors: [Voltara, Helion Power]
  error_codes: [GroundFailure]
  vendor_error_codes: [E-101, HX-1104]
  connector_statuses: [Faulted]
  symptoms: ["RCD tripped", "charging stops immediately"]
nodes:
  - id: start
    type: question
    question: Does the fault happen with every car?
    options:
      - label: "Yes, every car"
        next: inspect
  - id: inspect
    type: action
    text: Inspect the cable for damage and measure the insulation resistance.
"""

PROCEDURE_LOCK_YAML = """id: PROC-CABLE-STUCK
title: Cable stuck in the socket
version: 1
status: published
summary: Release a cable the lock does not let go.
applies_to:
  error_codes: [ConnectorLockFailure]
  vendor_error_codes: [E-310, NW-0x31]
nodes:
  - id: unlock
    type: command
    title: Send UnlockConnector
    text: Send a remote unlock, then ask the driver to pull the cable.
"""


def make_pdf(path: Path, pages: list[str], password: str | None = None) -> Path:
    pdf = FPDF()
    pdf.set_font("helvetica", size=11)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 6, text)
    if password:
        pdf.set_encryption(owner_password=password, user_password=password)
    pdf.output(str(path))
    return path


def write_kb(root: Path) -> Path:
    """manuals (md, html, txt + sidecar, pdf + sidecar), tickets.csv, two procedures."""
    (root / "manuals").mkdir(parents=True)
    (root / "tickets").mkdir()
    (root / "procedures").mkdir()
    (root / "manuals" / "wb22.md").write_text(MANUAL_MD)
    (root / "manuals" / "kx300-bulletin.html").write_text(MANUAL_HTML)
    (root / "manuals" / "duo-note-17.txt").write_text(MANUAL_TXT)
    (root / "manuals" / "duo-note-17.meta.yaml").write_text(
        "vendor: Northwind Charging\nmodel: Duo AC Post\ndoc_type: service_note\n"
    )
    make_pdf(
        root / "manuals" / "hx150.pdf",
        [
            "Helion HX-150 installation\nMount the cabinet on a concrete plinth.",
            "Insulation monitoring\nHX-1104 means the IMD measured low insulation on the DC "
            "output. Check the CCS2 cable for cuts.",
        ],
    )
    (root / "manuals" / "hx150.meta.yaml").write_text(
        "title: Helion HX-150 manual\nvendor: Helion Power\nmodel: HX-150\n"
    )
    (root / "tickets" / "tickets.csv").write_text(TICKETS_CSV)
    (root / "procedures" / "ground_fault.yaml").write_text(PROCEDURE_YAML)
    (root / "procedures" / "cable_stuck.yaml").write_text(PROCEDURE_LOCK_YAML)
    return root
