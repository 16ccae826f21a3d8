"""What a hidden cause leaves in the charger's own log, in its vendor's wording.

Real chargers log far more than their OCPP errorCode: a failed power module, a dead meter or
a broken reader shows up as the firmware's own message in the diagnostics log a technician
reads before deciding. Here each cause (``app.simulator.faults.Cause``) names the kind of
line it may leave (``trace``, with probability ``trace_p``: some hardware failures leave no
trace) and, for a firmware hang or a transient trip, the hardware-looking line it may leave
by accident (``misleading``, with ``misleading_p``). The lines are worded per vendor below,
each vendor its own phrasing; the backend's knowledge base has its own table of these
messages for every vendor but one (see README, "False resets").

All wording is fictional sample content, like the simulated vendors themselves.
"""

from __future__ import annotations

import random

# Hardware kinds (a part that no reset fixes) and benign kinds (what a firmware hang or a
# transient trip logs). Placeholders: {n} a module/board index, {c} the connector.
HARDWARE_KINDS = (
    "power_module",
    "control_board",
    "rfid_reader",
    "energy_meter",
    "plug_sensor",
    "lock_actuator",
    "power_stage",
)
BENIGN_KINDS = (
    "app_watchdog",
    "process_restart",
    "usb_reset",
    "modbus_timeout",
    "ocp_trip",
    "lock_retry",
    "state_machine",
)

PHRASES: dict[str, dict[str, str]] = {
    "Voltara": {
        "power_module": "PWR E31 relay board: output stage self-test FAILED, board locked out",
        "control_board": "CPU E90 mainboard EEPROM checksum mismatch, board fault latched",
        "rfid_reader": "RFID E61 reader antenna open circuit, reader disabled",
        "energy_meter": "MTR E71 energy meter no reply after power cycle, meter marked dead",
        "plug_sensor": "PP E41 proximity pilot resistor out of range on socket {c}",
        "lock_actuator": "LCK E22 lock motor stall current, actuator end position lost",
        "power_stage": "PWR E35 output stage desaturation on socket {c}, stage latched off",
        "app_watchdog": "SYS W01 watchdog kicked: main task restarted",
        "process_restart": "SYS W05 cp_ctrl task not scheduled for 30 s",
        "usb_reset": "RFID W60 reader reset over SPI, retry {n}",
        "modbus_timeout": "MTR W70 meter poll timeout, retry {n}",
        "ocp_trip": "PWR W30 output current trip on socket {c}, re-armable",
        "lock_retry": "LCK W20 lock did not reach end position, retry {n}",
        "state_machine": "CP W40 state machine in B2 without proximity, holding",
    },
    "Northwind Charging": {
        "power_module": "nwc.power: supply module {n} health=BAD (rectifier output 0 V)",
        "control_board": "nwc.board: I2C bus stuck low, controller board not recoverable",
        "rfid_reader": "nwc.auth: reader firmware handshake failed 5/5, reader hardware fault",
        "energy_meter": "nwc.meter: meter {c} CRC errors 100%, device not responding",
        "plug_sensor": "nwc.socket{c}: PP sensor reading 0 ohm (short)",
        "lock_actuator": "nwc.socket{c}: lock feedback switch open with motor engaged",
        "power_stage": "nwc.socket{c}: output relay contact resistance high, relay degraded",
        "app_watchdog": "nwc.sys: watchdog timeout, main loop restarted",
        "process_restart": "nwc.sys: chargectl heartbeat missed {n} times",
        "usb_reset": "nwc.auth: reader re-enumerated",
        "modbus_timeout": "nwc.meter: meter {c} poll timeout ({n} retries)",
        "ocp_trip": "nwc.socket{c}: overcurrent trip, protection re-armed",
        "lock_retry": "nwc.socket{c}: lock retry {n}",
        "state_machine": "nwc.socket{c}: state B without PP, waiting",
    },
    "Helion Power": {
        "power_module": "PM{n} fault: DC output undervoltage, module disabled",
        "control_board": "MCB fault: CAN controller bus-off, control board offline",
        "rfid_reader": "RFID fault: reader module no response after power cycle",
        "energy_meter": "DCM{c} fault: DC meter no response, meter failed",
        "plug_sensor": "CON{c} fault: temperature/PP sensor open circuit",
        "lock_actuator": "CON{c} fault: lock actuator feedback lost",
        "power_stage": "PM{n} fault: IGBT desaturation detected, power stage damaged",
        "app_watchdog": "SYS warn: application watchdog expired, restarting",
        "process_restart": "SYS warn: charge controller process unresponsive",
        "usb_reset": "RFID warn: USB link reset",
        "modbus_timeout": "DCM{c} warn: Modbus timeout, retry {n}",
        "ocp_trip": "CON{c} warn: overcurrent trip, cleared on re-arm",
        "lock_retry": "CON{c} warn: lock retry {n}",
        "state_machine": "CON{c} warn: state machine waiting for EV",
    },
    "Kestrel EV": {
        "power_module": "PowerUnit[{n}] state=FAILED code 0x31",
        "control_board": "MainController state=FAILED code 0x90 (flash ECC)",
        "rfid_reader": "TokenReader state=FAILED code 0x61",
        "energy_meter": "Meter[{c}] state=FAILED code 0x71",
        "plug_sensor": "Connector[{c}].PP state=FAILED code 0x41",
        "lock_actuator": "Connector[{c}].Lock state=FAILED code 0x22",
        "power_stage": "PowerUnit[{n}].Stage state=DEGRADED code 0x35",
        "app_watchdog": "Supervisor restart app=ocpp-core reason=watchdog",
        "process_restart": "Supervisor restart app=chargectl reason=hung",
        "usb_reset": "TokenReader state=RESET code 0x60",
        "modbus_timeout": "Meter[{c}] state=TIMEOUT code 0x70",
        "ocp_trip": "Connector[{c}].OCP state=TRIPPED code 0x30",
        "lock_retry": "Connector[{c}].Lock state=RETRY code 0x20",
        "state_machine": "Connector[{c}].SM state=WAIT code 0x40",
    },
}


def evidence_lines(
    vendor: str,
    trace: str | None,
    trace_p: float,
    misleading: str | None,
    misleading_p: float,
    connector_id: int,
    rng: random.Random,
) -> tuple[str, ...]:
    """The lines one fault leaves in its charger's log, drawn from the fault's own generator.

    The draws are made whatever the outcome (two each), so every benchmark arm sees the same
    lines for the same fault."""
    phrases = PHRASES.get(vendor, {})
    n = rng.randint(1, 4)
    lines: list[str] = []
    for kind, p in ((trace, trace_p), (misleading, misleading_p)):
        hit = rng.random() < p
        if hit and kind is not None and kind in phrases:
            lines.append(phrases[kind].format(n=n, c=max(connector_id, 1)))
    return tuple(lines)
