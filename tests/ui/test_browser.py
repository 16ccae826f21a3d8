"""End to end in Debian's chromium (Playwright) at 1024x768 with touch, against a Streamlit
server started on the test backend. Saves a screenshot of each main screen (see SHOTS).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from app.diagnosis.remediation import SYSTEM as DIAGNOSIS
from app.sessions.handoffs import HandoffService
from tests.ui.conftest import MAIN, REPO, UiStack
from tests.ui.helpers import charge_once, claim_and_close, diagnosis_handoff

pytestmark = pytest.mark.browser
CHROMIUM = Path("/usr/bin/chromium")
# Screenshots land in test-results/ (git ignores it); to refresh the README's pictures run
# `CHARGEFIX_SCREENSHOTS_DIR=docs/screenshots pytest tests/ui/test_browser.py`.
SHOTS = Path(os.environ.get("CHARGEFIX_SCREENSHOTS_DIR") or REPO / "test-results" / "screenshots")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

if not CHROMIUM.exists():
    pytest.skip("chromium not installed (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def ui_url(stack: UiStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = (tmp_path_factory.mktemp("streamlit") / "streamlit.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            MAIN,
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=REPO,
        env={**__import__("os").environ, "CHARGEFIX_API_URL": stack.api_url},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        end = time.monotonic() + 30
        while time.monotonic() < end:
            try:
                if httpx.get(f"{url}/_stcore/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        else:
            raise AssertionError("streamlit did not start")
        yield url
    finally:
        process.terminate()
        process.wait(10)
        log.close()


@pytest.fixture(scope="module")
def browser(ui_url: str) -> Iterator[object]:
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def new_page(browser, ui_url: str, viewport=(1024, 768)):  # type: ignore[no-untyped-def]
    context = browser.new_context(
        viewport={"width": viewport[0], "height": viewport[1]}, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(20000)
    page.goto(ui_url)
    return page


def sign_in(page, stack: UiStack, user: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password", exact=True).fill(stack.passwords[user])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Sign out").wait_for(state="attached")
    page.get_by_text("Signed in").or_(page.locator("h1")).first.wait_for()


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(600)  # let charts and fragments settle
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def settled(page) -> None:  # type: ignore[no-untyped-def]
    """Wait until the app's script run has finished, so the page shows its final layout."""
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for()


def open_expander(page, label: str) -> None:  # type: ignore[no-untyped-def]
    """Open the expander titled ``label`` once the run that draws it has finished.

    Clicking as soon as the title shows up raced the rest of that run (elements still
    arriving and replacing stale ones around it), and a plain text match also hit other
    text containing the words (an error's hint "... call a consultant."): the expander then
    stayed shut.
    """
    summary = page.locator('[data-testid="stExpander"] summary').filter(has_text=label)
    summary.wait_for()
    settled(page)
    summary.click()
    page.locator('[data-testid="stExpander"] details[open] summary').filter(
        has_text=label
    ).wait_for()


def keyed(page, key: str):  # type: ignore[no-untyped-def]
    return page.locator(f".st-key-{key} button").first


def code_frame(page, procedure: str = ""):  # type: ignore[no-untyped-def]
    """The procedure editor's Ace code editor (a component in its own frame), once drawn;
    with ``procedure``, the one drawn for that procedure (not the one before a switch)."""
    settled(page)
    iframe = page.locator(f'[class*="st-key-ed_code_{procedure}"] iframe').first
    iframe.wait_for()
    frame = iframe.element_handle().content_frame()
    frame.wait_for_selector(".ace_editor .ace_content")
    return frame


def code_text(page, procedure: str = "") -> str:  # type: ignore[no-untyped-def]
    return code_frame(page, procedure).evaluate(
        "document.querySelector('.ace_editor').env.editor.getValue()"
    )


def error_mark(page, line: int, procedure: str = "", timeout_s: float = 45.0):  # type: ignore[no-untyped-def]
    """The error mark in the code editor's margin at ``line`` (1-based), once it is shown.

    Ace draws margin cells only for the rows in view, and a fill leaves the view at the end of
    the text: the line is scrolled into view each time. The component's frame may be drawn
    anew by the rerun that brings the marks, so it is looked up again each time too."""
    deadline = time.monotonic() + timeout_s
    while True:
        frame = code_frame(page, procedure)
        annotated = frame.evaluate(
            "row => { const e = document.querySelector('.ace_editor').env.editor;"
            " e.scrollToLine(row, true, false, () => {}); e.renderer.updateFull(true);"
            " return e.session.getAnnotations().some(a => a.row === row && a.type === 'error'); }",
            line - 1,
        )
        mark = frame.locator(".ace_gutter-cell.ace_error", has_text=re.compile(rf"^\s*{line}\s*$"))
        if annotated and mark.count() and mark.first.is_visible():
            return mark.first
        if time.monotonic() > deadline:
            state = frame.evaluate(
                "() => { const e = document.querySelector('.ace_editor').env.editor;"
                " return {annotations: e.session.getAnnotations(), lines: e.session.getLength(),"
                " first: e.getFirstVisibleRow(), last: e.getLastVisibleRow(),"
                " cells: [...document.querySelectorAll('.ace_gutter-cell')].map("
                "c => c.className + ':' + c.innerText).slice(0, 50)}; }"
            )
            raise AssertionError(
                f"no error mark at line {line} in the code editor's margin: {state}"
            )
        page.wait_for_timeout(250)


def code_fill(page, text: str, procedure: str = "") -> None:  # type: ignore[no-untyped-def]
    """Replace the editor's text as an edit would (Ace reports it to the app after a pause)."""
    code_frame(page, procedure).evaluate(
        "t => document.querySelector('.ace_editor').env.editor.setValue(t, 1)", text
    )


def break_a_procedure(page, stack: UiStack) -> int:  # type: ignore[no-untyped-def]
    """Point the open procedure's first ``next:`` at a step that does not exist, in the code
    editor, and wait for the page to list the error; returns the broken line (1-based)."""
    with stack.http(stack.token("eddie")) as eddie:
        text = eddie.get("/api/procedures/boot-notification-pending-rejected").json()["yaml"]
    broken = text.replace("next: ", "next: no_such_step_", 1)
    code_fill(page, broken)
    page.get_by_text("error(s)").wait_for()
    return next(n for n, t in enumerate(broken.splitlines(), 1) if "no_such_step_" in t)


