"""Admin tabs for what was CLI only: sites and partners, chargers (register, new password,
remove), driver cards, API tokens for scripts, the self-diagnosis switches, the audit filtered."""

from __future__ import annotations

from tests.ui.conftest import UiStack
from tests.ui.helpers import app_as, button, texts

COLUMN = {  # a column only that table has
    "adm_sites_table": "Partners",
    "adm_ch_table": "Online",
    "adm_tok_table": "Card",
    "adm_api_table": "Revoked",
    "adm_aud_table": "Target",
}


def _frame(at, key: str):  # type: ignore[no-untyped-def]
    tables = [d.value for d in at.dataframe if COLUMN[key] in d.value.columns]
    assert len(tables) == 1, [list(d.value.columns) for d in at.dataframe]
    return tables[0]


def test_sites_tab_assigns_and_takes_away_a_partners_site(stack: UiStack) -> None:
    with stack.http() as admin:
        r = admin.post(
            "/api/users", json={"name": "sven", "password": "sven-pass-123", "role": "partner"}
        )
        assert r.status_code == 201, r.text
    at = app_as(stack, "admin", page="admin.py")
    sites = _frame(at, "adm_sites_table")
    site = sites["Site"].tolist()[0]
    assert sites["Chargers"].tolist()[0] >= 1
    at.selectbox(key="adm_site_partner").set_value("sven")
    at.selectbox(key="adm_site_pick").set_value(site).run()
    at.button(key="adm_site_assign").click().run()
    assert f"{site} assigned to sven." in texts(at), texts(at)
    assert "sven" in _frame(at, "adm_sites_table").set_index("Site").loc[site, "Partners"]
    with stack.http() as admin:
        assert admin.get("/api/partners/sven/sites").json()["site_ids"] == [site]
    at.button(key="adm_site_unassign").click().run()
    assert f"{site} taken from sven." in texts(at)
    with stack.http() as admin:
        assert admin.get("/api/partners/sven/sites").json()["site_ids"] == []


def test_chargers_tab_registers_gives_a_new_password_and_removes(stack: UiStack) -> None:
    at = app_as(stack, "admin", page="admin.py")
    at.text_input(key="adm_ch_id").input("SITE-001-AC-77")
    at.text_input(key="adm_ch_vendor").input("Voltara")
    button(at, "Register").click().run()
    assert "Registered SITE-001-AC-77." in texts(at), texts(at)
    first = at.code[0].value
    assert len(first) >= 16
    assert "SITE-001-AC-77" in _frame(at, "adm_ch_table")["Charger"].tolist()
    at.selectbox(key="adm_ch_pick").set_value("SITE-001-AC-77").run()
    at.button(key="adm_ch_password").click().run()
    assert "New password for SITE-001-AC-77." in texts(at), texts(at)
    second = at.code[0].value
    assert len(second) >= 16 and second != first
    assert at.button(key="adm_ch_remove").disabled  # not without the confirmation
    at.selectbox(key="adm_ch_pick").set_value("SITE-001-AC-77")
    at.checkbox(key="adm_ch_sure").check().run()
    at.button(key="adm_ch_remove").click().run()
    assert "Removed SITE-001-AC-77." in texts(at), texts(at)
    with stack.http() as admin:
        assert admin.get("/api/chargers/SITE-001-AC-77").status_code == 404


def test_driver_cards_tab_adds_blocks_and_removes_a_card(stack: UiStack) -> None:
    at = app_as(stack, "admin", page="admin.py")
    at.text_input(key="adm_tok_id").input("CARD-ADMIN-UI-1")
    button(at, "Save the card").click().run()
    assert "Saved card CARD-ADMIN-UI-1." in texts(at), texts(at)
    cards = _frame(at, "adm_tok_table").set_index("Card")
    assert cards.loc["CARD-ADMIN-UI-1", "Status"] == "Accepted"
    at.selectbox(key="adm_tok_pick").set_value("CARD-ADMIN-UI-1").run()
    at.button(key="adm_tok_block").click().run()
    assert _frame(at, "adm_tok_table").set_index("Card").loc["CARD-ADMIN-UI-1", "Status"] == (
        "Blocked"
    )
    at.selectbox(key="adm_tok_pick").set_value("CARD-ADMIN-UI-1").run()
    at.button(key="adm_tok_remove").click().run()
    assert "Removed card CARD-ADMIN-UI-1." in texts(at), texts(at)
    assert "CARD-ADMIN-UI-1" not in _frame(at, "adm_tok_table")["Card"].tolist()


