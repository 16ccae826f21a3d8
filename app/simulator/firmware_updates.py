"""How a simulated charger goes through a firmware update: the states it reports (OCPP 2.0.1
L01/L02 FirmwareStatusEnumType; 1.6 §4.5 FirmwareStatus for a plain 1.6 update) and the version
it boots afterwards. The firmware file's name steers failures for tests and benchmarks:
``download-fails``, ``bad-signature`` (signed updates), ``install-fails``, ``rolls-back`` (reports
every state up to Installed, reboots, and comes back on its old firmware: a rollback)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import urlparse


@dataclass(frozen=True)
class FirmwareOutcome:
    states: tuple[str, ...]
    installed_version: str | None  # None: the update failed, the old firmware keeps running
    reboots: bool = False  # reboots even so (a rollback: the old firmware boots again)


def outcome(location: str, *, signed: bool, core16: bool = False) -> FirmwareOutcome:
    """``core16``: a 1.6 UpdateFirmware, whose FirmwareStatus has no signature states."""
    name = PurePosixPath(urlparse(location).path).name or "firmware"
    if "download-fails" in name:
        return FirmwareOutcome(("Downloading", "DownloadFailed"), None)
    states: list[str] = ["Downloading", "Downloaded"]
    if signed and not core16:
        if "bad-signature" in name:
            return FirmwareOutcome((*states, "InvalidSignature"), None)
        states.append("SignatureVerified")
    states.append("Installing")
    if "install-fails" in name:
        return FirmwareOutcome((*states, "InstallationFailed"), None)
    if not core16:
        states.append("InstallRebooting")
    states.append("Installed")
    if "rolls-back" in name:
        return FirmwareOutcome(tuple(states), None, reboots=True)
    return FirmwareOutcome(tuple(states), name.rsplit(".", 1)[0][:50], reboots=True)
