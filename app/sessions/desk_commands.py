"""The remote commands the consultant desk offers on a handoff, and which one comes first.

The desk pre-selects one command. With a safety-class fault open (catalogue class
``never_reset``), the pre-selected command is never one the catalogue marks as re-energising
or interrupting (a reset, an unlock, availability to Operative): those stay on the list, and
the gateway's safety interlock still refuses them without force and a reason, but a consultant
who presses "Run" without looking must not send one. The guard itself stays in
app/commands/guards.py; this only decides what is offered first.
"""

from __future__ import annotations

from typing import Any

from app.commands.catalogue import interrupts_charge, parse_params, re_energises
from app.fleet.model import ChargerLiveState

# label, command, params (the desk adds connector_id for the connector commands)
OFFERED: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("Soft reset", "reset", {"type": "soft"}),
    ("Hard reset", "reset", {"type": "hard"}),
    ("Unlock connector", "unlock_connector", {}),
    ("Take connector out of service", "change_availability", {"type": "inoperative"}),
    ("Put connector back in service", "change_availability", {"type": "operative"}),
    ("Ask for status", "trigger_message", {"message": "StatusNotification"}),
)


def offered_commands(charger: ChargerLiveState | None) -> list[dict[str, Any]]:
    """The desk's commands, each with ``held`` (a safety fault is open and the catalogue says
    it re-energises or interrupts) and exactly one ``default``."""
    safety = bool(charger is not None and charger.safety_faults())
    version = charger.ocpp_version if charger is not None else None
    items: list[dict[str, Any]] = []
    for label, command, params in OFFERED:
        parsed = parse_params(command, params)
        risky = re_energises(command, parsed) or interrupts_charge(command, parsed, version)
        items.append(
            {
                "label": label,
                "command": command,
                "params": dict(params),
                "held": safety and risky,
                "default": False,
            }
        )
    first = next(item for item in items if not item["held"])  # "Ask for status" never is
    first["default"] = True
    return items
