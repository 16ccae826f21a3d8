"""Partner pages with AppTest against the real backend and simulated chargers."""

from __future__ import annotations

from tests.ui.conftest import UiStack
from tests.ui.helpers import app_as, button, texts


def test_sign_in_with_local_account(stack: UiStack) -> None:
    at = app_as(stack, None)
    at.text_input(key="signin_user").input("pat")
    at.text_input(key="signin_password").input("wrong-password")
    at.button[0].click().run()
    assert "wrong user name or password" in texts(at)
    at.text_input(key="signin_user").input("pat")
    at.text_input(key="signin_password").input(stack.passwords["pat"])
    at.button[0].click().run()
    assert at.session_state["auth"]["role"] == "partner"
    assert "Find the charger" in texts(at)


def test_partner_follows_a_procedure_to_resolved(stack: UiStack) -> None:
    charger = stack.take_charger()
    stack.inject(charger)
    at = app_as(stack, "pat")
    assert charger in texts(at)  # listed under open faults
    button(at, charger).click().run()
    page = texts(at)
    assert "Online" in page and "InternalError" in page
    button(at, "Start troubleshooting").click().run()
    assert not at.exception, at.exception
    assert "Suggested for this state" in texts(at)
    at.button(key="sugg_firmware-hang-soft-reset").click().run()
    page = texts(at)
    assert "Soft reset" in page and "restart its software" in page, page
    button(at, "Run it now").click().run()

    def moved_on() -> bool:
        at.run()
        return "Test charge" in texts(at)

    stack.wait_for(moved_on, "the reset to finish", timeout=30)
    button(at, "Charging started").click().run()
    assert "Resolved" in texts(at)
