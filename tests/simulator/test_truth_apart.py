"""Ground truth apart: nothing the backend decides with can import or read the simulator.

The simulator logs the truth of each fault (cause, cure, whether remote action could help);
only the benchmark may read it. If diagnosis, procedures or any part of the backend could
reach ``app.simulator`` (its fault catalogue, its ground-truth log), a benchmark score would
be a score of the simulator against itself.

Two checks: a static walk of the import graph (every ``import`` statement, also those inside
functions, followed recursively through ``app``), and a real import of every module of the
guarded packages in a fresh interpreter, after which ``sys.modules`` must hold no simulator
module.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app"
GUARDED = (
    "app.diagnosis",
    "app.procedures",
    "app.sessions",
    "app.commands",
    "app.fleet",
    "app.csms",
    "app.api",
)
FORBIDDEN = "app.simulator"
# the ground-truth log's file names; a guarded module naming them could read the truth
TRUTH_FILES = re.compile(r"ground_truth|truth\.jsonl")


def module_path(name: str) -> Path | None:
    parts = name.split(".")
    base = ROOT.joinpath(*parts)
    if base.with_suffix(".py").is_file():
        return base.with_suffix(".py")
    if (base / "__init__.py").is_file():
        return base / "__init__.py"
    return None


def modules_of(package: str) -> list[str]:
    base = ROOT.joinpath(*package.split("."))
    names = []
    for path in sorted(base.rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        names.append(".".join(parts))
    return names


def imports_of(name: str) -> set[str]:
    """Every app module ``name`` imports (with the packages an import runs on the way)."""
    path = module_path(name)
    if path is None:
        return set()
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, node.module] if node.module else anchor)
            else:
                base = node.module or ""
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        for target in targets:
            if target != "app" and not target.startswith("app."):
                continue
            parts = target.split(".")
            # importing a.b.c runs a/__init__, a/b/__init__ and a/b/c
            for i in range(1, len(parts) + 1):
                prefix = ".".join(parts[:i])
                if module_path(prefix) is not None:
                    found.add(prefix)
    return found


def path_to_forbidden(start: str) -> list[str] | None:
    """The import chain from ``start`` to the simulator, or None."""
    parents: dict[str, str | None] = {start: None}
    queue = [start]
    while queue:
        current = queue.pop(0)
        if current == FORBIDDEN or current.startswith(FORBIDDEN + "."):
            chain = [current]
            while parents[chain[-1]] is not None:
                chain.append(parents[chain[-1]])  # type: ignore[arg-type]
            return chain[::-1]
        for nxt in sorted(imports_of(current)):
            if nxt not in parents:
                parents[nxt] = current
                queue.append(nxt)
    return None


@pytest.mark.parametrize("package", GUARDED)
def test_no_import_path_leads_to_the_simulator(package: str) -> None:
    chains = {}
    for module in modules_of(package):
        chain = path_to_forbidden(module)
        if chain is not None:
            chains[module] = " -> ".join(chain)
    assert not chains, f"{package} reaches {FORBIDDEN}: {json.dumps(chains, indent=2)}"


@pytest.mark.parametrize("package", GUARDED)
def test_no_guarded_module_names_the_ground_truth_log(package: str) -> None:
    hits = []
    for module in modules_of(package):
        path = module_path(module)
        assert path is not None
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if TRUTH_FILES.search(line):
                hits.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not hits, "\n".join(hits)


def test_importing_every_guarded_module_loads_no_simulator_module() -> None:
    modules = [m for package in GUARDED for m in modules_of(package)]
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.startswith({FORBIDDEN!r}))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert loaded == [], f"importing the guarded packages loaded {loaded}"


def test_the_walk_finds_a_planted_path(tmp_path: Path) -> None:
    """The static walk sees a function-level import (so the test above can fail)."""
    assert path_to_forbidden("app.cli.simulate") is not None
    assert path_to_forbidden("app.demo") is not None
