"""Render the held-out evaluation PDF manual (fpdf2): running header, page footer, numbered
chapters that run on across pages, sub-headings and tables whose header row repeats on each
page. The layout is deliberately unlike the sample PDF (``make_manual_pdf.py``), so retrieval
is measured on a manual the pipeline was not built around.

Deterministic: fixed creation date, so the same Markdown gives the same bytes.

    .venv/bin/python knowledge_base/tools/make_heldout_pdf.py
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

import yaml
from fpdf import FPDF
from fpdf.fonts import FontFace

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_manual_pdf import _table_rows, latin1, plain, split_front_matter

ROOT = Path(__file__).resolve().parents[2]
HELDOUT = ROOT / "knowledge_base" / "eval" / "heldout"
DEFAULT_SOURCE = HELDOUT / "source" / "aurland-power-ap-q180.md"
DEFAULT_OUT = HELDOUT / "manuals" / "aurland-power-ap-q180.pdf"
FIXED_DATE = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
SIDECAR_KEYS = ("title", "vendor", "model", "doc_type", "language", "firmware", "revision")
NOTICE = "Fictional held-out evaluation content for ChargeFix. Not a real product manual."


class HandbookPDF(FPDF):
    """A4, running header with vendor, title and document number on every page, footer with
    the document number and "Page n of N"."""

    def __init__(self, running_header: str, document: str) -> None:
        super().__init__(format="A4")
        self.running_header = running_header
        self.document = document
        self.set_auto_page_break(auto=True, margin=20)
        self.set_margins(20, 22, 20)

    def header(self) -> None:
        self.set_y(8)
        self.set_font("Helvetica", "", 8)
        self.cell(0, 5, latin1(self.running_header), align="L")
        self.set_draw_color(120, 120, 120)
        self.line(20, 14, self.w - 20, 14)
        self.set_y(22)

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font("Helvetica", "", 8)
        self.cell(0, 5, latin1(self.document), align="L")
        self.set_x(20)
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")


def render(markdown: str) -> tuple[bytes, dict]:
    meta, body = split_front_matter(markdown)
    title = str(meta.get("title", "Service handbook"))
    document = f"{meta.get('document', '')} rev. {str(meta.get('revision', '')).split()[0]}"
    running = f"{meta.get('vendor', '')} | {title} | {document}"
    pdf = HandbookPDF(running, document)
    pdf.set_title(latin1(title))
    pdf.set_author(latin1(str(meta.get("vendor", ""))))
    pdf.set_subject(latin1(NOTICE))
    pdf.set_creator("ChargeFix knowledge_base/tools/make_heldout_pdf.py")
    pdf.set_creation_date(FIXED_DATE)
    pdf.alias_nb_pages()
    pdf.add_page()

    lines = body.splitlines()
    i = 0
    while i < len(lines):
        stripped = lines[i].strip()
        if not stripped:
            i += 1
            continue
        heading = re.match(r"^(#{1,3})\s+(.*)$", stripped)
        if heading:
            level = len(heading.group(1))
            size, height = {1: (20, 10), 2: (14, 8), 3: (11, 6)}[level]
            if pdf.get_y() > pdf.h - 45:  # keep a heading with the first lines after it
                pdf.add_page()
            pdf.ln(4 if level > 1 else 0)
            pdf.set_font("Helvetica", "B", size)
            pdf.multi_cell(0, height, plain(heading.group(2)), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
            i += 1
            continue
        if stripped.startswith("|"):
            block = []
            while i < len(lines) and lines[i].strip().startswith("|"):
                block.append(lines[i])
                i += 1
            rows = _table_rows(block)
            columns = max(len(r) for r in rows)
            pdf.set_font("Helvetica", "", 8.5)
            with pdf.table(
                text_align="LEFT",
                line_height=4.4,
                headings_style=FontFace(emphasis="BOLD", fill_color=(225, 225, 225)),
                repeat_headings=1,
                padding=1,
            ) as table:
                for cells in rows:
                    row = table.row()
                    for cell in cells + [""] * (columns - len(cells)):
                        row.cell(cell)
            pdf.ln(3)
            continue
        bullet = re.match(r"^-\s+(.*)$", stripped)
        if bullet:
            pdf.set_font("Helvetica", "", 10)
            pdf.set_x(pdf.l_margin + 4)
            pdf.multi_cell(0, 5, plain(f"- {bullet.group(1)}"), new_x="LMARGIN", new_y="NEXT")
            i += 1
            continue
        paragraph = [stripped]
        i += 1
        while i < len(lines) and lines[i].strip() and not re.match(r"^\s*(#|\||-\s)", lines[i]):
            paragraph.append(lines[i].strip())
            i += 1
        pdf.set_font("Helvetica", "", 10)
        pdf.multi_cell(0, 5, plain(" ".join(paragraph)), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    sidecar = {key: meta[key] for key in SIDECAR_KEYS if key in meta}
    sidecar["notice"] = NOTICE
    return bytes(pdf.output()), sidecar


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, nargs="?", default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    data, sidecar = render(args.source.read_text(encoding="utf-8"))
    args.out.write_bytes(data)
    meta_path = args.out.with_name(args.out.stem + ".meta.yaml")
    header = "# Sidecar metadata for " + args.out.name + " (fictional held-out content)\n"
    meta_path.write_text(header + yaml.safe_dump(sidecar, sort_keys=False), encoding="utf-8")
    print(f"wrote {args.out} ({len(data)} bytes) and {meta_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