def test_partner_resets_a_faulted_charger_to_resolved(stack: UiStack, browser, ui_url) -> None:  # type: ignore[no-untyped-def]
    charger = stack.take_charger()
    stack.inject(charger)
    page = new_page(browser, ui_url)
    shot(page, "01-sign-in")
    sign_in(page, stack, "pat")
    page.get_by_role("button", name=charger).first.click()
    page.get_by_role("button", name="Start troubleshooting").click()
    keyed(page, "sugg_firmware-hang-soft-reset").click()
    page.get_by_text("will restart its software").wait_for()
    shot(page, "02-partner-confirm-remote-action")
    page.get_by_role("button", name="Run it now").click()
    page.get_by_role("button", name="Charging started").wait_for(timeout=40000)
    shot(page, "03-partner-step")
    page.get_by_role("button", name="Charging started").click()
    page.get_by_text("Resolved.").wait_for()
    shot(page, "04-partner-resolved")
    page.context.close()


def test_escalate_then_consultant_claims_and_closes(stack: UiStack, browser, ui_url) -> None:  # type: ignore[no-untyped-def]
    charger = stack.take_charger()
    stack.inject(charger)
    partner = new_page(browser, ui_url)
    sign_in(partner, stack, "pat")
    shot(partner, "05-partner-find-charger")
    partner.get_by_role("button", name=charger).first.click()
    partner.get_by_role("button", name="Start troubleshooting").click()
    open_expander(partner, "Call a consultant")
    partner.get_by_label("What do you need?").fill("Reset did not help, driver waiting")
    keyed(partner, "ts_escalate").click()
    partner.get_by_text("A consultant is on the way").wait_for()
    consultant = new_page(browser, ui_url)
    sign_in(consultant, stack, "casey")
    consultant.get_by_role("button", name=charger).first.click()
    consultant.get_by_role("button", name="Claim").click()
    consultant.get_by_label("Message to the partner").fill("On it: resetting now")
    consultant.get_by_role("button", name="Send").first.click()
    consultant.get_by_text("Casey (consultant): On it: resetting now").wait_for()
    shot(consultant, "06-consultant-desk")
    partner.get_by_text("On it: resetting now").wait_for(timeout=15000)
    shot(partner, "07-partner-consultant-message")
    consultant.get_by_label("Resolution").fill("Soft reset from the desk, test charge OK")
    consultant.get_by_role("button", name="Close handoff").click()
    consultant.get_by_text("closed (resolved)").wait_for()
    consultant.get_by_role("link", name="Session log").click()
    consultant.get_by_text("sessions", exact=False).first.wait_for()
    shot(consultant, "08-consultant-session-log")
    consultant.get_by_role("link", name="Fleet").click()
    consultant.get_by_text("Open faults by code").wait_for()
    shot(consultant, "09-consultant-fleet")
    partner.context.close()
    consultant.context.close()


# Records the notifications the page creates (the real API needs a notification server
# that headless chromium lacks): the desk's script runs unchanged against this recorder.
NOTIFICATION_RECORDER = """
(() => {
  const Real = window.Notification;
  window.__notes = [];
  class Recorded {
    constructor(title, options) { window.__notes.push({title, ...(options || {})}); }
    close() {}
    static get permission() { return Real ? Real.permission : 'granted'; }
    static requestPermission() {
      return Real ? Real.requestPermission() : Promise.resolve('granted');
    }
  }
  window.Notification = Recorded;
})();
"""


def test_the_browser_announces_each_new_handoff_once_and_nothing_on_first_load(
    browser, ui_url
) -> None:  # type: ignore[no-untyped-def]
    """The desk's script decides in the browser what is new: the same queue drawn by two runs
    (a fragment's and the whole page's) announces a handoff once, and a queue seen on the
    first load is not news."""
    from app.ui.notify import notification_script

    page = new_page(browser, ui_url)
    page.context.grant_permissions(["notifications"], origin=ui_url)
    page.evaluate(NOTIFICATION_RECORDER)

    def row(number: int, charger: str) -> dict[str, object]:
        return {
            "id": number,
            "status": "waiting",
            "priority": "high",
            "charger_id": charger,
            "site_id": "SITE-9",
        }

    def run(rows: list[dict[str, object]]) -> list[str]:
        page.evaluate(notification_script(rows))
        return [n["body"] for n in page.evaluate("window.__notes")]

    assert run([row(1, "OLD-1")]) == []  # first load: already waiting, not new
    assert run([row(1, "OLD-1")]) == []
    claimed = {**row(3, "TAKEN-3"), "status": "claimed"}
    assert run([row(1, "OLD-1"), row(2, "NEW-2"), claimed]) == ["NEW-2 at site SITE-9"]
    assert run([row(1, "OLD-1"), row(2, "NEW-2")]) == ["NEW-2 at site SITE-9"]  # once
    page.reload()  # the tab remembers what it was told across a reload
    page.evaluate(NOTIFICATION_RECORDER)
    assert run([row(2, "NEW-2"), row(4, "</script>")]) == ["</script> at site SITE-9"]
    page.context.close()


