"""`chargefix ui` never leaves Streamlit behind: SIGTERM stops it, and so does a SIGKILL."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux signals")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _start_ui(port: int, tmp_path: Path) -> tuple[subprocess.Popen[bytes], list[psutil.Process]]:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "CHARGEFIX_DATA_DIR": str(tmp_path / "data"),
        "CHARGEFIX_API_URL": "http://127.0.0.1:9",
        "CHARGEFIX_HOST": "127.0.0.1",
    }
    parent = subprocess.Popen(
        [sys.executable, "-m", "app.cli.main", "ui", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while _port_free(port):
        assert parent.poll() is None, "chargefix ui exited"
        assert time.monotonic() < deadline, "Streamlit never listened"
        time.sleep(0.2)
    children = psutil.Process(parent.pid).children(recursive=True)
    assert any("streamlit" in " ".join(c.cmdline()) for c in children)
    return parent, children


def _assert_all_gone(children: list[psutil.Process], port: int) -> None:
    _, alive = psutil.wait_procs(children, timeout=15)
    assert not alive, [c.cmdline() for c in alive]
    assert _port_free(port)


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_streamlit_stops_with_chargefix_ui(sig: signal.Signals, tmp_path: Path) -> None:
    port = _free_port()
    parent, children = _start_ui(port, tmp_path)
    try:
        parent.send_signal(sig)
        parent.wait(15)
        _assert_all_gone(children, port)
    finally:
        for child in children:
            if child.is_running():
                child.kill()
        if parent.poll() is None:
            parent.kill()
