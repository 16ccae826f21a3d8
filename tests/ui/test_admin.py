"""The admin screen: accounts with role, qualifications and sites; create one; change them."""

from __future__ import annotations

from tests.ui.conftest import UiStack
from tests.ui.helpers import app_as, button, texts


def test_admin_creates_an_account_and_grants_qualifications_and_sites(stack: UiStack) -> None:
    at = app_as(stack, "admin", page="admin.py")
    assert "Admin" in texts(at) and not at.exception, at.exception
    assert "casey" in at.dataframe[0].value["name"].tolist()
    at.text_input(key="adm_name").input("ursula")
    at.text_input(key="adm_display").input("Ursula (partner)")
    at.selectbox(key="adm_role").set_value("partner")
    at.text_input(key="adm_pw").input("ursula-pass-1")
    button(at, "Create account").click().run()
    assert "Created ursula (partner)." in texts(at), texts(at)
    at.selectbox(key="adm_person").set_value("ursula").run()
    at.multiselect(key="adm_quals_ursula").select("electrician").run()
    site = sorted({c.split("-AC")[0].split("-DC")[0] for c in stack.charger_ids})[0]
    at.text_input(key="adm_sites_ursula").input(site).run()
    at.button(key="adm_save").click().run()
    assert "Saved ursula." in texts(at), texts(at)
    with stack.http(stack.admin_token) as admin:
        users = {u["name"]: u for u in admin.get("/api/users").json()}
    assert users["ursula"]["qualifications"] == ["electrician"]
    assert users["ursula"]["site_ids"] == [site]


def test_admin_changes_a_role_takes_access_away_and_removes_an_account(stack: UiStack) -> None:
    with stack.http(stack.admin_token) as admin:
        body = {"name": "valentin", "password": "valentin-pass-1", "role": "partner"}
        assert admin.post("/api/users", json=body).status_code == 201
    stack.passwords["valentin"] = "valentin-pass-1"
    valentin = stack.token("valentin")
    at = app_as(stack, "admin", page="admin.py")
    # one's own account: no role or access controls
    at.selectbox(key="adm_acc_pick").set_value("admin").run()
    assert "This is your own account" in texts(at)
    at.selectbox(key="adm_acc_pick").set_value("valentin").run()
    assert at.button(key="adm_acc_save").disabled  # nothing changed yet
    at.selectbox(key="adm_acc_role_valentin").set_value("consultant").run()
    at.button(key="adm_acc_save").click().run()
    assert not at.exception, at.exception
    assert "valentin is now consultant and may sign in." in texts(at), texts(at)
    with stack.http(valentin) as old:  # the sign-in made as a partner ended
        assert old.get("/api/sessions").status_code == 401
    at.selectbox(key="adm_acc_pick").set_value("valentin").run()
    at.toggle(key="adm_acc_active_valentin").set_value(False).run()
    at.button(key="adm_acc_save").click().run()
    assert "valentin is now consultant and may not sign in." in texts(at), texts(at)
    with stack.http(stack.admin_token) as admin:
        users = {u["name"]: u for u in admin.get("/api/users").json()}
    assert users["valentin"]["role"] == "consultant" and users["valentin"]["active"] is False
    at.selectbox(key="adm_acc_pick").set_value("valentin").run()
    assert at.button(key="adm_acc_remove").disabled  # not before "Yes, remove"
    at.checkbox(key="adm_acc_sure_valentin").check().run()
    at.button(key="adm_acc_remove").click().run()
    assert "Removed valentin." in texts(at), texts(at)
    assert "valentin" not in at.dataframe[0].value["name"].tolist()
    with stack.http(stack.admin_token) as admin:
        assert "valentin" not in {u["name"] for u in admin.get("/api/users").json()}
        audit = admin.get("/api/audit", params={"target": "valentin"}).json()
    assert {(a["actor"], a["action"]) for a in audit} >= {
        ("admin", "user.change"),
        ("admin", "user.remove"),
    }
