"""Editors' work is kept: a draft stays a draft whatever its text says, a text is saved only
under the procedure it names, a restart's import never overwrites an editor's version, and
every version can be listed, compared and brought back (as a new draft)."""

from __future__ import annotations

from app.cli.common import open_storage
from app.config import Settings
from app.demo import import_sample_procedures
from app.procedures import store
from tests.conftest import RunningBackend, start_backend
from tests.fault_codes.test_tables_api import TABLE

SHIPPED = "boot-notification-pending-rejected"


def _shipped_text(settings: Settings) -> str:
    for path in (settings.knowledge_base_dir / "procedures").rglob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        if f"id: {SHIPPED}\n" in text:
            return text
    raise AssertionError(f"{SHIPPED} is not shipped")


def test_a_restart_keeps_the_editors_version(settings: Settings) -> None:
    factory = open_storage(settings)
    first = import_sample_procedures(settings, factory)
    assert SHIPPED in first["imported"] and first["failed"] == []
    with factory() as db:
        assert store.latest(db, SHIPPED).status == "published"  # shipped content is released
        edited = _shipped_text(settings).replace("title: ", "title: Edited ", 1)
        store.save_version(db, edited, "eddie", publish=True, expected_id=SHIPPED)
        db.commit()
    again = import_sample_procedures(settings, factory)  # the second `make run`
    assert again["imported"] == [] and SHIPPED in again["kept"]
    assert SHIPPED not in again["unchanged"]
    with factory() as db:
        newest = store.latest(db, SHIPPED)
        assert (newest.version, newest.created_by) == (2, "eddie")
        assert store.published(db, SHIPPED).title.startswith("Edited")


def test_draft_status_is_the_actions_never_the_texts(settings: Settings) -> None:
    factory = open_storage(settings)
    text = _shipped_text(settings)
    assert "\nstatus: published" in text
    with factory() as db:
        draft = store.save_version(db, text, "eddie")
        assert draft.row.status == "draft"
        assert "\nstatus: draft" in draft.row.yaml_text and "status: published" not in (
            draft.row.yaml_text
        )
        assert "stored as draft" in draft.notices[0]
        assert store.published(db, SHIPPED) is None
        done = store.save_version(db, draft.row.yaml_text, "eddie", publish=True)
        assert done.row.status == "published" and "\nstatus: published" in done.row.yaml_text
        assert "stored as published" in done.notices[0]


async def test_api_save_draft_wrong_procedure_history_diff_rollback(
    backend: RunningBackend,
) -> None:
    text = _shipped_text(backend.state.settings)
    async with backend.client(backend.token("editor", name="eddie")) as api:
        r = await api.post("/api/procedures", json={"yaml": text, "publish": True})
        assert r.status_code == 201 and r.json()["status"] == "published", r.text
        # "Save draft" of a text that says published: a draft, and the API says so
        edited = text.replace("title: ", "title: Draft ", 1)
        r = await api.post("/api/procedures", json={"yaml": edited, "procedure_id": SHIPPED})
        assert r.status_code == 201, r.text
        assert (r.json()["version"], r.json()["status"]) == (2, "draft")
        assert "status: published" in r.json()["notices"][0]
        async with backend.client(backend.token("partner", name="pat")) as partner:
            seen = await partner.get(f"/api/procedures/{SHIPPED}")
            assert seen.json()["version"] == 1  # partners still run the published v1
        # a text is never stored under another procedure than the open one
        r = await api.post("/api/procedures", json={"yaml": edited, "procedure_id": "other"})
        assert r.status_code == 409 and "the open procedure is 'other'" in r.text
        assert len((await api.get(f"/api/procedures/{SHIPPED}/versions")).json()) == 2
        assert (await api.post(f"/api/procedures/{SHIPPED}/publish?version=2")).status_code == 200
        history = (await api.get(f"/api/procedures/{SHIPPED}/versions")).json()
        assert [(h["version"], h["status"], h["created_by"]) for h in history] == [
            (2, "published", "eddie"),
            (1, "published", "eddie"),
        ]
        assert [(e["action"], e["by"]) for e in history[0]["events"]] == [
            ("procedure.save", "eddie"),
            ("procedure.published", "eddie"),
        ]
        diff = await api.get(f"/api/procedures/{SHIPPED}/diff", params={"from": 1, "to": 2})
        assert diff.status_code == 200
        assert "-title: " in diff.text and "+title: Draft " in diff.text
        assert diff.text.startswith("--- v1 (published, eddie)")
        missing = await api.get(f"/api/procedures/{SHIPPED}/diff", params={"from": 1, "to": 9})
        assert missing.status_code == 404 and "no version 9" in missing.text
        back = await api.post(f"/api/procedures/{SHIPPED}/rollback", params={"version": 1})
        assert back.status_code == 201, back.text
        assert (back.json()["version"], back.json()["status"]) == (3, "draft")
        v3 = (await api.get(f"/api/procedures/{SHIPPED}", params={"version": 3})).json()
        assert v3["yaml"] == text.replace("status: published", "status: draft", 1)
        async with backend.client(backend.token("partner", name="pat")) as partner:
            assert (await partner.get(f"/api/procedures/{SHIPPED}/versions")).status_code == 403


