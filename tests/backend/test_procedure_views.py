"""The procedures API answers through declared models: the JSON Schema keeps its `$` keywords,
stored issues come back in their declared shape, effectiveness is typed."""

from __future__ import annotations


async def test_procedure_routes_answer_their_declared_shapes(backend, api_client):
    editor = backend.token("editor", "edwin")
    async with backend.client(editor) as edwin:
        r = await edwin.post("/api/procedures/import")
        assert r.status_code == 200, r.text
        assert set(r.json()) == {"imported", "unchanged", "kept", "failed"}
        schema = (await edwin.get("/api/procedures/schema")).json()
        assert "$schema" in schema and "$defs" in schema and "schema_" not in schema
        listed = (await edwin.get("/api/procedures")).json()
        first = listed[0]["procedure_id"]
        detail = (await edwin.get(f"/api/procedures/{first}")).json()
        assert detail["yaml"] and detail["procedure"]["id"] == first
        broken = detail["yaml"].replace("next: ", "next: nowhere_", 1)
        report = (await edwin.post("/api/procedures/validate", json={"yaml": broken})).json()
        assert report["ok"] is False
        assert {"file", "line", "node_id", "field", "message", "severity"} == set(
            report["issues"][0]
        )
        saved = await edwin.post("/api/procedures", json={"yaml": broken, "procedure_id": first})
        assert saved.status_code == 201, saved.text
        assert saved.json()["status"] == "draft" and saved.json()["issues"]
        versions = (await edwin.get(f"/api/procedures/{first}/versions")).json()
        assert versions[0]["events"][0]["action"] == "procedure.save"
        stats = (await edwin.get(f"/api/procedures/{first}/effectiveness")).json()
        assert stats["runs"] == 0 and stats["leave_steps"] == []
