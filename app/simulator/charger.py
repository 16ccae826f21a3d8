"""The version-independent life of a simulated charger: connection, boot, heartbeat, outbox,
faults, transactions, reboots. ``v16.Charger16`` and ``v201.Charger201`` add the OCPP faces.

Everything runs on the event loop: one run task per charger, plus a receive task and a session
task while connected. Handlers for CSMS commands run inside the receive loop, so they only
change state and post messages to the outbox; the session task sends them.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import websockets
from ocpp.exceptions import OCPPError
from websockets.exceptions import ConnectionClosed

from app.simulator.certificates import StationCertificates
from app.simulator.chargex_faces import ChargeXFace, face_for_fault
from app.simulator.config import DEFAULT_ID_TAG, ChargerPlan, FleetConfig
from app.simulator.evidence import evidence_lines
from app.simulator.faults import (
    AVAILABILITY_CYCLE,
    BOOT_LOOP,
    FLAPPING,
    GRID,
    HANG,
    HARD_RESET,
    OFFLINE,
    POWER_LOSS,
    RESTART_PERIPHERAL,
    SELF_CLEAR,
    SOFT_RESET,
    UNLOCK,
    Cause,
    FaultSpec,
    get_fault,
)
from app.simulator.firmware_updates import FirmwareOutcome, field_failure, outcome
from app.simulator.ground_truth import GroundTruthLog, utc_iso
from app.simulator.logupload import upload_log
from app.simulator.models import PeripheralRestart
from app.simulator.state import (
    ActiveFault,
    ChargerTrueState,
    ConnectorState,
    ConnectorView,
    FaultView,
    Transaction,
    TransactionView,
)

# simulated seconds a restarted peripheral (terminal, reader) takes to come back
PERIPHERAL_BOOT_S = 45.0
OutItem = tuple[Any, Callable[[Any], None] | None]  # (payload or payload factory, on_result)


class Clock:
    """Simulated time: every simulated delay is divided by ``speed``."""

    def __init__(self, speed: float) -> None:
        self.speed = speed
        self._t0 = time.monotonic()

    def real(self, sim_seconds: float) -> float:
        return sim_seconds / self.speed

    async def sleep(self, sim_seconds: float) -> None:
        await asyncio.sleep(sim_seconds / self.speed)

    def call_later(self, sim_seconds: float, callback: Callable[[], None]) -> asyncio.TimerHandle:
        return asyncio.get_running_loop().call_later(sim_seconds / self.speed, callback)

    def sim_elapsed(self, since_monotonic: float) -> float:
        return (time.monotonic() - since_monotonic) * self.speed


@dataclass
class FleetContext:
    """What all chargers of a fleet share."""

    config: FleetConfig
    clock: Clock
    truth: GroundTruthLog
    http: httpx.AsyncClient | None = None
    # chargers the CSMS turned away at the handshake: id -> "401 unknown charge point"
    refusals: dict[str, str] = field(default_factory=dict)
    refused: asyncio.Event = field(default_factory=asyncio.Event)

    def refuse(self, charger_id: str, why: str) -> None:
        if self.refusals.get(charger_id) != why:
            self.refusals[charger_id] = why
            self.refused.set()


async def cancel_and_wait(task: asyncio.Task) -> None:
    """Cancel until done: Python 3.11's wait_for can swallow a cancellation that races a
    result (the ocpp library waits for responses with it)."""
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=0.05)
    if not task.cancelled():
        with contextlib.suppress(BaseException):
            task.result()


def _is_call(message: str | bytes) -> bool:
    """An OCPP-J CALL (message type 2), not a CALLRESULT/CALLERROR to the charger's own CALL."""
    try:
        frame = json.loads(message)
    except ValueError:
        return False
    return isinstance(frame, list) and bool(frame) and frame[0] == 2


def _refusal(exc: BaseException) -> str | None:
    """ "401 unknown charge point" when the CSMS refused the handshake (the status and the
    reason it wrote in the body), None for other failures (no route, timeout)."""
    if not isinstance(exc, websockets.InvalidStatus):
        return None
    response = exc.response
    if response.status_code not in (401, 403, 404):
        return None
    body = bytes(response.body or b"").decode("utf-8", "replace").strip()
    return f"{response.status_code} {body or response.reason_phrase}"[:200]


class SimulatorError(ValueError):
    """A request the simulated charger cannot honour (bad connector, unknown fault ...)."""