def test_desk_notifies_and_the_partner_sees_who_has_it_and_answers_a_question(
    stack: UiStack, browser, ui_url
) -> None:  # type: ignore[no-untyped-def]
    consultant = new_page(browser, ui_url)
    consultant.context.grant_permissions(["notifications"], origin=ui_url)
    consultant.context.add_init_script(NOTIFICATION_RECORDER)
    consultant.reload()
    sign_in(consultant, stack, "casey")
    consultant.get_by_role("tab", name="Mine").wait_for()
    settled(consultant)
    charger = stack.take_charger()
    stack.inject(charger)
    partner = new_page(browser, ui_url)
    sign_in(partner, stack, "pat")
    partner.get_by_role("button", name=charger).first.click()
    partner.get_by_role("button", name="Start troubleshooting").click()
    open_expander(partner, "Call a consultant")
    partner.get_by_label("What do you need?").fill("Cable stuck")
    keyed(partner, "ts_escalate").click()
    partner.get_by_text("Waiting for a consultant to take over.").wait_for()
    note = consultant.wait_for_function(
        f"() => (window.__notes || []).find(n => (n.body || '').includes({charger!r}))",
        timeout=45000,  # the desk looks for new handoffs every few seconds; CI is slow
    ).json_value()
    assert note["title"].startswith("New handoff") and note["tag"].startswith("chargefix-handoff-")
    consultant.get_by_role("button", name=charger).first.click()
    consultant.get_by_role("button", name="Claim").click()
    partner.get_by_text("Casey (consultant) is on it.").wait_for(timeout=15000)
    shot(partner, "17-partner-consultant-on-it")
    consultant.get_by_label("Or one next step").fill("Is the charging cable still locked?")
    consultant.get_by_label("Answers the partner can tap", exact=False).fill("Yes\nNo")
    consultant.get_by_role("button", name="Push step").click()
    partner.get_by_role("button", name="No", exact=True).click(timeout=15000)
    consultant.get_by_text("answered “Is the charging cable still locked?”: No").wait_for(
        timeout=15000
    )
    shot(consultant, "18-consultant-answer")
    partner.context.close()
    consultant.context.close()


def test_editor_breaks_a_procedure_and_sees_the_error_at_the_node(
    stack: UiStack, browser, ui_url
) -> None:  # type: ignore[no-untyped-def]
    page = new_page(browser, ui_url)
    sign_in(page, stack, "eddie")
    page.get_by_text("Valid.").wait_for()
    frame = code_frame(page)
    # a code editor: line numbers, a monospace font readable on a tablet
    font = frame.evaluate(
        "(() => { const s = getComputedStyle(document.querySelector('.ace_editor'));"
        " return [s.fontFamily, parseFloat(s.fontSize)]; })()"
    )
    assert "monospace" in font[0] and font[1] >= 14, font
    assert frame.locator(".ace_gutter-cell").count() > 10
    line = break_a_procedure(page, stack)
    # the error named with its line in the issue list, and at its node in the graph
    page.get_by_text(f"line {line}").first.wait_for()
    page.wait_for_timeout(1500)
    page.locator("svg text", has_text="no_such_step_").first.wait_for(state="attached")
    shot(page, "10-editor-error-at-node")
    page.get_by_role("link", name="Manuals & tickets").click()
    page.get_by_text("What is indexed").wait_for()
    shot(page, "11-editor-manuals-tickets")
    page.get_by_role("link", name="Search").click()
    page.get_by_label("Query").fill("cable stuck after charging")
    page.get_by_label("Query").press("Enter")
    page.wait_for_timeout(1500)
    shot(page, "12-editor-search")
    page.context.close()


def test_the_error_line_is_marked_in_the_code_editors_margin(
    stack: UiStack, browser, ui_url
) -> None:  # type: ignore[no-untyped-def]
    """The mark used to vanish in about one run in four: Ace's YAML mode ran a syntax worker
    whose answer replaced the editor's annotations with its own (none for text that parses).
    The editor runs without it, and the mark is checked again after a round trip through it."""
    page = new_page(browser, ui_url)
    sign_in(page, stack, "eddie")
    page.get_by_text("Valid.").wait_for()
    line = break_a_procedure(page, stack)
    # the component's frame may be drawn anew by the rerun that brings the marks
    mark = error_mark(page, line)
    assert mark.inner_text().strip() == str(line), (mark.inner_text(), line)
    frame = code_frame(page)
    assert (
        frame.evaluate(
            "() => document.querySelector('.ace_editor').env.editor.session.getUseWorker()"
        )
        is False
    )  # nothing in the frame can replace the marks
    frame.evaluate(  # an edit (a space at the end) would wake a worker, were there one
        "() => { const e = document.querySelector('.ace_editor').env.editor;"
        " e.session.insert({row: e.session.getLength(), column: 0}, ' '); }"
    )
    assert error_mark(page, line, timeout_s=5.0).is_visible()
    page.context.close()


def test_editor_saves_stay_on_the_edited_procedure_and_drafts_stay_drafts(
    stack: UiStack, browser, ui_url
) -> None:  # type: ignore[no-untyped-def]
    """Issue 18: the picker reset to the first procedure after "Save draft" (its label carried
    the version, and Streamlit keeps a selectbox's value as its label), so the next save
    stored the first procedure; and a shipped text saying `status: published` was published
    by "Save draft"."""
    edited, first = "ground-fault-rcd-trip", "boot-notification-pending-rejected"
    with stack.http(stack.token("eddie")) as eddie:
        before = len(eddie.get(f"/api/procedures/{first}/versions").json())
        start = len(eddie.get(f"/api/procedures/{edited}/versions").json())
    page = new_page(browser, ui_url)
    sign_in(page, stack, "eddie")
    page.get_by_text("Valid.").wait_for()
    settled(page)
    picker = page.locator(".st-key-ed_choice")
    picker.get_by_role("combobox").click()
    page.keyboard.type(edited)
    page.get_by_role("option", name=re.compile(f"^{edited}")).first.click()
    # how the procedure is used, beside it (a count of sessions, or that there were none)
    page.get_by_text("Not used in a session yet.").or_(
        page.get_by_text("Fixed the fault")
    ).first.wait_for()
    for n, title in enumerate(["Edited once", "Edited twice"], start=1):
        text = code_text(page, edited)
        assert f"id: {edited}" in text
        code_fill(page, text.replace("title: ", f"title: {title} ", 1), edited)
        page.get_by_text("Unsaved changes.").wait_for()  # the app has the edit
        settled(page)
        keyed(page, "ed_save").click()
        page.get_by_text(f"Saved {edited} v{start + n} (draft)").wait_for()
        settled(page)
        assert picker.get_by_role("combobox").input_value().startswith(edited)
    # the graph is drawn at its natural size (it was shrunk to ~6 px text at 1024 px)
    label = page.locator(".st-key-ed_graph svg text").first
    label.wait_for(state="attached")
    label.scroll_into_view_if_needed()
    height = label.bounding_box()["height"]
    assert height >= 12, f"graph text {height:.1f} px high"
    shot(page, "13-editor-saved-draft")
    with stack.http(stack.token("eddie")) as eddie:
        history = eddie.get(f"/api/procedures/{edited}/versions").json()
        assert [h["status"] for h in history[:2]] == ["draft", "draft"]
        assert history[0]["title"].startswith("Edited twice Edited once")
        assert len(eddie.get(f"/api/procedures/{first}/versions").json()) == before
        live = eddie.get(f"/api/procedures/{edited}").json()
        assert live["status"] == "published" and live["version"] == start
    # a restart (`make run` again) imports the shipped procedures: the editor's work stays
    from app.demo import import_sample_procedures

    state = stack.backend.state
    again = import_sample_procedures(state.settings, state.session_factory)
    assert edited in again["kept"], again
    page.reload()
    settled(page)
    picker = page.locator(".st-key-ed_choice")
    picker.get_by_role("combobox").click()
    page.keyboard.type(edited)
    page.get_by_role("option", name=re.compile(f"^{edited}")).first.click()
    page.get_by_text(f"v{start + 2} draft").wait_for()
    assert "Edited twice Edited once" in code_text(page, edited)
    page.context.close()


