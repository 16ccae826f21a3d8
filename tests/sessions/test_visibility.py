"""What a caller may not see stays unseen: the same 404 for missing and not-yours, no ids
reached through something else, drafts only for editors and consultants, ids bounded."""

from __future__ import annotations

from tests.chargers import connected, eventually
from tests.sessions.test_sessions_api import (
    CHARGER,
    PROCEDURE,
    _close,
    _faulted_charger,
    _post,
    _setup,
    _start,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
HUGE = "1" * 23  # overflowed the database's 64-bit integer: HTTP 500 before


def _message(response) -> str:
    detail = response.json()["detail"]
    return detail["error"] if isinstance(detail, dict) else detail


async def test_other_partners_get_the_same_404_as_for_nothing(backend):
    clients = await _setup(backend)
    partner, stranger, consultant = (
        clients["partner"],
        clients["other_partner"],
        clients["consultant"],
    )
    try:
        async with connected(backend.ocpp_url, CHARGER) as charger:
            await _faulted_charger(charger)
            await eventually(lambda: backend.state.live.get(CHARGER).online)
            session = await _start(partner)
            sid = session["id"]
            upload = await partner.post(
                f"/api/sessions/{sid}/photos", files={"file": ("a.png", PNG, "image/png")}
            )
            photo = upload.json()["url"].rsplit("/", 1)[1]
            missing = "00000000-0000-4000-8000-000000000000"

            # photos: another partner's session answers exactly like a session that is not there
            theirs = await stranger.get(f"/api/sessions/{sid}/photos/{photo}")
            nothing = await stranger.get(f"/api/sessions/{missing}/photos/{photo}")
            assert theirs.status_code == nothing.status_code == 404
            assert theirs.json() == {"detail": {"kind": "NotFound", "error": f"no session {sid}"}}
            assert _message(nothing) == f"no session {missing}"
            post = await stranger.post(
                f"/api/sessions/{sid}/photos", files={"file": ("a.png", PNG, "image/png")}
            )
            assert post.status_code == 404

            # handoffs: a partner asking for another's handoff learns nothing of its session
            escalated = await _post(
                partner,
                f"/api/sessions/{sid}/escalate",
                {"expected_version": session["version"], "reason": "unsure", "priority": "high"},
            )
            hid = escalated["handoff"]["id"]
            assert (await partner.get(f"/api/handoffs/{hid}")).status_code == 200
            for response in (
                await stranger.get(f"/api/handoffs/{hid}"),
                await stranger.post(f"/api/handoffs/{hid}/messages", json={"text": "hello"}),
            ):
                assert response.status_code == 404, response.text
                assert sid not in response.text
                assert _message(response) == f"no handoff {hid}"
            gone = await stranger.get("/api/handoffs/987654")
            assert gone.status_code == 404 and _message(gone) == "no handoff 987654"

            # 23-digit ids are refused where they enter (422), not 500
            for client, path in (
                (consultant, f"/api/handoffs/{HUGE}"),
                (partner, f"/api/handoffs/{HUGE}"),
                (consultant, f"/api/diagnoses/{HUGE}"),
                (consultant, f"/api/chargers/{CHARGER}/events?before_id={HUGE}"),
                (consultant, f"/api/procedures/test-reset?version={HUGE}"),
                (consultant, f"/api/procedures/test-reset/graph?version={HUGE}"),
            ):
                response = await client.get(path)
                assert response.status_code == 422, (path, response.status_code, response.text)
            claim = await consultant.post(f"/api/handoffs/{HUGE}/claim")
            assert claim.status_code == 422
    finally:
        await _close(clients)


async def test_sessions_on_chargers_that_do_not_exist_are_refused(backend):
    clients = await _setup(backend)
    try:
        body = {"charger_id": "SITE-001-AC-99", "procedure_id": "test-reset", "symptom": "x"}
        for role in ("partner", "consultant"):
            response = await clients[role].post("/api/sessions", json=body)
            assert response.status_code == 404, response.text
            assert "not registered" in _message(response)
        assert (await clients["consultant"].get("/api/sessions")).json() == []
    finally:
        await _close(clients)


async def test_partners_see_only_published_procedures_and_the_schema_needs_a_token(backend):
    clients = await _setup(backend)
    try:
        draft = PROCEDURE.replace("id: test-reset", "id: draft-only").replace(
            "status: published", "status: draft"
        )
        saved = await clients["editor"].post("/api/procedures", json={"yaml": draft})
        assert saved.status_code == 201 and saved.json()["status"] == "draft"
        partner = clients["partner"]
        assert (await partner.get("/api/procedures/draft-only")).status_code == 404
        assert (await partner.get("/api/procedures/draft-only/graph")).status_code == 404
        assert (await partner.get("/api/procedures/draft-only/graph?version=1")).status_code == 404
        published = await partner.get("/api/procedures/test-reset/graph")
        assert published.status_code == 200 and "digraph" in published.text
        for role in ("consultant", "editor"):
            graph = await clients[role].get("/api/procedures/draft-only/graph")
            assert graph.status_code == 200, (role, graph.text)

        async with backend.client() as admin:
            anonymous = admin.__class__(base_url=backend.api_url)
            async with anonymous:
                assert (await anonymous.get("/api/procedures/schema")).status_code == 401
        schema = await partner.get("/api/procedures/schema")
        assert schema.status_code == 200 and "properties" in schema.text
    finally:
        await _close(clients)
