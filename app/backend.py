"""The backend process: OCPP central system + REST API in one event loop."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import uvicorn
from sqlalchemy import select

from app.api.app import create_api
from app.api.routers.diagnostics import upload_slot_factory
from app.authorization.store import TokenStore
from app.cluster.nodes import Cluster
from app.commands import drain
from app.commands.drain import PendingRestore
from app.commands.gateway import Actor, CommandGateway, CommandRequest
from app.config import Settings
from app.csms.batch_writer import ProcessWriter, ThreadWriter
from app.csms.central_system import CentralSystem
from app.csms.context import CsmsContext
from app.csms.directory import ChargerDirectory
from app.csms.journal import Journal
from app.csms.journal_replay import replay as replay_journal
from app.csms.recorder import Recorder
from app.db.base import utcnow
from app.db.engine import make_engine, make_session_factory
from app.db.migrate import upgrade_to_head
from app.db.models import Charger, ChargerStateRow, CommandRow
from app.diagnosis.service import attach as attach_diagnosis
from app.fault_code_tables.store import load_current as load_current_catalogue
from app.fault_codes import load_catalogue
from app.fault_codes.catalogue import DEFAULT_FOLDER as DEFAULT_CATALOGUE_FOLDER
from app.firmware_campaigns.service import CampaignService
from app.fleet.classify import catalogue_classifier
from app.fleet.model import ChargerLiveState
from app.fleet.store import FleetStore
from app.security.certificate_watch import CertificateWatch
from app.security.csr_signing import CsrSigner
from app.security.roles import Principal, Role
from app.security.scope import Scope
from app.sessions.service import attach as attach_sessions
from app.state import AppState

log = logging.getLogger(__name__)


class _EmbeddedServer(uvicorn.Server):
    """uvicorn inside our loop: the process owner handles signals, not uvicorn."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def build_state(settings: Settings) -> AppState:
    """Open storage (migrated to the newest schema) and build the backend's state object."""
    settings.ensure_dirs()
    upgrade_to_head(settings.resolved_database_url)
    engine = make_engine(settings.resolved_database_url)
    session_factory = make_session_factory(engine)
    folder = Path(settings.knowledge_base_dir) / "fault_codes"
    if not folder.is_dir():
        log.warning(
            "no fault_codes in %s: using the shipped catalogue", settings.knowledge_base_dir
        )
        folder = DEFAULT_CATALOGUE_FOLDER
    with session_factory() as db:  # shipped tables, with the versions editors published
        load_current_catalogue(db, folder)
    live = FleetStore(classifier=catalogue_classifier(lambda: load_catalogue(folder)))
    writer = (
        ProcessWriter(settings.resolved_database_url, settings.node_id)
        if settings.recorder_mode == "process"
        else ThreadWriter(session_factory, settings.node_id)
    )
    journal = (
        Journal(
            settings.resolved_journal_dir,
            segment_bytes=settings.journal_segment_bytes,
            max_bytes=settings.journal_max_bytes,
        )
        if settings.journal
        else None
    )
    recorder = Recorder(
        writer, live.get, flush_interval=settings.event_flush_interval, journal=journal
    )
    directory = ChargerDirectory(session_factory)
    tokens = TokenStore(
        session_factory,
        accept_unknown=settings.accept_all_tokens,
        refresh_seconds=settings.id_token_refresh_seconds,
    )
    context = CsmsContext(
        settings=settings,
        live=live,
        recorder=recorder,
        tokens=tokens,
        registration=directory.status_of,
    )
    csms = CentralSystem(context, directory)
    cluster = Cluster(settings, session_factory)
    scope = Scope(session_factory)

    async def known(charger_id: str) -> bool:
        if directory.cached(charger_id) is not None:
            return True
        return await asyncio.to_thread(directory.lookup, charger_id) is not None

    command_listeners: list[Any] = []

    def audit(**row: Any) -> None:
        recorder.command(**row)
        for listener in list(command_listeners):
            try:
                listener(row)
            except Exception:  # a listener must never break the audit
                log.exception("command listener failed")

    gateway = CommandGateway(
        fleet=live,
        link=csms,
        scope=scope,
        audit=audit,
        known=known,
        forwarder=cluster,
        credentials=directory,
        restart_settings=lambda vendor, model, fault, version: load_catalogue(
            folder
        ).restart_setting(vendor, model, fault, version),
    )
    state = AppState(
        settings=settings,
        engine=engine,
        session_factory=session_factory,
        live=live,
        recorder=recorder,
        directory=directory,
        csms=csms,
        cluster=cluster,
        scope=scope,
        gateway=gateway,
        catalogue_folder=folder,
        tokens=tokens,
        command_listeners=command_listeners,
    )
    gateway.upload_slot = upload_slot_factory(state)

    async def refresh_status(charger_id: str) -> None:
        request = CommandRequest(
            charger_id=charger_id, command="trigger_message", params=STATUS_REFRESH
        )
        await gateway.execute(request, HOUSEKEEPING)

    csms.on_reconnect_without_boot = refresh_status
    state.csr_signer = CsrSigner(state)
    context.csr_signer = state.csr_signer
    return state


STATUS_REFRESH = {"message": "StatusNotification"}
HOUSEKEEPING = Actor(Principal("system", Role.ADMIN), "system", "status refresh after reconnect")


def pending_restores(state: AppState, gateway: CommandGateway) -> list[PendingRestore]:
    """Drains (before a 1.6 reset or unlock) whose availability restore a previous run left
    unsent, read from the command audit of the restore window."""
    since = utcnow() - timedelta(seconds=gateway.restore_timeout)
    with state.session_factory() as db:
        rows = db.scalars(
            select(CommandRow)
            .where(CommandRow.command == "change_availability", CommandRow.requested_at >= since)
            .order_by(CommandRow.id)
        ).all()
        return drain.pending_restores(rows)


