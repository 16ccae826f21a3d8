"""Proactive 2.0.1 requests at boot survive the station going away (issue 13, item 5): the
socket closing while ChargeFix asks for the base report and sets monitors is logged, and
leaves no "Task exception was never retrieved" behind."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
from typing import Any

import websockets

from tests.chargers import basic_auth, eventually
from tests.conftest import TEST_CHARGER_PASSWORD
from tests.diagnosis.test_real_faces import FAST


async def test_socket_closing_during_proactive_requests_leaves_no_task_exception(
    make_backend, caplog: Any
) -> None:
    loop = asyncio.get_running_loop()
    unhandled: list[dict[str, Any]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: unhandled.append(context))
    caplog.set_level(logging.INFO)
    try:
        backend = await make_backend(**FAST, command_timeout=2.0)
        await backend.register("SITE-870-DC-01")
        # The station sends its BootNotification and drops off at once (a reboot, a lost
        # link): the backend handles the boot, and the proactive requests it starts find the
        # socket already closing.
        ws = await websockets.connect(
            f"{backend.ocpp_url}/SITE-870-DC-01",
            subprotocols=["ocpp2.0.1"],
            additional_headers=basic_auth("SITE-870-DC-01", TEST_CHARGER_PASSWORD),
        )
        boot = {
            "chargingStation": {"model": "HX-150", "vendorName": "Helion Power"},
            "reason": "PowerUp",
        }
        await ws.send(json.dumps([2, "boot-1", "BootNotification", boot]))
        await ws.close()
        await eventually(lambda: backend.state.live.get("SITE-870-DC-01") is not None)
        await eventually(lambda: not backend.state.live.get("SITE-870-DC-01").online, timeout=5)
        service = backend.state.diagnosis
        await eventually(lambda: not service._background, timeout=10)
        gc.collect()
        await asyncio.sleep(0)
    finally:
        loop.set_exception_handler(previous)
    never_retrieved = [c for c in unhandled if "never retrieved" in str(c.get("message"))]
    assert never_retrieved == [], never_retrieved
    assert not [r for r in caplog.records if "never retrieved" in r.getMessage()]
    assert any(
        "get_base_report on SITE-870-DC-01" in r.getMessage()
        or "set_variable_monitoring on SITE-870-DC-01" in r.getMessage()
        for r in caplog.records
    ), [r.getMessage() for r in caplog.records if "diagnosis" in r.name]
