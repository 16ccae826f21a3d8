"""The connection-side base shared by the 1.6 and 2.0.1 charge point handlers.

It records every frame in both directions, answers malformed frames and unknown actions with
the proper CALLERROR (keeping the connection up), never echoes a whole payload back, and
lets pending commands fail at once when the socket closes. The answer to a state-changing CALL
leaves only once the CALL is in the journal (``Recorder.acknowledge``).
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from datetime import datetime
from typing import Any

from ocpp.exceptions import (
    FormationViolationError,
    NotImplementedError,
    NotSupportedError,
    OCPPError,
    SecurityError,
)
from ocpp.messages import Call, CallError, MessageType, unpack
from websockets.exceptions import ConnectionClosed

from app.commands.redact import redact_call
from app.csms.context import CsmsContext
from app.csms.registration import RegistrationGate
from app.db.base import utcnow

_UNIQUE_ID = re.compile(r'^\s*\[\s*\d+\s*,\s*"([^"\\]{1,64})"')
MAX_ERROR_DETAIL = 200
# Unique ids of our calls that timed out, kept so that a late answer is recorded under its
# action and dropped without counting as unsolicited.
EXPIRED_CALLS_KEPT = 32


class ChargerGone(Exception):
    """The charger's socket closed while we waited for its answer."""


