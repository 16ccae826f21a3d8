"""One door: no production module sends an OCPP command except through the command gateway."""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
# The only places allowed to touch the wire for commands: the gateway builds and sends the
# call through the edge's ``call``; the edge's ``call`` is the only caller of call_or_fail.
ALLOWED = {
    "build_call": {"app/commands/gateway.py", "app/commands/catalogue.py"},
    "call_or_fail": {"app/csms/central_system.py", "app/csms/charge_point.py"},
}
SIMULATOR = "app/simulator/"  # the simulated chargers are the other side of the wire


def _calls(path: Path) -> list[tuple[str, str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            owner = ""
            if isinstance(func, ast.Attribute):
                owner = ast.unparse(func.value)
            out.append((name, owner, node.lineno))
    return out


def test_only_the_gateway_builds_and_sends_commands() -> None:
    offenders = []
    for path in sorted(APP.rglob("*.py")):
        rel = path.relative_to(APP.parent).as_posix()
        if rel.startswith(SIMULATOR):
            continue
        for name, owner, line in _calls(path):
            if name in ALLOWED and rel not in ALLOWED[name]:
                offenders.append(f"{rel}:{line} {owner}.{name}()")
            # the edge's send method, reached from anywhere but the gateway
            if (
                name == "call"
                and owner.endswith(("csms", "link"))
                and rel != ("app/commands/gateway.py")
            ):
                offenders.append(f"{rel}:{line} {owner}.call()")
    assert offenders == [], "OCPP commands sent around the gateway:\n" + "\n".join(offenders)


def test_the_gateway_runs_the_guards_on_every_path() -> None:
    source = (APP / "commands" / "gateway.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    clear = next(
        n for n in ast.walk(tree) if isinstance(n, ast.AsyncFunctionDef) and n.name == "_clear"
    )
    assert "guards.check" in ast.unparse(clear)
    here = next(
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.AsyncFunctionDef) and n.name == "execute_here"
    )
    body = ast.unparse(here)
    assert body.index("self._clear(") < body.index("self._send(")


def test_the_gateway_drains_before_it_sends() -> None:
    """Drain first (app/commands/drain.py): on the one path every command takes, the charger
    is asked to refuse new charges before the command that would cut one is sent."""
    source = (APP / "commands" / "gateway.py").read_text(encoding="utf-8")
    here = next(
        n
        for n in ast.walk(ast.parse(source))
        if isinstance(n, ast.AsyncFunctionDef) and n.name == "execute_here"
    )
    body = ast.unparse(here)
    assert "drain.plan_for(" in body
    assert body.index("self._clear(") < body.index("self._drain(") < body.index("self._send(")
