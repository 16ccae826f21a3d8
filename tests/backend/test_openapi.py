"""Every REST route declares a response model: documented in the OpenAPI schema, checked on the
way out (nothing internal leaks by accident).

A route answering a bare ``dict``/``list[dict]`` (or nothing declared) fails here unless it is
on the allow-list below, by method and path, with the reason: no body (204), a file download.
"""

from __future__ import annotations

import types
import typing
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel

from app.api.app import ROUTERS

NO_BODY = "204 No Content"
FILE = "a file download"
SCHEMA_DOCUMENT = "a JSON Schema document (free-form by nature)"

ALLOWED: dict[tuple[str, str], str] = {
    ("POST", "/api/auth/logout"): NO_BODY,
    ("DELETE", "/api/chargers/{charger_id}"): NO_BODY,
    ("DELETE", "/api/id-tokens/{token:path}"): NO_BODY,
    ("DELETE", "/api/users/{name}"): NO_BODY,
    ("GET", "/api/sessions/{session_id}/report.pdf"): FILE,
    ("GET", "/api/sessions/{session_id}/photos/{photo_id}"): FILE,
    ("GET", "/api/diagnostics/{upload_id}/download"): FILE,
    ("GET", "/api/procedures/schema"): SCHEMA_DOCUMENT,
}


# Response models from before this rule (several are the fleet's own public views, kept open to
# the fields their producers add); every model added from now on forbids undeclared fields.
LOOSE_BEFORE: frozenset[str] = frozenset(
    {
        "ActiveTransaction",
        "ChargerView",
        "Classification",
        "CommandResponse",
        "CommandView",
        "ConnectorState",
        "EventView",
        "FaultClassification",
        "FaultView",
        "Hit",
        "IdTokenView",
        "MeterReading",
        "OpenFault",
        "PartnerSites",
        "QualificationInfo",
        "QueryInfo",
        "Registered",
        "ReindexJob",
        "SearchResults",
        "SecurityEventView",
        "TableVersion",
        "UploadView",
        "UserQualifications",
        "VendorCodeView",
        "VendorSummary",
        "VendorTableView",
    }
)


def _routes() -> list[tuple[str, str, APIRoute]]:
    found = []
    for router in ROUTERS:
        for route in router.routes:
            if isinstance(route, APIRoute):
                for method in sorted(route.methods):
                    found.append((method, route.path, route))
    return found


def _bare(annotation: Any) -> str | None:
    """Why ``annotation`` documents nothing (None when it is a declared model)."""
    if annotation is None:
        return "no response model"
    if annotation is Any:
        return "Any"
    origin = typing.get_origin(annotation)
    if annotation is dict or origin is dict:
        return "a bare dict"
    if annotation in (list, tuple, set):
        return "a bare list"
    if origin in (list, tuple, set, typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            if arg is not type(None) and arg is not Ellipsis and (why := _bare(arg)):
                return f"{why} inside {origin.__name__ if hasattr(origin, '__name__') else origin}"
    return None


def _models(annotation: Any, seen: set[type[BaseModel]]) -> None:
    """Every pydantic model reachable from ``annotation`` (fields, lists, unions)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return
        seen.add(annotation)
        for field in annotation.model_fields.values():
            _models(field.annotation, seen)
        return
    for arg in typing.get_args(annotation):
        _models(arg, seen)


def test_every_route_declares_a_response_model() -> None:
    missing = [
        f"{method} {path}: {why}"
        for method, path, route in _routes()
        if (method, path) not in ALLOWED and (why := _bare(route.response_model))
    ]
    assert not missing, "routes without a response model:\n" + "\n".join(missing)


def test_the_allow_list_holds_only_routes_that_still_need_it() -> None:
    routes = {(method, path): route for method, path, route in _routes()}
    stale = [key for key in ALLOWED if key not in routes]
    assert not stale, f"allow-listed routes that no longer exist: {stale}"
    typed = [key for key in ALLOWED if _bare(routes[key].response_model) is None]
    assert not typed, f"allow-listed routes that now have a model (take them off): {typed}"


def test_response_models_forbid_undeclared_fields() -> None:
    """A view that adds a field fails its response validation until the model declares it."""
    seen: set[type[BaseModel]] = set()
    for _, _, route in _routes():
        _models(route.response_model, seen)
    loose = sorted(
        m.__qualname__
        for m in seen
        if m.model_config.get("extra") != "forbid" and m.__qualname__ not in LOOSE_BEFORE
    )
    assert not loose, f"response models without extra='forbid': {loose}"


def test_openapi_documents_the_session_view() -> None:
    api = FastAPI()
    for router in ROUTERS:
        api.include_router(router)
    schema = api.openapi()
    answer = schema["paths"]["/api/sessions/{session_id}/answer"]["post"]
    ref = answer["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    view = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    assert {"id", "version", "status", "directive", "steps", "messages"} <= set(view["properties"])
    assert view["additionalProperties"] is False
    message = schema["components"]["schemas"]["MessageView"]
    assert "from" in message["properties"]  # the alias, as the JSON carries it


def test_views_with_sometimes_keys_keep_them_absent() -> None:
    """Session, handoff and diagnosis views set some keys only sometimes (suggestions, a
    progress's seconds_left, a diagnosis's actions): their routes must serialise with
    ``response_model_exclude_unset`` or those keys would appear as null."""
    wrong = []
    for method, path, route in _routes():
        seen: set[type[BaseModel]] = set()
        _models(route.response_model, seen)
        views = {
            m for m in seen if m.__module__ in ("app.sessions.schemas", "app.diagnosis.schemas")
        }
        optional = any(not f.is_required() for m in views for f in m.model_fields.values())
        if optional and not route.response_model_exclude_unset:
            wrong.append(f"{method} {path}")
    assert not wrong, f"set response_model_exclude_unset=True on: {wrong}"
