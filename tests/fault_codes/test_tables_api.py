"""Editors draft and publish vendor fault-code tables through the API; a published table is
what the fleet, diagnosis and the safety interlock read from then on."""

from __future__ import annotations

from tests.chargers import connected

TABLE = """\
vendor: Voltara
models: [WB-22]
codes:
  - code: E-201
    fault: firmware_hang
  - code: E-777
    fault: welded_contactor
    meaning: Main contactor feedback does not open
"""


async def test_a_draft_changes_nothing_until_it_is_published(backend):
    editor = backend.token("editor", name="eddie")
    await backend.register("SITE-060-AC-01")
    async with backend.client(editor) as api:
        before = await api.get(
            "/api/fault-codes/classify", params={"vendor": "Voltara", "vendor_error_code": "E-777"}
        )
        assert before.json()["known"] is False
        draft = await api.post("/api/fault-codes/vendors", json={"yaml": TABLE})
        assert draft.status_code == 201, draft.text
        assert draft.json()["status"] == "draft" and draft.json()["version"] == 1
        still = await api.get(
            "/api/fault-codes/classify", params={"vendor": "Voltara", "vendor_error_code": "E-777"}
        )
        assert still.json()["known"] is False
        async with connected(backend.ocpp_url, "SITE-060-AC-01") as charger:
            await charger.boot()  # a Voltara WB-22
            await charger.status(1, "Faulted", "OtherError", vendor_error_code="E-777")
            fault = backend.state.live.get("SITE-060-AC-01").open_faults[0]
            assert fault.classification.safety_class != "never_reset"
            published = await api.post("/api/fault-codes/vendors/Voltara/versions/1/publish")
            assert published.status_code == 200, published.text
            assert published.json()["status"] == "published"
            assert published.json()["published_by"] == "eddie"
            # the open fault is named by the new table at once: the interlock now holds it
            assert fault.classification.fault_key == "welded_contactor"
            assert fault.classification.safety_class == "never_reset"
            async with backend.client() as admin:
                r = await admin.post(
                    "/api/chargers/SITE-060-AC-01/commands/reset", json={"type": "soft"}
                )
                assert r.status_code == 409 and r.json()["detail"]["kind"] == "SafetyInterlock"
        table = (await api.get("/api/fault-codes/vendors/Voltara")).json()
        assert table["source"] == "vendor table 'Voltara' v1"
        assert [c["code"] for c in table["codes"]] == ["E-201", "E-777"]
        assert [v["status"] for v in table["versions"]] == ["published"]
        again = await api.post("/api/fault-codes/vendors/Voltara/versions/1/publish")
        assert again.status_code == 409


async def test_a_bad_table_is_refused_naming_line_and_entry(backend):
    async with backend.client(backend.token("editor")) as api:
        bad = TABLE.replace("fault: welded_contactor", "fault: no_such_fault")
        r = await api.post("/api/fault-codes/vendors", json={"yaml": bad})
        assert r.status_code == 422
        issues = r.json()["detail"]["issues"]
        assert any(":6:" in i and "'E-777'" in i and "no_such_fault" in i for i in issues), issues
        r = await api.post("/api/fault-codes/vendors", json={"yaml": "vendor: [unclosed"})
        assert r.status_code == 422
    async with backend.client(backend.token("partner")) as partner:
        r = await partner.post("/api/fault-codes/vendors", json={"yaml": TABLE})
        assert r.status_code == 403


async def test_validate_names_the_line_and_stores_nothing(backend):
    """The editor's screen checks a table before saving: each issue with its line and entry."""
    async with backend.client(backend.token("editor")) as api:
        bad = TABLE.replace("fault: welded_contactor", "fault: no_such_fault")
        r = await api.post("/api/fault-codes/vendors/validate", json={"yaml": bad})
        assert r.status_code == 200, r.text
        assert r.json()["vendor"] == "Voltara"
        (issue,) = r.json()["issues"]
        assert issue["line"] == 6 and "E-777" in issue["entry"], issue
        assert "no_such_fault" in issue["message"]
        r = await api.post("/api/fault-codes/vendors/validate", json={"yaml": "vendor: [unclosed"})
        assert r.status_code == 200 and r.json()["vendor"] is None
        assert r.json()["issues"] and r.json()["issues"][0]["line"], r.json()
        ok = await api.post("/api/fault-codes/vendors/validate", json={"yaml": TABLE})
        assert ok.json() == {"vendor": "Voltara", "issues": []}
        assert (await api.get("/api/fault-codes/vendors/Voltara")).json()["versions"] == []


async def test_the_list_shows_each_vendors_published_version_and_draft(backend):
    """The editor's screen lists every table with its published version and any draft, and
    opens a table at the text to edit (the newest version, else the shipped file)."""

    def row(rows, vendor):  # type: ignore[no-untyped-def]
        return next(r for r in rows if r["vendor"] == vendor)

    async with backend.client(backend.token("editor", name="eddie")) as api:
        shipped = (await api.get("/api/fault-codes/vendors/Voltara")).json()
        assert "vendor: Voltara" in shipped["yaml"] and shipped["versions"] == []
        first = row((await api.get("/api/fault-codes/vendors")).json(), "Voltara")
        assert first["published_version"] is None and first["draft_version"] is None
        assert (await api.post("/api/fault-codes/vendors", json={"yaml": TABLE})).status_code == 201
        await api.post("/api/fault-codes/vendors/Voltara/versions/1/publish")
        again = TABLE.replace("E-201", "E-202")
        assert (await api.post("/api/fault-codes/vendors", json={"yaml": again})).status_code == 201
        listed = row((await api.get("/api/fault-codes/vendors")).json(), "Voltara")
        assert listed["published_version"] == 1 and listed["draft_version"] == 2, listed
        assert "E-202" in (await api.get("/api/fault-codes/vendors/Voltara")).json()["yaml"]
        new = TABLE.replace("Voltara", "Newco")
        assert (await api.post("/api/fault-codes/vendors", json={"yaml": new})).status_code == 201
        newco = row((await api.get("/api/fault-codes/vendors")).json(), "Newco")
        assert newco["draft_version"] == 1 and newco["source"] == "none published", newco
