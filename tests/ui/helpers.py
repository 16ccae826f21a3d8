"""AppTest helpers: an app signed in as one of the demo users."""

from __future__ import annotations

import re

from streamlit.testing.v1 import AppTest

from app.diagnosis.remediation import SYSTEM as DIAGNOSIS
from tests.ui.conftest import MAIN, UiStack

# what a reader sees of escaped Markdown (app.ui.wording.plain): the characters, no backslashes
_MARKDOWN_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
ROLES = {"pat": "partner", "casey": "consultant", "eddie": "editor", "admin": "admin"}


def app_as(stack: UiStack, user: str | None, page: str | None = None) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=30)
    if user is not None:
        at.session_state["auth"] = {
            "token": stack.token(user),
            "name": user,
            "display_name": user,
            "role": ROLES[user],
        }
    at.run()
    if page is not None:
        at.switch_page(f"pages/{page}")
        at.run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> str:
    """Every visible text of the page, joined (for assertions)."""
    parts: list[str] = []
    for kind in (
        "title",
        "header",
        "subheader",
        "markdown",
        "caption",
        "text",
        "info",
        "warning",
        "error",
        "success",
        "metric",
        "button",
        "expander",
    ):
        for element in getattr(at, kind, []):
            for attr in ("label", "value"):
                value = getattr(element, attr, None)
                if value not in (None, ""):
                    parts.append(_MARKDOWN_ESCAPE.sub(r"\1", str(value)))
    return "\n".join(parts)


def button(at: AppTest, label_part: str):  # type: ignore[no-untyped-def]
    for b in at.button:
        if label_part in _MARKDOWN_ESCAPE.sub(r"\1", str(b.label)):
            return b
    raise AssertionError(f"no button with {label_part!r}; have {[b.label for b in at.button]}")


def charge_once(stack: UiStack, charger: str, done: int) -> None:
    """One charge on connector 1, waited for until the sessions list holds ``done`` stopped
    (the recorder stores a charge in batches: none, then one, then stopped)."""
    stack.call(lambda: stack.fleet.charger(charger).start_transaction(1))
    stack.wait_for(
        lambda: stack.http().get(f"/api/chargers/{charger}").json()["transactions"],
        f"a charge on {charger}",
    )
    stack.call(lambda: stack.fleet.charger(charger).stop_transaction(1))
    stack.wait_for(
        lambda: (
            sum(
                1
                for t in stack.http().get(f"/api/chargers/{charger}/transactions").json()
                if t["stopped_at"]
            )
            >= done
        ),
        f"{done} charges on {charger} recorded as stopped",
    )


def diagnosis_handoff(stack: UiStack, charger: str, reason: str) -> tuple[str, int]:
    """What self-diagnosis does when it hands a charger to people (app/diagnosis/remediation.py):
    a session of its own, escalated with high priority. Returns (session id, handoff id)."""
    sessions = stack.backend.state.sessions
    session_id = stack.run(sessions.create(DIAGNOSIS, charger, None, None, "[diagnosis]"))
    handoff_id = stack.run(sessions.escalate(session_id, DIAGNOSIS, None, reason, "high"))
    return session_id, handoff_id


def claim_and_close(stack: UiStack, handoff_id: int, outcome: str, resolution: str) -> None:
    """Casey claims the handoff and closes it (so later tests find the queue as they expect)."""
    with stack.http(stack.token("casey")) as casey:
        assert casey.post(f"/api/handoffs/{handoff_id}/claim").status_code == 200
        done = {"outcome": outcome, "resolution": resolution}
        assert casey.post(f"/api/handoffs/{handoff_id}/close", json=done).status_code == 200
