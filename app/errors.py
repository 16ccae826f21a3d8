"""The one error tree of ChargeFix's domain: no HTTP in it.

Domain code raises these; ``app/api/errors.py`` turns each kind into a response in one
place. The kinds follow the questions a caller asks: does it exist (NotFound), may I
(Forbidden), can it be done now (Conflict), did I ask properly (InvalidInput), and, for remote
actions, what did the charger do (ChargerTimeout, ChargerRefused).
"""

from __future__ import annotations

from typing import Any


class ChargeFixError(Exception):
    """Base of every domain error; ``detail`` is extra, JSON-ready context for the caller."""

    def __init__(self, message: str, *, detail: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.detail = detail or {}


class NotFound(ChargeFixError):
    """The thing asked for does not exist (or is not visible to the caller)."""


class Forbidden(ChargeFixError):
    """The caller may not do this."""


class Conflict(ChargeFixError):
    """It cannot be done in the current state (busy, already done, a guard holds)."""


class InvalidInput(ChargeFixError):
    """The request itself is wrong: names what and where."""


class Unavailable(ChargeFixError):
    """A part this needs is switched off or not ready."""


# -- remote actions ---------------------------------------------------------------------------
class CommandError(ChargeFixError):
    """A remote action that was not carried out."""


class UnknownCharger(CommandError, NotFound):
    pass


class UnknownCommand(CommandError, NotFound):
    pass


class BadCommand(CommandError, InvalidInput):
    pass


class OutOfScope(CommandError, Forbidden):
    """The caller may not act on this charger, or not in this way."""


class ChargerOffline(CommandError, Conflict):
    pass


class NotAccepted(CommandError, Conflict):
    """The charger's BootNotification was answered Pending or Rejected: not this command."""


class TransactionActive(CommandError, Conflict):
    """The action would interrupt someone's charge."""


class ChargeInProgress(TransactionActive):
    """The charger said a charge runs when asked to refuse new ones (1.6 ChangeAvailability
    Scheduled), or a charge started while it was being drained: the reset was not sent."""


class NotDrained(CommandError, Conflict):
    """The charger would not refuse new charges (ChangeAvailability not Accepted): a reset
    could land on a charge that starts meanwhile, so it was not sent."""


class SafetyInterlock(CommandError, Conflict):
    """A safety-class fault is open: no reset, unlock or re-enable."""


class ChargerTimeout(CommandError):
    """The charger did not answer in time."""


class ChargerRefused(CommandError):
    """The charger answered with a CALLERROR."""


def error_payload(error: ChargeFixError) -> dict[str, Any]:
    """An error as JSON: its kind (class name), message and detail."""
    return {"kind": type(error).__name__, "error": str(error), **error.detail}


def error_from_payload(data: Any, fallback: str) -> ChargeFixError:
    """The error a payload from :func:`error_payload` stands for (another node's answer)."""
    if isinstance(data, dict):
        detail = data.get("detail", data)
        if isinstance(detail, dict):
            kind = _KINDS.get(str(detail.get("kind")))
            message = str(detail.get("error") or fallback)
            extra = {k: v for k, v in detail.items() if k not in ("kind", "error")}
            if kind is not None:
                return kind(message, detail=extra)
    return CommandError(fallback)


def _subclasses(cls: type[ChargeFixError]) -> list[type[ChargeFixError]]:
    out = [cls]
    for sub in cls.__subclasses__():
        out.extend(_subclasses(sub))
    return out


_KINDS: dict[str, type[ChargeFixError]] = {c.__name__: c for c in _subclasses(ChargeFixError)}
