"""The partner flow's backend: photos as steps, who escalated, undo, progress, the PDF report."""

from __future__ import annotations

import io
from typing import Any

import httpx
from pypdf import PdfReader

from app.procedures.graph import remaining_steps
from app.procedures.loader import load_yaml_text
from app.procedures.schema import Procedure
from tests.chargers import connected, eventually
from tests.conftest import RunningBackend
from tests.sessions.test_sessions_api import (
    CHARGER,
    _close,
    _faulted_charger,
    _post,
    _setup,
    _start,
)

PNG = (  # a real 1x1 PNG, so the report can embed it
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00"
    b"\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe"
    b"\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82"
)

ASKING = """
id: test-ask
title: Test questions
status: published
applies_to: {error_codes: [InternalError]}
start: q1
nodes:
  - id: q1
    type: question
    kind: yes_no
    title: Is the screen on?
    on_yes: q2
    on_no: escalate
  - id: q2
    type: question
    kind: choice
    title: What does it show?
    choices:
      - {value: error_page, label: An error page, next: look}
      - {value: blank, label: Nothing at all, next: resolved}
  - id: look
    type: instruction
    title: Read the error page
    next: resolved
  - id: resolved
    type: terminal
    title: Fixed
    outcome: resolved
    diagnosis: Screen firmware
    resolution: Screen restarted
  - id: escalate
    type: terminal
    title: Needs a consultant
    outcome: escalate
    priority: high
    diagnosis: Screen dark
"""


async def _asking(clients: dict[str, httpx.AsyncClient]) -> None:
    r = await clients["editor"].post("/api/procedures", json={"yaml": ASKING, "publish": True})
    assert r.status_code == 201, r.text


def test_remaining_steps_counts_shown_steps_on_the_shortest_and_longest_way() -> None:
    procedure = Procedure.model_validate(load_yaml_text(ASKING))
    assert remaining_steps(procedure, "q1") == (1, 3)  # q1 -> escalate; q1 -> q2 -> look
    assert remaining_steps(procedure, "q2") == (1, 2)
    assert remaining_steps(procedure, "resolved") == (0, 0)


async def test_a_photo_is_its_own_step_and_reaches_the_consultant(
    backend: RunningBackend,
) -> None:
    clients = await _setup(backend)
    partner = clients["partner"]
    try:
        async with connected(backend.ocpp_url, CHARGER) as charger:
            await _faulted_charger(charger)
            s = await _start(partner)
            sid = f"/api/sessions/{s['id']}"
            up = await partner.post(f"{sid}/photos", files={"file": ("c.png", PNG, "image/png")})
            url = up.json()["url"]
            view = await _post(
                partner,
                f"{sid}/answer",
                {"expected_version": s["version"], "kind": "photo", "photo": url},
            )
            photo_steps = [st for st in view["steps"] if st["kind"] == "photo"]
            assert photo_steps and photo_steps[0]["photo"] == url
            assert photo_steps[0]["actor"] == "partner-1"
            missing = await partner.post(
                f"{sid}/answer", json={"expected_version": view["version"], "kind": "photo"}
            )
            assert missing.status_code == 422 and "photo" in missing.text
            view = await _post(
                partner,
                f"{sid}/escalate",
                {"expected_version": view["version"], "reason": "look at the cable"},
            )
            handoff_id = view["handoff"]["id"]
            handoff = (await clients["consultant"].get(f"/api/handoffs/{handoff_id}")).json()
            assert handoff["summary"]["photos"] == [url]
            assert url in handoff["summary_text"]
    finally:
        await _close(clients)


async def test_a_procedure_that_escalates_logs_the_system_not_the_partner(
    backend: RunningBackend,
) -> None:
    clients = await _setup(backend)
    partner = clients["partner"]
    await _asking(clients)
    try:
        async with connected(backend.ocpp_url, CHARGER) as charger:
            await _faulted_charger(charger)
            s = await _start(partner, procedure_id="test-ask")
            sid = f"/api/sessions/{s['id']}"
            view = await _post(
                partner, f"{sid}/answer", {"expected_version": s["version"], "value": "no"}
            )
            assert view["status"] == "escalated"
            answer, escalated = view["steps"][-2], view["steps"][-1]
            assert answer["kind"] == "answer" and answer["actor"] == "partner-1"
            assert escalated["kind"] == "escalated" and escalated["actor"] == "system"
            assert escalated["answer"]["by"] == "procedure"
            handoffs = (await clients["consultant"].get("/api/handoffs")).json()
            mine = [h for h in handoffs if h["session_id"] == s["id"]]
            assert mine and mine[0]["reason"] == "Screen dark"
    finally:
        await _close(clients)


