"""Which files of a knowledge base are sources, and their companion files (no heavy imports)."""

from __future__ import annotations

from pathlib import Path

MANUAL_SUFFIXES = (".md", ".markdown", ".pdf", ".html", ".htm", ".txt")
TICKET_SUFFIXES = (".csv", ".json")
PROCEDURE_SUFFIXES = (".yaml", ".yml")
#: Files that only describe another file (their content is hashed with that file).
COMPANION_SUFFIXES = (".meta.yaml", ".meta.yml", ".mapping.yaml")
KIND_BY_FOLDER = {"manuals": "manual", "tickets": "ticket", "procedures": "procedure"}


def is_companion(path: Path) -> bool:
    return path.name.endswith(COMPANION_SUFFIXES)


def is_source(path: Path, root: Path) -> bool:
    """Whether the ingester indexes this file (by top folder and extension)."""
    rel = path.relative_to(root)
    if len(rel.parts) < 2 or any(p.startswith(".") for p in rel.parts) or is_companion(path):
        return False
    top, suffix = rel.parts[0], path.suffix.lower()
    return (
        (top == "manuals" and suffix in MANUAL_SUFFIXES)
        or (top == "tickets" and suffix in TICKET_SUFFIXES)
        or (top == "procedures" and suffix in PROCEDURE_SUFFIXES)
    )


def sidecar_paths(path: Path) -> list[Path]:
    """Where a file's sidecar metadata may be: ``NAME.meta.yaml`` or ``NAME.EXT.meta.yaml``."""
    return [
        path.with_name(f"{path.stem}.meta.yaml"),
        path.with_name(f"{path.stem}.meta.yml"),
        path.with_name(f"{path.name}.meta.yaml"),
    ]


def mapping_path(path: Path) -> Path:
    """The mapping file of a ticket export: ``NAME.mapping.yaml``, or one whose ``source:``
    names the export."""
    same_stem = path.with_name(f"{path.stem}.mapping.yaml")
    if same_stem.is_file() or not path.parent.is_dir():
        return same_stem
    for candidate in sorted(path.parent.glob("*.mapping.yaml")):
        try:
            text = candidate.read_text(encoding="utf-8")
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith("source:") and line.split(":", 1)[1].strip().strip("'\"") == (
                path.name
            ):
                return candidate
    return same_stem
