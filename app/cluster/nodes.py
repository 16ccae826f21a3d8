"""Several backend nodes on one database.

Each charger is connected to one node; any node answers the API. A node records itself in the
``nodes`` table and refreshes it; a charger's state row says which node holds its socket. A node
asked about a charger connected elsewhere reads that charger's stored state, and forwards
commands to the holding node's API, authenticated with the shared cluster secret.
"""

from __future__ import annotations

import asyncio
import hmac
from dataclasses import dataclass
from datetime import timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from app.commands.gateway import Actor, CommandRequest, CommandResult
from app.config import Settings
from app.db.base import utcnow
from app.db.models import ChargerStateRow, NodeRow
from app.errors import ChargerOffline, ChargerTimeout, error_from_payload
from app.fleet.model import ChargerLiveState

NODE_HEADER = "X-ChargeFix-Cluster-Secret"
PRINCIPAL_NAME_HEADER = "X-ChargeFix-On-Behalf-Of"
PRINCIPAL_ROLE_HEADER = "X-ChargeFix-On-Behalf-Role"
ORIGIN_HEADER = "X-ChargeFix-Origin"
ON_BEHALF_HEADER = "X-ChargeFix-For"


@dataclass(frozen=True)
class RemoteCharger:
    node_id: str
    api_url: str
    state: ChargerLiveState


class Cluster:
    def __init__(self, settings: Settings, session_factory: sessionmaker[Session]) -> None:
        self.settings = settings
        self._session_factory = session_factory
        self._task: asyncio.Task[None] | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.settings.cluster_secret)

    def secret_matches(self, presented: str | None) -> bool:
        secret = self.settings.cluster_secret
        return bool(secret and presented and hmac.compare_digest(secret, presented))

    # -- this node's presence ------------------------------------------------------------
    def announce(self, api_url: str) -> None:
        values = {"node_id": self.settings.node_id, "api_url": api_url, "seen_at": utcnow()}
        with self._session_factory() as session, session.begin():
            dialect = session.get_bind().dialect.name
            insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(NodeRow)
            stmt = insert.values(**values, started_at=utcnow())
            session.execute(
                stmt.on_conflict_do_update(
                    index_elements=["node_id"],
                    set_={"api_url": stmt.excluded.api_url, "seen_at": stmt.excluded.seen_at},
                )
            )

    async def start(self, api_url: str) -> None:
        await asyncio.to_thread(self.announce, api_url)

        async def keep_alive() -> None:
            while True:
                await asyncio.sleep(self.settings.node_stale_seconds / 3)
                await asyncio.to_thread(self.announce, api_url)

        self._task = asyncio.create_task(keep_alive(), name="cluster-keepalive")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    # -- chargers held by other nodes ------------------------------------------------------
    def remote(self, charger_id: str) -> RemoteCharger | None:
        """The charger's stored state if another live node holds its connection."""
        fresh_after = utcnow() - timedelta(seconds=self.settings.node_stale_seconds)
        with self._session_factory() as session:
            row = session.execute(
                select(ChargerStateRow, NodeRow)
                .join(NodeRow, NodeRow.node_id == ChargerStateRow.node_id)
                .where(
                    ChargerStateRow.charger_id == charger_id,
                    ChargerStateRow.node_id != self.settings.node_id,
                    NodeRow.seen_at >= fresh_after,
                )
            ).first()
        if row is None:
            return None
        state_row, node = row
        state = ChargerLiveState.model_validate(state_row.state)
        if not state.online:
            return None
        return RemoteCharger(node.node_id, node.api_url, state)

    def remote_online(self) -> dict[str, ChargerLiveState]:
        """Every charger another live node says is online."""
        fresh_after = utcnow() - timedelta(seconds=self.settings.node_stale_seconds)
        with self._session_factory() as session:
            rows = session.execute(
                select(ChargerStateRow.charger_id, ChargerStateRow.state)
                .join(NodeRow, NodeRow.node_id == ChargerStateRow.node_id)
                .where(
                    ChargerStateRow.node_id != self.settings.node_id,
                    NodeRow.seen_at >= fresh_after,
                )
            ).all()
        out: dict[str, ChargerLiveState] = {}
        for charger_id, state in rows:
            live = ChargerLiveState.model_validate(state)
            if live.online:
                out[charger_id] = live
        return out

    # -- the command gateway's forwarder --------------------------------------------------
    async def holder_of(self, charger_id: str) -> RemoteCharger | None:
        return await asyncio.to_thread(self.remote, charger_id)

    async def forward(
        self, holder: RemoteCharger, request: CommandRequest, actor: Actor
    ) -> CommandResult:
        """Have the holding node's gateway check, send and audit the command in the caller's
        name; its refusal comes back as the same error."""
        headers = {
            NODE_HEADER: self.settings.cluster_secret or "",
            PRINCIPAL_NAME_HEADER: actor.principal.name,
            PRINCIPAL_ROLE_HEADER: str(actor.principal.role),
            ORIGIN_HEADER: actor.origin,
            ON_BEHALF_HEADER: actor.on_behalf_of or "",
        }
        timeout = self.settings.command_timeout + 5
        url = (
            f"{holder.api_url.rstrip('/')}/api/internal/chargers/"
            f"{holder.state.charger_id}/commands/{request.command}"
        )
        body = {**request.params, "force": request.force, "reason": request.reason}
        try:
            async with httpx.AsyncClient(timeout=timeout) as client:
                answer = await client.post(url, json=body, headers=headers)
        except httpx.TimeoutException as error:
            raise ChargerTimeout(f"node {holder.node_id} did not answer in time") from error
        except httpx.HTTPError as error:
            raise ChargerOffline(
                f"node {holder.node_id} holding charger {request.charger_id} is unreachable"
            ) from error
        data = answer.json() if answer.content else {}
        if answer.status_code == 200:
            return CommandResult(
                charger_id=data["charger_id"],
                command=data["command"],
                ocpp_action=data["ocpp_action"],
                request=data.get("request") or {},
                response=data.get("response") or {},
                round_trip_ms=float(data.get("round_trip_ms") or 0.0),
                status=data.get("status"),
                overrides=tuple(data.get("overrides") or ()),
            )
        raise error_from_payload(data, f"node {holder.node_id} answered {answer.status_code}")

    async def run_session_on(self, holder: RemoteCharger, session_id: str) -> None:
        """Ask the node holding a session's charger to run its pending step."""
        url = f"{holder.api_url.rstrip('/')}/api/sessions/internal/{session_id}/run"
        headers = {NODE_HEADER: self.settings.cluster_secret or ""}
        try:
            async with httpx.AsyncClient(timeout=10) as client:
                answer = await client.post(url, headers=headers)
        except httpx.HTTPError as error:
            raise ChargerOffline(
                f"node {holder.node_id} holding charger {holder.state.charger_id} is unreachable"
            ) from error
        if answer.status_code != 202:
            raise error_from_payload(
                answer.json() if answer.content else {},
                f"node {holder.node_id} answered {answer.status_code}",
            )
