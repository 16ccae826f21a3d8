"""YAML that would expand or nest without bound is refused fast, naming the line."""

from __future__ import annotations

import time

from app.procedures.loader import MAX_YAML_CHARS, MAX_YAML_DEPTH
from app.procedures.validation import validate_text
from tests.conftest import RunningBackend

BILLION_LAUGHS = "\n".join(
    ["id: lol", 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]" for i in range(8)]
)


def test_billion_laughs_is_refused_fast_naming_the_line() -> None:
    started = time.perf_counter()
    report = validate_text(BILLION_LAUGHS, "lol.yaml")
    assert time.perf_counter() - started < 1
    assert not report.ok
    [issue] = report.issues
    assert issue.line == 2 and "anchors (&a) are not allowed" in issue.message


def test_an_alias_alone_is_refused() -> None:
    report = validate_text("id: x\ntitle: *nowhere\n", "p.yaml")
    assert [(i.line, i.message) for i in report.issues] == [
        (2, "aliases (*nowhere) are not allowed")
    ]


def test_deep_nesting_is_refused() -> None:
    deep = "id: x\nnodes: " + "[" * 5000 + "]" * 5000 + "\n"
    started = time.perf_counter()
    report = validate_text(deep, "deep.yaml")
    assert time.perf_counter() - started < 1
    [issue] = report.issues
    assert issue.line == 2 and f"nested deeper than {MAX_YAML_DEPTH} levels" in issue.message


def test_oversized_document_is_refused() -> None:
    report = validate_text("#" * (MAX_YAML_CHARS + 1), "big.yaml")
    [issue] = report.issues
    assert f"the limit is {MAX_YAML_CHARS}" in issue.message


async def test_validate_endpoint_refuses_billion_laughs(backend: RunningBackend) -> None:
    async with backend.client() as client:
        started = time.perf_counter()
        response = await client.post("/api/procedures/validate", json={"yaml": BILLION_LAUGHS})
        assert time.perf_counter() - started < 5
    body = response.json()
    assert response.status_code == 200 and body["ok"] is False
    assert "anchors (&a) are not allowed" in body["issues"][0]["message"]
