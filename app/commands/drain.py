"""Drain first: a reset is sent only to a charger that has been asked to refuse new charges.

A guard in the backend checks the fleet state, but a driver can start a charge between that
check and the reset reaching the charger (the benchmark saw a soft reset land 8 ms after a
StartTransaction on the other connector). Only the charger can close that window, so on OCPP
1.6 the gateway first sends ChangeAvailability(connectorId 0, Inoperative):

- OCPP 1.6 §5.2 ChangeAvailability: "When a transaction is in progress Charge Point SHALL
  respond with availability status 'Scheduled' to indicate that it is scheduled to occur
  after the transaction has finished." Scheduled therefore means a charge runs: the reset is
  not sent, availability is restored (Operative) and the attempt is refused (ChargeInProgress).
- Accepted means the charge point is Inoperative: "A Charge Point is considered unavailable
  when it does not allow any charging", so no new transaction can start and the reset goes.
  A StartTransaction that reached the backend while the drain ran (a charger that accepted
  and started anyway) still stops the reset.
- "In the case the ChangeAvailability.req contains ConnectorId = 0, the status change applies
  to the Charge Point and all Connectors", and availability is persistent: "Connector set to
  Unavailable shall persist a reboot". After the reset is proven by the boot, the gateway
  restores Operative, and puts back Inoperative any connector that was Unavailable before the
  drain; a charger that was already Unavailable as a whole is left as it was.

OCPP 2.0.1 needs no drain: an unforced reset is OnIdle, which the station itself holds while a
transaction runs (B12.FR.01: "When the Charging Station receives a ResetRequest(OnIdle) AND a
transaction is ongoing The Charging Station SHALL respond with a ResetResponse(Scheduled)"),
and Immediate is sent only when a consultant or admin forces it (``catalogue.reset_kind_201``).

The same holds for a 1.6 UnlockConnector: "If there was a transaction in progress on the
specific connector, then Charge Point SHALL finish the transaction first as described in Stop
Transaction" (§5.18), so a charge that starts on that connector after the guard looked would
be ended. The connector alone is drained (ChangeAvailability connectorId N), and restored as
soon as the unlock is answered. On 2.0.1 the station refuses an unlock itself (F05,
UnlockStatusEnumType OngoingAuthorizedTransaction: "The connector is not unlocked, because
there is still an authorized transaction ongoing"), so no drain.

Not drained: ChangeAvailability Inoperative (the charger schedules it behind a transaction
itself, §5.2) and firmware updates (admin only; 1.6 leaves the install's timing to the
charge point, see the report on issue 15).

This module is the pure part (which commands drain, the baseline, the verdict); the gateway
(``app/commands/gateway.py``) sends the steps and audits them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from app.commands.catalogue import CommandParams, ResetParams, UnlockParams
from app.fleet.model import ChargerLiveState

# A 1.6 connector reports Unavailable when it is Inoperative (§4.9 ChargePointStatus).
UNAVAILABLE = "Unavailable"

Verdict = Literal["go", "charge_in_progress", "not_drained"]
RestoreSteps = tuple[tuple[int, Literal["operative", "inoperative"]], ...]


@dataclass(frozen=True)
class DrainPlan:
    """What to drain before a command: the connector (0 = the whole charge point), and
    whether the restore waits for the reboot (a reset) or follows the answer (an unlock)."""

    connector_id: int
    restore_after_boot: bool


def plan_for(params: CommandParams, ocpp_version: str | None, forced: bool) -> DrainPlan | None:
    """A 1.6 reset (soft or hard) or unlock is drained first, unless a consultant or admin
    forced it (the guard audited that override). 2.0.1 stations hold these themselves."""
    if ocpp_version != "1.6" or forced:
        return None
    if isinstance(params, ResetParams):
        return DrainPlan(0, restore_after_boot=True)
    if isinstance(params, UnlockParams) and params.evse_id is None:  # evse_id: 2.0.1 only
        return DrainPlan(params.connector_id, restore_after_boot=False)
    return None


@dataclass(frozen=True)
class AvailabilityBaseline:
    """The charger's availability before the drain: what the restore puts back."""

    connector_id: int
    charger_inoperative: bool
    inoperative_connectors: tuple[int, ...]

    def restore_steps(self) -> RestoreSteps:
        """(connector, type) ChangeAvailability calls that undo the drain."""
        if self.charger_inoperative:
            return ()  # it was out of service before we came: it stays so
        if self.connector_id != 0:
            if self.connector_id in self.inoperative_connectors:
                return ()
            return ((self.connector_id, "operative"),)
        # connector 0 "applies to the Charge Point and all Connectors": put back the ones
        # that were Inoperative on their own
        return ((0, "operative"), *((cid, "inoperative") for cid in self.inoperative_connectors))


def availability_baseline(
    state: ChargerLiveState | None, connector_id: int = 0
) -> AvailabilityBaseline:
    if state is None:
        return AvailabilityBaseline(connector_id, False, ())
    whole = state.connectors.get(0)
    charger_inoperative = whole is not None and whole.status == UNAVAILABLE
    connectors = tuple(
        sorted(
            cid for cid, conn in state.connectors.items() if cid != 0 and conn.status == UNAVAILABLE
        )
    )
    return AvailabilityBaseline(connector_id, charger_inoperative, connectors)


def verdict(
    answer: str | None,
    raced: list[int],
    state: ChargerLiveState | None,
    connector_id: int = 0,
) -> Verdict:
    """May the command follow the drain's answer? Only an Accepted drain with no transaction
    open on what it drained, and none started there while it ran (``raced``: the connectors
    a StartTransaction named meanwhile)."""
    if answer == "Scheduled":
        return "charge_in_progress"
    if answer != "Accepted":
        return "not_drained"
    if any(connector_id in (0, cid) for cid in raced):
        return "charge_in_progress"
    if state is not None and state.transaction_on(connector_id) is not None:
        return "charge_in_progress"
    return "go"


@dataclass(frozen=True)
class PendingRestore:
    """A drain whose restore had not been sent when the backend stopped (from the audit)."""

    charger_id: str
    command: str
    steps: RestoreSteps
    requested_by: str
    role: str
    origin: str
    on_behalf_of: str | None


def pending_restores(rows: Iterable[Any]) -> list[PendingRestore]:
    """From audit rows in id order (``CommandRow``): each charger's last drain with no
    restore row after it (a restore sent, held by the interlock, or given up)."""
    pending: dict[str, PendingRestore | None] = {}
    for row in rows:
        response = row.response if isinstance(row.response, dict) else {}
        step = response.get("step")
        if step == "restore":
            pending[row.charger_id] = None
        elif step == "drain":  # Accepted, Scheduled, or no answer: it may be Inoperative
            steps = tuple(
                (int(cid), "operative" if kind == "operative" else "inoperative")
                for cid, kind in response.get("restore") or ()
            )
            pending[row.charger_id] = PendingRestore(
                row.charger_id,
                str(response.get("for") or "reset"),
                steps,  # type: ignore[arg-type]
                row.requested_by,
                row.role,
                row.origin or "system",
                row.on_behalf_of,
            )
    return [p for p in pending.values() if p is not None and p.steps]