def test_adding_a_manual_indexes_it_without_a_reindex_press(
    stack: UiStack, browser, ui_url, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    manual = tmp_path / "wallbox-q.md"
    manual.write_text("# Wallbox Q\n\n## Error Q-42\n\nThe green lamp flickers: reseat J7.\n")
    page = new_page(browser, ui_url)
    sign_in(page, stack, "eddie")
    page.get_by_role("link", name="Manuals & tickets").click()
    page.get_by_text("What is indexed").wait_for()
    settled(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(manual))
    page.get_by_text("wallbox-q.md").first.wait_for()
    settled(page)
    assert page.get_by_role("button", name="Upload", exact=True).count() <= 1
    keyed(page, "kb_upload").click()
    page.get_by_text("indexing them now").wait_for()
    page.get_by_text("Indexed:").wait_for(timeout=120000)
    with stack.http(stack.token("eddie")) as eddie:
        files = [f["source"] for f in eddie.get("/api/knowledge/files").json()["files"]]
    assert "manuals/uploads/wallbox-q.md" in files, files
    # the box is emptied: the file is not offered for adding twice (the index run's own
    # list may still name it)
    assert page.locator('[data-testid="stFileUploaderFile"]').count() == 0
    page.get_by_text("Indexed:").scroll_into_view_if_needed()
    shot(page, "14-editor-manual-added-and-indexed")
    page.context.close()


def test_admin_creates_an_account(stack: UiStack, browser, ui_url) -> None:  # type: ignore[no-untyped-def]
    page = new_page(browser, ui_url)
    sign_in(page, stack, "admin")
    page.get_by_role("link", name="Admin").click()
    page.get_by_text("New account").wait_for()
    settled(page)
    page.get_by_label("User name").fill("vera")
    page.get_by_label("Shown as").fill("Vera (partner)")
    page.get_by_label("First password (8+ characters)").fill("vera-pass-123")
    page.get_by_role("button", name="Create account").click()
    page.get_by_text("Created vera (partner).").wait_for()
    shot(page, "15-admin-accounts")
    with stack.http(stack.admin_token) as admin:
        assert "vera" in [u["name"] for u in admin.get("/api/users").json()]
    page.context.close()


def test_portrait_tablet_layout(stack: UiStack, browser, ui_url) -> None:  # type: ignore[no-untyped-def]
    page = new_page(browser, ui_url, viewport=(768, 1024))
    sign_in(page, stack, "pat")
    page.get_by_text("Chargers with open faults").wait_for()
    buttons = page.locator(".stButton button")
    for i in range(min(buttons.count(), 6)):
        box = buttons.nth(i).bounding_box()
        if box:
            assert box["height"] >= 48, f"button {i} is {box['height']} px high"
    shot(page, "13-partner-portrait")
    page.context.close()


# --------------------------------------------------------------------------- the partner flow
TAPS: dict[str, list[float]] = {}
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00"
    b"\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe"
    b"\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82"
)
CUT_OFF = """() => {
  const cut = [];
  for (const b of document.querySelectorAll('button')) {
    if (!b.offsetParent || !b.innerText.trim()) continue;
    const box = b.getBoundingClientRect();
    if (box.right <= 0 || box.left >= window.innerWidth) continue;  // a closed sidebar
    for (const e of [b, ...b.querySelectorAll('*')]) {
      if (e.closest('[data-testid="stIconMaterial"]')) continue;  // icon ligatures
      const r = e.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;  // empty spacers
      if (e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'visible'
          || r.right > box.right + 1 || r.left < box.left - 1) {
        cut.push(b.innerText.trim() + ' [' + e.tagName + '.' + e.className + ' '
                 + e.scrollWidth + '>' + e.clientWidth + ']');
        break;
      }
    }
  }
  return cut;
}"""


def no_label_cut_off(page, where: str) -> None:  # type: ignore[no-untyped-def]
    settled(page)
    cut = page.evaluate(CUT_OFF)
    assert not cut, f"{where}: button labels cut off: {cut}"


def tap(page, button, then, name: str) -> float:  # type: ignore[no-untyped-def]
    """Tap ``button`` and time it until ``then`` (the next step's mark) is visible."""
    start = time.monotonic()
    button.click()
    then.wait_for()
    took = time.monotonic() - start
    TAPS.setdefault(name, []).append(took)
    return took


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def heading(page, text: str):  # type: ignore[no-untyped-def]
    return page.get_by_role("heading", name=text).first


