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
