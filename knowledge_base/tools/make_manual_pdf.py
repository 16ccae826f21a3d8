"""Render a sample service manual from Markdown to a multi-page PDF (fpdf2), plus its sidecar.

Handles what the sample manuals use: YAML front matter, ``#``/``##`` headings, paragraphs,
bullet and numbered lists, block quotes, pipe tables and fenced code. Deterministic: fixed
creation date, so the same Markdown gives the same bytes.

    .venv/bin/python knowledge_base/tools/make_manual_pdf.py [SOURCE.md] [--out OUT.pdf]
"""

from __future__ import annotations

import argparse
import re
from datetime import UTC, datetime
from pathlib import Path

import yaml
from fpdf import FPDF
from fpdf.fonts import FontFace

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SOURCE = ROOT / "knowledge_base" / "manuals" / "voltara-wb-22.md"
FIXED_DATE = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SIDECAR_KEYS = ("title", "vendor", "model", "doc_type", "language", "firmware", "revision")
NOTICE = "Fictional sample content for ChargeFix demos. Not a real product manual."


class ManualPDF(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(format="A4")
        self.manual_title = title
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(18, 18, 18)

    def header(self) -> None:
        if self.page_no() == 1:
            return
        self.set_font("Helvetica", "I", 8)
        self.cell(0, 6, latin1(self.manual_title), align="L")
        self.ln(8)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", "I", 8)
        self.cell(0, 6, f"{NOTICE}   Page {self.page_no()}/{{nb}}", align="C")


def latin1(text: str) -> str:
    """Core PDF fonts are Latin-1: replace the few typographic characters that are not."""
    table = {"\u2013": "-", "\u2014": "-", "\u2019": "'", "\u201c": '"', "\u201d": '"'}
    for src, dst in table.items():
        text = text.replace(src, dst)
    return text.encode("latin-1", "replace").decode("latin-1")


def plain(text: str) -> str:
    """Inline Markdown to plain text (bold, italics, code spans, links)."""
    text = re.sub(r"\*\*(.+?)\*\*", r"\1", text)
    text = re.sub(r"`([^`]+)`", r"\1", text)
    text = re.sub(r"(?<!\w)\*(.+?)\*(?!\w)", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", text)
    return latin1(text)


def split_front_matter(markdown: str) -> tuple[dict, str]:
    if markdown.startswith("---\n"):
        end = markdown.index("\n---\n", 4)
        return yaml.safe_load(markdown[4:end]) or {}, markdown[end + 5 :]
    return {}, markdown


def _table_rows(lines: list[str]) -> list[list[str]]:
    rows = []
    for line in lines:
        cells = [plain(c.strip()) for c in line.strip().strip("|").split("|")]
        if all(re.fullmatch(r":?-{2,}:?", c) for c in cells):
            continue
        rows.append(cells)
    return rows


def render(markdown: str) -> tuple[bytes, dict]:
    meta, body = split_front_matter(markdown)
    title = str(meta.get("title", "Service manual"))
    pdf = ManualPDF(title)
    pdf.set_title(latin1(title))
    pdf.set_author(latin1(str(meta.get("vendor", ""))))
    pdf.set_subject(latin1(NOTICE))
    pdf.set_creator("ChargeFix knowledge_base/tools/make_manual_pdf.py")
    pdf.set_creation_date(FIXED_DATE)
    pdf.alias_nb_pages()
    pdf.add_page()

    lines = body.splitlines()
    i = 0
    first_heading = True
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if not stripped:
            i += 1
            continue
        if stripped.startswith("```"):
            block = []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith("```"):
                block.append(lines[i])
                i += 1
            i += 1
            pdf.set_font("Courier", "", 8)
            pdf.multi_cell(0, 4, latin1("\n".join(block)))
            pdf.ln(2)
            continue
        if stripped.startswith("# "):
            pdf.set_font("Helvetica", "B", 18)
            pdf.multi_cell(0, 9, plain(stripped[2:]))
            pdf.ln(2)
            if first_heading:
                pdf.set_font("Helvetica", "", 10)
                for key in ("vendor", "model", "firmware", "revision"):
                    if key in meta:
                        pdf.cell(0, 5, latin1(f"{key.title()}: {meta[key]}"))
                        pdf.ln(5)
                pdf.ln(3)
                first_heading = False
            i += 1
            continue
        if stripped.startswith("## "):
            if pdf.get_y() > pdf.h - 60:
                pdf.add_page()
            pdf.ln(3)
            pdf.set_font("Helvetica", "B", 13)
            pdf.multi_cell(0, 7, plain(stripped[3:]))
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
            pdf.set_font("Helvetica", "", 7 if columns > 4 else 8)
            with pdf.table(
                text_align="LEFT",
                line_height=3.6 if columns > 4 else 4.2,
                headings_style=FontFace(emphasis="BOLD"),
                padding=1,
            ) as table:
                for cells in rows:
                    row = table.row()
                    for cell in cells + [""] * (columns - len(cells)):
                        row.cell(cell)
            pdf.ln(3)
            continue
        if stripped.startswith(">"):
            pdf.set_font("Helvetica", "I", 9)
            pdf.multi_cell(0, 5, plain(stripped.lstrip("> ")))
            pdf.ln(2)
            i += 1
            continue
        bullet = re.match(r"^(\s*)(-|\d+\.)\s+(.*)$", line)
        if bullet:
            marker = "-" if bullet.group(2) == "-" else bullet.group(2)
            text = bullet.group(3)
            i += 1
            while i < len(lines) and lines[i].startswith("   ") and lines[i].strip():
                text += " " + lines[i].strip()
                i += 1
            pdf.set_font("Helvetica", "", 10)
            pdf.set_x(pdf.l_margin + 4)
            pdf.multi_cell(0, 5, plain(f"{marker} {text}"))
            pdf.ln(1)
            continue
        paragraph = [stripped]
        i += 1
        while (
            i < len(lines) and lines[i].strip() and not re.match(r"^\s*(#|\||-|\d+\.|>)", lines[i])
        ):
            paragraph.append(lines[i].strip())
            i += 1
        pdf.set_font("Helvetica", "", 10)
        pdf.multi_cell(0, 5, plain(" ".join(paragraph)))
        pdf.ln(2)
    sidecar = {key: meta[key] for key in SIDECAR_KEYS if key in meta}
    sidecar["notice"] = NOTICE
    return bytes(pdf.output()), sidecar


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, nargs="?", default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=None, help="PDF path (default: next to .md)")
    args = parser.parse_args(argv)
    out = args.out or args.source.with_suffix(".pdf")
    data, sidecar = render(args.source.read_text(encoding="utf-8"))
    out.write_bytes(data)
    meta_path = out.with_name(out.stem + ".meta.yaml")
    header = "# Sidecar metadata for " + out.name + " (fictional sample content)\n"
    meta_path.write_text(header + yaml.safe_dump(sidecar, sort_keys=False), encoding="utf-8")
    print(f"wrote {out} ({len(data)} bytes) and {meta_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