@pytest.mark.parametrize("viewport", [(1024, 768), (768, 1024)], ids=["landscape", "portrait"])
def test_partner_flow_keeps_their_work(stack: UiStack, browser, ui_url, viewport, tmp_path) -> None:  # type: ignore[no-untyped-def]
    tag = "landscape" if viewport[0] > viewport[1] else "portrait"
    TAPS.clear()
    first, second = stack.take_charger(), stack.take_charger()
    stack.inject(first)
    stack.inject(second)
    page = new_page(browser, ui_url, viewport)
    sign_in(page, stack, "pat")
    no_label_cut_off(page, "finder")

    # 1. the symptom goes with its charger; a photo reaches the consultant at once
    page.get_by_role("button", name=first).first.click()
    symptom = page.get_by_label("In your own words (optional)")
    symptom.fill("red light, car does not charge")
    symptom.press("Enter")
    settled(page)
    took = tap(
        page,
        page.get_by_role("button", name="Start troubleshooting"),
        page.get_by_text("Suggested for this state"),
        "first suggestion",
    )
    open_expander(page, "Note or photo")
    photo = tmp_path / "cable.png"
    photo.write_bytes(PNG)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(photo))
    page.get_by_text("Photo added to the session log").wait_for()
    open_expander(page, "Call a consultant")
    page.get_by_label("What do you need?").fill("plug looks burnt")
    keyed(page, "ts_escalate").click()
    page.get_by_text("A consultant is on the way").wait_for()
    with stack.http() as admin:
        sessions = admin.get("/api/sessions", params={"charger_id": first}).json()
        view = admin.get(f"/api/sessions/{sessions[0]['id']}").json()
        handoff = admin.get(f"/api/handoffs/{view['handoff']['id']}").json()
    assert view["symptom"] == "red light, car does not charge"
    assert [s["kind"] for s in view["steps"]].count("photo") == 1
    assert len(handoff["summary"]["photos"]) == 1, handoff["summary"]
    page.get_by_role("button", name="Other charger").click()

    # 2. a new charger opens with an empty symptom box
    page.get_by_role("button", name=second).first.click()
    box = page.get_by_label("In your own words (optional)")
    box.wait_for()
    assert box.input_value() == ""
    tap(
        page,
        page.get_by_role("button", name="Start troubleshooting"),
        page.get_by_text("Suggested for this state"),
        "first suggestion",
    )
    no_label_cut_off(page, "suggestions")
    tap(
        page,
        keyed(page, "sugg_firmware-hang-soft-reset"),
        page.get_by_text("Step 1 of"),
        "choose procedure",
    )
    page.get_by_text("Step 1 of").scroll_into_view_if_needed()
    shot(page, f"14-partner-step-of-about-{tag}")

    # 3. a reload keeps the person signed in (and the job where it was)
    page.wait_for_function("document.cookie.includes('chargefix_resume=')")
    page.reload()
    page.get_by_role("button", name="Sign out").wait_for(state="attached")
    page.get_by_role("button", name=second).first.click()
    page.get_by_text("Step 1 of").wait_for()

    # 4. answers, an undo, timed from tap to the next step
    for _ in range(2):
        tap(page, keyed(page, "ts_skip"), page.get_by_text("Step 2 of"), "answer")
        tap(
            page,
            page.get_by_role("button", name="Back: take back my last answer"),
            page.get_by_text("Step 1 of"),
            "undo",
        )
    page.get_by_text("taken back").first.wait_for()
    tap(page, keyed(page, "ts_skip"), heading(page, "Hard reset"), "answer")
    tap(page, keyed(page, "ts_skip"), heading(page, "Power cycle on site"), "answer")
    settled(page)
    done = (
        page.locator(".stButton button")
        .filter(has_text="Done")
        .or_(page.locator(".stButton button").filter(has_text="Power"))
    )
    # the firmware hang is still open, so the procedure ends in a site visit (plain words)
    tap(page, done.first, page.get_by_text("Site visit needed").first, "answer")
    no_label_cut_off(page, "finished")
    shot(page, f"15-partner-finished-{tag}")

    # 5. offline: a banner says so
    page.context.set_offline(True)
    page.locator("#cfx-offline").wait_for(state="visible")
    shot(page, f"16-partner-offline-{tag}")
    page.context.set_offline(False)
    page.locator("#cfx-offline").wait_for(state="hidden")

    # 6. finished: the report for the site owner
    page.get_by_role("button", name="Prepare the report for the site owner").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the report (PDF)").click()
    SHOTS.mkdir(parents=True, exist_ok=True)
    (REPO / "test-results").mkdir(exist_ok=True)
    pdf = REPO / "test-results" / f"report-{tag}.pdf"
    download.value.save_as(str(pdf))
    assert pdf.read_bytes().startswith(b"%PDF")
    shot(page, f"17-partner-report-{tag}")
    page.context.close()

    answers = TAPS["answer"] + TAPS["undo"]
    (REPO / "test-results").mkdir(exist_ok=True)
    with open(REPO / "test-results" / "tap-latency.txt", "a", encoding="utf-8") as out:
        line = (
            f"{tag}: tap to next step p95 {p95(answers):.2f} s (max {max(answers):.2f} s, "
            f"n={len(answers)}); first suggestion {took:.2f} s "
            f"(all: {', '.join(f'{t:.2f}' for t in TAPS['first suggestion'])})"
        )
        out.write(line + "\n")
    print("\n" + line)
    assert p95(answers) < 2.5, line  # target 1 s; the bound only catches regressions


# --------------------------------------------------------------------------- safety in the app
HAZARD = """
id: test-open-the-charger
title: Open the charger and look inside
status: published
safety_level: electrical
qualifications: [electrician]
applies_to:
  vendor_error_codes: [E-201]
  error_codes: [InternalError]
  fault_keys: [firmware_hang]
  connector_statuses: [Faulted, Available, Unavailable]
start: ask
nodes:
  - id: ask
    type: question
    kind: yes_no
    title: Is the display dark?
    on_yes: lockout
    on_no: done
  - id: lockout
    type: instruction
    title: Lock off the supply
    text: HAZARD-STEP-TEXT isolate the supply, lock it off and prove dead.
    safety_level: electrical
    qualifications: [electrician]
    next: done
  - id: done
    type: terminal
    title: Done
    outcome: resolved
"""
BUSY_RESET = """
id: test-restart-while-charging
title: Restart the charger (test)
status: published
applies_to:
  connector_statuses: [Charging, Preparing, SuspendedEV, SuspendedEVSE, Occupied]
  symptoms: [screen flickers while charging]
start: reset
nodes:
  - id: reset
    type: remote_action
    title: Restart the charger
    command: reset
    params: {type: soft}
    confirmation: The charger restarts.
    timeout_seconds: 90
    idle_timeout_seconds: 300
    on_success: done
    on_failure: done
  - id: done
    type: terminal
    title: Restarted
    outcome: resolved
"""


