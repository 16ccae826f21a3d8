"""The diagnosis rule vocabulary (what a rule file may say) and the rule loader.

A rule file (``app/diagnosis/rules/*.yaml``) holds ``rules:``, a list of rules. Each rule::

    - id: faulted-internal-error          # stable slug
      title: Internal error (firmware)    # shown to people
      subject: fault                      # fault | connector | charger (what it is about)
      priority: 10                        # the highest-priority matching rule wins a subject
      exclusive: false                    # charger rules: true = no other diagnosis meanwhile
      when:                               # every condition given must hold
        fault:                            # subject fault: an open fault matching all of
          error_codes: [InternalError]    #   OCPP 1.6 error code (2.0.1 faults are mapped)
          fault_keys: [firmware_hang]     #   canonical key from the vendor code (fleet catalogue)
          sources: [StatusNotification]   #   StatusNotification | NotifyEvent | offline
          ocpp_versions: ["2.0.1"]        #   the charger's OCPP version
          min_age_s: 60                   #   debounce: open at least this long
        status: {statuses: [Preparing], for_s: 900, without_transaction: true}  # connector
        offline: {for_s: 300}             # charger: not connected for at least this long
        reconnects: {count: 3, within_s: 900}     # charger: connections in the window
        boots: {count: 3, within_s: 600}          # charger: BootNotifications in the window
        recurred: {within_s: 1800}        # fault: the same fault cleared that recently
        meter_stalled: {for_s: 900}       # connector: transaction whose energy does not move
        failed_starts: {count: 3, within_s: 3600, max_duration_s: 120, max_energy_wh: 50}
        security_events: {count: 5, within_s: 600}
        firmware_updated: {within_s: 3600}        # charger: firmware changed / installed lately
        site_offline: {min_chargers: 2, within_s: 600}  # charger (with offline): the whole site
      fault_class: firmware               # firmware hardware network vehicle grid security ...
      likely_cause: text
      confidence: 0.85                    # 0..1
      remote_resolvable: true
      procedure: firmware-hang-soft-reset # optional; else matched by fault key / error code
      ladder: [trigger_status, soft_reset, hard_reset, availability_cycle, site_visit]
      wait_s: 900                         # how long a ``wait`` ladder step waits

Ladder steps: ``trigger_status`` (TriggerMessage StatusNotification), ``unlock``,
``soft_reset``, ``hard_reset``, ``availability_cycle`` (Inoperative then Operative),
``restart_peripheral`` (restart only the payment terminal or RFID reader the fault is about, by
the vendor's configuration key in the fault-code catalogue's vendor table, ``restarts``; no
reboot, allowed during a charge; skipped where the table names no key),
``inoperative`` (take out of service, for unsafe faults), ``collect_logs`` (ask for the
charger's logs: evidence, fixes nothing), ``read_logs`` (wait for that upload and read it for
a vendor's hardware log message, ``app/diagnosis/log_evidence.py``: one found sends a site
visit naming the part instead of a reset; the policy inserts it), ``wait`` (for a self-clearing
fault), ``site_visit`` (ticket with evidence and the procedure's parts), ``escalate``
(hand to a consultant, no truck roll). Every duration is in seconds of real time, divided by
``diagnosis_time_scale`` (tests and the benchmark compress time).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from app.procedures.loader import YamlSyntaxError, line_of, load_yaml_file

RULES_DIR = Path(__file__).parent / "rules"

Step = Literal[
    "trigger_status",
    "unlock",
    "soft_reset",
    "hard_reset",
    "availability_cycle",
    "restart_peripheral",
    "inoperative",
    "collect_logs",
    "read_logs",
    "wait",
    "site_visit",
    "escalate",
]
TERMINAL_STEPS = frozenset({"site_visit", "escalate"})
RESET_STEPS = frozenset({"soft_reset", "hard_reset"})
DISRUPTIVE_STEPS = frozenset({"soft_reset", "hard_reset", "availability_cycle", "unlock"})
# Steps that could put power back on or move the cable of a faulted charger.
RE_ENERGISING_STEPS = frozenset({"soft_reset", "hard_reset", "unlock", "availability_cycle"})
# Non-reset actions tried a second time when the first did not take (policy.plan_ladder): a
# stuck lock actuator or connector state machine often moves on the next command, neither
# restarts the charger, and a second command costs a few minutes against a truck roll.
RETRYABLE_STEPS = frozenset({"unlock", "availability_cycle", "restart_peripheral"})
# Restarts one peripheral (a payment terminal, an RFID reader) by the vendor's configuration key
# from the fault-code catalogue: no reboot, no charge ends, nothing re-energised; skipped on a
# model whose table names no key for the fault.
PERIPHERAL_STEPS = frozenset({"restart_peripheral"})
# Evidence only: asks the charger for its logs (GetDiagnostics / GetLog); fixes nothing.
EVIDENCE_STEPS = frozenset({"collect_logs"})
REMOTE_STEPS = frozenset(
    {"trigger_status", "inoperative", *DISRUPTIVE_STEPS, *PERIPHERAL_STEPS, *EVIDENCE_STEPS}
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FaultCond(_Strict):
    error_codes: list[str] = Field(default_factory=list)
    fault_keys: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    vendor_error_codes: list[str] = Field(default_factory=list)
    ocpp_versions: list[str] = Field(default_factory=list)
    known: bool | None = None  # does the fault-code catalogue know the code?
    min_age_s: float = Field(30.0, ge=0)


class StatusCond(_Strict):
    statuses: list[str] = Field(min_length=1)
    for_s: float = Field(gt=0)
    without_transaction: bool = True


class ForCond(_Strict):
    for_s: float = Field(gt=0)


class CountCond(_Strict):
    count: int = Field(ge=1)
    within_s: float = Field(gt=0)


class WithinCond(_Strict):
    within_s: float = Field(gt=0)


class FirmwareStatusCond(WithinCond):
    # FirmwareStatusNotification statuses (1.6 FirmwareStatus, 1.6 security SignedFirmware
    # status, 2.0.1 FirmwareStatusEnumType), e.g. InstallationFailed
    statuses: list[str] = Field(min_length=1)
    # debounce: the failure stands this long (a fault the charger reports with it, e.g. an
    # image that does not boot, is older by then and is the subject instead)
    min_age_s: float = Field(0.0, ge=0)
    # also a rollback: a boot right after Installed / InstallRebooting still on the old version
    rollback: bool = False


class BootsCond(CountCond):
    reasons: list[str] = Field(default_factory=list)  # 2.0.1 BootReasonEnumType, e.g. Watchdog


class FollowsVehicleCond(_Strict):
    chargers: int = Field(2, ge=2)
    within_s: float = Field(gt=0)


class GroupCond(_Strict):
    min_chargers: int = Field(2, ge=2)
    within_s: float = Field(gt=0)


class FleetWideCond(GroupCond):
    """The same fault (catalogue key) on chargers of several sites within minutes of each
    other, whatever their model: a service they all depend on, not each charger."""

    min_sites: int = Field(2, ge=2)


class ChronicCond(_Strict):
    count: int = Field(1, ge=1)
    within_s: float = Field(gt=0)


class FailedStartsCond(CountCond):
    max_duration_s: float = Field(120.0, gt=0)
    max_energy_wh: float = Field(50.0, ge=0)


class When(_Strict):
    fault: FaultCond | None = None
    status: StatusCond | None = None
    offline: ForCond | None = None
    reconnects: CountCond | None = None
    boots: BootsCond | None = None
    recurred: WithinCond | None = None
    chronic: ChronicCond | None = None  # fault: cleared this many times before (DB history)
    follows_vehicle: FollowsVehicleCond | None = None  # fault: same idToken faulted elsewhere
    site_wide: GroupCond | None = None  # fault: every charger of the site faulted at once
    site_offline: GroupCond | None = None  # charger: every charger of its site went offline
    fleet_pattern: GroupCond | None = None  # fault: same code on chargers of one model+firmware
    fleet_wide: FleetWideCond | None = None  # fault: same fault key at several sites at once
    meter_stalled: ForCond | None = None
    meter_silent: ForCond | None = None  # connector: a transaction with no meter values
    call_timeouts: CountCond | None = None  # charger: our CALLs that got no answer
    status_silent: ForCond | None = None  # charger: heartbeats but no StatusNotification
    failed_starts: FailedStartsCond | None = None
    security_events: CountCond | None = None
    firmware_updated: WithinCond | None = None
    firmware_status: FirmwareStatusCond | None = None  # charger: an update reported this


class Rule(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,78}$")
    title: str = Field(min_length=1)
    subject: Literal["fault", "connector", "charger"]
    priority: int = 0
    exclusive: bool = False
    when: When
    fault_class: str = Field(min_length=1)
    likely_cause: str = Field(min_length=1)
    confidence: float = Field(ge=0, le=1)
    remote_resolvable: bool
    procedure: str | None = None
    ladder: list[Step] = Field(min_length=1)
    wait_s: float = Field(900.0, gt=0)

    @model_validator(mode="after")
    def _check(self) -> Rule:
        w = self.when
        if self.subject == "fault" and w.fault is None:
            raise ValueError("a fault rule needs when.fault")
        if self.subject == "connector" and not (
            w.status or w.meter_stalled or w.failed_starts or w.meter_silent
        ):
            raise ValueError(
                "a connector rule needs status, meter_stalled, meter_silent or failed_starts"
            )
        if self.subject == "charger" and not (
            w.offline
            or w.reconnects
            or w.boots
            or w.security_events
            or w.firmware_updated
            or w.call_timeouts
            or w.status_silent
            or w.firmware_status
        ):
            raise ValueError("a charger rule needs a charger condition (offline, boots, ...)")
        if w.fleet_wide is not None and self.subject != "fault":
            raise ValueError("fleet_wide belongs to a fault rule")
        if w.site_offline is not None and not (self.subject == "charger" and w.offline):
            raise ValueError("site_offline belongs to a charger rule with when.offline")
        if self.ladder[-1] not in TERMINAL_STEPS:
            raise ValueError("the ladder must end with site_visit or escalate")
        if any(step in TERMINAL_STEPS for step in self.ladder[:-1]):
            raise ValueError("site_visit/escalate may only be the last ladder step")
        if self.subject != "fault" and any(s in PERIPHERAL_STEPS for s in self.ladder):
            raise ValueError("restart_peripheral restarts a fault's peripheral: fault rules only")
        acting = REMOTE_STEPS - {"inoperative"} - EVIDENCE_STEPS
        if self.remote_resolvable != any(s in acting for s in self.ladder):
            raise ValueError("remote_resolvable must be true exactly when the ladder acts remotely")
        return self


class RuleSet(_Strict):
    rules: list[Rule]


class RuleError(ValueError):
    """A bad rule file: the message names file, line and field."""


def load_rules_file(path: Path) -> list[Rule]:
    try:
        data = load_yaml_file(path)
    except YamlSyntaxError as error:
        raise RuleError(str(error)) from error
    except OSError as error:
        raise RuleError(f"{path}: cannot read: {error}") from error
    try:
        return RuleSet.model_validate(data).rules
    except ValidationError as error:
        problems = []
        for item in error.errors():
            loc = tuple(item["loc"])
            line = line_of(data, loc)
            field = ".".join(str(p) for p in loc) or "rules"
            problems.append(f"{path}:{line or '?'}: {field}: {item['msg']}")
        raise RuleError("\n".join(problems)) from error


def load_rules(folder: Path | None = None) -> list[Rule]:
    """All rules of a folder (``*.yaml``, sorted); ids must be unique across files."""
    folder = folder or RULES_DIR
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise RuleError(f"{folder}: no rule files (*.yaml)")
    rules: list[Rule] = []
    seen: dict[str, Path] = {}
    for path in files:
        for rule in load_rules_file(path):
            if rule.id in seen:
                raise RuleError(f"{path}: rule id {rule.id!r} already defined in {seen[rule.id]}")
            seen[rule.id] = path
            rules.append(rule)
    return rules
