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
# one peripheral (payment terminal, RFID reader) restarted by its vendor's configuration key
# (``ChargerModel.peripheral_restarts``); the charger itself keeps running and charging
RESTART_PERIPHERAL = "restart_peripheral"
SELF_CLEAR = "self_clear"
SITE_VISIT = "site_visit"
VEHICLE = "vehicle"
GRID = "grid"
CLEAR_ACTIONS = (SOFT_RESET, HARD_RESET, UNLOCK, AVAILABILITY_CYCLE, RESTART_PERIPHERAL, SELF_CLEAR)
REMEDIES = (*CLEAR_ACTIONS, SITE_VISIT, VEHICLE, GRID)

# Special behaviours the charger shows while the fault is active.
OFFLINE = "offline"  # socket down, no reconnect until the fault clears
FLAPPING = "flapping"  # connects, drops after a while, reconnects
BOOT_LOOP = "boot_loop"  # boots, reports the failure, reboots again
# no mains power: the socket closes, nothing is sent, open transactions end (PowerLoss); when
# power returns the charger boots with reason PowerUp
POWER_LOSS = "power_loss"
# the application hangs with the socket open: it sends nothing and answers no CALL
HANG = "hang"
# behaviours under which a charger cannot deliver energy (the benchmark's uptime rule)
DOWN_BEHAVIOURS = (OFFLINE, BOOT_LOOP, POWER_LOSS, HANG)


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
    root_cause: str  # firmware, hardware, network, vehicle, grid, security, payment
    self_clear_after_s: float | None = None  # simulated seconds
    recurs_after_reset: bool = False
    recur_delay_s: float | None = None  # simulated seconds after the clearing reboot
    unsafe: bool = False
    stops_transaction: bool = True
    behaviour: str | None = None  # OFFLINE, FLAPPING, BOOT_LOOP


REMOTE_ACTIONS = (SOFT_RESET, HARD_RESET, UNLOCK, AVAILABILITY_CYCLE, RESTART_PERIPHERAL)