def _publish(stack: UiStack, text: str) -> None:
    """Published once per stack; a hazardous one is approved by a second editor first."""
    with stack.http(stack.token("eddie")) as eddie, stack.http() as reviewer:
        procedure_id = text.split("id: ", 1)[1].split("\n", 1)[0].strip()
        if eddie.get(f"/api/procedures/{procedure_id}").status_code == 200:
            return
        draft = eddie.post("/api/procedures", json={"yaml": text})
        assert draft.status_code == 201, draft.text
        where = f"/api/procedures/{procedure_id}"
        version = {"version": draft.json()["version"]}
        if "qualifications" in text:
            approved = reviewer.post(f"{where}/approve", params=version)
            assert approved.status_code == 200, approved.text
        r = eddie.post(f"{where}/publish", params=version)
        assert r.status_code == 200, r.text


@pytest.mark.parametrize("viewport", [(1024, 768), (768, 1024)])
def test_an_unqualified_partner_never_sees_a_hazardous_step(
    stack: UiStack, browser, ui_url, viewport
) -> None:  # type: ignore[no-untyped-def]
    _publish(stack, HAZARD)
    for user, qualified in (("pat", False), ("elena", True)):
        charger = stack.take_charger()
        stack.inject(charger)
        page = new_page(browser, ui_url, viewport)
        sign_in(page, stack, user)
        page.get_by_role("button", name=charger).first.click()
        page.get_by_role("button", name="Start troubleshooting").click()
        keyed(page, "sugg_test-open-the-charger").click()
        keyed(page, "ts_opt_ask_yes").click()
        if qualified:
            ack = page.get_by_role("button", name="I have isolated and proven dead")
            ack.wait_for()
            page.get_by_text("Danger").first.wait_for()
            shot(page, f"20-qualified-hazard-{viewport[0]}")
            ack.click()
            page.get_by_text("HAZARD-STEP-TEXT").first.wait_for()
        else:
            page.get_by_text("consultant", exact=False).first.wait_for()
            settled(page)
            assert page.get_by_text("HAZARD-STEP-TEXT").count() == 0
            assert page.get_by_text("Lock off the supply").count() == 0
            shot(page, f"21-unqualified-handed-over-{viewport[0]}")
        page.context.close()


def charging(stack: UiStack, charger: str) -> str:
    """Start a driver's charge on connector 1 and wait until the backend knows it."""
    stack.call(lambda: stack.fleet.charger(charger).start_transaction(1))
    stack.wait_for(
        lambda: stack.http().get(f"/api/chargers/{charger}").json()["transactions"],
        f"a charge on {charger}",
    )
    return charger


def partner_picks(browser, ui_url: str, stack: UiStack, charger: str, symptom: str):  # type: ignore[no-untyped-def]
    """Pat finds the charger, says what is wrong and starts troubleshooting (the suggestions
    are on the page)."""
    page = new_page(browser, ui_url)
    sign_in(page, stack, "pat")
    find = page.get_by_label("Charger id or site")
    find.fill(charger)
    find.press("Enter")
    page.get_by_role("button", name=charger).first.click()
    page.get_by_label("In your own words (optional)").fill(symptom)
    page.get_by_role("button", name="Start troubleshooting").click()
    return page


def test_a_reset_step_during_a_charge_waits_and_says_why(stack: UiStack, browser, ui_url) -> None:  # type: ignore[no-untyped-def]
    _publish(stack, BUSY_RESET)
    charger = charging(stack, stack.take_charger())
    page = partner_picks(browser, ui_url, stack, charger, "screen flickers while charging")
    keyed(page, "sugg_test-restart-while-charging").click()
    keyed(page, "ts_run").click()
    page.get_by_text("connector 1 is charging", exact=False).first.wait_for()
    shot(page, "22-reset-waits-for-the-charge")
    with stack.http() as admin:
        sent = admin.get(f"/api/chargers/{charger}/commands").json()
    assert not [c for c in sent if c["command"] == "reset"]  # nothing sent yet
    stack.call(lambda: stack.fleet.charger(charger).stop_transaction(1))

    def reset_sent() -> list:
        with stack.http() as admin:
            sent = admin.get(f"/api/chargers/{charger}/commands").json()
        return [c["outcome"] for c in sent if c["command"] == "reset"]

    assert stack.wait_for(reset_sent, "the reset once the charge ended", 60) == ["answered"]
    page.get_by_text("Resolved", exact=False).first.wait_for(timeout=90000)
    page.context.close()


def test_a_partner_restarts_the_payment_terminal_alone_while_a_driver_charges(  # type: ignore[no-untyped-def]
    stack: UiStack, browser, ui_url
) -> None:
    """An HX-150 on 2.0.1, a charge running: the payment terminal procedure asks no model
    and no wait, shows that only the terminal restarts, and the gateway sends the vendor's
    key (HelionCtrlr.HX_TerminalRestart) from the fault-code catalogue; the charge goes on."""
    charger = charging(stack, stack.take_charger("2.0.1"))
    page = partner_picks(browser, ui_url, stack, charger, "payment terminal offline")
    keyed(page, "sugg_payment-terminal-failure").click()
    keyed(page, "ts_opt_ask_display_offline").click()
    page.get_by_text("Only the payment terminal will restart; charging goes on").wait_for()
    shot(page, "23-partner-terminal-restart")
    keyed(page, "ts_run").click()
    keyed(page, "ts_opt_ask_pay_yes").click(timeout=60000)
    page.get_by_text("Resolved", exact=False).first.wait_for()
    with stack.http() as admin:
        sent = admin.get(f"/api/chargers/{charger}/commands").json()
        live = admin.get(f"/api/chargers/{charger}").json()
    assert [(c["command"], c["outcome"]) for c in sent if c["origin"] == "session"] == [
        ("restart_peripheral", "answered")
    ]
    restart = next(c for c in sent if c["command"] == "restart_peripheral")
    assert restart["params"] == {"fault": "payment_terminal_failure"}
    assert "HX_TerminalRestart" in str(restart["response"])  # the SetVariables result names it
    assert live["transactions"], "the driver's charge went on"
    page.context.close()


