"""The simulator's fault catalogue: each fault's OCPP faces and its hidden truth, as data.

Fault keys are stable: the knowledge base, the diagnosis rules and the benchmarks reference
them, and they are the fault keys of the fault-code catalogue (``app.fault_codes``).

Each fault has
- a 1.6 face: StatusNotification errorCode, status, info (vendorErrorCode comes from the model);
- a 2.0.1 face: NotifyEvent component/variable/actualValue (techCode = the vendor code) and the
  connectorStatus its StatusNotification shows;
- a hidden truth: which actions clear it (maybe only for a while), what really fixes it, and
  how it behaves (offline, flapping, boot loop).

Reset depth: a 1.6 ``Soft`` reset is a ``soft_reset``; a 1.6 ``Hard`` reset and a 2.0.1
station reset (Immediate or OnIdle) are a ``hard_reset``, which also clears what a soft reset
clears.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from app.simulator.models import ChargerModel, vendor_error_code

# What can clear a fault (``Truth.clears_by``) and what truly fixes it (``Truth.remedy``).
SOFT_RESET = "soft_reset"
HARD_RESET = "hard_reset"
UNLOCK = "unlock"
AVAILABILITY_CYCLE = "availability_cycle"
SELF_CLEAR = "self_clear"
SITE_VISIT = "site_visit"
VEHICLE = "vehicle"
GRID = "grid"
CLEAR_ACTIONS = (SOFT_RESET, HARD_RESET, UNLOCK, AVAILABILITY_CYCLE, SELF_CLEAR)
REMEDIES = (*CLEAR_ACTIONS, SITE_VISIT, VEHICLE, GRID)

# Special behaviours the charger shows while the fault is active.
OFFLINE = "offline"  # socket down, no reconnect until the fault clears
FLAPPING = "flapping"  # connects, drops after a while, reconnects
BOOT_LOOP = "boot_loop"  # boots, reports the failure, reboots again


@dataclass(frozen=True)
class Face16:
    error_code: str  # ChargePointErrorCode
    status: str  # ChargePointStatus shown while active (Faulted, SuspendedEVSE, Available ...)
    info: str  # at most 50 characters


@dataclass(frozen=True)
class Face201:
    component: str
    variable: str
    actual_value: str
    connector_status: str | None  # StatusNotification connectorStatus, None = unchanged


@dataclass(frozen=True)
class Truth:
    clears_by: tuple[str, ...]  # actions that clear it (for a while if it recurs)
    remedy: str  # what really fixes it
    root_cause: str  # firmware, hardware, network, vehicle, grid
    self_clear_after_s: float | None = None  # simulated seconds
    recurs_after_reset: bool = False
    recur_delay_s: float | None = None  # simulated seconds after the clearing reboot
    unsafe: bool = False
    stops_transaction: bool = True
    behaviour: str | None = None  # OFFLINE, FLAPPING, BOOT_LOOP


@dataclass(frozen=True)
class FaultSpec:
    key: str
    title: str
    scope: str  # "charger" (connector 0 / station) or "connector"
    v16: Face16
    v201: Face201
    truth: Truth
    description: str = ""
    stop_reason_16: str = "Other"
    stop_reason_201: str = "Other"
    tags: tuple[str, ...] = field(default_factory=tuple)

    def vendor_error_code(self, model: ChargerModel) -> str:
        return vendor_error_code(model, self.key) or f"SIM-{self.key[:20]}"

    def clears_on(self, action: str) -> bool:
        if action == HARD_RESET and SOFT_RESET in self.truth.clears_by:
            return True
        return action in self.truth.clears_by


_FAULTS: tuple[FaultSpec, ...] = (
    FaultSpec(
        key="firmware_hang",
        title="Firmware hang (internal error)",
        scope="charger",
        v16=Face16("InternalError", "Faulted", "Main application watchdog timeout"),
        v201=Face201("ChargingStation", "Problem", "true", "Faulted"),
        truth=Truth((SOFT_RESET,), SOFT_RESET, "firmware"),
        description="The main application stops serving the connectors; a soft reset restarts it.",
    ),
    FaultSpec(
        key="stuck_process",
        title="Stuck charging-controller process",
        scope="charger",
        v16=Face16("InternalError", "Faulted", "Charging controller process not responding"),
        v201=Face201("Controller", "Problem", "true", "Faulted"),
        truth=Truth((HARD_RESET,), HARD_RESET, "firmware"),
        description="A controller process survives an application restart; only a hard reset "
        "(power cycle of the controller) clears it.",
    ),
    FaultSpec(
        key="connector_lock_failure",
        title="Connector lock failure",
        scope="connector",
        v16=Face16("ConnectorLockFailure", "Faulted", "Plug retention lock did not engage"),
        v201=Face201("ConnectorPlugRetentionLock", "Problem", "true", "Faulted"),
        truth=Truth((UNLOCK,), UNLOCK, "hardware"),
        description="The lock actuator is stuck; an UnlockConnector command re-homes it.",
    ),
    FaultSpec(
        key="rfid_reader_failure",
        title="RFID reader failure",
        scope="charger",
        v16=Face16("ReaderFailure", "Available", "RFID reader not responding"),
        v201=Face201("TokenReader", "Problem", "true", None),
        truth=Truth((HARD_RESET,), HARD_RESET, "hardware", stops_transaction=False),
        description="The reader's USB link hangs; remote start still works; a hard reset "
        "power-cycles the reader.",
    ),
    FaultSpec(
        key="phantom_connector_state",
        title="Phantom connector state",
        scope="connector",
        v16=Face16("OtherError", "Preparing", "Plug detected without vehicle"),
        v201=Face201("Connector", "AvailabilityState", "Occupied", "Occupied"),
        truth=Truth((AVAILABILITY_CYCLE,), AVAILABILITY_CYCLE, "firmware", stops_transaction=False),
        description="The connector state machine is stuck in an occupied state with nothing "
        "plugged in; Inoperative then Operative resets it.",
    ),
    FaultSpec(
        key="ground_fault",
        title="Ground fault (RCD tripped)",
        scope="connector",
        v16=Face16("GroundFailure", "Faulted", "Residual current device tripped"),
        v201=Face201("RCD", "Tripped", "true", "Faulted"),
        truth=Truth(
            (SOFT_RESET, HARD_RESET),
            SITE_VISIT,
            "hardware",
            recurs_after_reset=True,
            recur_delay_s=5.0,
        ),
        description="Insulation fault in the cable or a failing RCD: a reset re-arms it and it "
        "trips again within seconds. Needs a site visit.",
        stop_reason_16="EmergencyStop",
        stop_reason_201="GroundFault",
    ),
    FaultSpec(
        key="welded_contactor",
        title="Welded contactor",
        scope="connector",
        v16=Face16("PowerSwitchFailure", "Faulted", "Main contactor welded closed"),
        v201=Face201("PowerContactor", "Problem", "true", "Faulted"),
        truth=Truth((), SITE_VISIT, "hardware", unsafe=True),
        description="Unsafe: the output stays live. Nothing clears it remotely; take the "
        "charger out of service and send a technician.",
        stop_reason_16="EmergencyStop",
        stop_reason_201="EmergencyStop",
        tags=("unsafe",),
    ),
    FaultSpec(
        key="over_temperature",
        title="Over-temperature",
        scope="connector",
        v16=Face16("HighTemperature", "Faulted", "Power module temperature above limit"),
        v201=Face201("TemperatureSensor", "Temperature", "92.5", "Faulted"),
        truth=Truth((SELF_CLEAR,), SELF_CLEAR, "hardware", self_clear_after_s=600.0),
        description="Derating ends in a trip; it clears by itself once the module has cooled.",
    ),
    FaultSpec(
        key="power_meter_failure",
        title="Power meter failure",
        scope="connector",
        v16=Face16("PowerMeterFailure", "Faulted", "Energy meter not responding on Modbus"),
        v201=Face201("FiscalMetering", "Problem", "true", "Faulted"),
        truth=Truth((HARD_RESET,), HARD_RESET, "hardware"),
        description="The meter's bus hangs; a hard reset power-cycles the meter.",
    ),
    FaultSpec(
        key="weak_signal",
        title="Weak cellular signal (flapping)",
        scope="charger",
        v16=Face16("WeakSignal", "Available", "Cellular signal -109 dBm"),
        v201=Face201("DataLink", "SignalStrength", "-109", None),
        truth=Truth((), SITE_VISIT, "network", stops_transaction=False, behaviour=FLAPPING),
        description="The charger keeps dropping off and reconnecting; an antenna or router "
        "fix on site is needed.",
    ),
    FaultSpec(
        key="modem_drop",
        title="Modem drop (offline)",
        scope="charger",
        v16=Face16("OtherError", "Available", "Cellular modem link lost"),
        v201=Face201("DataLink", "Active", "false", None),
        truth=Truth(
            (SELF_CLEAR,),
            SELF_CLEAR,
            "network",
            self_clear_after_s=900.0,
            stops_transaction=False,
            behaviour=OFFLINE,
        ),
        description="The modem loses its link: the charger is offline until the modem's own "
        "watchdog restarts it. Nothing can reach it meanwhile.",
    ),
    FaultSpec(
        key="ev_communication_error",
        title="EV communication error (vehicle side)",
        scope="connector",
        v16=Face16("EVCommunicationError", "SuspendedEVSE", "ISO 15118/PWM handshake failed"),
        v201=Face201("ConnectedEV", "Problem", "true", None),
        truth=Truth(
            (VEHICLE, SELF_CLEAR),
            VEHICLE,
            "vehicle",
            self_clear_after_s=180.0,
            stops_transaction=False,
        ),
        description="The vehicle does not complete the handshake; it clears when the vehicle "
        "is unplugged. The charger is fine.",
    ),
    FaultSpec(
        key="over_voltage",
        title="Grid over-voltage",
        scope="charger",
        v16=Face16("OverVoltage", "Faulted", "Supply voltage 264.8 V above limit"),
        v201=Face201("ElectricalFeed", "Voltage", "264.8", "Faulted"),
        truth=Truth((GRID, SELF_CLEAR), GRID, "grid", self_clear_after_s=600.0),
        description="The supply is out of range; it clears when the grid recovers. A reset "
        "does not help.",
        stop_reason_201="PowerQuality",
    ),
    FaultSpec(
        key="under_voltage",
        title="Grid under-voltage",
        scope="charger",
        v16=Face16("UnderVoltage", "Faulted", "Supply voltage 188.2 V below limit"),
        v201=Face201("ElectricalFeed", "Voltage", "188.2", "Faulted"),
        truth=Truth((GRID, SELF_CLEAR), GRID, "grid", self_clear_after_s=600.0),
        description="The supply sags (weak feeder, other loads); it clears when the grid recovers.",
        stop_reason_201="PowerQuality",
    ),
    FaultSpec(
        key="over_current",
        title="Over-current trip",
        scope="connector",
        v16=Face16("OverCurrentFailure", "Faulted", "Output current above limit"),
        v201=Face201("OverCurrentProtection", "Tripped", "true", "Faulted"),
        truth=Truth((SOFT_RESET,), SOFT_RESET, "hardware"),
        description="The output protection tripped once; a reset re-arms it.",
        stop_reason_201="OvercurrentFault",
    ),
    FaultSpec(
        key="intermittent_fault",
        title="Intermittent internal fault",
        scope="connector",
        v16=Face16("OtherError", "Faulted", "Intermittent power stage fault"),
        v201=Face201("EVSE", "Problem", "true", "Faulted"),
        truth=Truth(
            (SOFT_RESET, HARD_RESET),
            SITE_VISIT,
            "hardware",
            recurs_after_reset=True,
            recur_delay_s=240.0,
        ),
        description="A loose connection in the power stage: a reset clears it, it comes back "
        "minutes later. Needs a site visit.",
    ),
    FaultSpec(
        key="firmware_boot_failure",
        title="Boot failure after firmware update",
        scope="charger",
        v16=Face16("InternalError", "Faulted", "Firmware image failed, boot loop"),
        v201=Face201("ChargingStation", "Problem", "true", "Faulted"),
        truth=Truth((), SITE_VISIT, "firmware", behaviour=BOOT_LOOP),
        description="After a firmware update the charger reboots in a loop; it needs a "
        "re-flash on site.",
    ),
)


@cache
def fault_catalogue() -> dict[str, FaultSpec]:
    """All faults by key (stable keys shared with the knowledge base and diagnosis)."""
    return {fault.key: fault for fault in _FAULTS}


def get_fault(key: str) -> FaultSpec:
    try:
        return fault_catalogue()[key]
    except KeyError:
        known = ", ".join(sorted(fault_catalogue()))
        raise KeyError(f"unknown fault {key!r}; known faults: {known}") from None
