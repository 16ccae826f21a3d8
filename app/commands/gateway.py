"""The command gateway: the one door every remote action goes through.

REST API calls, procedure steps, consultants' commands and self-diagnosis all call
:meth:`CommandGateway.execute`. It validates the parameters against the catalogue, finds the
charger (on this node, or forwards to the node that holds its socket), runs the guards
(``app/commands/guards.py``), drains a 1.6 charger before a reset or unlock (``drain.py``:
the charger itself must refuse new charges before the reset goes, or a charge that starts
after the guards looked is cut), sends the OCPP call through the edge, and audits every
attempt, refused ones included: who, what, on whose behalf, what was overridden, why it was
refused, and each drain and restore step.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError

from app.commands import drain, guards
from app.commands.catalogue import (
    COMMANDS,
    AvailabilityParams,
    CommandParams,
    DiagnosticsParams,
    InvalidCommand,
    RemoteStopParams,
    RestartPeripheralParams,
    RotatePasswordParams,
    build_call,
    is_security_key,
    parse_params,
    response_as_dict,
)
from app.commands.redact import redact_call, redact_params
from app.db.base import utcnow
from app.errors import (
    BadCommand,
    ChargeInProgress,
    ChargerOffline,
    ChargerRefused,
    CommandError,
    NotDrained,
    SafetyInterlock,
    UnknownCharger,
    UnknownCommand,
)
from app.fleet.events import FleetEvent, TransactionStarted
from app.fleet.store import FleetStore
from app.security.passwords import new_charger_password
from app.security.roles import Principal
from app.security.scope import Scope

# api: a REST call; session: a procedure step; handoff: a consultant on a handoff;
# diagnosis: self-diagnosis; system: the backend's own housekeeping (e.g. a status refresh);
# campaign: a firmware campaign sending an update in the name of the admin who started it.
Origin = Literal["api", "session", "handoff", "diagnosis", "system", "campaign"]


@dataclass(frozen=True)
class Actor:
    """Who asks, through which path, and on whose behalf (a session, a handoff, a diagnosis)."""

    principal: Principal
    origin: Origin = "api"
    on_behalf_of: str | None = None

    @property
    def automatic(self) -> bool:
        """No person decided this action: it may never force or override anything."""
        return self.origin in ("diagnosis", "system")

    @property
    def stands_back_for_people(self) -> bool:
        """Self-diagnosis does not act while a person troubleshoots the charger."""
        return self.origin == "diagnosis"


class CommandRequest(BaseModel):
    """One remote action as it enters the gateway; every value is bounded here."""

    model_config = ConfigDict(extra="forbid")

    charger_id: str = Field(min_length=1, max_length=64)
    command: str = Field(min_length=1, max_length=64)
    params: dict[str, Any] = Field(default_factory=dict)
    force: StrictBool = False
    reason: str | None = Field(None, max_length=500)

    @classmethod
    def of(cls, charger_id: str, command: str, body: dict[str, Any] | None) -> CommandRequest:
        """From an API or consultant body: the command's parameters plus ``force`` and
        ``reason``; a bad value is a BadCommand naming the field."""
        params = dict(body or {})
        force = params.pop("force", False)
        reason = params.pop("reason", None)
        try:
            return cls(
                charger_id=charger_id, command=command, params=params, force=force, reason=reason
            )
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
            )
            raise BadCommand(f"bad command request: {problems}") from error


@dataclass
class CommandResult:
    charger_id: str
    command: str
    ocpp_action: str
    request: dict[str, Any]
    response: dict[str, Any]
    round_trip_ms: float
    status: str | None = None
    overrides: tuple[str, ...] = field(default_factory=tuple)


class ChargerLink(Protocol):
    """The OCPP edge as the gateway sees it (``app.csms.central_system.CentralSystem``)."""

    def holds(self, charger_id: str) -> bool: ...

    def ocpp_version(self, charger_id: str) -> str | None: ...

    async def call(self, charger_id: str, payload: Any) -> Any:
        """Send one OCPP call; raises ChargerOffline, ChargerTimeout or ChargerRefused."""
        ...


class RestartSettings(Protocol):
    """The key and value that restart a fault's peripheral on a model and protocol (the
    fault-code catalogue in force: ``FaultCatalogue.restart_setting``), None when none is known."""

    def __call__(
        self, vendor: str | None, model: str | None, fault: str, ocpp_version: str
    ) -> tuple[str, str] | None: ...


class Forwarder(Protocol):
    """Reaches the node that holds a charger's socket (``app.cluster.nodes.Cluster``)."""

    @property
    def enabled(self) -> bool: ...

    async def holder_of(self, charger_id: str) -> Any | None: ...

    async def forward(
        self, holder: Any, request: CommandRequest, actor: Actor
    ) -> CommandResult: ...


