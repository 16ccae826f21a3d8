"""The guards every remote action passes, as one plain function.

They run inside the command gateway (``app/commands/gateway.py``) for every caller: the REST
API, procedure steps, consultants and self-diagnosis. Nothing else decides whether an action
may reach a charger, and no rule or procedure file can switch a guard off.

- **Who.** Editors send no commands. A partner acts only on chargers in their scope (sites
  assigned to them, or an open troubleshooting session of theirs on the charger).
- **Force.** ``force`` is for consultants and admins, always with a reason; automatic actors
  never force anything.
- **Security configuration** (Basic-auth secret, security profile, network profiles,
  certificates) is for admins only.
- **People first.** An automatic actor does not act while a person's troubleshooting session
  is open on the charger.
- **Safety interlock.** No reset, unlock or availability change to Operative while a fault of
  the never-reset class (from the fault-code catalogue) is open on the charger, whoever asks;
  a consultant or admin may override with ``force`` and a reason, audited as an override.
- **Registration.** A charger answered Rejected (blocked) gets no command; one answered
  Pending (commissioning) only what OCPP allows then (``app/csms/registration.py``: 2.0.1
  B02 configuration, reports and triggers; 1.6 §4.2 no remote start/stop).
- **No interruption of a charge.** No reset (except a 2.0.1 OnIdle reset, which the charger
  holds until its transactions end), unlock or availability change to Inoperative while a
  transaction runs on the connector it acts on, unless a consultant or admin forces it with a
  reason. This check reads the backend's view; a charge that starts after it is stopped by
  the gateway's drain (``app/commands/drain.py``): a 1.6 reset goes only to a charger that
  accepted to refuse new charges, a 2.0.1 reset is OnIdle unless forced.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.commands.catalogue import (
    CommandParams,
    RemoteStopParams,
    affected_connector,
    interrupts_charge,
    needs_admin,
    re_energises,
)
from app.csms.registration import refused_command
from app.errors import BadCommand, NotAccepted, OutOfScope, SafetyInterlock, TransactionActive
from app.fleet.model import ChargerLiveState
from app.security.roles import Role

COMMANDING_ROLES = frozenset({Role.PARTNER.value, Role.CONSULTANT.value, Role.ADMIN.value})
OVERRIDING_ROLES = frozenset({Role.CONSULTANT.value, Role.ADMIN.value})


@dataclass(frozen=True)
class GuardInput:
    """Everything the guards look at, gathered by the gateway."""

    command: str
    params: CommandParams
    role: str
    automatic: bool
    in_scope: bool
    person_session_open: bool  # only asked for self-diagnosis, which stands back for people
    charger: ChargerLiveState | None
    force: bool = False
    reason: str | None = None


@dataclass(frozen=True)
class Clearance:
    """Why the action may go: what was overridden, if anything (for the audit)."""

    overrides: tuple[str, ...] = field(default_factory=tuple)

    @property
    def override(self) -> bool:
        return bool(self.overrides)


def check(inp: GuardInput) -> Clearance:
    """Raise the CommandError that refuses the action, or return its clearance."""
    reason = (inp.reason or "").strip()
    if inp.role not in COMMANDING_ROLES:
        raise OutOfScope(f"role {inp.role!r} sends no commands to chargers")
    if inp.role == Role.PARTNER and not inp.in_scope:
        raise OutOfScope(
            "this charger is not in your scope: it is on a site not assigned to you and you "
            "have no open troubleshooting session on it"
        )
    if inp.force:
        if inp.automatic or inp.role not in OVERRIDING_ROLES:
            raise OutOfScope("force is for consultants and admins")
        if not reason:
            raise BadCommand("force needs a reason: say why the guard is overridden")
    if needs_admin(inp.command, inp.params) and inp.role != Role.ADMIN:
        raise OutOfScope(
            f"{inp.command} is for admins here: security configuration (keys, profiles, "
            "certificates, network profiles), firmware, vendor messages and customers' "
            "personal data"
        )
    if inp.person_session_open:
        raise OutOfScope(
            "a person is troubleshooting this charger: automatic actions wait for them"
        )
    may_override = inp.force and not inp.automatic and inp.role in OVERRIDING_ROLES
    overrides: list[str] = []
    charger = inp.charger
    if charger is not None and refused_command(
        charger.registration_status, charger.ocpp_version, inp.command
    ):
        raise NotAccepted(
            f"{inp.command} refused: the charger's BootNotification was answered "
            f"{charger.registration_status} (its status is "
            f"{'blocked' if charger.registration_status == 'Rejected' else 'commissioning'})"
        )
    if charger is not None and interlocked(inp.command, inp.params, charger, may_override):
        overrides.append("safety_interlock")
    ocpp_version = charger.ocpp_version if charger else None
    if charger is not None:
        someone_elses_charge(inp.params, charger)
    if charger is not None and interrupts_charge(inp.command, inp.params, ocpp_version, inp.force):
        tx = charger.transaction_on(affected_connector(inp.params))
        if tx is not None:
            if not may_override:
                raise TransactionActive(
                    f"{inp.command} refused: transaction {tx.transaction_id} is charging on "
                    f"connector {tx.connector_id}; a consultant or admin may force it with a "
                    "reason",
                    detail={"transaction_id": tx.transaction_id},
                )
            overrides.append("transaction")
    return Clearance(tuple(overrides))


def someone_elses_charge(params: CommandParams, charger: ChargerLiveState) -> None:
    """A stop that names the token it may end (a procedure's test charge) never ends a charge
    started with another token: a driver who plugged in instead of the test vehicle keeps
    charging. Raises TransactionActive; forcing does not lift it (stop without the token)."""
    if not isinstance(params, RemoteStopParams) or params.id_token is None:
        return
    tx = (
        next(
            (t for t in charger.transactions.values() if t.transaction_id == params.transaction_id),
            None,
        )
        if params.transaction_id is not None
        else charger.transaction_on(params.connector_id)
    )
    if tx is not None and tx.id_tag != params.id_token:
        raise TransactionActive(
            f"remote_stop refused: the charge on connector {tx.connector_id} (transaction "
            f"{tx.transaction_id}) was not started with {params.id_token}; it is not ended",
            detail={"transaction_id": tx.transaction_id},
        )


def interlocked(
    command: str, params: CommandParams, charger: ChargerLiveState, may_override: bool
) -> bool:
    """The safety interlock: raise SafetyInterlock if ``command`` could re-energise a charger
    with a never-reset fault open; True when a consultant's or admin's force overrides it.
    The gateway also asks it before restoring availability after a drain."""
    if not re_energises(command, params):
        return False
    safety = charger.safety_faults()
    if not safety:
        return False
    if not may_override:
        names = ", ".join(_fault_name(f) for f in safety)
        raise SafetyInterlock(
            f"{command} refused: a safety fault is open ({names}); a consultant or "
            "admin may override with force and a reason",
            detail={"faults": [f.uid for f in safety]},
        )
    return True


def _fault_name(fault: object) -> str:
    code = getattr(fault, "classification", None)
    label = getattr(code, "standard_code", None) or getattr(code, "fault_key", None)
    return str(label or getattr(fault, "error_code", "fault"))