@dataclass(frozen=True)
class Cause:
    """One hidden cause behind a fault's face, with field-like (probabilistic) outcomes.

    ``clear_p`` is the chance that one remote action clears the fault (a hard reset also does
    what a soft reset does, so it uses the larger of the two); ``recur_p`` the chance that a
    remote clear is only for a while, the fault coming back after a delay drawn log-uniformly
    from ``recur_delay_s`` (minutes to days); ``visit_ftf`` the chance that one site visit
    fixes it (a part may be missing, the fault may not show while the technician is there).

    The figures are assumptions of this simulator, not field measurements: they make the
    faces ambiguous and the outcomes uncertain, so that no rule can know the answer.
    """

    key: str
    weight: float
    root_cause: str  # firmware, hardware, network, vehicle, grid, security, payment
    clear_p: tuple[tuple[str, float], ...] = ()
    recur_p: float = 0.0
    recur_delay_s: tuple[float, float] = (300.0, 3600.0)
    visit_ftf: float = 0.95
    description: str = ""
    # clears by itself after a delay drawn log-uniformly from this range (simulated seconds),
    # e.g. moisture in a cable that dries, or a hardware watchdog that reboots a hung charger;
    # ``self_clear_p`` is the chance it does at all (else it stays until a site visit)
    self_clear_s: tuple[float, float] | None = None
    self_clear_p: float = 1.0
    # what it leaves in the charger's own log (``app.simulator.evidence``): the kind of line
    # and its chance (a hardware failure may leave no trace), and a hardware-looking line a
    # firmware hang or a transient trip may leave by accident
    trace: str | None = None
    trace_p: float = 0.0
    misleading: str | None = None
    misleading_p: float = 0.0
    # security events (OCPP 2.0.1 names, Part 2 Appendix 1) the charger logged while the fault
    # lasted and sends when it is back (a 1.6 charger by the security whitepaper's names)
    security_events: tuple[str, ...] = ()

    def p_clear(self, action: str) -> float:
        table = dict(self.clear_p)
        if action == HARD_RESET:
            return max(table.get(HARD_RESET, 0.0), table.get(SOFT_RESET, 0.0))
        return table.get(action, 0.0)

    @property
    def remote_fixable(self) -> bool:
        """Whether some remote action could fix it for good (the benchmark's oracle)."""
        return self.recur_p < 1.0 and any(self.p_clear(a) > 0 for a in REMOTE_ACTIONS)


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
    causes: tuple[Cause, ...] = ()  # field mode: the hidden causes behind this face
    # the charger never reports it (no power, a hang, a dead uplink): no vendor code, no
    # StatusNotification face or NotifyEvent; ``v16``/``v201`` are placeholders
    faceless: bool = False
    # only on connectors of this current ("DC": the insulation monitor of a DC charger); for a
    # charger-wide fault, only on chargers with such a connector (the DC chargers' payment
    # terminal: the sample AC models carry none)
    current: str | None = None
    # how drivers start a charge that this fault stops while it lasts ("rfid": a card on the
    # reader, "card": a bank card on the payment terminal); the charger can still charge
    # drivers who start another way (an app's remote start), so it is no outage of the port
    blocks_start: str | None = None

    def field_causes(self) -> tuple[Cause, ...]:
        """The causes behind this face; one derived from ``truth`` when none are listed."""
        if self.causes:
            return self.causes
        t = self.truth
        clear = tuple((a, 1.0) for a in REMOTE_ACTIONS if a in t.clears_by)
        delay = t.recur_delay_s or 60.0
        return (
            Cause(
                self.key,
                1.0,
                t.root_cause,
                clear,
                recur_p=1.0 if t.recurs_after_reset else 0.0,
                recur_delay_s=(delay, delay),
                visit_ftf=0.85 if t.remedy == SITE_VISIT else 1.0,
            ),
        )

    def fits(self, model: ChargerModel) -> bool:
        """Whether a charger of this model can have the fault (a DC-only one: a DC connector)."""
        return self.current is None or any(c.current == self.current for c in model.connectors)

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
        causes=(
            Cause(
                "firmware_hang",
                0.6,
                "firmware",
                ((SOFT_RESET, 0.9),),
                recur_p=0.15,
                recur_delay_s=(86_400.0, 5 * 86_400.0),
                visit_ftf=0.98,
                description="The application hangs; a restart fixes it, sometimes for days",
                trace="app_watchdog",
                trace_p=0.7,
                misleading="power_module",
                misleading_p=0.05,
            ),
            Cause(
                "power_module_failure",
                0.25,
                "hardware",
                (),
                visit_ftf=0.7,
                description="A failed power module; the spare is often not on the van",
                trace="power_module",
                trace_p=0.85,
            ),
            Cause(
                "control_board_failure",
                0.15,
                "hardware",
                (),
                visit_ftf=0.6,
                description="A broken control board; a second visit with the board",
                trace="control_board",
                trace_p=0.7,
            ),
        ),
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
        causes=(
            Cause(
                "stuck_process",
                0.8,
                "firmware",
                ((SOFT_RESET, 0.1), (HARD_RESET, 0.85)),
                recur_p=0.1,
                recur_delay_s=(3600.0, 3 * 86_400.0),
                visit_ftf=0.98,
                trace="process_restart",
                trace_p=0.7,
                misleading="control_board",
                misleading_p=0.05,
            ),
            Cause(
                "control_board_failure",
                0.2,
                "hardware",
                (),
                visit_ftf=0.6,
                trace="control_board",
                trace_p=0.7,
            ),
        ),
    ),
    FaultSpec(
        key="connector_lock_failure",
        title="Connector lock failure",
        scope="connector",
        v16=Face16("ConnectorLockFailure", "Faulted", "Plug retention lock did not engage"),
        v201=Face201("ConnectorPlugRetentionLock", "Problem", "true", "Faulted"),
        truth=Truth((UNLOCK,), UNLOCK, "hardware"),
        description="The lock actuator is stuck; an UnlockConnector command re-homes it.",
        causes=(
            Cause(
                "lock_actuator_stuck",
                0.7,
                "hardware",
                ((UNLOCK, 0.8),),
                recur_p=0.2,
                recur_delay_s=(3600.0, 2 * 86_400.0),
                visit_ftf=0.95,
                trace="lock_retry",
                trace_p=0.7,
                misleading="lock_actuator",
                misleading_p=0.05,
            ),
            Cause(
                "lock_actuator_broken",
                0.3,
                "hardware",
                (),
                visit_ftf=0.8,
                trace="lock_actuator",
                trace_p=0.75,
            ),
        ),
    ),
    FaultSpec(
        key="rfid_reader_failure",
        title="RFID reader failure",
        scope="charger",
        v16=Face16("ReaderFailure", "Available", "RFID reader not responding"),
        v201=Face201("TokenReader", "Problem", "true", None),
        truth=Truth(
            (RESTART_PERIPHERAL, HARD_RESET), HARD_RESET, "hardware", stops_transaction=False
        ),
        description="The reader's USB link hangs; remote start still works; a hard reset "
        "power-cycles the reader, and a model that can restart its reader alone (a vendor "
        "key) does so without a reboot.",
        blocks_start="rfid",
        causes=(
            Cause(
                "reader_usb_hang",
                0.6,
                "hardware",
                # a restart of the reader alone re-enumerates it but does not cut its power
                ((HARD_RESET, 0.8), (RESTART_PERIPHERAL, 0.7)),
                recur_p=0.1,
                recur_delay_s=(86_400.0, 7 * 86_400.0),
                visit_ftf=0.95,
                trace="usb_reset",
                trace_p=0.7,
                misleading="rfid_reader",
                misleading_p=0.05,
            ),
            Cause(
                "reader_broken",
                0.4,
                "hardware",
                (),
                visit_ftf=0.85,
                trace="rfid_reader",
                trace_p=0.8,
            ),
        ),
    ),
    FaultSpec(
        key="payment_terminal_failure",
        title="Payment terminal failure",
        scope="charger",
        # EVerest reports a payment terminal's error on 1.6 as a StatusNotification on
        # connector 0, OtherError, status unchanged, vendorErrorCode "<Error>/<sub type>"
        # (its OCPP module's get_error_info); on 2.0.1 as a NotifyEvent on ChargingStation,
        # variable Problem, techCode the error type ("payment_terminal/GenericPaymentTerminal
        # Error", errors/payment_terminal.yaml). The vendor codes are in the catalogue.
        v16=Face16("OtherError", "Available", "Payment terminal not responding"),
        v201=Face201("ChargingStation", "Problem", "true", None),
        truth=Truth(
            (RESTART_PERIPHERAL, HARD_RESET), SITE_VISIT, "payment", stops_transaction=False
        ),
        description="The card payment terminal takes no payment: drivers who pay by card "
        "cannot start; an app or an RFID card still can.",
        current="DC",
        blocks_start="card",
        causes=(
            Cause(
                "terminal_app_hang",
                0.45,
                "payment",
                ((HARD_RESET, 0.5), (RESTART_PERIPHERAL, 0.85)),
                recur_p=0.15,
                recur_delay_s=(86_400.0, 7 * 86_400.0),
                visit_ftf=0.95,
                description="The terminal's payment application hangs; a hard reset of the "
                "charger power-cycles the terminal where it hangs off the charger's auxiliary "
                "supply (half the time: else only its provider's own management reboots it); "
                "the model's terminal restart key reboots the terminal itself",
            ),
            Cause(
                "terminal_broken",
                0.3,
                "hardware",
                visit_ftf=0.6,
                description="The card reader or contactless front end failed; a technician "
                "swaps the terminal, and a spare is not always on the van",
            ),
            Cause(
                "processor_link_down",
                0.25,
                "payment",
                self_clear_s=(1200.0, 6 * 3600.0),
                description="The terminal cannot reach its payment processor (the processor, "
                "or the terminal's own SIM); it recovers by itself, nobody on site can help",
            ),
        ),
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
        causes=(
            Cause(
                "state_machine_stuck",
                0.85,
                "firmware",
                ((AVAILABILITY_CYCLE, 0.9), (HARD_RESET, 0.7)),
                visit_ftf=0.98,
                trace="state_machine",
                trace_p=0.7,
                misleading="plug_sensor",
                misleading_p=0.05,
            ),
            Cause(
                "plug_sensor_failure",
                0.15,
                "hardware",
                (),
                visit_ftf=0.8,
                trace="plug_sensor",
                trace_p=0.7,
            ),
        ),
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
        causes=(
            Cause(
                "cable_insulation",
                0.6,
                "hardware",
                ((SOFT_RESET, 0.9),),
                recur_p=1.0,
                recur_delay_s=(5.0, 600.0),
                visit_ftf=0.85,
            ),
            Cause(
                "rcd_failing",
                0.4,
                "hardware",
                ((SOFT_RESET, 0.9),),
                recur_p=1.0,
                recur_delay_s=(5.0, 3600.0),
                visit_ftf=0.75,
            ),
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
        causes=(
            Cause(
                "meter_bus_hang",
                0.7,
                "hardware",
                ((HARD_RESET, 0.85),),
                recur_p=0.1,
                recur_delay_s=(3600.0, 3 * 86_400.0),
                visit_ftf=0.95,
                trace="modbus_timeout",
                trace_p=0.7,
                misleading="energy_meter",
                misleading_p=0.05,
            ),
            Cause(
                "meter_dead", 0.3, "hardware", (), visit_ftf=0.75, trace="energy_meter", trace_p=0.8
            ),
        ),
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
        causes=(
            Cause(
                "transient_trip",
                0.7,
                "hardware",
                ((SOFT_RESET, 0.9),),
                visit_ftf=0.98,
                trace="ocp_trip",
                trace_p=0.7,
                misleading="power_stage",
                misleading_p=0.05,
            ),
            Cause(
                "damaged_power_stage",
                0.3,
                "hardware",
                ((SOFT_RESET, 0.8),),
                recur_p=1.0,
                recur_delay_s=(120.0, 4 * 3600.0),
                visit_ftf=0.7,
                trace="power_stage",
                trace_p=0.75,
            ),
        ),
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
        causes=(
            Cause(
                "loose_power_connection",
                1.0,
                "hardware",
                ((SOFT_RESET, 0.9),),
                recur_p=1.0,
                recur_delay_s=(120.0, 2 * 86_400.0),
                visit_ftf=0.75,
                trace="power_stage",
                trace_p=0.6,
            ),
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
    # -- field faults that are not one charger's (issue 15) ---------------------------------
    FaultSpec(
        key="site_power_outage",
        title="Site power outage (mains failure)",
        scope="charger",
        # placeholders: a charger without mains power sends nothing (ChargeX CX015 PowerLoss
        # "unable to supply any power due to mains failure" needs a charger that is still up)
        v16=Face16("OtherError", "Unavailable", "Mains power lost"),
        v201=Face201("ElectricalFeed", "Active", "false", None),
        truth=Truth(
            (GRID, SELF_CLEAR),
            GRID,
            "grid",
            self_clear_after_s=3600.0,  # the benchmark draws each outage's own duration
            stops_transaction=False,  # the power loss itself ends them (below)
            behaviour=POWER_LOSS,
        ),
        causes=(
            Cause(
                "utility_interruption",
                1.0,
                "grid",
                description="The utility feed to the site fails; every charger there goes dark "
                "until it returns",
            ),
        ),
        description="Every charger of a site loses mains power at once: sockets close, nothing "
        "is sent; open transactions end with reason PowerLoss (OCPP 1.6 Reason and 2.0.1 "
        "ReasonEnumType: 'Complete loss of power'), reported after the PowerUp boot.",
        stop_reason_16="PowerLoss",
        stop_reason_201="PowerLoss",
        faceless=True,
        tags=("site",),
    ),
    FaultSpec(
        key="site_network_outage",
        title="Site network outage (uplink down)",
        scope="charger",
        v16=Face16("OtherError", "Available", "Site uplink down"),
        v201=Face201("DataLink", "Active", "false", None),
        truth=Truth(
            (SELF_CLEAR,),
            SELF_CLEAR,
            "network",
            self_clear_after_s=3600.0,  # the benchmark draws each outage's own duration
            stops_transaction=False,
            behaviour=OFFLINE,
        ),
        causes=(
            Cause(
                "site_uplink_down",
                1.0,
                "network",
                description="The site's router or its provider is down; the chargers are "
                "powered and charge, but cannot reach the CSMS until it is back",
            ),
        ),
        description="The site's uplink is down: chargers stay powered, sockets close and do not "
        "reconnect until it ends; 1.6 chargers queue MeterValues/StopTransaction, 2.0.1 "
        "chargers queue TransactionEvents marked offline, and send them after.",
        faceless=True,
        tags=("site",),
    ),
    FaultSpec(
        key="insulation_fault",
        title="DC insulation monitoring (IMD) fault",
        scope="connector",
        # EVerest's isolation_monitor interface raises DeviceFault / CommunicationFault /
        # VendorError (everest-core isolation_monitor API ErrorEnum) and the EVSE manager maps
        # an isolation failure to ChargeX MREC CX011 CableCheckFault (before charging) or
        # CX022 ResistanceFault (while charging); 1.6 reports it as OtherError + Faulted, 2.0.1
        # as GroundIsolationProtection.Problem (knowledge_base/fault_codes: insulation_fault,
        # safety class never_reset).
        v16=Face16("OtherError", "Faulted", "Isolation resistance out of range"),
        v201=Face201("GroundIsolationProtection", "Problem", "true", "Faulted"),
        truth=Truth((), SITE_VISIT, "hardware", unsafe=True),
        causes=(
            Cause(
                "damaged_cable_insulation",
                0.5,
                "hardware",
                visit_ftf=0.8,
                description="The DC cable's insulation is damaged (run over, cut); a new "
                "cable, often not on the van",
            ),
            Cause(
                "moisture",
                0.3,
                "environment",
                self_clear_s=(2 * 3600.0, 12 * 3600.0),
                visit_ftf=0.9,
                description="Water in the connector or cable after rain; it dries in hours",
            ),
            Cause(
                "imd_self_test_failure",
                0.2,
                "hardware",
                visit_ftf=0.7,
                description="The insulation monitor fails its own self-test; a new IMD",
            ),
        ),
        description="The DC insulation monitor reports an isolation resistance too low (or "
        "fails its self-test): never reset into it; a technician checks the cable and the IMD.",
        stop_reason_201="GroundFault",
        tags=("unsafe",),
        current="DC",
    ),
    FaultSpec(
        key="silent_hang",
        title="Silent hang (socket open, no answer)",
        scope="charger",
        v16=Face16("InternalError", "Available", "Application hung"),
        v201=Face201("ChargingStation", "Problem", "true", None),
        truth=Truth((), SITE_VISIT, "firmware", stops_transaction=False, behaviour=HANG),
        causes=(
            Cause(
                "app_deadlock",
                0.7,
                "firmware",
                self_clear_s=(600.0, 4 * 3600.0),
                self_clear_p=0.6,
                visit_ftf=0.95,
                description="The application deadlocks; a hardware watchdog reboots it after a "
                "while, if it is armed; else a power cycle on site",
            ),
            Cause(
                "controller_lockup",
                0.3,
                "hardware",
                visit_ftf=0.7,
                description="The controller locks up for good; a new board",
            ),
        ),
        description="The charger keeps its socket open but sends nothing and answers no CALL "
        "(a reset cannot reach it); a watchdog may reboot it, else a site visit.",
        faceless=True,
    ),
    FaultSpec(
        key="tls_connection_failure",
        title="Cannot connect: TLS handshake fails (certificate or clock)",
        scope="charger",
        # placeholders: nothing reaches the CSMS while it lasts (faceless); what the charger
        # logged is sent once it is back (``Cause.security_events``)
        v16=Face16("OtherError", "Available", "TLS handshake failed"),
        v201=Face201("SecurityCtrlr", "Problem", "true", None),
        truth=Truth((), SITE_VISIT, "security", stops_transaction=False, behaviour=OFFLINE),
        causes=(
            Cause(
                "station_certificate_expired",
                0.5,
                "security",
                visit_ftf=0.8,
                security_events=("FailedToAuthenticateAtCsms",),
                description="The charger's client certificate (security profile 3) expired "
                "without a renewal: the CSMS refuses the handshake. Offline, it cannot be "
                "renewed remotely; a technician installs a new one (not always on hand)",
            ),
            Cause(
                "clock_lost",
                0.5,
                "hardware",
                self_clear_s=(1800.0, 12 * 3600.0),
                self_clear_p=0.5,
                visit_ftf=0.95,
                security_events=("InvalidCsmsCertificate", "SettingSystemTime"),
                description="The real-time clock lost its time (a flat RTC battery after a "
                "power cut, or drift): the CSMS certificate looks not yet valid and the charger "
                "refuses the handshake. An NTP sync fixes it where one is set up (EVerest "
                "libocpp raises InvalidCsmsCertificate on each failed attempt until the time "
                "is set: libocpp PR 1155); else a technician sets the clock",
            ),
        ),
        description="The charger has power and network but cannot open its TLS connection: "
        "offline to the CSMS, nothing sent, no command reaches it.",
        faceless=True,
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
