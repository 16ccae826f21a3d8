"""The campaign's rules as pure functions: which sites go next, how a charger's reports move
its item, when the campaign stops. No I/O here (``service.py`` does the sending and storing).

Every update is the catalogue's ``update_firmware`` command through the gateway; the charger
reports each state it enters (OCPP 2.0.1 L01.FR.01: a FirmwareStatusNotification
per state; 1.6 §4.5 FirmwareStatusNotification, the security whitepaper's
SignedFirmwareStatusNotification with the 2.0.1 names). Failure states are
``app.csms.firmware.FAILED_STATUSES`` (DownloadFailed, InstallationFailed,
InstallVerificationFailed, InvalidSignature). A rollback is a charger that, after the install
began, boots with the version it had before: the update did not take, whatever it reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from app.csms.firmware import is_failure

ItemState = Literal["pending", "waiting", "sent", "succeeded", "failed", "skipped"]
CampaignStatus = Literal["running", "stopped", "completed"]
# sites with an item here are being updated (they count against max_sites)
ACTIVE: frozenset[str] = frozenset({"waiting", "sent"})
OPEN: frozenset[str] = frozenset({"pending", "waiting", "sent"})
# states after which a boot is the install's reboot (L01: InstallRebooting, then the boot)
INSTALL_BEGUN = frozenset({"InstallScheduled", "Installing", "InstallRebooting", "Installed"})
NO_SITE = "(no site)"


@dataclass
class Item:
    charger_id: str
    site_id: str | None
    state: ItemState = "pending"
    firmware_status: str | None = None
    request_id: int | None = None
    old_version: str | None = None
    new_version: str | None = None
    detail: str | None = None
    updated_at: datetime | None = None

    @property
    def site(self) -> str:
        return self.site_id or NO_SITE


@dataclass
class Campaign:
    id: int
    name: str
    model: str
    from_version: str | None
    update: dict[str, object]
    max_sites: int
    stop_after_failures: int
    created_by: str
    status: CampaignStatus = "running"
    stop_reason: str | None = None
    items: dict[str, Item] = field(default_factory=dict)

    @property
    def failures(self) -> int:
        return sum(1 for i in self.items.values() if i.state == "failed")


def next_sites(campaign: Campaign) -> list[str]:
    """The sites to open now: while fewer than ``max_sites`` are being updated, the next sites
    (in charger order) that still have pending chargers."""
    if campaign.status != "running":
        return []
    items = list(campaign.items.values())
    active = {i.site for i in items if i.state in ACTIVE}
    free = campaign.max_sites - len(active)
    out: list[str] = []
    for item in items:
        if free <= 0:
            break
        if item.state == "pending" and item.site not in active and item.site not in out:
            out.append(item.site)
            free -= 1
    return out


def on_status(item: Item, status: str, version: str | None) -> None:
    """A FirmwareStatusNotification of a charger whose update was sent (or that already
    booted into the new version: its Installed after the boot is shown, changes nothing)."""
    item.firmware_status = status
    if item.state != "sent":
        return
    if is_failure(status):
        fail(item, f"the charger reported {status}")
    elif status == "Installed" and version and version != item.old_version:
        succeed(item, version)


def on_boot(item: Item, version: str | None) -> None:
    """A BootNotification of a charger whose update was sent: after the install began, the
    version it boots with says whether the update took (same as before: a rollback)."""
    if item.firmware_status not in INSTALL_BEGUN:
        return  # a reboot before the install (or an unrelated one) proves nothing
    if version is None or version == item.old_version:
        fail(item, f"rollback: the charger booted with its old firmware {version!r}")
    else:
        succeed(item, version)


def succeed(item: Item, version: str) -> None:
    item.state = "succeeded"
    item.new_version = version
    item.detail = None


def fail(item: Item, detail: str) -> None:
    item.state = "failed"
    item.detail = detail[:500]


def skip(item: Item, detail: str) -> None:
    """Leave a charger out of the campaign for a reason that is not the firmware's (it may be
    updated by a later campaign)."""
    item.state = "skipped"
    item.detail = detail[:500]


def settle(campaign: Campaign) -> None:
    """Stop on the first ``stop_after_failures`` failures (chargers not yet sent are skipped;
    updates already running are still followed); complete when nothing is open."""
    if campaign.status == "running" and campaign.failures >= campaign.stop_after_failures:
        stop(campaign, f"{campaign.failures} charger(s) failed")
    if campaign.status == "running" and not any(i.state in OPEN for i in campaign.items.values()):
        campaign.status = "completed"


def stop(campaign: Campaign, reason: str) -> None:
    campaign.status = "stopped"
    campaign.stop_reason = reason[:500]
    for item in campaign.items.values():
        if item.state in ("pending", "waiting"):
            skip(item, "the campaign stopped before this charger was updated")
