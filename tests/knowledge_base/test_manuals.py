"""The sample manuals: one per catalogue model, complete code tables, a real multi-page PDF."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

from app.simulator.models import CHARGER_MODELS, ChargerModel, vendor_error_codes

KB = Path(__file__).resolve().parents[2] / "knowledge_base"
MANUALS = KB / "manuals"
PDF = MANUALS / "voltara-wb-22.pdf"
REQUIRED_SECTIONS = [
    "Overview and ratings",
    "Safety and qualifications",
    "Installation",
    "LED and display codes",
    "Vendor error code table",
    "Reset and power-cycle instructions",
    "Maintenance",
    "Spare parts",
    "OCPP configuration keys",
]


def manual_path(model: ChargerModel) -> Path:
    slug = re.sub(r"[^a-z0-9]+", "-", f"{model.vendor} {model.model}".lower()).strip("-")
    return MANUALS / f"{slug}.md"


def split(path: Path) -> tuple[dict, str]:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n"), path
    end = text.index("\n---\n", 4)
    return yaml.safe_load(text[4:end]), text[end + 5 :]


@pytest.mark.parametrize("model", CHARGER_MODELS, ids=[m.key for m in CHARGER_MODELS])
def test_manual_per_model_is_complete(model: ChargerModel) -> None:
    path = manual_path(model)
    assert path.exists(), f"missing manual {path.name}"
    meta, body = split(path)
    assert meta["vendor"] == model.vendor and meta["model"] == model.model
    assert meta["doc_type"] == "service_manual" and meta["language"] == "en"
    assert meta["title"] and meta["firmware"] == model.firmware
    assert "fictional sample content" in (meta["notice"] + body[:600]).lower()
    headings = re.findall(r"^## (.+)$", body, flags=re.M)
    for section in REQUIRED_SECTIONS:
        assert section in headings, f"{path.name}: missing section {section!r}"
    table = body.split("## Vendor error code table", 1)[1].split("\n## ", 1)[0]
    for key, code in vendor_error_codes(model).items():
        assert f"| {code} |" in table, f"{path.name}: {code} ({key}) missing from the code table"
    words = len(body.split())
    assert 1500 <= words <= 3000, f"{path.name}: {words} words"
    assert "lockout" in body.lower()


def test_pdf_has_pages_and_extractable_text() -> None:
    reader = PdfReader(PDF)
    assert len(reader.pages) >= 3
    text = "\n".join(page.extract_text() for page in reader.pages)
    for needle in ("Voltara WB-22", "E-310", "Lockout/tagout", "VT-SP-0120", "Fictional sample"):
        assert needle in text, needle
    meta = yaml.safe_load((MANUALS / "voltara-wb-22.meta.yaml").read_text(encoding="utf-8"))
    assert meta["vendor"] == "Voltara" and meta["model"] == "WB-22"
    assert meta["doc_type"] == "service_manual" and meta["language"] == "en"


def test_pdf_renderer_is_deterministic_and_matches_the_checked_in_pdf() -> None:
    spec = importlib.util.spec_from_file_location(
        "make_manual_pdf", KB / "tools" / "make_manual_pdf.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while executing
    spec.loader.exec_module(module)
    markdown = (MANUALS / "voltara-wb-22.md").read_text(encoding="utf-8")
    first, _ = module.render(markdown)
    second, sidecar = module.render(markdown)
    assert first == second
    assert first == PDF.read_bytes(), "voltara-wb-22.pdf is stale: run make_manual_pdf.py"
    assert sidecar["vendor"] == "Voltara"


def test_other_formats_are_labelled_and_name_their_model() -> None:
    html = (MANUALS / "helion-power-hx-150-bulletin-2026-02.html").read_text(encoding="utf-8")
    note = (MANUALS / "northwind-charging-duo-ac-post-service-note-17.txt").read_text(
        encoding="utf-8"
    )
    for text in (html, note):
        assert "Fictional sample content" in text
    assert "HX-3099" in html and "NW-0x31" in note
