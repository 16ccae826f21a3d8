"""A bare OCPP 1.6 central system on the `ocpp` library: no auth, no storage.

The baseline that bench/ocpp_load.py compares ChargeFix's backend with, in the same run.
Usage: python bench/_bare_csms.py PORT
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
import sys
from datetime import UTC, datetime
from typing import Any

import ocpp.messages
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call_result
from ocpp.v16.enums import Action
from websockets.asyncio.server import serve


class BareChargePoint(ChargePoint):
    @on(Action.boot_notification)
    def on_boot(self, **_: Any) -> Any:
        return call_result.BootNotification(
            current_time=datetime.now(UTC).isoformat(), interval=300, status="Accepted"
        )

    @on(Action.heartbeat)
    def on_heartbeat(self, **_: Any) -> Any:
        return call_result.Heartbeat(current_time=datetime.now(UTC).isoformat())

    @on(Action.status_notification)
    def on_status(self, **_: Any) -> Any:
        return call_result.StatusNotification()


async def handler(ws: Any) -> None:
    cp = BareChargePoint(ws.request.path.rsplit("/", 1)[-1], ws)
    with contextlib.suppress(Exception):
        await cp.start()


async def main(port: int) -> None:
    ocpp.messages.ASYNC_VALIDATION = False  # the same setting ChargeFix uses
    async with serve(
        handler,
        "127.0.0.1",
        port,
        subprotocols=["ocpp1.6"],
        compression=None,
        ping_interval=60,
        ping_timeout=30,
        backlog=4096,
    ):
        print("ready", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    logging.getLogger("ocpp").setLevel(logging.WARNING)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(main(int(sys.argv[1])))
