"""One runner for "send, then wait for the state that proves the effect".

Sessions (procedure steps) and self-diagnosis both use it. It sends through the command
gateway, so every guard and the audit apply, then waits on the fleet store's change events
(no sleeping, no database polling) until the proof holds or the time is up. A reset is
proven by the reboot: a BootNotification after the command (on 2.0.1 a Scheduled OnIdle reset
is proven by the boot that follows once the station is idle), never by a connector that was
already Available.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.commands.gateway import Actor, CommandGateway, CommandRequest, CommandResult
from app.errors import CommandError
from app.fleet.model import ChargerLiveState
from app.fleet.store import FleetStore

# Answers that mean the charger did not do it (OCPP 1.6 and 2.0.1 status enums).
REFUSED_STATUSES = frozenset(
    {"Rejected", "NotSupported", "UnlockFailed", "Failed", "UnknownMessageId", "NotImplemented"}
)
Condition = Callable[[ChargerLiveState | None], bool]


@dataclass(frozen=True)
class ActionOutcome:
    result: CommandResult | None
    error: CommandError | None
    proven: bool
    # sent and accepted, but the proof did not hold in time
    timed_out: bool = False

    @property
    def accepted(self) -> bool:
        return self.result is not None and self.result.status not in REFUSED_STATUSES

    @property
    def status(self) -> str:
        if self.error is not None:
            return type(self.error).__name__
        return (self.result.status if self.result else None) or "answered"


def proves_reboot(command: str) -> bool:
    return command == "reset"


@dataclass(frozen=True)
class Baseline:
    """The charger as it was before a command: what its effect is judged against. Plain
    values, so a session can keep it in its row and judge after a restart."""

    boots: int
    fingerprint: str

    def as_json(self) -> dict[str, Any]:
        return {"boots": self.boots, "fingerprint": self.fingerprint}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Baseline:
        if not isinstance(data, dict):  # a row written before baselines had this shape
            return cls(0, "")
        return cls(int(data.get("boots") or 0), str(data.get("fingerprint") or ""))


def fingerprint(state: ChargerLiveState | None) -> str:
    """What counts as 'the charger changed' after a command other than a reset: a boot, a
    reconnect, or any fresh connector report."""
    if state is None:
        return "none"
    connectors = sorted(
        (c.connector_id, c.status, c.error_code, str(c.updated_at))
        for c in state.connectors.values()
    )
    return repr((state.online, state.boot_count, str(state.connected_since), connectors))


def baseline(state: ChargerLiveState | None) -> Baseline:
    return Baseline(state.boot_count if state else 0, fingerprint(state))


def effect_seen(command: str, before: Baseline, state: ChargerLiveState | None) -> bool:
    """Has the command visibly acted? A reset only by a boot after it, with the charger back
    online and each of its connectors reported since that boot (until then their statuses are
    from before the reset: a fault the reboot cleared still reads Faulted); anything else by
    a fresh report (status, boot, reconnect)."""
    if state is None:
        return False
    if proves_reboot(command):
        return (
            state.boot_count > before.boots
            and state.online
            and all(cid in state.reported_since_boot for cid in state.connectors if cid > 0)
        )
    return fingerprint(state) != before.fingerprint


class ActionRunner:
    def __init__(self, gateway: CommandGateway, fleet: FleetStore) -> None:
        self.gateway = gateway
        self.fleet = fleet

    async def send(self, request: CommandRequest, actor: Actor) -> ActionOutcome:
        """Send only; the answer is the proof (trigger, configuration reads, ...)."""
        try:
            result = await self.gateway.execute(request, actor)
        except CommandError as error:
            return ActionOutcome(None, error, proven=False)
        return ActionOutcome(result, None, proven=result.status not in REFUSED_STATUSES)

    async def run(
        self,
        request: CommandRequest,
        actor: Actor,
        *,
        timeout: float,
        condition: Condition | None = None,
    ) -> ActionOutcome:
        """Send, then wait up to ``timeout`` seconds for the proof: the reboot for a reset
        (and then ``condition``, if given), else ``condition`` alone, else the answer."""
        before = baseline(self.fleet.get(request.charger_id))
        reboot = proves_reboot(request.command)
        sent = await self.send(request, actor)
        if not sent.accepted:
            return ActionOutcome(sent.result, sent.error, proven=False)
        if not reboot and condition is None:
            return sent

        def proof(state: ChargerLiveState | None) -> bool:
            if reboot and not effect_seen(request.command, before, state):
                return False
            return state is not None and (condition is None or condition(state))

        proven = await self.fleet.wait_for(request.charger_id, proof, timeout)
        return ActionOutcome(sent.result, None, proven=proven, timed_out=not proven)

    async def wait(self, charger_id: str, condition: Condition, timeout: float) -> bool:
        """Wait for a state alone (no command), on the same change events."""
        return await self.fleet.wait_for(charger_id, condition, timeout)
