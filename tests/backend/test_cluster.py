"""Two backend nodes on one database: either node answers for a charger the other holds."""

from __future__ import annotations

import httpx

from tests.chargers import connected, eventually
from tests.conftest import make_settings, start_backend


async def test_command_and_state_through_the_other_node(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'shared.db'}"
    common = {"database_url": database_url, "cluster_secret": "cluster-secret-for-tests"}
    node_a = await start_backend(make_settings(tmp_path / "a", node_id="node-a", **common))
    node_b = await start_backend(make_settings(tmp_path / "b", node_id="node-b", **common))
    try:
        await node_a.register("SITE-030-AC-01")
        async with connected(node_b.ocpp_url, "SITE-030-AC-01") as charger:  # held by B
            await charger.boot()
            await charger.status(1, "Faulted", "InternalError", vendor_error_code="E-201")
            await node_b.state.recorder.flush()
            async with node_a.client() as api_a:
                live = (await api_a.get("/api/chargers/SITE-030-AC-01")).json()
                assert live["online"] is True and live["node_id"] == "node-b"
                assert live["connectors"]["1"]["error_code"] == "InternalError"
                listed = (await api_a.get("/api/chargers", params={"online": "true"})).json()
                assert [c["charger_id"] for c in listed] == ["SITE-030-AC-01"]
                reset = await api_a.post(
                    "/api/chargers/SITE-030-AC-01/commands/reset", json={"type": "soft"}
                )
                assert reset.status_code == 200, reset.text
                assert reset.json()["status"] == "Accepted"
            # the holding node drained it first (app/commands/drain.py)
            assert charger.received == [
                ("ChangeAvailability", {"connector_id": 0, "type": "Inoperative"}),
                ("Reset", {"type": "Soft"}),
            ]
        await node_b.state.recorder.flush()
        # audited on the node that sent it, in the caller's name
        async with node_a.client() as api_a:
            audit = await eventually(lambda: _audit(api_a), timeout=5)
        assert audit[0]["requested_by"] == "test-admin"
        # the internal endpoint refuses callers without the cluster secret
        async with httpx.AsyncClient(base_url=node_b.api_url) as anyone:
            refused = await anyone.post(
                "/api/internal/chargers/SITE-030-AC-01/commands/reset", json={"type": "soft"}
            )
            assert refused.status_code == 403
    finally:
        await node_b.backend.stop()
        await node_a.backend.stop()


async def _audit(client: httpx.AsyncClient) -> list | None:
    rows = (await client.get("/api/chargers/SITE-030-AC-01/commands")).json()
    return rows or None


async def test_a_session_step_on_a_charger_held_by_another_node(tmp_path):
    """The partner's tablet talks to node A; the charger's socket is on node B. The reset
    step runs on B (through B's gateway, waiting on B's live state) and the session moves on."""
    from tests.sessions.test_sessions_api import PROCEDURE

    database_url = f"sqlite:///{tmp_path / 'shared.db'}"
    common = {"database_url": database_url, "cluster_secret": "cluster-secret-for-tests"}
    node_a = await start_backend(make_settings(tmp_path / "a", node_id="node-a", **common))
    node_b = await start_backend(make_settings(tmp_path / "b", node_id="node-b", **common))
    charger_id = "SITE-001-AC-01"
    try:
        await node_a.register(charger_id)
        async with node_a.client() as admin:
            r = await admin.post("/api/procedures", json={"yaml": PROCEDURE, "publish": True})
            assert r.status_code == 201, r.text
        partner = node_a.token("partner", name="pat", sites=("SITE-001",))
        async with connected(node_b.ocpp_url, charger_id) as charger, node_a.client(partner) as pat:
            await charger.boot()
            await charger.status(1, "Faulted", "InternalError")
            await node_b.state.recorder.flush()
            await eventually(lambda: node_a.state.cluster.remote(charger_id) is not None)
            r = await pat.post(
                "/api/sessions",
                json={"charger_id": charger_id, "procedure_id": "test-reset", "symptom": "dark"},
            )
            assert r.status_code == 201, r.text
            sid = f"/api/sessions/{r.json()['id']}"
            view = r.json()
            r = await pat.post(
                f"{sid}/answer", json={"expected_version": view["version"], "kind": "confirm"}
            )
            assert r.status_code == 200, r.text
            await eventually(lambda: ("Reset", {"type": "Soft"}) in charger.received, timeout=5)
            await charger.boot()
            await charger.status(1, "Available")

            async def moved_on() -> bool:
                return (await pat.get(sid)).json()["cursor"]["node_id"] == "works"

            await eventually(moved_on, timeout=10)
        await node_b.state.recorder.flush()
        with node_b.state.session_factory() as db:
            from sqlalchemy import select

            from app.db.models import CommandRow

            row = db.scalar(select(CommandRow).where(CommandRow.command == "reset"))
        assert row is not None and row.requested_by == "pat" and row.origin == "session"
    finally:
        await node_b.backend.stop()
        await node_a.backend.stop()
