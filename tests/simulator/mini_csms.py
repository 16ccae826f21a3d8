"""A small CSMS built only on the ocpp library's server side (not ours), plus an upload
receiver: proves the simulator works against a CSMS that was not built for it."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
from collections import defaultdict
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

import uvicorn
import websockets
from fastapi import FastAPI, Request, Response
from ocpp.routing import on
from ocpp.v16 import ChargePoint as CP16
from ocpp.v16 import call_result as r16
from ocpp.v16.enums import Action as A16
from ocpp.v201 import ChargePoint as CP201
from ocpp.v201 import call_result as r201
from ocpp.v201.enums import Action as A201
from websockets.exceptions import ConnectionClosed


def now() -> str:
    return datetime.now(UTC).isoformat()


class _Recorder:
    csms: MiniCSMS

    def rec(self, action: str, payload: dict[str, Any]) -> None:
        self.csms.record(self.id, action, payload)  # type: ignore[attr-defined]

    def boot_answer(self) -> tuple[str, int]:
        statuses = self.csms.boot_statuses.get(self.id)  # type: ignore[attr-defined]
        status = statuses.pop(0) if statuses else "Accepted"
        interval = self.csms.heartbeat_interval if status == "Accepted" else 1
        return status, interval


class Server16(_Recorder, CP16):
    @on(A16.boot_notification)
    def boot(self, **kw: Any) -> r16.BootNotification:
        self.rec("BootNotification", kw)
        status, interval = self.boot_answer()
        return r16.BootNotification(current_time=now(), interval=interval, status=status)

    @on(A16.heartbeat)
    def heartbeat(self, **kw: Any) -> r16.Heartbeat:
        self.rec("Heartbeat", kw)
        return r16.Heartbeat(current_time=now())

    @on(A16.status_notification)
    def status(self, **kw: Any) -> r16.StatusNotification:
        self.rec("StatusNotification", kw)
        return r16.StatusNotification()

    @on(A16.start_transaction)
    def start_tx(self, **kw: Any) -> r16.StartTransaction:
        self.rec("StartTransaction", kw)
        return r16.StartTransaction(
            transaction_id=next(self.csms.tx_ids), id_tag_info={"status": "Accepted"}
        )

    @on(A16.stop_transaction)
    def stop_tx(self, **kw: Any) -> r16.StopTransaction:
        self.rec("StopTransaction", kw)
        return r16.StopTransaction(id_tag_info={"status": "Accepted"})

    @on(A16.meter_values)
    def meter(self, **kw: Any) -> r16.MeterValues:
        self.rec("MeterValues", kw)
        return r16.MeterValues()

    @on(A16.authorize)
    def authorize(self, **kw: Any) -> r16.Authorize:
        self.rec("Authorize", kw)
        return r16.Authorize(id_tag_info={"status": "Accepted"})

    @on(A16.diagnostics_status_notification)
    def diag(self, **kw: Any) -> r16.DiagnosticsStatusNotification:
        self.rec("DiagnosticsStatusNotification", kw)
        return r16.DiagnosticsStatusNotification()

    @on(A16.firmware_status_notification)
    def fw(self, **kw: Any) -> r16.FirmwareStatusNotification:
        self.rec("FirmwareStatusNotification", kw)
        return r16.FirmwareStatusNotification()

    @on(A16.log_status_notification)
    def log_status(self, **kw: Any) -> r16.LogStatusNotification:
        self.rec("LogStatusNotification", kw)
        return r16.LogStatusNotification()

    @on(A16.security_event_notification)
    def security(self, **kw: Any) -> r16.SecurityEventNotification:
        self.rec("SecurityEventNotification", kw)
        return r16.SecurityEventNotification()

    @on(A16.sign_certificate)
    def sign_certificate(self, **kw: Any) -> r16.SignCertificate:
        self.rec("SignCertificate", kw)
        return r16.SignCertificate(status="Rejected")  # this mini CSMS has no CA


class Server201(_Recorder, CP201):
    @on(A201.boot_notification)
    def boot(self, **kw: Any) -> r201.BootNotification:
        self.rec("BootNotification", kw)
        status, interval = self.boot_answer()
        return r201.BootNotification(current_time=now(), interval=interval, status=status)

    @on(A201.heartbeat)
    def heartbeat(self, **kw: Any) -> r201.Heartbeat:
        self.rec("Heartbeat", kw)
        return r201.Heartbeat(current_time=now())

    @on(A201.status_notification)
    def status(self, **kw: Any) -> r201.StatusNotification:
        self.rec("StatusNotification", kw)
        return r201.StatusNotification()

    @on(A201.transaction_event)
    def tx_event(self, **kw: Any) -> r201.TransactionEvent:
        self.rec("TransactionEvent", kw)
        return r201.TransactionEvent()

    @on(A201.meter_values)
    def meter(self, **kw: Any) -> r201.MeterValues:
        self.rec("MeterValues", kw)
        return r201.MeterValues()

    @on(A201.notify_event)
    def notify_event(self, **kw: Any) -> r201.NotifyEvent:
        self.rec("NotifyEvent", kw)
        return r201.NotifyEvent()

    @on(A201.log_status_notification)
    def log_status(self, **kw: Any) -> r201.LogStatusNotification:
        self.rec("LogStatusNotification", kw)
        return r201.LogStatusNotification()

    @on(A201.security_event_notification)
    def security(self, **kw: Any) -> r201.SecurityEventNotification:
        self.rec("SecurityEventNotification", kw)
        return r201.SecurityEventNotification()

    @on(A201.sign_certificate)
    def sign_certificate(self, **kw: Any) -> r201.SignCertificate:
        self.rec("SignCertificate", kw)
        return r201.SignCertificate(status="Rejected")  # this mini CSMS has no CA

    @on(A201.firmware_status_notification)
    def fw(self, **kw: Any) -> r201.FirmwareStatusNotification:
        self.rec("FirmwareStatusNotification", kw)
        return r201.FirmwareStatusNotification()


class MiniCSMS:
    def __init__(self, password: str | None = None, heartbeat_interval: int = 300) -> None:
        self.password = password
        self.heartbeat_interval = heartbeat_interval
        self.messages: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
        self.cps: dict[str, Any] = {}
        self.boot_statuses: dict[str, list[str]] = {}
        self.connections: dict[str, int] = defaultdict(int)
        self.refused: list[str] = []
        self.tx_ids = itertools.count(1000)
        self._changed = asyncio.Event()
        self._server: Any = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ocpp"

    def record(self, charger_id: str, action: str, payload: dict[str, Any]) -> None:
        self.messages[charger_id].append((action, payload))
        self._changed.set()

    def of(self, charger_id: str, action: str) -> list[dict[str, Any]]:
        return [p for a, p in self.messages[charger_id] if a == action]

    async def wait_message(
        self,
        charger_id: str,
        action: str,
        predicate: Any = None,
        timeout: float = 5.0,
        after: int = 0,
    ) -> dict[str, Any]:
        """The first ``action`` message (from index ``after``) matching ``predicate``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for a, p in self.messages[charger_id][after:]:
                if a == action and (predicate is None or predicate(p)):
                    return p
            remaining = deadline - loop.time()
            if remaining <= 0:
                seen = [(a, p) for a, p in self.messages[charger_id][after:]][-15:]
                raise TimeoutError(f"{charger_id}: no {action} matching; last: {seen}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(remaining, 0.2)):
                    await self._changed.wait()

    def mark(self, charger_id: str) -> int:
        return len(self.messages[charger_id])

    async def _process_request(self, connection: Any, request: Any) -> Any:
        if self.password is None:
            return None
        header = request.headers.get("Authorization", "")
        charger_id = request.path.rstrip("/").rsplit("/", 1)[-1]
        expected = "Basic " + base64.b64encode(f"{charger_id}:{self.password}".encode()).decode()
        if header != expected:
            self.refused.append(charger_id)
            return connection.respond(HTTPStatus.UNAUTHORIZED, "bad credentials\n")
        return None

    async def _handler(self, ws: Any) -> None:
        charger_id = ws.request.path.rstrip("/").rsplit("/", 1)[-1]
        cls = Server16 if ws.subprotocol == "ocpp1.6" else Server201
        cp = cls(charger_id, ws)
        cp.csms = self
        self.cps[charger_id] = cp
        self.connections[charger_id] += 1
        with contextlib.suppress(ConnectionClosed):
            await cp.start()

    async def start(self, port: int = 0) -> None:
        self._server = await websockets.serve(
            self._handler,
            "127.0.0.1",
            port,
            subprotocols=["ocpp1.6", "ocpp2.0.1"],  # type: ignore[list-item]
            process_request=self._process_request,
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self._server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._server.wait_closed(), 3)

    async def command(self, charger_id: str, payload: Any) -> Any:
        return await self.cps[charger_id].call(payload, suppress=False)


class UploadReceiver:
    """HTTP endpoint for diagnostics: ``/put/{name}`` takes PUT, ``/post/{name}`` only POST."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.methods: list[str] = []
        app = FastAPI()

        @app.put("/put/{name}")
        async def put(name: str, request: Request) -> Response:
            self.methods.append("PUT")
            self.files[name] = await request.body()
            return Response(status_code=201)

        @app.post("/post/{name}")
        async def post(name: str, request: Request) -> Response:
            self.methods.append("POST")
            form = await request.form()
            upload = form["file"]
            self.files[name] = await upload.read()  # type: ignore[union-attr]
            return Response(status_code=201)

        self.app = app
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        config = uvicorn.Config(self.app, host="127.0.0.1", port=0, log_level="warning")
        self._server = uvicorn.Server(config)
        self._server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign]
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            await asyncio.sleep(0.01)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self._server is not None
        self._server.should_exit = True
        if self._task:
            await asyncio.wait_for(self._task, 5)
