"""The campaign service: creates campaigns, opens sites as the plan says, sends each charger's
``update_firmware`` through the command gateway (checked and audited like any command, in the
name of the admin who started the campaign) and follows every charger on the fleet's events.

State is held here and written to the database by one writer task in order (no database on the
event loop); campaigns still running are read back at start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from app.commands.catalogue import InvalidCommand, parse_params
from app.commands.gateway import Actor, CommandGateway, CommandRequest
from app.db.base import utcnow
from app.db.models import FirmwareCampaignItemRow, FirmwareCampaignRow
from app.errors import (
    ChargerOffline,
    ChargerTimeout,
    CommandError,
    Conflict,
    InvalidInput,
    NotFound,
    SafetyInterlock,
    TransactionActive,
)
from app.firmware_campaigns import plan
from app.firmware_campaigns.plan import Campaign, Item
from app.fleet.events import (
    Booted,
    Connected,
    FirmwareStatusChanged,
    FleetEvent,
    TransactionStopped,
)
from app.fleet.store import FleetStore
from app.security.roles import Principal, Role

log = logging.getLogger(__name__)

# Refusals that pass: the charger is offline or charging; it is sent again when that ends.
TRANSIENT = (ChargerOffline, ChargerTimeout, TransactionActive)
# UpdateFirmwareStatusEnumType (2.0.1 L01/L02; 1.6 security SignedUpdateFirmware): the update
# was taken. A 1.6 UpdateFirmware.conf has no status: the charger took it.
TAKEN = frozenset({None, "Accepted", "AcceptedCanceled"})


class CampaignSpec(BaseModel):
    """A new campaign as it enters the API; every value bounded here."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    model: str = Field(min_length=1, max_length=100, description="BootNotification model.")
    from_version: str | None = Field(
        None, min_length=1, max_length=100, description="Only chargers on this firmware."
    )
    update: dict[str, Any] = Field(
        description="The update_firmware command's parameters: location, retrieve_date, "
        "install_date, signing_certificate, signature, retries, retry_interval."
    )
    max_sites: int = Field(1, ge=1, le=100, description="Sites updated at a time.")
    stop_after_failures: int = Field(1, ge=1, le=1000, description="Stop on this many failures.")