def test_api_tokens_tab_makes_a_token_shown_once_and_revokes_it(stack: UiStack) -> None:
    at = app_as(stack, "admin", page="admin.py")
    at.text_input(key="adm_api_name").input("nightly export")
    at.selectbox(key="adm_api_role").set_value("consultant")
    at.number_input(key="adm_api_days").set_value(7)
    button(at, "Make the token").click().run()
    assert not at.exception, at.exception
    assert "Made token" in texts(at) and "shown once" in texts(at), texts(at)
    secret = at.code[0].value
    with stack.http(secret) as script:  # the shown secret works, with the role chosen
        assert script.get("/api/chargers").status_code == 200
        assert script.get("/api/users").status_code == 403
    table = _frame(at, "adm_api_table")
    row = table[table["For"] == "nightly export"].iloc[0]
    assert row["Role"] == "consultant" and row["Revoked"] == "no" and row["Expires"] != "never"
    at.run()
    assert not [c for c in at.code if c.value == secret]  # shown once only
    at.selectbox(key="adm_api_pick").set_value(int(row["Id"])).run()
    at.button(key="adm_api_revoke").click().run()
    assert f"Revoked token {row['Id']}." in texts(at), texts(at)
    table = _frame(at, "adm_api_table")
    assert table[table["Id"] == row["Id"]]["Revoked"].tolist() == ["yes"]
    with stack.http(secret) as script:
        assert script.get("/api/chargers").status_code == 401


def test_self_diagnosis_tab_switches_dry_run_and_shows_who(stack: UiStack) -> None:
    at = app_as(stack, "admin", page="admin.py")
    with stack.http() as admin:
        before = admin.get("/api/diagnosis/policy").json()
    try:
        assert at.toggle(key="adm_diag_dry").value == before["dry_run"]
        assert at.button(key="adm_diag_save").disabled  # nothing changed yet
        at.toggle(key="adm_diag_dry").set_value(not before["dry_run"]).run()
        at.button(key="adm_diag_save").click().run()
        word = "on" if not before["dry_run"] else "off"
        assert f"dry run {word}" in texts(at), texts(at)
        with stack.http() as admin:
            assert admin.get("/api/diagnosis/policy").json()["dry_run"] is not before["dry_run"]
        assert "Who changed it" in texts(at)
    finally:
        with stack.http() as admin:
            admin.patch("/api/diagnosis/policy", json={"dry_run": before["dry_run"]})


def test_self_diagnosis_tab_throws_the_kill_switch_and_the_audit_names_the_admin(
    stack: UiStack,
) -> None:
    at = app_as(stack, "admin", page="admin.py")
    with stack.http() as admin:
        before = admin.get("/api/diagnosis/policy").json()
    try:
        assert at.toggle(key="adm_diag_kill").value is before["kill_switch"]
        at.toggle(key="adm_diag_kill").set_value(not before["kill_switch"]).run()
        assert not at.button(key="adm_diag_save").disabled
        at.button(key="adm_diag_save").click().run()
        word = "on" if not before["kill_switch"] else "off"
        assert f"Kill switch {word}" in texts(at), texts(at)
        with stack.http() as admin:
            now = admin.get("/api/diagnosis/policy").json()
            history = admin.get("/api/diagnosis/audit", params={"limit": 5}).json()
        assert now["kill_switch"] is not before["kill_switch"]
        assert now["dry_run"] is before["dry_run"]  # the other switch untouched
        assert history[0]["actor"] == "admin"
        assert at.toggle(key="adm_diag_kill").value is now["kill_switch"]
    finally:
        with stack.http() as admin:
            admin.patch("/api/diagnosis/policy", json={"kill_switch": before["kill_switch"]})


def test_audit_tab_filters_by_who_and_action(stack: UiStack) -> None:
    at = app_as(stack, "admin", page="admin.py")
    assert len(_frame(at, "adm_aud_table")) >= 1
    at.text_input(key="adm_aud_actor").input("eddie").run()
    rows = _frame(at, "adm_aud_table")
    assert len(rows) >= 1 and set(rows["Who"]) == {"eddie (editor)"}
    at.text_input(key="adm_aud_action").input("procedure.import").run()
    assert set(_frame(at, "adm_aud_table")["Action"]) == {"procedure.import"}
    at.text_input(key="adm_aud_actor").input("nobody-at-all").run()
    assert _frame(at, "adm_aud_table").empty
