"""A charger's registration: commissioning, active or blocked, and what that lets it do.

The operator sets a charger's status (admins, API/CLI). The BootNotification answer follows
from it (OCPP 2.0.1 B01-B03, OCPP 1.6 §4.2):

- ``active``: Accepted, with the heartbeat interval.
- ``commissioning``: Pending (B02). The interval is the time the station waits before its
  next BootNotification. While Pending the station may send only BootNotification and the
  messages the CSMS asked for: those a TriggerMessage requested, and the NotifyReport parts of
  a GetBaseReport/GetReport; the CSMS answers any other CALL with a CALLERROR SecurityError
  (B02.FR.09; conformance test TC_B_30_CSMS). The CSMS may meanwhile configure the station:
  GetVariables, SetVariables, GetBaseReport, GetReport and TriggerMessage. On 1.6 a Pending
  charge point may receive anything but RemoteStartTransaction and RemoteStopTransaction
  (§4.2).
- ``blocked``: Rejected (B03). The station may send only BootNotification, after the interval;
  any other CALL gets a CALLERROR SecurityError (B03.FR.07), and the CSMS sends it nothing.
"""

from __future__ import annotations

from typing import Any, Literal

ChargerStatus = Literal["commissioning", "active", "blocked"]
STATUSES: tuple[str, ...] = ("commissioning", "active", "blocked")
BOOT_ANSWER = {"commissioning": "Pending", "active": "Accepted", "blocked": "Rejected"}

# Catalogue commands the CSMS may send to a Pending 2.0.1 station (B02): configuration and
# reports (get/change_configuration are Get/SetVariables on 2.0.1), and triggers.
PENDING_COMMANDS_201 = frozenset(
    {
        "get_variables",
        "set_variables",
        "get_configuration",
        "change_configuration",
        "get_base_report",
        "get_report",
        "trigger_message",
    }
)
# OCPP 1.6 §4.2: while Pending, RemoteStartTransaction and RemoteStopTransaction are not
# allowed; every other Central System initiated message is.
PENDING_REFUSED_16 = frozenset({"remote_start", "remote_stop"})

# A triggered message's action, where its trigger name differs (2.0.1 MessageTriggerEnumType,
# 1.6 security whitepaper's ExtendedTriggerMessage).
_TRIGGERED_ACTION = {
    "SignChargingStationCertificate": "SignCertificate",
    "SignV2GCertificate": "SignCertificate",
    "SignCombinedCertificate": "SignCertificate",
    "SignChargePointCertificate": "SignCertificate",
}


def boot_answer(status: str) -> str:
    return BOOT_ANSWER.get(status, "Accepted")


def refused_command(registration: str | None, ocpp_version: str | None, command: str) -> bool:
    """May the CSMS not send this command to a charger whose last boot was answered so?"""
    if registration == "Rejected":
        return True
    if registration != "Pending":
        return False
    if ocpp_version == "1.6":
        return command in PENDING_REFUSED_16
    return command not in PENDING_COMMANDS_201


class RegistrationGate:
    """Per connection: the CALLs a charger not (yet) Accepted may send."""

    def __init__(self, status: str) -> None:
        # a commissioning or blocked charger is held from its first frame; an active one is
        # never held (it may send its status before its boot after a reconnect)
        answer = boot_answer(status)
        self.answer: str | None = None if answer == "Accepted" else answer
        self._asked: set[str] = set()  # actions the CSMS asked for while Pending

    def answered(self, answer: str) -> None:
        """The BootNotification was answered so."""
        self.answer = answer
        if answer != "Pending":
            self._asked.clear()

    def sending(self, action: str | None, payload: dict[str, Any]) -> None:
        """One of our CALLs leaves: what it asks the charger to send is allowed back."""
        if action in ("TriggerMessage", "ExtendedTriggerMessage"):
            requested = str(payload.get("requestedMessage"))
            self._asked.add(_TRIGGERED_ACTION.get(requested, requested))
        elif action in ("GetBaseReport", "GetReport"):
            self._asked.add("NotifyReport")

    def refuses(self, action: str) -> bool:
        """B02.FR.09 / B03.FR.07: answer this CALL with a SecurityError?"""
        if self.answer is None or self.answer == "Accepted" or action == "BootNotification":
            return False
        return self.answer == "Rejected" or action not in self._asked