def test_the_desk_shows_a_handed_off_charger_that_is_healthy_again(  # type: ignore[no-untyped-def]
    stack: UiStack, browser, ui_url
) -> None:
    """Self-diagnosis handed a charger to a site visit and saw it healthy again: the queue
    line and the handoff say so at 1024x768, so nobody drives out without checking."""
    charger = stack.take_charger()
    _, handoff_id = diagnosis_handoff(stack, charger, "Site visit: ground fault on connector 1")
    since = datetime.now(UTC)
    hand = HandoffService(stack.backend.state.sessions)
    stack.run(hand.charger_recovered(charger, since, DIAGNOSIS, 300))
    desk = new_page(browser, ui_url)
    sign_in(desk, stack, "casey")
    entry = desk.get_by_role("button", name=f"{charger} · healthy again {since:%H:%M} UTC")
    entry.first.click()
    desk.get_by_text("a visit may not be needed. Check before anyone drives out").wait_for()
    shot(desk, "24-desk-healthy-again")
    claim_and_close(stack, handoff_id, "not_reproducible", "back by itself")
    desk.context.close()


def test_clicking_a_graph_node_jumps_to_it_in_the_editor(stack: UiStack, browser, ui_url) -> None:  # type: ignore[no-untyped-def]
    procedure = "dead-screen-display"
    page = new_page(browser, ui_url)
    sign_in(page, stack, "eddie")
    page.get_by_text("Valid.").wait_for()
    settled(page)
    page.locator(".st-key-ed_choice").get_by_role("combobox").click()
    page.keyboard.type(procedure)
    page.get_by_role("option", name=re.compile(f"^{procedure}")).first.click()
    page.locator(".st-key-ed_graph g.node").first.wait_for()
    settled(page)
    with stack.http(stack.token("eddie")) as eddie:
        text = eddie.get(f"/api/procedures/{procedure}").json()["yaml"]
    last = [line.split("id:")[1].strip() for line in text.splitlines() if "- id:" in line][-1]
    node = page.locator(".st-key-ed_graph g.node", has=page.locator(f'title:text-is("{last}")'))
    node.first.scroll_into_view_if_needed()
    node.first.locator("polygon, ellipse, path").first.click(force=True)
    page.get_by_text(f"Node {last}: lines").wait_for()
    settled(page)
    # the clicked node's own lines, numbered, with a box to edit just that node
    assert f"id: {last}" in page.locator("code").filter(has_text=f"id: {last}").first.inner_text()
    page.get_by_role("button", name="Put the node back into the YAML").wait_for()
    combo = page.locator(f".st-key-ed_jump_{procedure}").get_by_role("combobox")
    assert last in (
        combo.input_value() or page.locator(f".st-key-ed_jump_{procedure}").inner_text()
    )
    label = page.locator(".st-key-ed_graph svg text").first
    assert label.bounding_box()["height"] >= 12  # readable at tablet size
    shot(page, "30-editor-graph-node-jump")
    page.context.close()


def test_fleet_drills_down_to_a_charger(stack: UiStack, browser, ui_url) -> None:  # type: ignore[no-untyped-def]
    charger = stack.take_charger()
    charge_once(stack, charger, 1)
    page = new_page(browser, ui_url)
    sign_in(page, stack, "casey")
    page.get_by_role("link", name="Fleet").click()
    page.get_by_text("Open faults by code").wait_for()
    settled(page)
    page.locator(".st-key-fleet_open").get_by_role("combobox").click()
    page.keyboard.type(charger)
    page.get_by_role("option", name=charger).first.click()
    page.get_by_text(f"Charger {charger}").wait_for()
    page.get_by_text("messages, newest first").wait_for()
    settled(page)
    grid = page.locator('[data-testid="stDataFrame"]').filter(has_text="Sent by").first
    grid.scroll_into_view_if_needed()
    shot(page, "31-fleet-charger-message-log")
    page.get_by_role("tab", name="Settings").click()
    keyed(page, f"fd_{charger}_cfg_read").click()
    page.get_by_text("Settings read from the charger.").wait_for()
    settled(page)
    shot(page, "32-fleet-charger-settings")
    page.get_by_role("tab", name="Charging sessions").click()
    page.get_by_text("1 session, newest first").wait_for()  # one charge: singular
    settled(page)
    shot(page, "33-fleet-charger-sessions")
    page.get_by_role("tab", name="Inventory").click()  # a 1.6 charger: no device model
    page.get_by_text("which has no inventory report").wait_for()
    page.get_by_role("tab", name="Diagnoses").click()
    settled(page)
    page.get_by_role("tab", name="Log uploads").click()
    page.get_by_text("No log requested from this charger yet.").wait_for()
    page.context.close()


def test_session_log_fits_1024_without_sideways_scrolling(stack: UiStack, browser, ui_url) -> None:  # type: ignore[no-untyped-def]
    charger = stack.take_charger()
    with stack.http(stack.token("pat")) as pat:
        r = pat.post("/api/sessions", json={"charger_id": charger, "symptom": "log width"})
        assert r.status_code == 201, r.text
    page = new_page(browser, ui_url)
    sign_in(page, stack, "casey")
    page.get_by_role("link", name="Session log").click()
    page.get_by_text("sessions", exact=False).first.wait_for()
    settled(page)
    table = page.locator('[data-testid="stDataFrame"]').first
    table.wait_for()
    page.wait_for_timeout(500)
    scroller = table.locator(".dvn-scroller").first
    wide, shown = scroller.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert wide <= shown + 1, f"the session table scrolls sideways: {wide} > {shown} px"
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024
    shot(page, "33-session-log-1024")
    page.locator(".st-key-log_open").get_by_role("combobox").click()
    page.keyboard.type(charger)  # the list shows the first options only: filter by typing
    page.get_by_role("option").filter(has_text=charger).first.click()
    page.get_by_text("Summary").wait_for()
    settled(page)
    timeline = page.locator('[data-testid="stDataFrame"]').nth(1)
    timeline.scroll_into_view_if_needed()
    wide, shown = timeline.locator(".dvn-scroller").first.evaluate(
        "e => [e.scrollWidth, e.clientWidth]"
    )
    assert wide <= shown + 1, f"the timeline scrolls sideways: {wide} > {shown} px"
    shot(page, "34-session-log-entry")
    page.context.close()


