"""How a simulated charger goes through a firmware update: the states it reports (OCPP 2.0.1
L01/L02 FirmwareStatusEnumType; 1.6 §4.5 FirmwareStatus for a plain 1.6 update) and the version
it boots afterwards.

The firmware file's name steers failures for tests: ``download-fails``, ``bad-signature``
(signed updates), ``install-fails``, ``rolls-back`` (reports every state up to Installed,
reboots, and comes back on its old firmware: a rollback), ``boot-loops`` (the new image does
not boot: the charger reboots in a loop until a technician re-flashes it).

A file named none of these installs in ideal mode. In field mode (issue 15) it fails as field
updates do, with the odds of ``FIELD_ODDS``, drawn from the caller's seeded generator.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import urlparse

# The chance of each failure of one field update. Assumptions of this simulator, like the
# fault causes' odds (app/simulator/faults.py), not field measurements: a download that fails
# (cellular link), an install the charger's A/B bootloader rolls back after failed boots, and
# an image that leaves it in a boot loop (no fallback bank, or the fallback is bad too).
FIELD_ODDS: tuple[tuple[str, float], ...] = (
    ("download-fails", 0.03),
    ("rolls-back", 0.04),
    ("boot-loops", 0.01),
)
STEERING = ("download-fails", "bad-signature", "install-fails", "rolls-back", "boot-loops")


@dataclass(frozen=True)
class FirmwareOutcome:
    states: tuple[str, ...]
    installed_version: str | None  # None: the update failed, the old firmware keeps running
    reboots: bool = False  # reboots even so (a rollback: the old firmware boots again)
    boot_loop: bool = False  # the new image does not boot (fault ``firmware_boot_failure``)


def field_failure(rng: random.Random) -> str | None:
    """The failure one field update meets, if any (one draw of ``rng``)."""
    u = rng.random()
    for failure, p in FIELD_ODDS:
        if u < p:
            return failure
        u -= p
    return None


def outcome(
    location: str, *, signed: bool, core16: bool = False, drawn: str | None = None
) -> FirmwareOutcome:
    """``core16``: a 1.6 UpdateFirmware, whose FirmwareStatus has no signature states.
    ``drawn``: a failure drawn in field mode (``field_failure``), used when the file's name
    steers none."""
    name = PurePosixPath(urlparse(location).path).name or "firmware"
    steered = next((word for word in STEERING if word in name), drawn)
    if steered == "download-fails":
        return FirmwareOutcome(("Downloading", "DownloadFailed"), None)
    states: list[str] = ["Downloading", "Downloaded"]
    if signed and not core16:
        if steered == "bad-signature":
            return FirmwareOutcome((*states, "InvalidSignature"), None)
        states.append("SignatureVerified")
    states.append("Installing")
    if steered == "install-fails":
        return FirmwareOutcome((*states, "InstallationFailed"), None)
    if not core16:
        states.append("InstallRebooting")
    if steered == "boot-loops":
        # the reboot into the new image never comes back to report Installed
        return FirmwareOutcome(tuple(states), None, reboots=True, boot_loop=True)
    states.append("Installed")
    if steered == "rolls-back":
        return FirmwareOutcome(tuple(states), None, reboots=True)
    return FirmwareOutcome(tuple(states), name.rsplit(".", 1)[0][:50], reboots=True)
