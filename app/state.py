"""AppState: the backend's parts, built once by ``app.backend.build_state`` and handed to the
API as typed dependencies (``app/api/deps.py``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.authorization.store import TokenStore
from app.cluster.nodes import Cluster
from app.commands.gateway import CommandGateway
from app.config import Settings
from app.csms.central_system import CentralSystem
from app.csms.directory import ChargerDirectory
from app.csms.recorder import Recorder
from app.fleet.store import FleetStore
from app.security.scope import Scope

if TYPE_CHECKING:
    from app.api.routers.knowledge_admin import KnowledgeAdmin
    from app.diagnosis.service import DiagnosisService
    from app.firmware_campaigns.service import CampaignService
    from app.retrieval.service import Retriever
    from app.security.certificate_watch import CertificateWatch
    from app.security.csr_signing import CsrSigner
    from app.sessions.service import SessionService


@dataclass
class AppState:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    live: FleetStore
    recorder: Recorder
    directory: ChargerDirectory
    csms: CentralSystem
    cluster: Cluster
    scope: Scope
    gateway: CommandGateway
    catalogue_folder: Path  # the fault-code catalogue in force (knowledge_base/fault_codes)
    tokens: TokenStore
    # Told of every command audit row the gateway writes (e.g. self-diagnosis learns of
    # ChargerTimeout answers this way, so the gateway stays one door with one job).
    command_listeners: list[Callable[[dict[str, Any]], None]] = field(default_factory=list)
    # Started with the backend (they need its event loop); None until then, or when disabled.
    sessions: SessionService | None = None
    diagnosis: DiagnosisService | None = None
    campaigns: CampaignService | None = None
    certificate_watch: CertificateWatch | None = None
    csr_signer: CsrSigner | None = None
    # Built on first use: the embedding model and index take seconds to load.
    retriever: Retriever | None = None
    knowledge_admin: KnowledgeAdmin | None = None
