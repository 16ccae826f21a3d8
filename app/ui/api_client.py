"""The UI's only way to the backend: a small REST client over httpx with clear errors.

Every call returns parsed JSON or raises :class:`ApiError` whose ``message`` says what went
wrong and what to do next. Connection failures are retried a few times (the backend may be
restarting) and then raise :class:`BackendUnavailable`, which the UI shows as a banner.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

RETRY_DELAYS = (0.2, 0.5, 1.0)


class ApiError(Exception):
    """The API answered with an error (or not at all)."""

    def __init__(self, status: int, message: str, detail: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.detail = detail

    @property
    def hint(self) -> str:
        """What the person should do next."""
        if self.status == 401:
            return "Sign in again."
        if self.status == 403:
            return "Your role may not do this; ask an admin."
        if self.status == 404:
            return "Check the id and try again."
        if self.status == 409:
            return "Someone else changed this; the screen was reloaded, try again."
        if self.status == 422:
            return "Correct the input and try again."
        if self.status in (502, 504):
            return "The charger did not answer; check it is online, then retry."
        if self.status == 503:
            return "A service is not ready yet; try again in a minute."
        return "Try again; if it keeps failing, call a consultant."


class BackendUnavailable(ApiError):
    """No connection to the backend after retries."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(0, f"The ChargeFix server at {url} does not answer ({reason}).")

    @property
    def hint(self) -> str:
        return "Check the network; the screen retries by itself and keeps what you typed."


def error_message(response: httpx.Response) -> tuple[str, Any]:
    """The human text of an API error body (FastAPI ``detail`` in its various shapes)."""
    try:
        body = response.json()
    except ValueError:
        return (response.text.strip()[:300] or response.reason_phrase), None
    detail = body.get("detail", body) if isinstance(body, dict) else body
    if isinstance(detail, str):
        return detail, detail
    if isinstance(detail, dict):
        text = detail.get("error") or detail.get("message") or str(detail)
        return str(text), detail
    if isinstance(detail, list):  # pydantic validation errors
        parts = []
        for item in detail[:5]:
            if isinstance(item, dict):
                where = ".".join(str(p) for p in item.get("loc", []) if p != "body")
                parts.append(f"{where}: {item.get('msg', '')}".strip(": "))
            else:
                parts.append(str(item))
        return "; ".join(parts), detail
    return str(detail), detail


class ApiClient:
    """``ApiClient(base_url, token).get("/api/chargers")``; one httpx client per instance."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        timeout: float = 15.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport)

    def close(self) -> None:
        self._http.close()

    def with_token(self, token: str | None) -> ApiClient:
        clone = ApiClient.__new__(ApiClient)
        clone.base_url, clone.token, clone._http = self.base_url, token, self._http
        return clone

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        files: Any = None,
        data: dict[str, Any] | None = None,
        timeout: float | None = None,
        raw: bool = False,
    ) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        clean = {k: v for k, v in (params or {}).items() if v not in (None, "", [])}
        last: Exception | None = None
        # Only idempotent requests are retried after a connection failure; a POST is retried
        # only when the connection was refused (nothing reached the server).
        for attempt, delay in enumerate((0.0, *RETRY_DELAYS)):
            if delay:
                time.sleep(delay)
            try:
                response = self._http.request(
                    method,
                    path,
                    params=clean,
                    json=json,
                    files=files,
                    data=data,
                    headers=headers,
                    timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
                )
            except httpx.ConnectError as error:
                last = error
                continue
            except (httpx.ReadTimeout, httpx.RemoteProtocolError) as error:
                last = error
                if method.upper() in ("GET", "HEAD") and attempt < len(RETRY_DELAYS):
                    continue
                raise BackendUnavailable(self.base_url, type(error).__name__) from error
            if response.status_code >= 400:
                message, detail = error_message(response)
                raise ApiError(response.status_code, message, detail)
            if raw:
                return response
            if response.status_code == 204 or not response.content:
                return None
            ctype = response.headers.get("content-type", "")
            return response.json() if "json" in ctype else response.text
        raise BackendUnavailable(self.base_url, type(last).__name__ if last else "no answer")

    def get(self, path: str, timeout: float | None = None, **params: Any) -> Any:
        return self.request("GET", path, params=params, timeout=timeout)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.request("POST", path, json=body, **kwargs)

    def patch(self, path: str, body: Any = None) -> Any:
        return self.request("PATCH", path, json=body)

    def delete(self, path: str) -> Any:
        return self.request("DELETE", path)

    # ------------------------------------------------------------------ typed helpers
    def login(self, username: str, password: str) -> dict[str, Any]:
        return self.post("/api/auth/login", {"username": username, "password": password})

    def health(self) -> bool:
        try:
            self.request("GET", "/api/health", timeout=3.0)
        except ApiError as error:
            return not isinstance(error, BackendUnavailable)
        return True
