"""Request body size limits, enforced before the body is read (pure ASGI middleware).

A declared ``Content-Length`` above the route's limit is answered 413 at once, without reading
a byte of the body; a body without one (chunked) is counted while it streams and stopped at the
limit. Upload routes (photos, diagnostics, knowledge-base files) have their own, larger limits.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.exceptions import HTTPException

from app.config import Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MULTIPART_OVERHEAD = 64 * 1024  # headers and boundaries around an uploaded file

_PHOTO = re.compile(r"^/api/sessions/[^/]+/photos/?$")
_DIAGNOSTICS = re.compile(r"^/api/uploads/diagnostics/[^/]+/?$")
_KNOWLEDGE = re.compile(r"^/api/knowledge/uploads/?$")


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int, path: str) -> None:
        super().__init__(413, f"request body larger than {limit} bytes (the limit for {path})")


def limit_for(settings: Settings, path: str) -> int:
    """The largest body accepted on ``path``, in bytes."""
    if _PHOTO.match(path):
        return settings.photo_max_bytes + MULTIPART_OVERHEAD
    if _DIAGNOSTICS.match(path):
        return settings.diagnostics_max_bytes + MULTIPART_OVERHEAD
    if _KNOWLEDGE.match(path):
        return settings.knowledge_upload_max_bytes + MULTIPART_OVERHEAD
    return settings.request_max_bytes


class BodyLimit:
    """Refuses bodies above the route's limit before they are read."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        limit = limit_for(self.settings, path)
        declared = _content_length(scope)
        if declared == -1:
            await _answer(send, 400, "Content-Length is not a number")
            return
        if declared is not None and declared > limit:
            await _answer(send, 413, BodyTooLarge(limit, path).detail)
            return

        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit, path)
            return message

        started = False

        async def watching_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge as error:  # read outside a route's own error handling
            if started:
                raise
            await _answer(send, 413, error.detail)


def _content_length(scope: Scope) -> int | None:
    """The declared length; None when absent; -1 when it is not a number."""
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else -1
    return None


async def _answer(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