class CampaignService:
    def __init__(
        self,
        fleet: FleetStore,
        gateway: CommandGateway,
        session_factory: sessionmaker[Session],
    ) -> None:
        self.fleet = fleet
        self.gateway = gateway
        self.session_factory = session_factory
        self.campaigns: dict[int, Campaign] = {}
        self._writes: asyncio.Queue[Campaign | None] = asyncio.Queue()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._sending: set[tuple[int, str]] = set()  # (campaign, charger) with a call out
        self._writer: asyncio.Task[None] | None = None

    # -- life ------------------------------------------------------------------------------
    async def start(self) -> None:
        for campaign in await asyncio.to_thread(self._load_running):
            self.campaigns[campaign.id] = campaign
        self.fleet.add_listener(self.on_change)
        self._writer = asyncio.create_task(self._write_loop(), name="firmware-campaigns")
        for campaign in self.campaigns.values():
            self._advance(campaign)

    async def stop(self) -> None:
        self.fleet.remove_listener(self.on_change)
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._writer is not None:
            await self._writes.put(None)
            await self._writer
            self._writer = None

    async def flush(self) -> None:
        """Wait until every change so far is in the database."""
        await self._writes.join()

    # -- the API's verbs -------------------------------------------------------------------
    async def create(self, spec: CampaignSpec, who: Principal) -> Campaign:
        try:
            update = parse_params("update_firmware", spec.update)
        except InvalidCommand as error:
            raise InvalidInput(f"update: {error}") from error
        chargers = sorted(
            (
                s
                for s in self.fleet.all()
                if s.model == spec.model
                and (spec.from_version is None or s.firmware_version == spec.from_version)
            ),
            key=lambda s: (s.site_id or "", s.charger_id),
        )
        if not chargers:
            version = f" on firmware {spec.from_version}" if spec.from_version else ""
            raise InvalidInput(f"model: no charger of model {spec.model!r}{version} is known")
        campaign = Campaign(
            id=0,
            name=spec.name,
            model=spec.model,
            from_version=spec.from_version,
            update=update.model_dump(mode="json", exclude_none=True),
            max_sites=spec.max_sites,
            stop_after_failures=spec.stop_after_failures,
            created_by=who.name,
            items={
                s.charger_id: Item(s.charger_id, s.site_id, old_version=s.firmware_version)
                for s in chargers
            },
        )
        campaign.id = await asyncio.to_thread(self._insert, campaign)
        self.campaigns[campaign.id] = campaign
        self._advance(campaign)
        return campaign

    def stop_campaign(self, campaign_id: int, who: Principal, reason: str) -> Campaign:
        campaign = self.campaigns.get(campaign_id)
        if campaign is None:
            raise NotFound(f"campaign {campaign_id} is not running here")
        if campaign.status != "running":
            raise Conflict(f"campaign {campaign_id} is {campaign.status}")
        plan.stop(campaign, f"stopped by {who.name}: {reason}")
        self._changed(campaign)
        return campaign

    def get(self, campaign_id: int) -> Campaign:
        campaign = self.campaigns.get(campaign_id)
        if campaign is None:
            campaign = self._read(campaign_id)
        if campaign is None:
            raise NotFound(f"no firmware campaign {campaign_id}")
        return campaign

    def list(self) -> list[Campaign]:
        with self.session_factory() as db:
            ids = db.scalars(
                select(FirmwareCampaignRow.id).order_by(FirmwareCampaignRow.id.desc()).limit(100)
            ).all()
        return [self.get(i) for i in ids]

    # -- following the fleet ---------------------------------------------------------------
    def on_change(self, event: FleetEvent) -> None:
        if not isinstance(event, FirmwareStatusChanged | Booted | Connected | TransactionStopped):
            return
        for campaign in list(self.campaigns.values()):
            item = campaign.items.get(event.charger_id)
            if item is None:
                continue
            version = event.state.firmware_version
            match event:
                case FirmwareStatusChanged(status=status) if item.state in ("sent", "succeeded"):
                    plan.on_status(item, status, version)
                case Booted() if item.state == "sent":
                    plan.on_boot(item, version)
                case Connected() | TransactionStopped() if item.state == "waiting":
                    self._spawn(self._send(campaign, item))  # what held it has passed
                    continue
                case _:
                    continue
            item.updated_at = utcnow()
            self._changed(campaign)

    # -- sending ---------------------------------------------------------------------------
    def _advance(self, campaign: Campaign) -> None:
        for site in plan.next_sites(campaign):
            for item in campaign.items.values():
                if item.site == site and item.state == "pending":
                    item.state = "waiting"  # the site is open from now
                    self._spawn(self._send(campaign, item))
        self._changed(campaign, advance=False)

    async def _send(self, campaign: Campaign, item: Item) -> None:
        key = (campaign.id, item.charger_id)
        if campaign.status != "running" or item.state != "waiting" or key in self._sending:
            return
        self._sending.add(key)
        try:
            await self._send_once(campaign, item)
        finally:
            self._sending.discard(key)

    async def _send_once(self, campaign: Campaign, item: Item) -> None:
        actor = Actor(
            Principal(name=campaign.created_by, role=Role.ADMIN.value),
            origin="campaign",
            on_behalf_of=f"firmware campaign {campaign.id}",
        )
        request = CommandRequest(
            charger_id=item.charger_id, command="update_firmware", params=campaign.update
        )
        try:
            result = await self.gateway.execute(request, actor)
        except TRANSIENT as error:
            item.detail = f"waiting: {error}"[:500]
        except SafetyInterlock as error:
            # a safety fault is open: the charger waits for its repair, the firmware is not at
            # fault, so this neither counts towards the stop limit nor holds the site open
            plan.skip(item, f"not updated: {error}")
        except CommandError as error:
            plan.fail(item, f"{type(error).__name__}: {error}")
        else:
            request_id = result.request.get("requestId")
            item.request_id = request_id if isinstance(request_id, int) else None
            if result.status in TAKEN:
                item.state = "sent"
                item.detail = None
            else:
                plan.fail(item, f"the charger answered {result.status}")
        item.updated_at = utcnow()
        self._changed(campaign)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _changed(self, campaign: Campaign, advance: bool = True) -> None:
        before = campaign.status
        plan.settle(campaign)
        if campaign.status != before:
            log.info("firmware campaign %s %s", campaign.id, campaign.status)
        if advance and campaign.status == "running":
            self._advance(campaign)
            return  # _advance saves
        self._writes.put_nowait(campaign)

    # -- storage (worker thread) -----------------------------------------------------------
    async def _write_loop(self) -> None:
        while True:
            campaign = await self._writes.get()
            try:
                if campaign is None:
                    return
                await asyncio.to_thread(self._save, campaign)
            except Exception:  # a failed write must not stop the campaign's tracking
                log.exception("firmware campaign %s not saved", getattr(campaign, "id", None))
            finally:
                self._writes.task_done()

    def _insert(self, campaign: Campaign) -> int:
        with self.session_factory.begin() as db:
            row = FirmwareCampaignRow(
                name=campaign.name,
                model=campaign.model,
                from_version=campaign.from_version,
                update=campaign.update,
                max_sites=campaign.max_sites,
                stop_after_failures=campaign.stop_after_failures,
                status=campaign.status,
                created_by=campaign.created_by,
            )
            db.add(row)
            db.flush()
            db.add_all(_item_rows(row.id, campaign.items.values()))
            return row.id

    def _save(self, campaign: Campaign) -> None:
        with self.session_factory.begin() as db:
            row = db.get(FirmwareCampaignRow, campaign.id)
            if row is None:
                return
            row.status = campaign.status
            row.stop_reason = campaign.stop_reason
            row.updated_at = utcnow()
            db.execute(
                delete(FirmwareCampaignItemRow).where(
                    FirmwareCampaignItemRow.campaign_id == campaign.id
                )
            )
            db.add_all(_item_rows(campaign.id, campaign.items.values()))

    def _load_running(self) -> list[Campaign]:
        with self.session_factory() as db:
            ids = db.scalars(
                select(FirmwareCampaignRow.id).where(FirmwareCampaignRow.status == "running")
            ).all()
        return [c for c in (self._read(i) for i in ids) if c is not None]

    def _read(self, campaign_id: int) -> Campaign | None:
        with self.session_factory() as db:
            row = db.get(FirmwareCampaignRow, campaign_id)
            if row is None:
                return None
            items = db.scalars(
                select(FirmwareCampaignItemRow)
                .where(FirmwareCampaignItemRow.campaign_id == campaign_id)
                .order_by(FirmwareCampaignItemRow.id)
            ).all()
            return Campaign(
                id=row.id,
                name=row.name,
                model=row.model,
                from_version=row.from_version,
                update=dict(row.update),
                max_sites=row.max_sites,
                stop_after_failures=row.stop_after_failures,
                created_by=row.created_by,
                status=row.status,  # type: ignore[arg-type]
                stop_reason=row.stop_reason,
                items={
                    i.charger_id: Item(
                        charger_id=i.charger_id,
                        site_id=i.site_id,
                        state=i.state,  # type: ignore[arg-type]
                        firmware_status=i.firmware_status,
                        request_id=i.request_id,
                        old_version=i.old_version,
                        new_version=i.new_version,
                        detail=i.detail,
                        updated_at=i.updated_at,
                    )
                    for i in items
                },
            )


def _item_rows(campaign_id: int, items: Iterable[Item]) -> list[FirmwareCampaignItemRow]:
    return [
        FirmwareCampaignItemRow(
            campaign_id=campaign_id,
            charger_id=i.charger_id,
            site_id=i.site_id,
            state=i.state,
            firmware_status=i.firmware_status,
            request_id=i.request_id,
            old_version=i.old_version,
            new_version=i.new_version,
            detail=i.detail,
            updated_at=i.updated_at or utcnow(),
        )
        for i in items
    ]