def restore_live_state(state: AppState) -> int:
    """Read the last known state of every registered charger back after a restart."""
    with state.session_factory() as session:
        rows = {row.charger_id: row.state for row in session.scalars(select(ChargerStateRow))}
        chargers = list(session.scalars(select(Charger)))
    for charger in chargers:
        snapshot = rows.get(charger.id)
        if snapshot:
            live = ChargerLiveState.model_validate(snapshot)
            live.site_id = charger.site_id
            state.live.load(live)
        else:
            state.live.ensure(charger.id, charger.site_id)
    return len(chargers)


def index_exists(settings: Settings) -> bool:
    from ingestion.store import IndexPaths

    return IndexPaths(settings.resolved_index_dir).manifest.is_file()


def warm_retriever(state: AppState) -> None:
    """Build the retriever and load its index and model (runs in a thread at start-up)."""
    from app.api.deps import get_retriever

    started = time.monotonic()
    try:
        get_retriever(state).warm_up()
    except Exception:  # search still loads it on first use
        log.warning("could not warm the knowledge retriever", exc_info=True)
        return
    log.info("knowledge retriever warm in %.1f s", time.monotonic() - started)


class Backend:
    """Start and stop everything the backend runs; usable from the CLI and from tests."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.state: AppState | None = None
        self._api_server: _EmbeddedServer | None = None
        self._api_task: asyncio.Task[Any] | None = None

    async def start(self) -> AppState:
        state = await asyncio.to_thread(build_state, self.settings)
        self.state = state
        await asyncio.to_thread(state.directory.warm)
        await state.tokens.start()  # the token cache is full before the first charger connects
        if state.recorder.journal is not None:  # what a crash left: into the database first
            await asyncio.to_thread(
                replay_journal, state.recorder.journal, state.session_factory, self.settings.node_id
            )
        restored = await asyncio.to_thread(restore_live_state, state)
        # Start-up objects leave the collector's generations, and a high generation-0 threshold
        # keeps per-message objects from being promoted: full collections measured at 0.1-0.5 s
        # with 10,000 chargers, and they were the p99 latency (bench/ocpp_load.py).
        gc.freeze()
        gc.set_threshold(self.settings.gc_gen0_threshold, 50, 100)
        state.live.add_listener(state.recorder.on_change)
        state.recorder.start()
        await state.csms.start()
        if not state.cluster.enabled:  # (a node does not resume another node's drains)
            pending = await asyncio.to_thread(pending_restores, state, state.gateway)
            state.gateway.resume(pending)
        await attach_sessions(state)  # sessions waiting on live state resume at once
        await attach_diagnosis(state)  # self-diagnosis and guarded auto-remediation
        state.campaigns = CampaignService(state.live, state.gateway, state.session_factory)
        await state.campaigns.start()  # firmware campaigns still running resume
        state.certificate_watch = CertificateWatch(state)
        state.csms.on_client_certificate = state.certificate_watch.client_certificate
        state.certificate_watch.start()
        api = create_api(state)
        config = uvicorn.Config(
            api,
            host=self.settings.host,
            port=self.settings.api_port,
            log_level="warning",
            access_log=False,
            lifespan="off",
        )
        self._api_server = _EmbeddedServer(config)
        self._api_task = asyncio.create_task(self._api_server.serve(), name="api")
        while not self._api_server.started:
            if self._api_task.done():
                self._api_task.result()  # raises the start-up error (e.g. port in use)
            await asyncio.sleep(0.02)
        if self.settings.public_api_url is None:
            self.settings.public_api_url = f"http://{self.settings.host}:{self.api_port}"
        if state.cluster.enabled:
            await state.cluster.start(self.settings.node_url or self.api_url)
        if index_exists(self.settings):
            # The first search otherwise loads the embedding model (measured 8 s for the first
            # "Start troubleshooting"): load it now, beside the running backend.
            threading.Thread(target=warm_retriever, args=(state,), daemon=True).start()
        log.info(
            "backend up: OCPP %s://%s:%s/ocpp/{id}, API http://%s:%s (%d chargers restored)",
            state.csms.scheme,
            self.settings.host,
            self.ocpp_port,
            self.settings.host,
            self.api_port,
            restored,
        )
        return state

    @property
    def api_port(self) -> int:
        assert self._api_server is not None
        return self._api_server.servers[0].sockets[0].getsockname()[1]

    @property
    def ocpp_port(self) -> int:
        assert self.state is not None
        return self.state.csms.port

    @property
    def ocpp_url(self) -> str:
        assert self.state is not None
        return f"{self.state.csms.scheme}://{self.settings.host}:{self.ocpp_port}/ocpp"

    @property
    def api_url(self) -> str:
        return f"http://{self.settings.host}:{self.api_port}"

    async def stop(self) -> None:
        if self._api_server is not None:
            self._api_server.should_exit = True
            if self._api_task is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self._api_task, 5)
        if self.state is not None:
            services = (
                self.state.certificate_watch,
                self.state.csr_signer,
                self.state.campaigns,
                self.state.diagnosis,
                self.state.sessions,
            )
            for service in services:
                if service is not None:
                    await service.stop()
            await self.state.gateway.stop()
            await self.state.cluster.stop()
            await self.state.tokens.stop()
            await self.state.csms.stop()
            await self.state.recorder.stop()
            self.state.engine.dispose()

    async def serve_forever(self) -> None:
        await self.start()
        try:
            await asyncio.Event().wait()
        finally:
            await self.stop()