class Credentials(Protocol):
    """Where a charger's rotated password is kept (``app.csms.directory.ChargerDirectory``)."""

    def stage_password(self, charger_id: str, password: str) -> None: ...

    def settle_password(self, charger_id: str, taken: bool) -> None: ...


# A01.FR.03 / 1.6 ChangeConfiguration: the charger took the new password (RebootRequired: it
# uses it after its next reboot, still taken).
PASSWORD_TAKEN = frozenset({"Accepted", "RebootRequired"})


@dataclass(frozen=True)
class Drained:
    """A charger drained before a command: what to restore, and the boot count to pass."""

    plan: drain.DrainPlan
    steps: drain.RestoreSteps
    boots: int


AuditSink = Callable[..., None]
KnownCharger = Callable[[str], Awaitable[bool]]
# (charger_id, log type) -> (one-time upload URL, the slot's id: the GetLog requestId)
UploadSlot = Callable[[str, str], tuple[str, int]]


class CommandGateway:
    def __init__(
        self,
        *,
        fleet: FleetStore,
        link: ChargerLink,
        scope: Scope,
        audit: AuditSink,
        known: KnownCharger,
        forwarder: Forwarder | None = None,
        upload_slot: UploadSlot | None = None,
        credentials: Credentials | None = None,
        restart_settings: RestartSettings | None = None,
        restore_timeout: float = 6 * 3600.0,
        reboot_wait: float = 600.0,
    ) -> None:
        self.fleet = fleet
        self.link = link
        self.scope = scope
        self._audit = audit
        self._known = known
        self.forwarder = forwarder
        self.upload_slot = upload_slot
        self.credentials = credentials
        self.restart_settings = restart_settings
        # how long a drained charger's availability restore waits for its reboot
        self.restore_timeout = restore_timeout
        self.reboot_wait = reboot_wait  # how long a reset's restore waits for the boot
        self._restores: dict[str, set[asyncio.Task[None]]] = {}

    async def execute(self, request: CommandRequest, actor: Actor) -> CommandResult:
        """Check, send and audit one remote action; raises the CommandError that stopped it.
        A charger whose socket another node holds is handed to that node's gateway."""
        if (
            not self.link.holds(request.charger_id)
            and self.forwarder is not None
            and self.forwarder.enabled
        ):
            holder = await self.forwarder.holder_of(request.charger_id)
            if holder is not None:  # the holding node checks, sends and audits
                return await self.forwarder.forward(holder, request, actor)
        return await self.execute_here(request, actor)

    async def execute_here(self, request: CommandRequest, actor: Actor) -> CommandResult:
        """Check, send and audit on this node (what a forwarded command runs)."""
        started = utcnow()
        overrides: tuple[str, ...] = ()
        drained: Drained | None = None
        try:
            params, overrides = await self._clear(request, actor)
            version = self.link.ocpp_version(request.charger_id) or "1.6"
            plan = drain.plan_for(params, version, request.force)
            if plan is not None:
                drained = await self._drain(request, actor, plan)
            result = await self._send(request, params)
        except CommandError as error:
            self._record(request, actor, started, type(error).__name__, overrides, error=error)
            if drained is not None:  # drained, but the reset did not go: restore at once
                self._restore_later(request, actor, drained, after_boot=False)
            raise
        result.overrides = overrides
        self._record(request, actor, started, "answered", overrides, result=result)
        if drained is not None:
            # availability persists across the reboot (1.6 §5.2): a reset's restore waits
            # for the boot; an unlock's (or a refused reset's) follows at once
            after_boot = drained.plan.restore_after_boot and result.status == "Accepted"
            self._restore_later(request, actor, drained, after_boot=after_boot)
        return result

    # -- drain first (app/commands/drain.py) ---------------------------------------------------
    async def _drain(self, request: CommandRequest, actor: Actor, plan: drain.DrainPlan) -> Drained:
        """Ask the charger to refuse new charges; return what to restore, or raise the
        refusal (after scheduling the restore) when a charge runs or started meanwhile."""
        charger_id = request.charger_id
        before = self.fleet.get(charger_id)
        drained = Drained(
            plan,
            drain.availability_baseline(before, plan.connector_id).restore_steps(),
            before.boot_count if before else 0,
        )
        raced: list[str] = []
        raced_on: list[int] = []

        def on_start(event: FleetEvent) -> None:
            if event.charger_id == charger_id and isinstance(event, TransactionStarted):
                tx = event.transaction
                raced.append(tx.transaction_id if tx is not None else "?")
                raced_on.append(tx.connector_id if tx is not None else 0)

        self.fleet.add_listener(on_start)
        try:
            answer = await self._availability(
                request, actor, plan.connector_id, "inoperative", "drain", drained.steps
            )
        except CommandError:
            # no answer: it may have gone Inoperative all the same; put it back when it can
            self._restore_later(request, actor, drained, after_boot=False)
            raise
        finally:
            self.fleet.remove_listener(on_start)
        verdict = drain.verdict(answer, raced_on, self.fleet.get(charger_id), plan.connector_id)
        if verdict == "go":
            return drained
        self._restore_later(request, actor, drained, after_boot=False)
        detail = {"drain": answer, "raced_transactions": raced}
        if verdict == "charge_in_progress":
            why = (
                "it answered Scheduled: a transaction is in progress (OCPP 1.6 §5.2)"
                if answer == "Scheduled"
                else f"transaction {', '.join(raced) or 'open'} started while it was drained"
            )
            raise ChargeInProgress(
                f"{request.command} not sent: asked to refuse new charges first, {why}; "
                "availability is restored",
                detail=detail,
            )
        raise NotDrained(
            f"{request.command} not sent: the charger answered {answer} when asked to refuse "
            "new charges (ChangeAvailability Inoperative), so a charge could start under it; "
            "a consultant or admin may force it with a reason",
            detail=detail,
        )

    async def _availability(
        self,
        request: CommandRequest,
        actor: Actor,
        connector_id: int,
        kind: str,
        step: str,
        restore: drain.RestoreSteps | None = None,
    ) -> str | None:
        """Send one drain/restore ChangeAvailability and audit it as its own step (a drain's
        row keeps its restore steps: a restarted backend resumes them, ``resume``)."""
        params = AvailabilityParams(connector_id=connector_id, type=kind)  # type: ignore[arg-type]
        sub = CommandRequest(
            charger_id=request.charger_id,
            command="change_availability",
            params=params.model_dump(exclude_none=True),
            reason=f"{step} for {request.command}",
        )
        started = utcnow()
        try:
            result = await self._send(sub, params)
        except CommandError as error:
            error.detail.setdefault("step", step)
            self._record(sub, actor, started, type(error).__name__, (), error=error)
            raise
        result.response = {**result.response, "step": step, "for": request.command}
        if restore is not None:
            result.response["restore"] = [list(s) for s in restore]
        self._record(sub, actor, started, "answered", (), result=result)
        return result.status

    def _restore_later(
        self, request: CommandRequest, actor: Actor, drained: Drained, *, after_boot: bool
    ) -> None:
        if not drained.steps:
            return
        task = asyncio.create_task(self._restore(request, actor, drained, after_boot))
        tasks = self._restores.setdefault(request.charger_id, set())
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    async def _restore(
        self, request: CommandRequest, actor: Actor, drained: Drained, after_boot: bool
    ) -> None:
        """Undo the drain once the charger is back (after the reset's boot, if it went): the
        safety interlock still holds an Operative."""
        charger_id = request.charger_id

        def booted(state: Any) -> bool:
            return state is not None and state.online and state.boot_count > drained.boots

        def online(state: Any) -> bool:
            return state is not None and state.online

        # A charger that accepted the reset but never rebooted is not left out of service:
        # after ``reboot_wait`` it is restored as soon as it is online.
        if after_boot:
            await self.fleet.wait_for(charger_id, booted, self.reboot_wait)
        if not await self.fleet.wait_for(charger_id, online, self.restore_timeout):
            held = CommandRequest(
                charger_id=charger_id,
                command="change_availability",
                params={"connector_id": drained.plan.connector_id, "type": "operative"},
                reason=f"restore for {request.command}",
            )
            error = CommandError(
                f"not restored: the charger did not come back within {self.restore_timeout:g} s; "
                "it stays Inoperative until someone sets it Operative",
                detail={"step": "restore"},
            )
            self._record(held, actor, utcnow(), "NotRestored", (), error=error)
            return
        for connector_id, kind in drained.steps:
            state = self.fleet.get(charger_id)
            params = AvailabilityParams(connector_id=connector_id, type=kind)  # type: ignore[arg-type]
            if state is not None:
                try:
                    guards.interlocked("change_availability", params, state, may_override=False)
                except SafetyInterlock as error:
                    error.detail["step"] = "restore"
                    held = CommandRequest(
                        charger_id=charger_id,
                        command="change_availability",
                        params=params.model_dump(exclude_none=True),
                        reason=f"restore for {request.command}",
                    )
                    self._record(held, actor, utcnow(), "SafetyInterlock", (), error=error)
                    return
            try:
                await self._availability(request, actor, connector_id, kind, "restore")
            except CommandError:
                return  # audited; the charger stays as it is

    def resume(self, pending: list[drain.PendingRestore]) -> None:
        """Restores a previous run of this node left pending (its drain rows): each goes as
        soon as its charger is online here."""
        for p in pending:
            actor = Actor(Principal(p.requested_by, p.role), p.origin, p.on_behalf_of)  # type: ignore[arg-type]
            request = CommandRequest(charger_id=p.charger_id, command=p.command)
            plan = drain.DrainPlan(p.steps[0][0] if p.steps else 0, restore_after_boot=False)
            self._restore_later(request, actor, Drained(plan, p.steps, 0), after_boot=False)

    async def settle(self, charger_id: str) -> None:
        """Wait for the charger's pending availability restores (tests, shutdown)."""
        tasks = list(self._restores.get(charger_id, ()))
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def stop(self) -> None:
        tasks = [t for group in self._restores.values() for t in group]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def check(self, request: CommandRequest, actor: Actor) -> tuple[str, ...]:
        """The guards alone, without sending (what an action would override); raises."""
        _, overrides = await self._clear(request, actor)
        return overrides

    # -- the steps -----------------------------------------------------------------------------
    async def _clear(
        self, request: CommandRequest, actor: Actor
    ) -> tuple[CommandParams, tuple[str, ...]]:
        if request.command not in COMMANDS:
            raise UnknownCommand(
                f"unknown command {request.command!r}; known: {', '.join(COMMANDS)}"
            )
        try:
            params = parse_params(request.command, request.params)
        except InvalidCommand as error:
            raise BadCommand(str(error)) from error
        charger = self.fleet.get(request.charger_id)
        if charger is None and not await self._known(request.charger_id):
            raise UnknownCharger(f"charger {request.charger_id} is not registered")
        site_id = charger.site_id if charger else None
        principal = actor.principal
        in_scope, person_busy = await asyncio.to_thread(
            self._scope_facts, principal, request.charger_id, site_id, actor.stands_back_for_people
        )
        clearance = guards.check(
            guards.GuardInput(
                command=request.command,
                params=params,
                role=str(principal.role),
                automatic=actor.automatic,
                in_scope=in_scope,
                person_session_open=person_busy,
                charger=charger,
                force=request.force,
                reason=request.reason,
            )
        )
        if not self.link.holds(request.charger_id):
            raise ChargerOffline(f"charger {request.charger_id} is offline")
        return params, clearance.overrides

    def _scope_facts(
        self, principal: Principal, charger_id: str, site_id: str | None, stand_back: bool
    ) -> tuple[bool, bool]:
        in_scope = self.scope.may_act(principal, charger_id, site_id)
        busy = self.scope.person_session_open(charger_id) if stand_back else False
        return in_scope, busy

    async def _send(self, request: CommandRequest, params: CommandParams) -> CommandResult:
        charger_id = request.charger_id
        version = self.link.ocpp_version(charger_id) or "1.6"
        charger = self.fleet.get(charger_id)
        transaction_id = None
        if isinstance(params, RemoteStopParams):
            transaction_id = params.transaction_id
            if transaction_id is None and charger is not None:
                tx = charger.transaction_on(params.connector_id)
                transaction_id = tx.transaction_id if tx else None
        location = request_id = None
        if isinstance(params, DiagnosticsParams):
            if self.upload_slot is None:
                raise BadCommand("diagnostics uploads are not available on this node")
            location, request_id = await asyncio.to_thread(
                self.upload_slot, charger_id, params.log_type
            )
        secret = None
        credentials = self.credentials
        if isinstance(params, RotatePasswordParams):
            if credentials is None:
                raise BadCommand("password rotation is not available on this node")
            # generated here, staged as pending before it leaves, never logged or returned:
            # 32 characters for 2.0.1 (BasicAuthPassword, 16 to 40); 20 for 1.6, whose
            # AuthorizationKey carries the password hex encoded and is 16 to 20 bytes
            # (security whitepaper; TC_073_CSMS checks at most 40 hex characters)
            secret = new_charger_password(20 if version == "1.6" else 32)
            await asyncio.to_thread(credentials.stage_password, charger_id, secret)
        setting = None
        if isinstance(params, RestartPeripheralParams):
            setting = self._restart_setting(charger_id, charger, params.fault, version)
        try:
            payload = build_call(
                request.command,
                params,
                version,
                transaction_id=transaction_id,
                upload_location=location,
                request_id=request_id,
                secret=secret,
                forced=request.force,
                setting=setting,
            )
        except InvalidCommand as error:
            raise BadCommand(str(error)) from error
        sent = redact_call(type(payload).__name__, response_as_dict(payload))
        started = time.perf_counter()
        try:
            response = await self.link.call(charger_id, payload)
        except ChargerRefused:
            if secret is not None and credentials is not None:  # a CALLERROR: not taken
                await asyncio.to_thread(credentials.settle_password, charger_id, False)
            raise
        elapsed = (time.perf_counter() - started) * 1000
        answer = response_as_dict(response)
        status = answer.get("status")
        if secret is not None and credentials is not None:
            status = _password_status(answer)
            taken = status in PASSWORD_TAKEN
            await asyncio.to_thread(credentials.settle_password, charger_id, taken)
        return CommandResult(
            charger_id=charger_id,
            command=request.command,
            ocpp_action=type(payload).__name__,
            request=sent,
            response=answer,
            round_trip_ms=round(elapsed, 2),
            status=status if isinstance(status, str) else None,
        )

    def _restart_setting(
        self, charger_id: str, charger: Any, fault: str, version: str
    ) -> tuple[str, str]:
        vendor = charger.vendor if charger is not None else None
        model = charger.model if charger is not None else None
        found = (
            self.restart_settings(vendor, model, fault, version)
            if self.restart_settings is not None
            else None
        )
        if found is None:
            raise BadCommand(
                f"charger {charger_id}: the fault-code catalogue names no restart of the part "
                f"behind {fault} for {vendor or 'an unknown vendor'} "
                f"{model or 'of unknown model'} on OCPP {version}"
            )
        if is_security_key(found[0]):  # admins' keys, never a restart
            raise BadCommand(f"charger {charger_id}: {found[0]} is security configuration")
        return found

    def _record(
        self,
        request: CommandRequest,
        actor: Actor,
        started: Any,
        outcome: str,
        overrides: tuple[str, ...],
        *,
        result: CommandResult | None = None,
        error: CommandError | None = None,
    ) -> None:
        response: Any
        if error is not None:
            response = {"error": str(error)[:1000], **error.detail}
        else:
            response = result.response if result else None
        self._audit(
            charger_id=request.charger_id,
            command=request.command[:64],
            params=redact_params(request.command, request.params),
            requested_by=actor.principal.name[:100],
            role=str(actor.principal.role)[:20],
            reason=request.reason,
            forced=request.force,
            requested_at=started,
            outcome=outcome[:20],
            response=response,
            round_trip_ms=result.round_trip_ms if result else None,
            origin=actor.origin,
            on_behalf_of=(actor.on_behalf_of or "")[:100] or None,
            overrides=",".join(overrides) or None,
        )


def _password_status(answer: dict[str, Any]) -> str | None:
    """1.6 ChangeConfiguration.conf status, or 2.0.1 SetVariableResult.attributeStatus."""
    results = answer.get("setVariableResult")
    if isinstance(results, list) and results and isinstance(results[0], dict):
        status = results[0].get("attributeStatus")
    else:
        status = answer.get("status")
    return status if isinstance(status, str) else None