class RecordingMixin:
    """Mixed in before ``ocpp.vXX.ChargePoint``; relies on its attributes."""

    id: str
    _ocpp_version: str
    route_map: dict[str, Any]
    _response_queue: asyncio.Queue[Any]
    _action_enum: Any

    def _init_recording(self, context: CsmsContext) -> None:
        self.context = context
        self._pending_actions: dict[str, str] = {}
        self._expired_actions: dict[str, str] = {}
        self.unsolicited_responses = 0
        self._unsolicited_reported = False
        # Set by the central system when a newer socket for the same charger took over: frames
        # still arriving here are recorded but change nothing.
        self.superseded = False
        # journaled CALLs being handled: unique id -> (received at, action, frame)
        self._unanswered: dict[str, tuple[datetime, str, str]] = {}
        self.closed = asyncio.Event()
        self.booted = asyncio.Event()
        self.gate = RegistrationGate(context.registration(self.id))

    async def route_message(self, raw_msg: str | bytes) -> None:
        recorder = self.context.recorder
        text = raw_msg.decode(errors="replace") if isinstance(raw_msg, bytes) else raw_msg
        try:
            msg = unpack(text)
        except OCPPError as error:
            self.context.live.touch(self.id, None)
            recorder.frame(self.id, "in", 0, _guess_unique_id(text), None, text)
            fallback = _guess_unique_id(text) or "-1"
            await self._send(_call_error(fallback, error, self._ocpp_version).to_json())
            return
        if self.superseded:
            action = msg.action if msg.message_type_id == MessageType.Call else None
            recorder.frame(self.id, "in", msg.message_type_id, msg.unique_id, action, text)
            return
        if msg.message_type_id == MessageType.Call:
            received = utcnow()
            recorder.frame(self.id, "in", 2, msg.unique_id, msg.action, text, received)
            if recorder.journals(msg.action):
                self._unanswered[msg.unique_id] = (received, msg.action, text)
                recorder.begin_capture(self.id)
            self.context.live.touch(self.id, msg.action)
            await self._route_call(msg)
            return
        action = self._pending_actions.pop(msg.unique_id, None)
        if action is not None:
            self.context.live.touch(self.id, action)
            recorder.frame(self.id, "in", msg.message_type_id, msg.unique_id, action, text)
            self._response_queue.put_nowait(msg)
            return
        # An answer to nothing we are waiting for: queued, it would sit there until the next
        # call (the library discards such answers one recursive call at a time, so 1,000 of
        # them overflowed its stack and the queue kept all of them). Record it and drop it.
        late = self._expired_actions.pop(msg.unique_id, None)
        recorder.frame(self.id, "in", msg.message_type_id, msg.unique_id, late, text)
        if late is not None:
            self.context.live.touch(self.id, late)
            return
        self._note_unsolicited(msg.unique_id)

    def _note_unsolicited(self, unique_id: str) -> None:
        self.unsolicited_responses += 1
        threshold = self.context.settings.ocpp_unsolicited_response_alert
        if self._unsolicited_reported or self.unsolicited_responses <= threshold:
            return
        self._unsolicited_reported = True  # once per connection
        self.context.recorder.security_event(
            "UnsolicitedResponses",
            charger_id=self.id,
            detail=f"more than {threshold} answers to calls never sent on this connection "
            f"(latest unique id {unique_id[:64]!r}); they were dropped",
            remote=None,
        )

    async def _route_call(self, msg: Call) -> None:
        if msg.action not in self.route_map:
            known = msg.action in {a.value for a in self._action_enum}
            error: OCPPError = (
                NotSupportedError(details={"cause": f"{msg.action} is not supported"})
                if known
                else NotImplementedError(details={"cause": f"unknown action {msg.action!r}"})
            )
            await self._send(_call_error(msg.unique_id, error, self._ocpp_version).to_json())
            return
        if self.gate.refuses(msg.action):  # B02.FR.09, B03.FR.07
            error = SecurityError(
                description=f"{msg.action} is not allowed: BootNotification was answered "
                f"{self.gate.answer}"
            )
            await self._send(_call_error(msg.unique_id, error, self._ocpp_version).to_json())
            return
        try:
            await self._handle_call(msg)  # type: ignore[attr-defined]
        except OCPPError as error:
            await self._send(_call_error(msg.unique_id, error, self._ocpp_version).to_json())

    async def _send(self, message: str) -> None:
        try:
            parsed = json.loads(message)
            message_type = int(parsed[0])
            unique_id = str(parsed[1])
            action = parsed[2] if message_type == 2 else None
        except (ValueError, IndexError, TypeError):
            message_type, unique_id, action = 0, None, None
        if message_type == 2 and unique_id is not None:
            self._pending_actions[unique_id] = action
            if len(parsed) > 3 and isinstance(parsed[3], dict):
                self.gate.sending(action, parsed[3])
                self._sending_call(action, parsed[3])
        recorder = self.context.recorder
        sent_at = utcnow()
        recorded = message
        if message_type == 2 and len(parsed) > 3:  # a password set on the charger: not kept
            redacted = redact_call(action, parsed[3])
            if redacted is not parsed[3]:
                recorded = json.dumps([*parsed[:3], redacted], separators=(",", ":"))
        recorder.frame(self.id, "out", message_type, unique_id, action, recorded, sent_at)
        call = self._unanswered.pop(unique_id, None) if message_type in (3, 4) else None
        if call is not None and message_type == 3:
            received, called, frame = call
            await recorder.acknowledge(
                self.id,
                ts_in=received,
                unique_id=str(unique_id),
                action=called,
                frame_in=frame,
                ts_out=sent_at,
                frame_out=message,
            )
        elif call is not None:
            recorder.end_capture(self.id)
        await self._connection.send(message)  # type: ignore[attr-defined]

    def _sending_call(self, action: str | None, payload: dict[str, Any]) -> None:
        """One of our CALLs is about to leave (a version may note what it asked for)."""

    async def call_or_fail(self, payload: Any, timeout: float) -> Any:
        """``call`` that raises ChargerGone as soon as the socket closes, or TimeoutError."""
        if self.closed.is_set():
            raise ChargerGone(self.id)
        self._response_timeout = timeout
        unique_id = str(uuid.uuid4())
        call = asyncio.ensure_future(
            self.call(payload, suppress=False, unique_id=unique_id)  # type: ignore[attr-defined]
        )
        gone = asyncio.ensure_future(self.closed.wait())
        try:
            done, _ = await asyncio.wait({call, gone}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            gone.cancel()
            self._forget_call(unique_id)
        if call in done:
            try:
                return call.result()
            except ConnectionClosed as error:
                # the socket died under the send before our close handler ran: the same
                # thing as a charger gone (seen in bench/remote_resolution.py: it escaped as a
                # websockets error and failed the diagnosis that sent the call)
                raise ChargerGone(self.id) from error
        call.cancel()
        raise ChargerGone(self.id)

    def _forget_call(self, unique_id: str) -> None:
        """A call that ended unanswered: its late answer will be dropped, not queued."""
        action = self._pending_actions.pop(unique_id, None)
        if action is None:
            return
        self._expired_actions[unique_id] = action
        while len(self._expired_actions) > EXPIRED_CALLS_KEPT:
            del self._expired_actions[next(iter(self._expired_actions))]


def now_iso() -> str:
    return utcnow().isoformat().replace("+00:00", "Z")


def _guess_unique_id(text: str) -> str | None:
    match = _UNIQUE_ID.match(text)
    return match.group(1) if match else None


def _call_error(unique_id: str, error: OCPPError, ocpp_version: str) -> CallError:
    code = error.code
    if ocpp_version == "1.6" and code == "FormatViolation":
        code = FormationViolationError.code  # 1.6 spells it FormationViolation
    details: dict[str, Any] = {}
    if isinstance(error.details, dict) and "cause" in error.details:
        details["cause"] = str(error.details["cause"])[:MAX_ERROR_DETAIL]
    return CallError(unique_id, code, (error.description or "")[:MAX_ERROR_DETAIL], details)
