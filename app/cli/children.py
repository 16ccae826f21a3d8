"""Child processes that never outlive the command that started them.

Every child is started with ``die_with_parent`` (Linux: the kernel sends it SIGTERM when its
parent dies, even by SIGKILL), and ``forward_stop_signals`` passes SIGTERM/SIGINT on to them.
"""

from __future__ import annotations

import ctypes
import signal
import subprocess
import sys
from collections.abc import Callable, Iterable
from types import FrameType

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """``preexec_fn`` for Popen: the child gets SIGTERM when the parent dies (Linux only)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def forward_stop_signals(children: Callable[[], Iterable[subprocess.Popen]]) -> None:
    """On SIGTERM or SIGINT, send SIGTERM to every running child; the caller then waits for
    them (and exits with them) as it would when they end by themselves."""

    def forward(signum: int, _frame: FrameType | None) -> None:
        for process in children():
            if process.poll() is None:
                process.terminate()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, forward)
