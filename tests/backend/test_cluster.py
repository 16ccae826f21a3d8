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
            assert charger.received == [("Reset", {"type": "Soft"})]
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
