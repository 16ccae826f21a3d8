"""Tell an operator's chat tool that a handoff arrived: a webhook, off the request path.

``CHARGEFIX_HANDOFF_WEBHOOK_URL`` names a URL that receives one JSON POST per new handoff
(``handoff.created``: its id, the charger, the site, the reason, the urgency and a link to
the desk), and one when the charger of an open handoff has been healthy again for the
recovery hold (``handoff.charger_recovered``: a dispatcher may call a truck back). Nothing
else: no token, no password, no partner contact (the body goes to a third party's chat tool).

The handoff is committed first; then the notice is queued and a background task sends it, so
a slow or dead receiver never delays the partner who asked for help. The queue is bounded
(``..._QUEUE``): when it is full a notice is dropped and logged, never the request blocked.
Each notice is tried ``..._ATTEMPTS`` times with doubling back-off on a network error, a
timeout, a 5xx, 408 or 429; another 4xx is the receiver refusing the body and is not retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from typing import Any

import httpx

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({408, 429})


class HandoffWebhook:
    def __init__(
        self,
        url: str,
        *,
        queue_size: int = 100,
        attempts: int = 4,
        backoff_seconds: float = 1.0,
        timeout_seconds: float = 5.0,
    ) -> None:
        self.url = url
        self.attempts = attempts
        self.backoff = backoff_seconds
        self.timeout = timeout_seconds
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=queue_size)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self.sent = 0
        self.failed = 0
        self.dropped = 0

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.create_task(self._run(), name="handoff-webhook")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def offer(self, notice: dict[str, Any]) -> None:
        """Queue one notice; callable from any thread, never blocks."""
        if self._loop is None or self._loop.is_closed():
            log.warning("handoff webhook not running: notice for %s dropped", notice.get("id"))
            self.dropped += 1
            return
        self._loop.call_soon_threadsafe(self._put, notice)

    def _put(self, notice: dict[str, Any]) -> None:
        try:
            self._queue.put_nowait(notice)
        except asyncio.QueueFull:
            self.dropped += 1
            log.warning("handoff webhook queue full: notice for %s dropped", notice.get("id"))

    async def _run(self) -> None:
        async with httpx.AsyncClient(timeout=self.timeout, follow_redirects=False) as client:
            while True:
                notice = await self._queue.get()
                try:
                    await self._deliver(client, notice)
                finally:
                    self._queue.task_done()

    async def _deliver(self, client: httpx.AsyncClient, notice: dict[str, Any]) -> None:
        for attempt in range(self.attempts):
            try:
                response = await client.post(self.url, json=notice)
            except httpx.HTTPError as error:
                problem = f"{type(error).__name__}"
            else:
                if response.is_success:
                    self.sent += 1
                    return
                problem = f"HTTP {response.status_code}"
                if response.status_code < 500 and response.status_code not in RETRY_STATUSES:
                    break  # the receiver refuses this body: sending it again will not help
            if attempt + 1 < self.attempts:
                await asyncio.sleep(self.backoff * 2**attempt)
        self.failed += 1
        log.warning(
            "handoff webhook: notice for handoff %s not delivered (%s)", notice.get("id"), problem
        )


def notice(
    handoff_id: int,
    charger_id: str,
    site_id: str | None,
    reason: str | None,
    urgency: str,
    desk_url: str,
) -> dict[str, Any]:
    """The webhook's body: only what a chat message needs to send a consultant to the desk."""
    return {
        "event": "handoff.created",
        "id": handoff_id,
        "charger_id": charger_id,
        "site_id": site_id,
        "reason": reason,
        "urgency": urgency,
        "link": f"{desk_url.rstrip('/')}/desk?handoff={handoff_id}",
        "text": f"New handoff {handoff_id} ({urgency}): {charger_id} at site {site_id or '?'}",
    }


def recovered_notice(
    handoff_id: int, charger_id: str, site_id: str | None, since: datetime, desk_url: str
) -> dict[str, Any]:
    """The webhook's body when the charger of an open handoff is healthy again (``since``,
    UTC): whoever dispatches can check before a technician sets out."""
    return {
        "event": "handoff.charger_recovered",
        "id": handoff_id,
        "charger_id": charger_id,
        "site_id": site_id,
        "healthy_since": since.isoformat(),
        "link": f"{desk_url.rstrip('/')}/desk?handoff={handoff_id}",
        "text": f"Handoff {handoff_id}: {charger_id} at site {site_id or '?'} is healthy again "
        f"since {since:%H:%M} UTC; check before anyone drives out",
    }
