"""A real local HTTP receiver for webhook tests (the handoff notices)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Receiver:
    """An HTTP server that answers with the given statuses in turn (then 200), holds each
    answer until ``release`` is set, and tells the test's loop about every request."""

    statuses: list[int]
    loop: asyncio.AbstractEventLoop
    release: threading.Event = field(default_factory=threading.Event)
    requests: list[dict[str, Any]] = field(default_factory=list)
    arrived: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    url: str = ""


@asynccontextmanager
async def serving_receiver() -> AsyncIterator[Receiver]:
    """A receiver on a free local port, shut down on exit (the ``receiver`` fixture)."""
    box = Receiver(statuses=[], loop=asyncio.get_running_loop())

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            seen = {"path": self.path, "headers": dict(self.headers), "raw": raw}
            box.requests.append(seen)
            box.loop.call_soon_threadsafe(box.arrived.put_nowait, seen)
            box.release.wait(10)
            status = box.statuses.pop(0) if box.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/chargefix"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield box
    finally:
        box.release.set()
        server.shutdown()
        server.server_close()