async def test_api_import_seeds_only_procedures_without_versions(backend: RunningBackend) -> None:
    text = _shipped_text(backend.state.settings)
    async with backend.client(backend.token("editor", name="eddie")) as api:
        edited = text.replace("title: ", "title: Mine ", 1)
        assert (await api.post("/api/procedures", json={"yaml": edited})).status_code == 201
        result = (await api.post("/api/procedures/import")).json()
        assert SHIPPED in result["kept"] and SHIPPED not in result["imported"]
        assert len(result["imported"]) >= 30
        history = (await api.get(f"/api/procedures/{SHIPPED}/versions")).json()
        assert [(h["version"], h["status"]) for h in history] == [(1, "draft")]


async def test_a_published_fault_code_table_survives_a_restart(settings: Settings) -> None:
    """The vendor tables already follow the rule: shipped files are read under the published
    database versions, never imported over them."""
    first = await start_backend(settings)
    try:
        async with first.client(first.token("editor", name="eddie")) as api:
            assert (await api.post("/api/fault-codes/vendors", json={"yaml": TABLE})).is_success
            r = await api.post("/api/fault-codes/vendors/Voltara/versions/1/publish")
            assert r.status_code == 200, r.text
    finally:
        await first.backend.stop()
    second = await start_backend(settings)
    try:
        async with second.client(second.token("editor", name="eddie")) as api:
            known = await api.get(
                "/api/fault-codes/classify",
                params={"vendor": "Voltara", "vendor_error_code": "E-777"},
            )
            assert known.json()["known"] is True
            assert known.json()["fault_key"] == "welded_contactor"
    finally:
        await second.backend.stop()


def test_with_status_rewrites_only_the_top_level_field() -> None:
    text = "id: x\nstatus: published  # shipped\nnodes:\n  - status: published\n"
    out, declared = store.with_status(text, "draft")
    assert declared == "published"
    assert out == "id: x\nstatus: draft  # shipped\nnodes:\n  - status: published\n"
    assert store.with_status(out, "draft") == (out, None)
    assert store.with_status("id: x\n", "draft") == ("id: x\n", None)


async def test_hazardous_steps_need_a_second_editor_before_publish(backend: RunningBackend) -> None:
    settings = backend.state.settings
    text = (settings.knowledge_base_dir / "procedures" / "ground-fault-rcd-trip.yaml").read_text()
    where = "/api/procedures/ground-fault-rcd-trip"
    async with (
        backend.client(backend.token("editor", name="eddie")) as eddie,
        backend.client(backend.token("editor", name="erin")) as erin,
    ):
        r = await eddie.post("/api/procedures", json={"yaml": text, "publish": True})
        assert r.status_code == 409 and "hazardous steps" in r.text, r.text
        draft = await eddie.post("/api/procedures", json={"yaml": text})
        assert draft.status_code == 201 and draft.json()["status"] == "draft"
        v = {"version": draft.json()["version"]}
        r = await eddie.post(f"{where}/publish", params=v)
        assert r.status_code == 409 and "another editor approves" in r.text
        r = await eddie.post(f"{where}/approve", params=v)
        assert r.status_code == 403 and "another editor approves it" in r.text
        r = await erin.post(f"{where}/approve", params=v)
        assert r.status_code == 200 and r.json()["approved_by"] == "erin", r.text
        r = await eddie.post(f"{where}/publish", params=v)
        assert r.status_code == 200 and r.json()["status"] == "published", r.text
        published = (await eddie.get(where)).json()
        assert "\nstatus: published" in published["yaml"]
        history = (await eddie.get(f"{where}/versions")).json()
        assert [e["action"] for e in history[0]["events"]] == [
            "procedure.save",
            "procedure.approved",
            "procedure.published",
        ]
        # a harmless procedure is published by its author alone
        harmless = _shipped_text(settings)
        r = await eddie.post("/api/procedures", json={"yaml": harmless, "publish": True})
        assert r.status_code == 201, r.text
