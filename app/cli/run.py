"""`chargefix run`: everything embedded on one machine (what `make run` starts).

Indexes the sample knowledge base, imports its procedures, creates demo accounts, registers
a simulated fleet, then starts the backend, the simulator and the UI as child processes and
prints where to go. Ctrl-C stops them all.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import typer

from app.cli.children import die_with_parent
from app.cli.common import console, fail, open_storage
from app.config import get_settings
from app.demo import ensure_demo_fleet, ensure_demo_users, import_sample_procedures


def _chargefix() -> str:
    return str(Path(sys.executable).with_name("chargefix"))


def _wait_healthy(api_url: str, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            fail(f"the backend exited with code {process.returncode}; see the log above")
        try:
            if httpx.get(f"{api_url}/api/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    fail(f"the backend did not answer at {api_url}/api/health within {timeout:.0f} s")


def run(
    chargers: int = typer.Option(12, help="Simulated chargers in the demo fleet."),
    seed: int = typer.Option(14, help="Fleet seed (ids, models, behaviour)."),
    speed: float = typer.Option(1.0, help="Simulator time compression."),
    ui: bool = typer.Option(True, help="Start the Streamlit app."),
    index: bool = typer.Option(True, help="Index the sample knowledge base first."),
) -> None:
    """Start the backend, a simulated fleet and the app, embedded on this machine."""
    settings = get_settings()
    session_factory = open_storage(settings)
    env = {**os.environ, "CHARGEFIX_DATA_DIR": str(settings.data_dir.resolve())}
    if index:
        console.print("[bold]Indexing the sample knowledge base[/] (only changes cost)...")
        result = subprocess.run([_chargefix(), "ingest", "--keep-going"], env=env)
        if result.returncode != 0:
            fail("indexing failed; see above")
    imported = import_sample_procedures(settings, session_factory)
    console.print(
        f"procedures: {len(imported['imported'])} imported, "
        f"{len(imported['unchanged'])} unchanged, {len(imported['kept'])} kept as edited, "
        f"{len(imported['failed'])} failed"
    )
    passwords = ensure_demo_users(settings, session_factory)
    password_file = ensure_demo_fleet(settings, session_factory, chargers, seed)

    children: list[tuple[str, subprocess.Popen[bytes]]] = []

    def stop_all(*_: object) -> None:
        for _, process in reversed(children):
            if process.poll() is None:
                process.terminate()
        for _, process in children:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()

    signal.signal(signal.SIGTERM, lambda *_: (stop_all(), sys.exit(0)))
    api_url = f"http://{settings.host}:{settings.api_port}"
    try:
        backend = subprocess.Popen([_chargefix(), "backend"], env=env, preexec_fn=die_with_parent)
        children.append(("backend", backend))
        _wait_healthy(api_url, backend)
        simulator = subprocess.Popen(
            [
                _chargefix(),
                "simulate",
                "--chargers",
                str(chargers),
                "--seed",
                str(seed),
                "--speed",
                str(speed),
                "--password-file",
                str(password_file),
                "--ground-truth",
                str(settings.data_dir / "ground-truth.jsonl"),
            ],
            env=env,
            preexec_fn=die_with_parent,
        )
        children.append(("simulator", simulator))
        if ui:
            app = subprocess.Popen(
                [_chargefix(), "ui"],
                env={**env, "CHARGEFIX_API_URL": api_url},
                preexec_fn=die_with_parent,
            )
            children.append(("ui", app))
        console.rule("[bold green]ChargeFix is running")
        if ui:
            console.print(f"App:      http://{settings.host}:{settings.ui_port}")
        console.print(f"API:      {api_url}/docs")
        console.print(f"OCPP:     ws://{settings.host}:{settings.ocpp_port}/ocpp/{{charger id}}")
        console.print(
            f"Fleet:    {chargers} simulated chargers (inject faults: chargefix simulate inject)"
        )
        console.print(
            "Demo logins (generated for this installation, kept in "
            f"{settings.data_dir / 'demo' / 'users.json'}):"
        )
        for name, password in passwords.items():
            console.print(f"  {name:8} {password}", highlight=False)
        console.print("Stop with Ctrl-C.")
        while True:
            for name, process in children:
                if process.poll() is not None:
                    fail(f"{name} exited with code {process.returncode}; stopping everything")
            time.sleep(1)
    except KeyboardInterrupt:
        console.print("stopping...")
    finally:
        stop_all()
