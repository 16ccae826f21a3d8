"""DataTransfer from a charger (OCPP 1.6 §4.3; OCPP 2.0.1 use case P02): always a
DataTransferResponse, never a CALLERROR.

The spec fixes the answer when nobody handles the message: "If the recipient of the request
has no implementation for the specific vendorId it SHALL return a status UnknownVendorId and
the data element SHALL not be present. In case of a messageId mismatch (if used) the recipient
SHALL return status UnknownMessageId" (1.6 §4.3; the same rule in 2.0.1 P01/P02, whose
DataTransferStatusEnumType is Accepted, Rejected, UnknownMessageId, UnknownVendorId).

Handlers are registered by vendorId and, optionally, messageId. vendorId and messageId are
CiString in 1.6 (CiString255 / CiString50): matched case-insensitively.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

log = logging.getLogger(__name__)

DataTransferStatus = Literal["Accepted", "Rejected", "UnknownMessageId", "UnknownVendorId"]


@dataclass(frozen=True)
class DataTransferRequest:
    """One DataTransfer as a handler sees it (``data`` is a string in 1.6, any JSON in 2.0.1)."""

    charger_id: str
    ocpp_version: str
    vendor_id: str
    message_id: str | None
    data: Any


@dataclass(frozen=True)
class DataTransferAnswer:
    """What a handler decided: Accepted or Rejected, with optional data back."""

    status: Literal["Accepted", "Rejected"]
    data: Any = None


DataTransferHandler = Callable[[DataTransferRequest], DataTransferAnswer]

_ANY_MESSAGE = ""  # a handler for the whole vendorId, whatever the messageId


def _key(value: str | None) -> str:
    return (value or "").strip().casefold()


class DataTransferRegistry:
    """Handlers by vendorId and messageId; answers every DataTransfer with a status."""

    def __init__(self) -> None:
        self._handlers: dict[str, dict[str, DataTransferHandler]] = {}

    def register(
        self, vendor_id: str, handler: DataTransferHandler, message_id: str | None = None
    ) -> None:
        """Handle ``vendor_id`` (and only ``message_id`` if given: otherwise every message)."""
        if not vendor_id.strip():
            raise ValueError("a DataTransfer handler needs a vendorId")
        self._handlers.setdefault(_key(vendor_id), {})[_key(message_id)] = handler

    def unregister(self, vendor_id: str, message_id: str | None = None) -> None:
        messages = self._handlers.get(_key(vendor_id), {})
        messages.pop(_key(message_id), None)
        if not messages:
            self._handlers.pop(_key(vendor_id), None)

    def answer(self, request: DataTransferRequest) -> tuple[DataTransferStatus, Any]:
        """The status and data of the DataTransferResponse (data None: absent)."""
        messages = self._handlers.get(_key(request.vendor_id))
        if not messages:
            return "UnknownVendorId", None
        handler = messages.get(_key(request.message_id)) or messages.get(_ANY_MESSAGE)
        if handler is None:
            return "UnknownMessageId", None
        try:
            result = handler(request)
        except Exception:  # a broken handler must not turn into a CALLERROR
            log.exception(
                "DataTransfer handler for %s/%s failed", request.vendor_id, request.message_id
            )
            return "Rejected", None
        return result.status, result.data