class SimCharger:
    """Mixin with the charger's life; combined with an ``ocpp`` ChargePoint class."""

    ocpp_version: str = ""
    subprotocol: str = ""

    # ocpp.ChargePoint provides these
    _connection: Any
    _response_queue: asyncio.Queue
    id: str

    def __init__(self, plan: ChargerPlan, ctx: FleetContext) -> None:
        super().__init__(  # type: ignore[call-arg]
            plan.charger_id, None, response_timeout=ctx.config.timing.response_timeout_s
        )
        self.plan = plan
        self.ctx = ctx
        self.timing = ctx.config.timing
        self.rng = random.Random(f"{ctx.config.seed}:{plan.charger_id}")
        self.connectors: dict[int, ConnectorState] = {
            c.connector_id: ConnectorState(c, meter_wh=float(self.rng.randint(1_000, 9_000_000)))
            for c in plan.model.connectors
        }
        self.charger_operative = True
        self.charger_cycle_armed = False
        self.faults: dict[tuple[str, int], ActiveFault] = {}
        self.outbox: deque[OutItem] = deque(maxlen=2000)
        self.log: deque[str] = deque(maxlen=ctx.config.log_tail)
        self.phase = "off"
        self.connected = False
        self.boot_reason = "PowerUp"
        self.boot_count = 0
        self.heartbeat_interval = self.timing.default_heartbeat_s
        self.commands = 0
        self.uploads = 0
        self.last_error: str | None = None
        self.config_overrides: dict[str, str] | None = None
        # the Basic-auth password the CSMS rotated to (else the configured one)
        self.basic_auth_password: str | None = None
        self._kick = asyncio.Event()
        self._drop = False
        self._abort = False
        self._reboot: tuple[str, str, bool] | None = None  # (depth, reason, graceful)
        self._scheduled_reset = False
        self._unpowered = False  # lost mains power; boots with reason PowerUp when it returns
        # 2.0.1 custom monitors (N04) by id: what a monitoring report (N02) lists
        self.custom_monitors: dict[int, dict[str, Any]] = {}
        # 2.0.1 network connection profiles by configuration slot (B09 SetNetworkProfile)
        self.network_profiles: dict[int, dict[str, Any]] = {}
        self._recur: list[tuple[ActiveFault, float]] = []  # (fault, delay) after the boot
        self._injections: dict[tuple[str, int], int] = {}
        self._firmware_updates = 0  # field mode: the n-th update's own draw
        self._boot_into_loop = False
        self.installed_firmware: str | None = None
        self._report_after_boot: list[ActiveFault] = []  # cleared by the reboot
        self._behaviour_handle: asyncio.TimerHandle | None = None
        self._last_status: dict[int, tuple] = {}
        self._watchers: list[asyncio.Event] = []
        self._task: asyncio.Task | None = None
        self._stopping = False
        self._event_seq = 0
        self._tx_seq = 0

    # ------------------------------------------------------------------ identity / helpers
    @property
    def charger_id(self) -> str:
        return self.plan.charger_id

    @property
    def url(self) -> str:
        return f"{self.ctx.config.csms_url.rstrip('/')}/{self.charger_id}"

    def _headers(self) -> dict[str, str]:
        password = self.basic_auth_password or self.ctx.config.password_for(self.charger_id)
        if password is None:
            return {}
        token = base64.b64encode(f"{self.charger_id}:{password}".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    def note(self, text: str) -> None:
        self.log.append(f"{utc_iso()} {text}")

    def truth(self, kind: str, **fields: Any) -> None:
        self.ctx.truth.record(kind, self.charger_id, **fields)

    def _changed(self) -> None:
        for event in self._watchers:
            event.set()

    def post(self, make: Any, on_result: Callable[[Any], None] | None = None) -> None:
        """Queue a message (payload or zero-argument factory); sent in order when online."""
        self.outbox.append((make, on_result))
        self._kick.set()

    @property
    def reports_chargex(self) -> bool:
        """Whether this charger's firmware reports faults with ChargeX codes (EVerest's way)."""
        return self.plan.model.key in self.ctx.config.chargex_models

    def chargex_face(self, spec: FaultSpec) -> ChargeXFace | None:
        """The ChargeX code this charger sends for a fault, if it reports them and one exists."""
        return face_for_fault(spec.key) if self.reports_chargex else None

    def vendor_code(self, spec: FaultSpec) -> str:
        face = self.chargex_face(spec)
        return face.code if face else spec.vendor_error_code(self.plan.model)

    def connector(self, connector_id: int) -> ConnectorState:
        try:
            return self.connectors[connector_id]
        except KeyError:
            raise SimulatorError(
                f"{self.charger_id} has no connector {connector_id} "
                f"(connectors: {sorted(self.connectors)})"
            ) from None

    # ------------------------------------------------------------------ run loop
    def launch(self, initial_delay: float = 0.0) -> asyncio.Task:
        self._task = asyncio.create_task(self.run(initial_delay), name=f"sim-{self.charger_id}")
        return self._task

    async def stop(self) -> None:
        self._stopping = True
        if self._task is not None:
            await cancel_and_wait(self._task)
        self.phase = "stopped"
        for conn in self.connectors.values():
            if conn.transaction and conn.transaction.meter_handle:
                conn.transaction.meter_handle.cancel()
        for fault in self.faults.values():
            if fault.handle:
                fault.handle.cancel()
        if self._behaviour_handle:
            self._behaviour_handle.cancel()

    def offline_now(self) -> bool:
        """No CSMS connection now, or losing it (a message made now is sent later)."""
        return not self.connected or self._drop or self._unpowered

    def _has_behaviour(self, behaviour: str) -> bool:
        return any(f.spec.truth.behaviour == behaviour for f in self.faults.values())

    def _set_phase(self, phase: str) -> None:
        self.phase = phase
        self._changed()

    async def run(self, initial_delay: float = 0.0) -> None:
        if initial_delay:
            await asyncio.sleep(initial_delay)
        attempts = 0
        needs_boot = True
        while not self._stopping:
            if self._unpowered:
                self._set_phase("off")
                while self._has_behaviour(POWER_LOSS) and not self._stopping:
                    self._kick.clear()
                    await self._kick.wait()
                # power is back: a cold boot (as long as a hard reset), BootNotification
                # reason PowerUp (2.0.1 BootReasonEnumType; 1.6 has no reason field)
                await self.ctx.clock.sleep(self.timing.hard_reboot_s)
                self._unpowered = False
                self.boot_reason = "PowerUp"
                self._last_status.clear()
                needs_boot = True
                attempts = 0
                continue
            if self._has_behaviour(OFFLINE):
                self._set_phase("offline")
                self._kick.clear()
                await self._kick.wait()
                continue
            self._set_phase("connecting")
            try:
                ws = await websockets.connect(
                    self.url,
                    subprotocols=[self.subprotocol],  # type: ignore[list-item]
                    additional_headers=self._headers(),
                    open_timeout=self.timing.response_timeout_s,
                    ping_interval=self.ctx.config.ws_ping_interval,
                    close_timeout=2,
                )
            except (OSError, TimeoutError, websockets.InvalidHandshake) as exc:
                self.last_error = f"connect: {exc!r}"[:200]
                refusal = _refusal(exc)
                if refusal is not None:
                    self.last_error = f"refused: {refusal}"
                    self.ctx.refuse(self.charger_id, refusal)
                attempts += 1
                await self._backoff(attempts)
                continue
            attempts = 0
            self.ctx.refusals.pop(self.charger_id, None)
            await self._connected_session(ws, needs_boot)
            if self._stopping:
                break
            if self._reboot is not None:
                depth, reason, _ = self._reboot
                self._reboot = None
                await self._do_reboot(depth, reason)
                needs_boot = True
                continue
            needs_boot = self.boot_count == 0
            attempts += 1
            await self._backoff(attempts, short=self._has_behaviour(FLAPPING))

    async def _backoff(self, attempts: int, short: bool = False) -> None:
        base = self.timing.reconnect_base_s
        delay = base if short else min(self.timing.reconnect_max_s, base * 2 ** (attempts - 1))
        self._set_phase("offline")
        await self.ctx.clock.sleep(delay * (0.75 + 0.5 * self.rng.random()))

    async def _connected_session(self, ws: Any, needs_boot: bool) -> None:
        self._connection = ws
        self._response_queue = asyncio.Queue()
        self.connected = True
        self._drop = False
        self._abort = False
        self.truth("connected")
        self.note(f"connected to {self.url}")
        recv = asyncio.create_task(self._recv_loop())
        session = asyncio.create_task(self._session(needs_boot))
        try:
            await asyncio.wait({recv, session}, return_when=asyncio.FIRST_COMPLETED)
            if session.done() and not session.cancelled() and session.exception() is not None:
                exc = session.exception()
                self.last_error = f"session: {exc!r}"[:200]
        finally:
            for task in (recv, session):
                task.cancel()
            if self._behaviour_handle:
                self._behaviour_handle.cancel()
                self._behaviour_handle = None
            self.connected = False
            if self._abort or self._stopping:
                transport = getattr(ws, "transport", None)
                if transport is not None:
                    transport.abort()
            else:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(ws.close(), 2)
            for task in (recv, session):
                await cancel_and_wait(task)
            if not self._stopping:
                self.truth("disconnected")
            self.note("disconnected")
            self._changed()

    async def _recv_loop(self) -> None:
        try:
            while True:
                message = await self._connection.recv()
                if self._has_behaviour(HANG) and _is_call(message):
                    self.note("hung: a CALL arrived and is never answered")
                    continue
                await self.route_message(message)  # type: ignore[attr-defined]
        except ConnectionClosed:
            pass

    async def _session(self, needs_boot: bool) -> None:
        if needs_boot:
            self._set_phase("booting")
            while True:
                resp = await self.call(self.boot_payload(), suppress=False)  # type: ignore[attr-defined]
                if resp.status == "Accepted":
                    break
                self.note(f"BootNotification {resp.status}; retry in {resp.interval}s")
                await self.ctx.clock.sleep(resp.interval or self.timing.boot_retry_s)
            self.heartbeat_interval = float(resp.interval or self.timing.default_heartbeat_s)
            self.boot_count += 1
            self.truth("booted", reason=self.boot_reason, boot_count=self.boot_count)
            self._set_phase("online")
            self._after_boot()
        else:
            self._set_phase("online")
            self._after_reconnect()
        self._sync_status()
        loop = asyncio.get_running_loop()
        next_heartbeat = loop.time() + self.ctx.clock.real(self.heartbeat_interval)
        while True:
            self._kick.clear()
            if self._drop:
                return
            if self._reboot is not None and (not self._reboot[2] or not self.outbox):
                return
            if self._has_behaviour(HANG):  # sends nothing, not even a heartbeat
                await self._kick.wait()
                continue
            if self.outbox:
                make, on_result = self.outbox[0]
                payload = make() if callable(make) else make
                result = None
                try:
                    result = await self.call(payload, suppress=False)  # type: ignore[attr-defined]
                except OCPPError as exc:
                    self.note(f"{type(payload).__name__} answered with error {exc!r}"[:200])
                if self.outbox and self.outbox[0][0] is make:
                    self.outbox.popleft()
                if on_result is not None and result is not None:
                    on_result(result)
                continue
            now = loop.time()
            if now >= next_heartbeat:
                await self.call(self.heartbeat_payload(), suppress=False)  # type: ignore[attr-defined]
                next_heartbeat = loop.time() + self.ctx.clock.real(self.heartbeat_interval)
                continue
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(next_heartbeat - now):
                    await self._kick.wait()

    @staticmethod
    def acceptable_password(value: str) -> bool:
        """A Basic-auth password this charger takes: 16 to 40 printable characters (the
        length OCPP 2.0.1 and the 1.6 security whitepaper allow)."""
        return 16 <= len(value) <= 40 and value.isprintable()

    @staticmethod
    def password_of_authorization_key(value: str) -> str | None:
        """OCPP 1.6 security whitepaper: AuthorizationKey is the password hex encoded, 16 to
        20 bytes (None: not such a key, or not a text password this charger can send)."""
        try:
            password = bytes.fromhex(value).decode("utf-8")
        except ValueError:
            return None
        return password if 16 <= len(password) <= 20 and password.isprintable() else None

    def adopt_password(self, value: str) -> None:
        """OCPP 2.0.1 A01 (1.6 security whitepaper likewise): after answering Accepted the
        charger reconnects with the new password."""
        self.basic_auth_password = value
        self.note("Basic-auth password changed: reconnecting with it")
        self.drop_connection(abort=False)

    def drop_connection(self, abort: bool = True) -> None:
        """Lose the socket (as a modem drop would); the charger reconnects with back-off."""
        self._drop = True
        self._abort = abort
        self._kick.set()
        if abort and self.connected:
            transport = getattr(self._connection, "transport", None)
            if transport is not None:
                transport.abort()

    # ------------------------------------------------------------------ firmware updates
    def firmware_outcome(
        self, location: str, *, signed: bool, core16: bool = False
    ) -> FirmwareOutcome:
        """How this update goes: steered by the file's name, else (field mode) drawn. The
        n-th update of this charger draws the same number in every benchmark arm."""
        drawn = None
        if self.ctx.config.outcomes == "field":
            n = self._firmware_updates
            self._firmware_updates += 1
            drawn = field_failure(random.Random(f"{self.ctx.config.seed}:{self.charger_id}:fw:{n}"))
        result = outcome(location, signed=signed, core16=core16, drawn=drawn)
        self.truth(
            "firmware_update",
            location=location,
            states=list(result.states),
            installed=result.installed_version,
            boot_loop=result.boot_loop,
        )
        return result

    def finish_install(self, result: FirmwareOutcome) -> None:
        """After the last reported state: reboot into the new image (or, on a rollback, the
        old one), ending open transactions (reason Reboot); or loop on a bad image."""
        if not result.reboots:
            return
        if result.installed_version is not None:
            self.installed_firmware = result.installed_version
        for conn in self.connectors.values():
            if conn.transaction is not None:
                self.stop_transaction(conn.connector_id, reason="Reboot")
        # a bad image: the install reboot comes back in a boot loop (``_do_reboot``)
        self._boot_into_loop = result.boot_loop
        self.request_reboot(HARD_RESET, "FirmwareUpdate", graceful=True)

    # ------------------------------------------------------------------ boot / reboot
    def request_reboot(self, depth: str, reason: str, graceful: bool = True) -> None:
        """Reboot: ``depth`` is soft_reset, hard_reset or none (e.g. a watchdog boot loop)."""
        if self._reboot is None:
            self._reboot = (depth, reason, graceful)
            self._abort = not graceful
        self._kick.set()
        if not self.connected and self.phase in ("offline", "connecting", "off"):
            # not connected: reboot happens when the run loop next looks
            pass

    async def _do_reboot(self, depth: str, reason: str) -> None:
        self._set_phase("rebooting")
        self.truth("reboot", depth=depth, reason=reason)
        self.note(f"rebooting ({depth}, {reason})")
        for conn in self.connectors.values():
            if conn.transaction is not None:
                self._end_transaction(conn, "Reboot" if depth != HARD_RESET else "HardReset")
            conn.plugged = False
            conn.finishing = False
        self.outbox = deque(
            (item for item in self.outbox if type(item[0]).__name__ != "StatusNotification"),
            maxlen=self.outbox.maxlen,
        )
        if depth in (SOFT_RESET, HARD_RESET):
            for key, fault in list(self.faults.items()):
                cleared, delay = self._outcome(fault, depth)
                if cleared:
                    self._remove_fault(key, how=depth, permanent=delay is None, notify=False)
                    self._report_after_boot.append(fault)
                    if delay is not None:
                        self._recur.append((fault, delay))
        self._last_status.clear()
        delay = self.timing.hard_reboot_s if depth == HARD_RESET else self.timing.soft_reboot_s
        await self.ctx.clock.sleep(delay)
        self.boot_reason = reason
        if self._boot_into_loop:
            self._boot_into_loop = False
            self.inject_now("firmware_boot_failure", 0, source="firmware-update")

    def _after_boot(self) -> None:
        self._last_status.clear()
        for fault, delay in self._recur:
            self.ctx.clock.call_later(delay, lambda f=fault: self._recur_fault(f))
        self._recur = []
        for fault in self._report_after_boot:  # 2.0.1: the problem is gone after the boot
            self.report_fault(fault, cleared=True)
        self._report_after_boot = []
        for fault in self.faults.values():
            self.report_fault(fault, cleared=False)
        self._arm_behaviour()
        self.on_booted()

    def _after_reconnect(self) -> None:
        self._arm_behaviour()

    def _arm_behaviour(self) -> None:
        if self._has_behaviour(FLAPPING):
            up = self.rng.uniform(self.timing.flap_up_min_s, self.timing.flap_up_max_s)
            self._behaviour_handle = self.ctx.clock.call_later(up, self.drop_connection)
        elif self._has_behaviour(BOOT_LOOP):
            self._behaviour_handle = self.ctx.clock.call_later(
                self.timing.boot_loop_s,
                lambda: self.request_reboot("none", self.watchdog_reason(), graceful=False),
            )

    def _recur_fault(self, old: ActiveFault) -> None:
        key = (old.spec.key, old.connector_id)
        if self._stopping or key in self.faults:
            return
        self.truth("fault_recurred", fault=key[0], connector_id=key[1])
        self._add_fault(old.spec, old.connector_id, old.cause, old.rng, evidence=old.evidence)

    def _outcome(self, fault: ActiveFault, action: str) -> tuple[bool, float | None]:
        """Does ``action`` clear ``fault``, and if so, after how many seconds does it come
        back (None: for good)? Ideal mode follows the catalogue; field mode draws from the
        fault's own generator with its hidden cause's probabilities."""
        if fault.cause is None or fault.rng is None:
            if not fault.spec.clears_on(action):
                return False, None
            truth = fault.spec.truth
            return True, (truth.recur_delay_s or 0.0) if truth.recurs_after_reset else None
        if fault.rng.random() >= fault.cause.p_clear(action):
            return False, None
        if fault.rng.random() >= fault.cause.recur_p:
            return True, None
        lo, hi = fault.cause.recur_delay_s
        return True, lo * (hi / lo) ** fault.rng.random()

    def site_visit(self) -> dict[str, list[str]]:
        """A technician on site: each fault is fixed with its cause's first-time-fix chance
        (always in ideal mode); the charger is left in service. Returns fixed/unfixed keys."""
        fixed, unfixed = [], []
        hung = self._has_behaviour(HANG)
        for key, fault in list(self.faults.items()):
            if "site" in fault.spec.tags:
                continue  # the utility's or the network provider's to restore, not his
            ok = fault.rng is None or fault.cause is None
            ok = ok or fault.rng.random() < fault.cause.visit_ftf  # type: ignore[union-attr]
            if ok:
                self._remove_fault(key, how="site_visit", permanent=True, notify=True)
                fixed.append(key[0])
            else:
                unfixed.append(key[0])
        self.truth("site_visit", fixed=fixed, unfixed=unfixed)
        if hung and not self._has_behaviour(HANG):
            self.request_reboot("none", "PowerUp", graceful=False)  # power-cycled on site
        if not self.charger_operative:
            self.set_availability(0, True)
        for conn_id, conn in self.connectors.items():
            if not conn.operative:
                self.set_availability(conn_id, True)
        self._sync_status()
        self._changed()
        if not self._has_behaviour(OFFLINE):
            self._kick.set()
        return {"fixed": fixed, "unfixed": unfixed}

    # ------------------------------------------------------------------ faults
    async def inject(
        self, fault: str, connector_id: int | None = None, source: str = "library"
    ) -> None:
        self.inject_now(fault, connector_id, source)

    def inject_now(
        self,
        fault: str,
        connector_id: int | None = None,
        source: str = "api",
        cause: str | None = None,
        clear_after_s: float | None = None,
        **detail: Any,
    ) -> None:
        """Inject a fault now. ``clear_after_s`` overrides the fault's own self-clear delay
        (a site outage's drawn duration); ``detail`` goes into the ground-truth record."""
        try:
            spec = get_fault(fault)
        except KeyError as exc:
            raise SimulatorError(str(exc.args[0])) from None
        if spec.scope == "charger":
            cid = 0
        else:
            cid = connector_id if connector_id is not None else min(self.connectors)
            conn = self.connector(cid)
            if spec.current is not None and conn.spec.current != spec.current:
                raise SimulatorError(
                    f"{spec.key} needs a {spec.current} connector; "
                    f"{self.charger_id}:{cid} is {conn.spec.current}"
                )
        if (spec.key, cid) in self.faults:
            raise SimulatorError(f"{spec.key} is already active on {self.charger_id}:{cid}")
        drawn: Cause | None = None
        rng: random.Random | None = None
        evidence: tuple[str, ...] = ()
        causes = spec.field_causes()
        # a cause the caller named: in ideal mode it keeps the catalogue's outcomes (no
        # generator), but what it leaves behind (log lines, security events) is its own
        named = next((c for c in causes if c.key == cause), None)
        if cause is not None and named is None:
            known = ", ".join(c.key for c in causes)
            raise SimulatorError(f"{spec.key} has no cause {cause!r}; its causes: {known}")
        if self.ctx.config.outcomes == "field":
            # the n-th injection of this fault here draws the same numbers whatever else
            # happened before it, so every benchmark arm meets the same causes and luck
            n = self._injections.get((spec.key, cid), 0)
            self._injections[(spec.key, cid)] = n + 1
            rng = random.Random(f"{self.ctx.config.seed}:{self.charger_id}:{spec.key}:{cid}:{n}")
            picked = rng.choices(causes, [c.weight for c in causes])[0]
            drawn = named or picked
            # the log lines come from a generator of this fault's own (its seed, one more
            # name): the same lines in every arm, and the outcome draws of ``rng`` unchanged
            log_rng = random.Random(
                f"{self.ctx.config.seed}:{self.charger_id}:{spec.key}:{cid}:{n}:log"
            )
            evidence = evidence_lines(
                self.plan.model.vendor,
                drawn.trace,
                drawn.trace_p,
                drawn.misleading,
                drawn.misleading_p,
                cid,
                log_rng,
            )
        elif named is not None:
            # ideal mode is deterministic: a cause named by the caller always leaves its own
            # line, never a misleading one
            evidence = evidence_lines(
                self.plan.model.vendor, named.trace, 1.0, None, 0.0, cid, random.Random(cause)
            )
        truth_cause = drawn or named or causes[0]
        self.truth(
            "fault_injected",
            fault=spec.key,
            connector_id=cid,
            source=source,
            vendor_error_code=self.vendor_code(spec),
            remedy=spec.truth.remedy,
            cause=truth_cause.key,
            root_cause=truth_cause.root_cause,
            remote_fixable=truth_cause.remote_fixable,
            **detail,
        )
        self._add_fault(spec, cid, drawn or named, rng, clear_after_s, evidence)

    def _add_fault(
        self,
        spec: FaultSpec,
        cid: int,
        cause: Cause | None = None,
        rng: random.Random | None = None,
        clear_after_s: float | None = None,
        evidence: tuple[str, ...] = (),
    ) -> None:
        self._event_seq += 1
        fault = ActiveFault(
            spec, cid, utc_iso(), event_id=self._event_seq, cause=cause, rng=rng, evidence=evidence
        )
        self.faults[(spec.key, cid)] = fault
        self.note(f"FAULT {spec.key} {self.vendor_code(spec)} connector {cid}: {spec.v16.info}")
        for line in evidence:
            self.note(line)
        self_clear = clear_after_s or spec.truth.self_clear_after_s
        if clear_after_s is None and cause is not None and cause.self_clear_s and rng is not None:
            self_clear = None  # the cause decides: it may clear by itself, or never
            if rng.random() < cause.self_clear_p:
                lo, hi = cause.self_clear_s
                self_clear = lo * (hi / lo) ** rng.random()
        if self_clear:
            fault.handle = self.ctx.clock.call_later(
                self_clear, lambda: self._self_clear(spec, cid)
            )
        behaviour = spec.truth.behaviour
        if behaviour == POWER_LOSS:
            self._lose_power(spec)
            return
        if spec.truth.stops_transaction and spec.v16.status == "Faulted":
            targets = self.connectors.values() if cid == 0 else [self.connectors[cid]]
            for conn in targets:
                if conn.transaction is not None:
                    self.stop_transaction(conn.connector_id, reason=self.fault_stop_reason(spec))
        if behaviour == OFFLINE:
            self.drop_connection()
        elif behaviour == FLAPPING and self.connected:
            self._arm_behaviour()
        elif behaviour == BOOT_LOOP and self.phase != "rebooting":
            # (while rebooting, the boot itself arms the loop: ``_arm_behaviour``)
            self.request_reboot("none", "FirmwareUpdate", graceful=False)
        if (self.phase == "online" or behaviour is None) and not spec.faceless:
            self.report_fault(fault, cleared=False)
        self._sync_status()
        self._changed()

    def _lose_power(self, spec: FaultSpec) -> None:
        """Mains power is gone: the socket dies with nothing sent; open transactions end as
        at a power loss (1.6 StopTransaction reason PowerLoss, 2.0.1 TransactionEvent Ended
        stoppedReason PowerLoss, offline), kept in the outbox and sent after the PowerUp
        boot; status notifications from before the loss are stale and dropped."""
        self._unpowered = True
        self.drop_connection()
        for conn in self.connectors.values():
            if conn.transaction is not None:
                self._end_transaction(conn, self.fault_stop_reason(spec))
            conn.plugged = False
            conn.finishing = False
        self.outbox = deque(
            (item for item in self.outbox if type(item[0]).__name__ != "StatusNotification"),
            maxlen=self.outbox.maxlen,
        )
        self._last_status.clear()
        self._changed()

    def _self_clear(self, spec: FaultSpec, cid: int) -> None:
        how = GRID if spec.truth.behaviour == POWER_LOSS else SELF_CLEAR
        if self.clear_fault(spec.key, cid, how=how) and spec.truth.behaviour == HANG:
            # the hardware watchdog reboots the hung application
            self.request_reboot("none", self.watchdog_reason(), graceful=False)

    def clear_fault(self, fault: str, connector_id: int | None = None, how: str = "manual") -> bool:
        """Clear a fault (``how``: manual, site_visit, self_clear, vehicle, grid, ...)."""
        matches = [
            key
            for key in self.faults
            if key[0] == fault and (connector_id is None or key[1] in (connector_id, 0))
        ]
        for key in matches:
            self._remove_fault(key, how=how, permanent=True, notify=True)
        if matches:
            self._sync_status()
            self._changed()
            self._kick.set()  # the run loop re-checks what still keeps it offline
        return bool(matches)

    def _remove_fault(self, key: tuple[str, int], how: str, permanent: bool, notify: bool) -> None:
        fault = self.faults.pop(key)
        if fault.handle:
            fault.handle.cancel()
        self.truth("fault_cleared", fault=key[0], connector_id=key[1], how=how, permanent=permanent)
        self.note(f"CLEARED {key[0]} connector {key[1]} by {how}")
        behaviour = fault.spec.truth.behaviour
        if behaviour in (FLAPPING, BOOT_LOOP) and self._behaviour_handle:
            self._behaviour_handle.cancel()
            self._behaviour_handle = None
        if notify and not fault.spec.faceless:
            self.report_fault(fault, cleared=True)
        if fault.cause is not None:
            for event in fault.cause.security_events:  # kept in the outbox until it is back
                self.report_security_event(event, fault.since)

    def report_security_event(
        self, event: str, timestamp: str, tech_info: str | None = None
    ) -> None:
        """Send a security event (2.0.1 name; each protocol's class names it its own way)."""
        raise NotImplementedError

    def _clear_by(
        self, action: str, connector_ids: set[int], fault_key: str | None = None
    ) -> list[str]:
        cleared = []
        for key, fault in list(self.faults.items()):
            if key[1] not in connector_ids or fault_key not in (None, key[0]):
                continue
            ok, delay = self._outcome(fault, action)
            if ok:
                self._remove_fault(key, how=action, permanent=delay is None, notify=True)
                cleared.append(key[0])
                if delay is not None:
                    self.ctx.clock.call_later(delay, lambda f=fault: self._recur_fault(f))
        return cleared

    def faults_on(self, cid: int) -> list[ActiveFault]:
        return [f for (key, c), f in self.faults.items() if c == cid]

    def blocking_fault(self, cid: int) -> ActiveFault | None:
        for fault in self.faults_on(cid) + self.faults_on(0):
            if fault.spec.v16.status == "Faulted":
                return fault
        return None

    # ------------------------------------------------------------------ status views
    def _pick(self, faults: list[ActiveFault]) -> ActiveFault | None:
        visible = [f for f in faults if f.spec.truth.behaviour != OFFLINE and not f.spec.faceless]
        if not visible:
            return None
        faulted = [f for f in visible if f.spec.v16.status == "Faulted"]
        return (faulted or visible)[-1]

    def shown_fault16(self, cid: int) -> ActiveFault | None:
        """The fault a 1.6 StatusNotification of connector cid (0: the station) reports."""
        return self._pick(self.faults_on(cid))

    def plain_status16(self, cid: int) -> str:
        """The 1.6 status of connector cid (0: the station) apart from any fault."""
        if cid == 0:
            return "Available" if self.charger_operative else "Unavailable"
        conn = self.connectors[cid]
        if not (conn.operative and self.charger_operative):
            return "Unavailable"
        if conn.transaction is not None:
            return "Charging"
        if conn.finishing:
            return "Finishing"
        if conn.plugged:
            return "Preparing"
        return "Available"

    def view16(self, cid: int) -> tuple[str, str, str | None, str | None]:
        """(status, errorCode, vendorErrorCode, info) as a 1.6 charger reports connector cid."""
        fault = self.shown_fault16(cid)
        status = self.plain_status16(cid)
        if fault is None:
            return status, "NoError", None, None
        face = fault.spec.v16
        if face.status == "Faulted":
            status = "Faulted"
        elif cid and status != "Unavailable" and face.status != "Available":
            status = face.status
        return status, face.error_code, self.vendor_code(fault.spec), face.info

    def view201(self, cid: int) -> str:
        conn = self.connectors[cid]
        faults = [f for f in self.faults_on(cid) + self.faults_on(0) if f.spec.v201]
        if any(f.spec.v201.connector_status == "Faulted" for f in faults):
            return "Faulted"
        if not (conn.operative and self.charger_operative):
            return "Unavailable"
        if (
            conn.transaction is not None
            or conn.plugged
            or any(f.spec.v201.connector_status == "Occupied" for f in faults)
        ):
            return "Occupied"
        return "Available"

    def _sync_status(self, force: set[int] | None = None) -> None:
        """Post a StatusNotification for every connector whose reported state changed."""
        for cid, view in self.status_views().items():
            if force is not None and cid in force:
                self._last_status.pop(cid, None)
            if self._last_status.get(cid) != view:
                self._last_status[cid] = view
                for payload in self.status_payloads(cid, view):
                    self.post(payload)
        self._changed()

    # ------------------------------------------------------------------ transactions
    def start_transaction(
        self, connector_id: int, id_tag: str = DEFAULT_ID_TAG, remote_start_id: int | None = None
    ) -> Transaction:
        conn = self.connector(connector_id)
        if conn.transaction is not None:
            raise SimulatorError(f"{self.charger_id}:{connector_id} already has a transaction")
        if not (conn.operative and self.charger_operative):
            raise SimulatorError(f"{self.charger_id}:{connector_id} is unavailable")
        if self._unpowered or self._has_behaviour(HANG):
            raise SimulatorError(f"{self.charger_id} is dark (no power or hung)")
        blocking = self.blocking_fault(connector_id)
        if blocking is not None:
            raise SimulatorError(
                f"{self.charger_id}:{connector_id} is faulted ({blocking.spec.key})"
            )
        self._tx_seq += 1
        self._advance_meter(conn)
        tx = Transaction(
            connector_id=connector_id,
            id_tag=id_tag,
            tx_id=f"{self.charger_id}-{self.boot_count}-{self._tx_seq}-{self.rng.randrange(16**6):06x}",
            meter_start_wh=int(conn.meter_wh),
            power_kw=round(conn.spec.max_kw * self.rng.uniform(0.3, 0.9), 1),
            started_at=utc_iso(),
            remote_start_id=remote_start_id,
        )
        conn.plugged = True
        conn.finishing = False
        conn.transaction = tx
        self.truth("transaction_started", connector_id=connector_id, tx_id=tx.tx_id, id_tag=id_tag)
        self.note(f"transaction {tx.tx_id} started on connector {connector_id} for {id_tag}")
        self.post_transaction_start(conn, tx)
        self._sync_status()
        self._arm_meter(conn, tx)
        return tx

    def _arm_meter(self, conn: ConnectorState, tx: Transaction) -> None:
        interval = float(self.meter_interval())

        def tick() -> None:
            if conn.transaction is tx and not self._stopping:
                self._advance_meter(conn)
                self.post_meter_values(conn, tx)
                tx.meter_handle = self.ctx.clock.call_later(interval, tick)

        if interval > 0:
            tx.meter_handle = self.ctx.clock.call_later(interval, tick)

    def _advance_meter(self, conn: ConnectorState) -> None:
        now = time.monotonic()
        tx = conn.transaction
        if tx is not None and self.blocking_fault(conn.connector_id) is None:
            hours = (now - conn.meter_at) * self.ctx.clock.speed / 3600
            conn.meter_wh += tx.power_kw * 1000 * hours
        conn.meter_at = now

    def stop_transaction(self, connector_id: int, reason: str = "Local") -> bool:
        conn = self.connector(connector_id)
        if conn.transaction is None:
            return False
        self._end_transaction(conn, reason)
        conn.finishing = True
        self._sync_status()
        conn.finishing = False
        conn.plugged = False
        self._sync_status()
        self._after_transaction_end(conn)
        return True

    def _end_transaction(self, conn: ConnectorState, reason: str) -> None:
        tx = conn.transaction
        assert tx is not None
        self._advance_meter(conn)
        if tx.meter_handle:
            tx.meter_handle.cancel()
        conn.transaction = None
        self.truth(
            "transaction_stopped",
            connector_id=conn.connector_id,
            tx_id=tx.tx_id,
            reason=reason,
            energy_wh=int(conn.meter_wh) - tx.meter_start_wh,
        )
        self.note(f"transaction {tx.tx_id} stopped ({reason})")
        self.post_transaction_stop(conn, tx, int(conn.meter_wh), reason)
        self._clear_by("vehicle", {conn.connector_id})

    def _after_transaction_end(self, conn: ConnectorState) -> None:
        if conn.pending_operative is not None:
            target, conn.pending_operative = conn.pending_operative, None
            self.set_availability(conn.connector_id, target)
        if self._scheduled_reset and not self.active_transactions():
            self._scheduled_reset = False
            self.request_reboot(HARD_RESET, "ScheduledReset", graceful=True)

    def active_transactions(self) -> list[Transaction]:
        return [c.transaction for c in self.connectors.values() if c.transaction is not None]

    def find_transaction(self, tx_ref: str | int) -> ConnectorState | None:
        for conn in self.connectors.values():
            tx = conn.transaction
            if tx is not None and (str(tx_ref) in (tx.tx_id, str(tx.csms_tx_id))):
                return conn
        return None

    @property
    def certificates(self) -> StationCertificates:
        """Its certificate store (A02/A03, M03-M05), made on first use."""
        store = getattr(self, "_certificates", None)
        if store is None:
            store = self._certificates = StationCertificates(self.charger_id)
        return store

    # ------------------------------------------------------------------ commands (shared)
    def record_command(self, action: str, payload: dict[str, Any], answer: str) -> None:
        self.commands += 1
        self.truth("command", action=action, payload=payload, answer=answer)
        self.note(f"command {action} {payload} -> {answer}")
        self._changed()

    def set_availability(self, connector_id: int, operative: bool) -> str:
        """Apply (or schedule) an availability change; 0 = whole charger. Returns the answer.

        OCPP 1.6 §5.2: Inoperative while a transaction is in progress is Scheduled, applied
        once it ends; an Inoperative charger allows no charging (starts are refused); the
        state persists a reboot (nothing here is reset by one). A later Operative cancels a
        Scheduled Inoperative (the CSMS changed its mind, e.g. a drain that found a charge)."""
        targets = (
            list(self.connectors.values()) if connector_id == 0 else [self.connector(connector_id)]
        )
        busy = [c for c in targets if c.transaction is not None]
        if not operative and busy:
            for conn in busy:
                conn.pending_operative = False
            return "Scheduled"
        if operative:
            for conn in targets:
                conn.pending_operative = None
        if connector_id == 0:
            if not operative:
                self.charger_operative = False
                self.charger_cycle_armed = True
            else:
                was_armed = self.charger_cycle_armed or not self.charger_operative
                self.charger_operative = True
                self.charger_cycle_armed = False
                if was_armed:
                    self._clear_by(AVAILABILITY_CYCLE, {0, *self.connectors})
        for conn in targets if connector_id != 0 else []:
            if not operative:
                conn.operative = False
                conn.cycle_armed = True
            else:
                armed = conn.cycle_armed or not conn.operative
                conn.operative = True
                conn.cycle_armed = False
                if armed:
                    self._clear_by(AVAILABILITY_CYCLE, {conn.connector_id})
        self._sync_status()
        return "Accepted"

    def unlock(self, connector_id: int) -> str:
        """Returns Unlocked, UnlockFailed."""
        if any(f.spec.key == "welded_contactor" for f in self.faults_on(connector_id)):
            return "UnlockFailed"
        self._clear_by(UNLOCK, {connector_id})
        self._sync_status()
        return "Unlocked"

    def restart_key(self, key: str) -> bool:
        """Is ``key`` (this protocol's spelling) one of the model's peripheral restarts?"""
        return any(r.matches(self.ocpp_version, key) for r in self.plan.model.peripheral_restarts)

    def restart_peripheral(self, restart: PeripheralRestart) -> None:
        """A vendor key restarted one peripheral: it is back after ``PERIPHERAL_BOOT_S``. The
        charger keeps running: no reboot, no charge ends."""
        self.ctx.clock.call_later(PERIPHERAL_BOOT_S, lambda: self.peripheral_back(restart))

    def peripheral_back(self, restart: PeripheralRestart) -> None:
        """The restarted peripheral is back: its failure clears with the hidden cause's
        chance (a hung terminal application often, a broken terminal never)."""
        if self._stopping:
            return
        self.truth("peripheral_restarted", fault=restart.fault)
        if self._clear_by(RESTART_PERIPHERAL, {0, *self.connectors}, restart.fault):
            self._sync_status()
            self._changed()

    @staticmethod
    def log_file_name(charger_id: str, log_type: str, request_id: int) -> str:
        return f"{charger_id}-{log_type}-{request_id}.log"

    async def upload_log(
        self, location: str, log_type: str, request_id: int, status_message: Any
    ) -> None:
        """GetLog (2.0.1, and the 1.6 security extension): upload, reporting each state with
        the version's LogStatusNotification class."""
        file_name = self.log_file_name(self.charger_id, log_type, request_id)
        self.post(status_message(status="Uploading", request_id=request_id))
        ok = await self.upload_diagnostics(location, file_name)
        status = "Uploaded" if ok else "UploadFailure"
        self.post(status_message(status=status, request_id=request_id))

    async def upload_diagnostics(self, location: str, file_name: str) -> bool:
        body = self.diagnostics_text().encode()
        client = self.ctx.http
        if client is None:
            async with httpx.AsyncClient(timeout=10) as own:
                ok = await upload_log(own, location, file_name, body)
        else:
            ok = await upload_log(client, location, file_name, body)
        if ok:
            self.uploads += 1
        self.truth("diagnostics_upload", location=location, file_name=file_name, ok=ok)
        self._changed()
        return ok

    def diagnostics_text(self) -> str:
        model = self.plan.model
        lines = [
            f"# diagnostics {self.charger_id}",
            f"vendor={model.vendor} model={model.model} firmware={model.firmware}",
            f"ocpp={self.ocpp_version} boot_count={self.boot_count} boot_reason={self.boot_reason}",
        ]
        for cid in [0, *self.connectors]:
            status, code, vendor_code, info = self.view16(cid)
            lines.append(f"connector {cid}: {status} {code} {vendor_code or ''} {info or ''}")
        for fault in self.faults.values():
            lines.append(
                f"active: {self.vendor_code(fault.spec)} {fault.spec.v16.info} since {fault.since}"
            )
        # the charger's error log keeps what its active faults left even when the recent
        # log has scrolled past it
        errors = [line for fault in self.faults.values() for line in fault.evidence]
        if errors:
            lines.append("# error log")
            lines.extend(
                f"{fault.since} {line}" for fault in self.faults.values() for line in fault.evidence
            )
        lines.append("# recent log")
        lines.extend(self.log)
        return "\n".join(lines) + "\n"

    # ------------------------------------------------------------------ true state / waiting
    def true_state(self) -> ChargerTrueState:
        model = self.plan.model
        connectors = []
        for cid in [0, *self.connectors]:
            status, code, vendor_code, info = self.view16(cid)
            tx_view = None
            conn = self.connectors.get(cid)
            if conn is not None and conn.transaction is not None:
                tx = conn.transaction
                tx_view = TransactionView(
                    tx_id=tx.tx_id,
                    csms_tx_id=tx.csms_tx_id,
                    id_tag=tx.id_tag,
                    started_at=tx.started_at,
                    meter_start_wh=tx.meter_start_wh,
                    energy_wh=int(conn.meter_wh) - tx.meter_start_wh,
                )
            connectors.append(
                ConnectorView(
                    connector_id=cid,
                    status=status,
                    status_201=self.view201(cid) if cid else None,
                    error_code=code,
                    vendor_error_code=vendor_code,
                    info=info,
                    operative=self.charger_operative and (conn.operative if conn else True),
                    transaction=tx_view,
                )
            )
        return ChargerTrueState(
            charger_id=self.charger_id,
            site=self.plan.site,
            vendor=model.vendor,
            model=model.model,
            firmware=model.firmware,
            ocpp_version=self.ocpp_version,
            phase=self.phase,
            connected=self.connected,
            boot_count=self.boot_count,
            boot_reason=self.boot_reason,
            heartbeat_interval=self.heartbeat_interval,
            connectors=connectors,
            faults=[
                FaultView(
                    fault=f.spec.key,
                    connector_id=f.connector_id,
                    since=f.since,
                    clears_by=list(f.spec.truth.clears_by),
                    remedy=f.spec.truth.remedy,
                )
                for f in self.faults.values()
            ],
            outbox=len(self.outbox),
            commands=self.commands,
            uploads=self.uploads,
            last_error=self.last_error,
        )

    async def wait_for(
        self, predicate: Callable[[ChargerTrueState], bool], timeout: float = 10.0
    ) -> ChargerTrueState:
        """Wait until ``predicate(true_state)`` holds; TimeoutError names the last state."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        event = asyncio.Event()
        self._watchers.append(event)
        try:
            while True:
                state = self.true_state()
                if predicate(state):
                    return state
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise TimeoutError(f"{self.charger_id}: condition not met; state {state}")
                event.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(min(remaining, 0.5)):
                        await event.wait()
        finally:
            self._watchers.remove(event)

    # ------------------------------------------------------------------ version faces
    def boot_payload(self) -> Any:
        raise NotImplementedError

    def heartbeat_payload(self) -> Any:
        raise NotImplementedError

    def status_views(self) -> dict[int, tuple]:
        raise NotImplementedError

    def status_payloads(self, cid: int, view: tuple) -> list[Any]:
        """The StatusNotification(s) that report a connector's view, in order."""
        raise NotImplementedError

    def report_fault(self, fault: ActiveFault, cleared: bool) -> None:
        raise NotImplementedError

    def post_transaction_start(self, conn: ConnectorState, tx: Transaction) -> None:
        raise NotImplementedError

    def post_transaction_stop(
        self, conn: ConnectorState, tx: Transaction, meter_stop: int, reason: str
    ) -> None:
        raise NotImplementedError

    def post_meter_values(self, conn: ConnectorState, tx: Transaction | None) -> None:
        raise NotImplementedError

    def meter_interval(self) -> float:
        raise NotImplementedError

    def fault_stop_reason(self, spec: FaultSpec) -> str:
        raise NotImplementedError

    def watchdog_reason(self) -> str:
        return "Watchdog"

    def on_booted(self) -> None:
        """Version-specific messages after an accepted boot."""
