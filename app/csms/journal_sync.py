"""The journal's sync helper: a tiny process that makes files durable on request.

Run by ``app.csms.journal`` as ``python journal_sync.py [delay]`` (a script, not a module of the
app: it starts in milliseconds and imports nothing of ours). Each request on stdin is one line
of tab-separated paths; each path is opened, ``fdatasync``-ed (``fsync`` for a directory, so a
new file's name survives a crash) and closed; then one line answers: ``ok`` or ``err <reason>``.
A path that no longer exists is fine: the journal deletes a segment only once the database
holds its records. It exits when stdin closes (its parent is gone).

Why a process: the event loop writes the records itself (a write to the page cache costs
microseconds); only the wait for the disk is handed off. A thread for that wait needed the
GIL twice per group commit while the loop held it, which stretched the OCPP round trip's p99
at 2,000 msg/s to 74 ms against 9 ms without the journal (bench/ocpp_load.py). A process
answers on a pipe the loop watches, with no GIL between them.

``delay`` (seconds, default 0) imitates a slow disk: for tests only.
"""

from __future__ import annotations

import os
import sys
import time


def sync_path(path: str) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return  # already stored and deleted: nothing left to make durable
    try:
        if os.path.isdir(path):
            os.fsync(fd)
        else:
            os.fdatasync(fd)
    finally:
        os.close(fd)


def main(delay: float) -> None:
    requests = sys.stdin.buffer
    answers = sys.stdout.buffer
    for line in requests:
        paths = [p for p in line.rstrip(b"\n").decode().split("\t") if p]
        try:
            if delay:
                time.sleep(delay)
            for path in paths:
                sync_path(path)
        except OSError as exc:
            answer = f"err {exc}".replace("\n", " ")[:300] + "\n"
        else:
            answer = "ok\n"
        answers.write(answer.encode())
        answers.flush()


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 0.0)