def test_admin_tabs_register_a_charger_and_read_the_audit(stack: UiStack, browser, ui_url) -> None:  # type: ignore[no-untyped-def]
    page = new_page(browser, ui_url)
    sign_in(page, stack, "admin")
    page.get_by_role("link", name="Admin").click()
    page.get_by_text("New account").wait_for()
    settled(page)
    page.get_by_role("tab", name="Sites").click()
    settled(page)
    shot(page, "35-admin-sites")
    page.get_by_role("tab", name="Chargers").click()
    page.get_by_label("Charger id (e.g. SITE-014-AC-03)").fill("SITE-002-AC-88")
    page.get_by_role("button", name="Register").click()
    page.get_by_text("Registered SITE-002-AC-88.").wait_for()
    page.get_by_text("shown once").wait_for()
    settled(page)
    shot(page, "36-admin-charger-registered")
    page.get_by_role("tab", name="Self-diagnosis").click()
    page.get_by_text("Kill switch").first.wait_for()
    settled(page)
    shot(page, "37-admin-self-diagnosis")
    page.get_by_role("tab", name="Driver cards").click()
    page.get_by_label("Card id (RFID UID or key code)").fill("04A1B2C3D4")
    page.get_by_role("button", name="Save the card").click()
    settled(page)
    page.get_by_role("tab", name="API tokens").click()
    page.get_by_label("What it is for (e.g. grafana export)").fill("nightly export")
    page.get_by_role("button", name="Make the token").click()
    page.get_by_text("shown once").first.wait_for()
    settled(page)
    shot(page, "37b-admin-api-token")
    page.get_by_role("tab", name="Audit").click()
    page.get_by_label("Who (account name)").fill("eddie")
    page.get_by_label("Who (account name)").press("Enter")
    page.get_by_text("entries, newest first").wait_for()
    page.wait_for_timeout(500)  # the rerun the filter started
    settled(page)
    shot(page, "38-admin-audit")
    with stack.http() as admin:
        assert admin.get("/api/chargers/SITE-002-AC-88").status_code == 200
        cards = [c["id_token"] for c in admin.get("/api/id-tokens").json()]
        assert "04A1B2C3D4" in cards
        made = [t["name"] for t in admin.get("/api/api-tokens").json()]
        assert "nightly export" in made
    page.context.close()


def test_editor_edits_a_fault_code_table_saves_a_draft_and_publishes(
    stack: UiStack, browser, ui_url
) -> None:  # type: ignore[no-untyped-def]
    """Issue 18: the fault-code tables follow the editor's rules: the picked table stays picked
    after "Save draft", a draft stays a draft, and "Publish" is its own button."""
    vendor, code = "Northwind Charging", "NW-ZZ-998"
    with stack.http(stack.token("eddie")) as eddie:
        start = len(eddie.get(f"/api/fault-codes/vendors/{vendor}").json()["versions"])
    page = new_page(browser, ui_url)
    sign_in(page, stack, "eddie")
    page.get_by_role("link", name="Fault codes").click()
    page.get_by_role("heading", name="Fault-code tables").wait_for()
    settled(page)
    picker = page.locator(".st-key-ft_choice")
    picker.get_by_role("combobox").click()
    page.keyboard.type(vendor)
    page.get_by_role("option", name=vendor).first.click()
    page.get_by_text(f"Valid: a table for {vendor}").wait_for()
    text = code_text(page, "ft_")
    assert f"vendor: {vendor}" in text
    broken = text.rstrip("\n") + f"\n  - code: {code}\n    fault: no_such_fault\n"
    line = next(n for n, t in enumerate(broken.splitlines(), 1) if code in t)
    code_fill(page, broken, "ft_")
    page.get_by_text("error(s)").first.wait_for()
    frame = code_frame(page, "ft_")
    # the new entry is at the end, below the editor's fold: Ace draws only the lines in view
    frame.evaluate(
        "n => document.querySelector('.ace_editor').env.editor.scrollToLine(n, true, false)", line
    )
    mark = frame.locator(".ace_gutter-cell.ace_error").first
    mark.wait_for()
    assert mark.inner_text().strip() == str(line), (mark.inner_text(), line)
    assert keyed(page, "ft_publish").is_disabled()
    code_fill(page, broken.replace("no_such_fault", "firmware_hang"), "ft_")
    page.get_by_text(f"Valid: a table for {vendor}").wait_for()
    page.get_by_text("Unsaved changes.").wait_for()
    settled(page)
    keyed(page, "ft_save").click()
    page.get_by_text(f"Saved {vendor} v{start + 1} (draft).").wait_for()
    settled(page)
    assert picker.get_by_role("combobox").input_value() == vendor
    assert code in code_text(page, "ft_")
    open_expander(page, "History")
    shot(page, "40-editor-fault-table-draft")
    with stack.http(stack.token("eddie")) as eddie:
        versions = eddie.get(f"/api/fault-codes/vendors/{vendor}").json()["versions"]
        assert versions[0]["status"] == "draft" and versions[0]["created_by"] == "eddie"
    keyed(page, "ft_publish").click()
    page.get_by_text(f"Published {vendor} v{start + 1}.").wait_for()
    settled(page)
    assert picker.get_by_role("combobox").input_value() == vendor
    shot(page, "41-editor-fault-table-published")
    with stack.http(stack.token("eddie")) as eddie:
        found = eddie.get(
            "/api/fault-codes/classify", params={"vendor": vendor, "vendor_error_code": code}
        ).json()
        assert found["fault_key"] == "firmware_hang", found
    page.context.close()