async def test_undo_moves_back_logs_and_refuses_across_a_command(
    backend: RunningBackend,
) -> None:
    clients = await _setup(backend)
    partner = clients["partner"]
    await _asking(clients)
    try:
        async with connected(backend.ocpp_url, CHARGER) as charger:
            await _faulted_charger(charger)
            s = await _start(partner, procedure_id="test-ask")
            sid = f"/api/sessions/{s['id']}"
            assert s["estimate"] == {"step": 1, "fewest": 1, "most": 3}
            assert s["can_undo"] is False
            nothing = await partner.post(f"{sid}/undo", json={"expected_version": s["version"]})
            assert nothing.status_code == 409 and "no answer" in nothing.text
            v = await _post(
                partner, f"{sid}/answer", {"expected_version": s["version"], "value": "yes"}
            )
            assert v["cursor"]["node_id"] == "q2" and v["estimate"]["step"] == 2
            assert v["estimate"]["most"] == 3 and v["can_undo"] is True
            v = await _post(partner, f"{sid}/undo", {"expected_version": v["version"]})
            assert v["cursor"]["node_id"] == "q1" and v["estimate"]["step"] == 1
            kinds = [st["kind"] for st in v["steps"]]
            assert kinds[-2:] == ["answer", "undo"]  # logged, not erased
            assert v["steps"][-1]["answer"]["undid"] == v["steps"][-2]["seq"]
            assert v["steps"][-1]["actor"] == "partner-1"
            # the other way after the undo, then back twice
            v = await _post(
                partner, f"{sid}/answer", {"expected_version": v["version"], "value": "yes"}
            )
            v = await _post(
                partner, f"{sid}/answer", {"expected_version": v["version"], "value": "error_page"}
            )
            assert v["cursor"]["node_id"] == "look"
            v = await _post(partner, f"{sid}/undo", {"expected_version": v["version"]})
            v = await _post(partner, f"{sid}/undo", {"expected_version": v["version"]})
            assert v["cursor"]["node_id"] == "q1" and v["can_undo"] is False

            # a remote command sent since the last answer cannot be taken back
            s2 = await _start(partner)  # test-reset: confirm -> reset
            sid2 = f"/api/sessions/{s2['id']}"
            await _post(
                partner, f"{sid2}/answer", {"expected_version": s2["version"], "kind": "confirm"}
            )

            async def sent() -> dict[str, Any] | None:
                view = (await partner.get(sid2)).json()
                return view if any(st["kind"] == "command" for st in view["steps"]) else None

            v2 = await eventually(sent)
            refused = await partner.post(f"{sid2}/undo", json={"expected_version": v2["version"]})
            assert refused.status_code == 409 and "remote command reset" in refused.text
    finally:
        await _close(clients)


async def test_report_pdf_says_what_was_found_done_and_shows_the_photo(
    backend: RunningBackend,
) -> None:
    clients = await _setup(backend)
    partner = clients["partner"]
    await _asking(clients)
    try:
        async with connected(backend.ocpp_url, CHARGER) as charger:
            await _faulted_charger(charger)
            s = await _start(partner, procedure_id="test-ask")
            sid = f"/api/sessions/{s['id']}"
            up = await partner.post(f"{sid}/photos", files={"file": ("c.png", PNG, "image/png")})
            v = await _post(
                partner,
                f"{sid}/answer",
                {"expected_version": s["version"], "kind": "photo", "photo": up.json()["url"]},
            )
            v = await _post(
                partner, f"{sid}/answer", {"expected_version": v["version"], "value": "yes"}
            )
            v = await _post(
                partner, f"{sid}/answer", {"expected_version": v["version"], "value": "blank"}
            )
            assert v["outcome"] == "resolved"
        r = await partner.get(f"{sid}/report.pdf")
        assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
        assert "attachment" in r.headers["content-disposition"]
        pdf = PdfReader(io.BytesIO(r.content))
        text = "\n".join(page.extract_text() for page in pdf.pages)
        for words in (
            f"Service report: charger {CHARGER}",
            "What was found",
            # the fault's faces and the catalogue's meaning of its vendor code
            "at the start: InternalError E-201 (The main application stops serving",
            "Diagnosis: Screen firmware",
            "What does it show? Answer: Nothing at all",  # the label, not the stored value
            "Photo taken by partner-1",
            "No safety guard was overridden",
            "Resolved",
        ):
            assert words in text, (words, text)
        assert sum(len(page.images) for page in pdf.pages) == 1
        stranger = await clients["other_partner"].get(f"{sid}/report.pdf")
        assert stranger.status_code == 404
    finally:
        await _close(clients)
