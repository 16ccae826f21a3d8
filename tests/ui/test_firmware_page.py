"""The Firmware page: consultants follow campaigns and read a charger's firmware history;
admins start campaigns (bad input named by the API)."""

from __future__ import annotations

from tests.ui.conftest import UiStack
from tests.ui.helpers import app_as, button, texts


def test_consultant_reads_a_chargers_firmware_history(stack: UiStack) -> None:
    at = app_as(stack, "casey", page="firmware.py")
    shown = texts(at)
    assert "Firmware" in shown and "No firmware campaigns yet." in shown, shown
    assert "New campaign" not in shown  # admins start campaigns
    at.text_input(key="fw_charger").input(stack.charger_ids[0]).run()
    assert not at.exception, at.exception
    versions = at.dataframe[0].value
    assert "VT-WB 3.4.2" in versions["version"].tolist()


def test_consultant_checks_certificates(stack: UiStack) -> None:
    at = app_as(stack, "casey", page="firmware.py")
    assert "no TLS certificate to watch" in texts(at)
    at.text_input(key="cert_charger").input(stack.charger_ids[0]).run()
    at.button(key="cert_check").click().run()
    assert not at.exception, at.exception
    assert "reports no installed certificates" in texts(at), texts(at)
    assert not [b for b in at.button if b.key == "cert_renew"]  # renewal: admins only


def test_admin_renews_a_chargers_certificate(stack: UiStack) -> None:
    at = app_as(stack, "admin", page="firmware.py")
    at.text_input(key="cert_charger").input(stack.charger_ids[0]).run()
    at.button(key="cert_renew").click().run()
    assert not at.exception, at.exception
    assert f"{stack.charger_ids[0]} answered Accepted" in texts(at), texts(at)


def test_admin_is_told_what_is_wrong_with_a_campaign(stack: UiStack) -> None:
    at = app_as(stack, "admin", page="firmware.py")
    at.text_input(key="fw_name").input("VT 3.5.0")
    at.text_input(key="fw_model").input("NOPE-1")
    at.text_input(key="fw_location").input("https://fw.example.com/vt-3.5.0.bin")
    button(at, "Start campaign").click().run()
    assert not at.exception, at.exception
    assert "NOPE-1" in texts(at), texts(at)
    with stack.http(stack.admin_token) as admin:
        assert admin.get("/api/firmware/campaigns").json() == []
