"""One place where domain errors become HTTP responses."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from app.errors import (
    ChargeFixError,
    ChargerRefused,
    ChargerTimeout,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    Unavailable,
    error_payload,
)

# Most specific first: a TransactionActive is a Conflict, an OutOfScope is a Forbidden.
STATUS_OF: tuple[tuple[type[ChargeFixError], int], ...] = (
    (NotFound, 404),
    (Forbidden, 403),
    (Conflict, 409),
    (InvalidInput, 422),
    (Unavailable, 503),
    (ChargerTimeout, 504),
    (ChargerRefused, 502),
)


def status_of(error: ChargeFixError) -> int:
    for kind, status in STATUS_OF:
        if isinstance(error, kind):
            return status
    return 500


async def _handle(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ChargeFixError)
    return JSONResponse({"detail": error_payload(error)}, status_code=status_of(error))


def install(api: FastAPI) -> None:
    api.add_exception_handler(ChargeFixError, _handle)
