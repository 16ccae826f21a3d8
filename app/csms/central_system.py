"""The OCPP central system: accepts chargers over websockets and sends them commands."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote

import ocpp.messages
from ocpp.exceptions import OCPPError
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from app.csms.charge_point import ChargerGone
from app.csms.context import CsmsContext
from app.csms.directory import ChargerDirectory, RegistrationError, site_id_from_charger_id
from app.csms.handlers_v16 import ChargePoint16
from app.csms.handlers_v201 import ChargePoint201
from app.db.base import utcnow
from app.errors import ChargerOffline, ChargerRefused, ChargerTimeout
from app.fleet.model import OpenFault
from app.security.passwords import new_charger_password
from app.security.tls import (
    ClientCertificate,
    certificate_problem,
    client_certificate,
    server_context,
)

log = logging.getLogger(__name__)
LIVENESS_SLICE = 1000  # chargers checked between two yields to the event loop

SUBPROTOCOLS = [Subprotocol("ocpp2.0.1"), Subprotocol("ocpp1.6")]
PATH_PREFIX = "/ocpp/"
OFFLINE_FAULT_SOURCE = "offline"


@dataclass
class _Connection:
    charge_point: ChargePoint16 | ChargePoint201
    websocket: ServerConnection
    connected_at: float = field(default_factory=time.monotonic)


class CentralSystem:
    def __init__(self, context: CsmsContext, directory: ChargerDirectory) -> None:
        self.context = context
        self.settings = context.settings
        self.directory = directory
        # set by the backend: asks a charger that reconnected without booting for its status
        # (through the command gateway, like every command)
        self.on_reconnect_without_boot: Callable[[str], Awaitable[Any]] | None = None
        self.connections: dict[str, _Connection] = {}
        # set by the backend: the certificate expiry watch sees each profile-3 certificate
        self.on_client_certificate: Callable[[str, ClientCertificate], None] | None = None
        self._server: Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        ocpp.messages.ASYNC_VALIDATION = self.settings.async_schema_validation

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        ssl_context = server_context(self.settings)  # profiles 2 and 3 (app/security/tls.py)
        self._server = await serve(
            self._handle,
            self.settings.host,
            self.settings.ocpp_port,
            subprotocols=SUBPROTOCOLS,
            process_request=self._authenticate,
            max_size=self.settings.ws_max_message_bytes,
            ping_interval=self.settings.ws_ping_interval,
            ping_timeout=self.settings.ws_ping_timeout,
            compression=None,
            ssl=ssl_context,
            logger=logging.getLogger("chargefix.ws"),
            backlog=4096,
        )
        self._spawn(self._watchdog(), "offline-watchdog")

    @property
    def port(self) -> int:
        assert self._server is not None
        return next(iter(self._server.sockets)).getsockname()[1]

    @property
    def scheme(self) -> str:
        return "wss" if self.settings.tls_cert_file else "ws"

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 5)
        self._server = None

    def _spawn(self, coro: Any, name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # -- handshake ---------------------------------------------------------------------------
    async def _authenticate(
        self, connection: ServerConnection, request: Request
    ) -> Response | None:
        remote = _remote(connection)
        path = request.path.split("?", 1)[0]
        if not path.startswith(PATH_PREFIX) or len(path) <= len(PATH_PREFIX):
            return connection.respond(HTTPStatus.NOT_FOUND, "Use /ocpp/{chargePointId}\n")
        charger_id = unquote(path[len(PATH_PREFIX) :]).strip("/")
        recorder = self.context.recorder
        identity = self.directory.cached(charger_id)
        if identity is None:
            identity = await asyncio.to_thread(self.directory.lookup, charger_id)
        if (
            identity is not None
            and identity.security_profile != 3
            and self.settings.tls_client_ca_file is not None
        ):
            # Another node may have raised it to profile 3: read it again before Basic auth
            # lets it in (A05, TC_A_19_CSMS: no lower profile once it uses the higher one).
            identity = await asyncio.to_thread(self.directory.refresh, charger_id)
        profile = (identity.security_profile or 1) if identity is not None else 1
        if profile >= 2 and connection.transport.get_extra_info("ssl_object") is None:
            recorder.security_event(
                "InsecureConnection",
                charger_id=charger_id,
                detail=f"security profile {profile} needs TLS",
                remote=remote,
            )
            return _unauthorized(connection, "this charger connects over TLS (wss)")
        if identity is not None and profile == 3:
            # A00.FR.401..407: the client certificate is the credential; no HTTP Basic
            presented = client_certificate(connection.transport)
            problem = certificate_problem(presented, charger_id, self.settings.tls_organization)
            if self.settings.tls_client_ca_file is None:
                problem = "no client CA configured (CHARGEFIX_TLS_CLIENT_CA_FILE)"
            if problem is not None:
                recorder.security_event(
                    "InvalidChargerCertificate", charger_id=charger_id, detail=problem,
                    remote=remote,
                )  # fmt: skip
                return connection.respond(HTTPStatus.FORBIDDEN, problem + "\n")
            connection.client_certificate = presented  # type: ignore[attr-defined]
            if self.on_client_certificate is not None and presented is not None:
                self.on_client_certificate(charger_id, presented)  # the expiry watch
            connection.charger_id = charger_id  # type: ignore[attr-defined]
            connection.site_id = identity.site_id  # type: ignore[attr-defined]
            return None
        if identity is not None and await self._upgraded_to_profile_3(
            connection, request, charger_id, profile, remote
        ):
            connection.charger_id = charger_id  # type: ignore[attr-defined]
            connection.site_id = identity.site_id  # type: ignore[attr-defined]
            return None
        user, password = _basic_credentials(request.headers)
        if user is None or password is None:
            recorder.security_event(
                "MissingCredentials", charger_id=charger_id, detail="no HTTP Basic", remote=remote
            )
            return _unauthorized(connection, "HTTP Basic credentials required (profile 1)")
        if user != charger_id:
            recorder.security_event(
                "IdentityMismatch",
                charger_id=charger_id,
                detail=f"username {user[:48]!r} is not the charge point id",
                remote=remote,
            )
            return _unauthorized(connection, "username must be the charge point id")
        if identity is None and self.settings.auto_register:
            try:
                identity = await asyncio.to_thread(
                    self.directory.register, charger_id, password, auto=True
                )
            except RegistrationError as error:
                recorder.security_event(
                    "AutoRegisterRefused", charger_id=charger_id, detail=str(error), remote=remote
                )
                return _unauthorized(connection, str(error))
            recorder.security_event(
                "AutoRegistered", charger_id=charger_id, detail=None, remote=remote
            )
        if identity is None:
            recorder.security_event(
                "UnknownChargePoint", charger_id=charger_id, detail=None, remote=remote
            )
            return _unauthorized(connection, "unknown charge point")
        login = self.directory.login(identity, password)
        if login is None:
            recorder.security_event(
                "InvalidChargePointPassword", charger_id=charger_id, detail=None, remote=remote
            )
            return _unauthorized(connection, "bad credentials")
        if login == "pending":  # A01: the first login with the new password revokes the old
            await asyncio.to_thread(self.directory.promote, charger_id)
            recorder.security_event(
                "BasicAuthPasswordAdopted",
                charger_id=charger_id,
                detail="logged in with the rotated password; the old one is revoked",
                remote=remote,
            )
        if profile < 2 and connection.transport.get_extra_info("ssl_object") is not None:
            await self._raise_profile(charger_id, profile, 2, "TLS with HTTP Basic", remote)
        connection.charger_id = charger_id  # type: ignore[attr-defined]
        connection.site_id = identity.site_id  # type: ignore[attr-defined]
        return None

    # -- A05: upgrade of a charger's security profile ------------------------------------------
    # TC_A_19_CSMS (A05): the CSMS sends SetNetworkProfile with securityProfile + 1, sets
    # OCPPCommCtrlr.NetworkConfigurationPriority to that slot and resets the station; it then
    # accepts the station reconnecting with the higher profile (steps 7-8) and SHALL NOT accept
    # it reconnecting with the lower one (steps 10-11). The profile a charger is seen using is
    # therefore its profile from then on: raised here on first use, never lowered here (only
    # an admin sets a lower one, PUT /api/chargers/{id}/security-profile).
    async def _upgraded_to_profile_3(
        self,
        connection: ServerConnection,
        request: Request,
        charger_id: str,
        profile: int,
        remote: str | None,
    ) -> bool:
        """A charger below profile 3 that connects the profile-3 way (a client certificate of
        the operator CA with its identity as CN, A00.FR.403..405, and no HTTP Basic) has been
        upgraded: it is accepted, and profile 3 holds for it from now on."""
        if self.settings.tls_client_ca_file is None or "Authorization" in request.headers:
            return False
        presented = client_certificate(connection.transport)
        if presented is None:
            return False
        if certificate_problem(presented, charger_id, self.settings.tls_organization):
            return False  # not its certificate: the Basic-auth path refuses it
        await self._raise_profile(charger_id, profile, 3, "TLS client certificate", remote)
        connection.client_certificate = presented  # type: ignore[attr-defined]
        if self.on_client_certificate is not None:
            self.on_client_certificate(charger_id, presented)  # the expiry watch
        return True

    async def _raise_profile(
        self, charger_id: str, old: int, new: int, how: str, remote: str | None
    ) -> None:
        await asyncio.to_thread(self.directory.set_security_profile, charger_id, new)
        self.context.recorder.security_event(
            "SecurityProfileRaised",
            charger_id=charger_id,
            detail=f"connected with security profile {new} ({how}); profile {old} is refused "
            "from now on (A05, TC_A_19_CSMS)",
            remote=remote,
        )

    # -- one charger's connection --------------------------------------------------------------
    async def _handle(self, websocket: ServerConnection) -> None:
        charger_id: str = websocket.charger_id  # type: ignore[attr-defined]
        version = "2.0.1" if websocket.subprotocol == "ocpp2.0.1" else "1.6"
        cls = ChargePoint201 if version == "2.0.1" else ChargePoint16
        charge_point = cls(charger_id, websocket, self.context)
        # One live socket per charger: the newest wins at once. Nothing is awaited before it is
        # registered, so of several simultaneous connections the last one holds the charger,
        # and an older half-open socket cannot hold up the new one's BootNotification.
        previous = self.connections.get(charger_id)
        self.connections[charger_id] = _Connection(charge_point, websocket)
        if previous is not None:
            self._supersede(previous)
        live = self.context.live
        live.ensure(charger_id, websocket.site_id)  # type: ignore[attr-defined]
        live.set_connected(charger_id, version, self.settings.node_id)
        live.clear_faults_where(charger_id, lambda f: f.source == OFFLINE_FAULT_SOURCE)
        if self.settings.refresh_state_on_connect:
            self._spawn(self._refresh_after_connect(charge_point), f"refresh-{charger_id}")
        try:
            await charge_point.start()
        except ConnectionClosed:
            pass
        except Exception:
            log.exception("connection of %s failed", charger_id)
        finally:
            charge_point.closed.set()
            current = self.connections.get(charger_id)
            if current is not None and current.charge_point is charge_point:
                del self.connections[charger_id]
                live.set_disconnected(charger_id)

    def _supersede(self, previous: _Connection) -> None:
        """An older socket of a charger that connected again: it changes nothing from now on,
        its pending commands fail at once, and it is closed in the background."""
        previous.charge_point.superseded = True
        previous.charge_point.closed.set()
        self._spawn(
            self._close_superseded(previous.websocket),
            f"close-superseded-{previous.charge_point.id}",
        )

    async def _close_superseded(self, websocket: ServerConnection) -> None:
        try:
            await asyncio.wait_for(
                websocket.close(code=1000, reason="replaced by a new connection"),
                self.settings.superseded_close_timeout,
            )
        except Exception:  # a peer that stopped reading: drop the TCP connection
            websocket.transport.abort()

    async def _refresh_after_connect(self, charge_point: ChargePoint16 | ChargePoint201) -> None:
        """A charger that reconnects without rebooting is asked for its connectors' status."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(charge_point.booted.wait(), 3.0)
            return  # it booted: it reports its status itself
        if charge_point.closed.is_set() or self.on_reconnect_without_boot is None:
            return
        with contextlib.suppress(Exception):
            await self.on_reconnect_without_boot(charge_point.id)

    # -- offline detection -----------------------------------------------------------------------
    async def _watchdog(self) -> None:
        while True:
            interval = max(0.2, min(10.0, self.settings.heartbeat_interval / 4))
            await asyncio.sleep(interval)
            try:
                await self.check_liveness()
            except Exception:
                log.exception("offline watchdog failed")

    async def check_liveness(self) -> None:
        """Close silent connections; raise an offline fault after the debounce period."""
        now = utcnow()
        live = self.context.live
        for number, (charger_id, conn) in enumerate(list(self.connections.items()), start=1):
            if number % LIVENESS_SLICE == 0:
                await asyncio.sleep(0)  # 5,000 chargers in one go held the loop for 8 ms
            state = live.get(charger_id)
            interval = (state.heartbeat_interval if state else None) or (
                self.settings.heartbeat_interval
            )
            if state and state.last_seen:
                silent = (now - state.last_seen).total_seconds()
                if silent > self.settings.offline_factor * interval:
                    await conn.websocket.close(code=1001, reason="no message within 2.5 intervals")
        for number, state in enumerate(list(live.all()), start=1):
            if number % LIVENESS_SLICE == 0:
                await asyncio.sleep(0)
            if state.online or state.disconnected_at is None:
                continue
            if any(f.source == OFFLINE_FAULT_SOURCE for f in state.open_faults):
                continue
            gone_for = (now - state.disconnected_at).total_seconds()
            if gone_for >= self.settings.offline_debounce_seconds:
                live.raise_fault(
                    state.charger_id,
                    OpenFault(
                        source=OFFLINE_FAULT_SOURCE,
                        error_code="Offline",
                        info=f"no connection since {state.disconnected_at.isoformat()}",
                        raised_at=state.disconnected_at,
                    ),
                )

    def client_certificates(self) -> dict[str, ClientCertificate]:
        """The client certificate of each charger connected here with profile 3."""
        found = {}
        for charger_id, conn in list(self.connections.items()):
            cert = getattr(conn.websocket, "client_certificate", None)
            if cert is not None:
                found[charger_id] = cert
        return found

    # -- the link the command gateway sends through ---------------------------------------
    def holds(self, charger_id: str) -> bool:
        return charger_id in self.connections

    def ocpp_version(self, charger_id: str) -> str | None:
        conn = self.connections.get(charger_id)
        return conn.charge_point._ocpp_version if conn else None

    async def call(self, charger_id: str, payload: Any) -> Any:
        """Send one OCPP call (built by the command gateway) and return the charger's answer;
        the edge's failures become the domain's command errors."""
        conn = self.connections.get(charger_id)
        if conn is None:
            raise ChargerOffline(f"charger {charger_id} is offline")
        action = type(payload).__name__
        timeout = self.settings.command_timeout
        try:
            return await conn.charge_point.call_or_fail(payload, timeout)
        except ChargerGone as error:
            raise ChargerOffline(
                f"charger {charger_id} disconnected before answering {action}"
            ) from error
        except TimeoutError as error:
            raise ChargerTimeout(
                f"charger {charger_id} did not answer {action} within {timeout:g} s"
            ) from error
        except OCPPError as error:
            raise ChargerRefused(
                f"charger {charger_id} answered {action} with CALLERROR {error.code}",
                detail={"code": error.code, "description": error.description},
            ) from error

    # -- registration helpers used by the API and CLI ---------------------------------------
    async def register(
        self, charger_id: str, password: str | None = None, **fields: Any
    ) -> tuple[str, str]:
        """Register a charger; returns (site id, password) (a new password when none given)."""
        secret = password or new_charger_password()
        identity = await asyncio.to_thread(self.directory.register, charger_id, secret, **fields)
        self.context.live.ensure(
            charger_id, identity.site_id or site_id_from_charger_id(charger_id)
        )
        return identity.site_id, secret

    async def unregister(self, charger_id: str) -> bool:
        conn = self.connections.get(charger_id)
        if conn is not None:
            await conn.websocket.close(code=1000, reason="charger removed")
        removed = await asyncio.to_thread(self.directory.remove, charger_id)
        self.context.live.forget(charger_id)
        return removed


def _basic_credentials(headers: Headers) -> tuple[str | None, str | None]:
    value = headers.get("Authorization", "")
    scheme, _, encoded = value.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None, None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None, None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else (None, None)


def _unauthorized(connection: ServerConnection, text: str) -> Response:
    response = connection.respond(HTTPStatus.UNAUTHORIZED, text + "\n")
    response.headers["WWW-Authenticate"] = 'Basic realm="chargefix-ocpp", charset="UTF-8"'
    return response


def _remote(connection: ServerConnection) -> str | None:
    address = connection.remote_address
    return f"{address[0]}:{address[1]}" if address else None
