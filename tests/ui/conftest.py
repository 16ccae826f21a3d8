"""A real backend + simulated fleet in a background thread (own event loop) for the UI tests.

AppTest and Playwright are synchronous, so the backend runs in a thread; tests reach the fleet
(fault injection) through :meth:`UiStack.run`, which runs a coroutine on the backend's loop.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from app.authorization.store import TokenChange
from app.backend import Backend
from app.security.users import add_user, set_qualifications
from app.simulator.config import DEFAULT_ID_TAG, ChargerPlan, FleetConfig
from app.simulator.fleet import Fleet
from app.simulator.models import model_by_key
from tests.conftest import make_settings

T = TypeVar("T")
PASSWORD = "ui-test-charger-password-0123"
REPO = Path(__file__).resolve().parents[2]
MAIN = str(REPO / "app" / "ui" / "main.py")
# one 1.6 and one 2.0.1 charger per test that needs a fresh fault
FLEET = [
    ("voltara_wb22", "1.6", 1, 1),
    ("voltara_wb22", "1.6", 1, 2),
    ("voltara_wb22", "1.6", 1, 3),
    ("voltara_wb22", "1.6", 2, 1),
    ("voltara_wb22", "1.6", 2, 2),
    ("voltara_wb22", "1.6", 3, 1),
    ("voltara_wb22", "1.6", 3, 2),
    ("voltara_wb22", "1.6", 4, 1),
    ("voltara_wb22", "1.6", 4, 2),
    ("voltara_wb22", "1.6", 4, 3),
    ("voltara_wb22", "1.6", 5, 1),
    ("voltara_wb22", "1.6", 5, 2),
    ("voltara_wb22", "1.6", 6, 1),
    ("voltara_wb22", "1.6", 6, 2),
    ("voltara_wb22", "1.6", 7, 1),
    ("voltara_wb22", "1.6", 7, 2),
    ("voltara_wb22", "1.6", 8, 1),
    ("voltara_wb22", "1.6", 8, 2),
    ("voltara_wb22", "1.6", 9, 1),
    ("voltara_wb22", "1.6", 9, 2),
    ("voltara_wb22", "1.6", 10, 1),
    ("voltara_wb22", "1.6", 10, 2),
    ("voltara_wb22", "1.6", 11, 1),
    ("voltara_wb22", "1.6", 11, 2),
    ("voltara_wb22", "1.6", 12, 1),
    ("voltara_wb22", "1.6", 12, 2),
    ("helion_hx150", "2.0.1", 13, 1),  # take_charger("2.0.1")
    ("helion_hx150", "2.0.1", 13, 2),
    ("helion_hx150", "2.0.1", 13, 3),
    ("voltara_wb22", "1.6", 14, 1),
    ("voltara_wb22", "1.6", 14, 2),
    ("voltara_wb22", "1.6", 15, 1),
    ("voltara_wb22", "1.6", 15, 2),
    ("voltara_wb22", "1.6", 16, 1),
    ("voltara_wb22", "1.6", 16, 2),
    ("voltara_wb22", "1.6", 17, 1),
    ("voltara_wb22", "1.6", 17, 2),
    ("voltara_wb22", "1.6", 18, 1),
    ("voltara_wb22", "1.6", 18, 2),
    ("voltara_wb22", "1.6", 19, 1),
    ("voltara_wb22", "1.6", 19, 2),
    ("voltara_wb22", "1.6", 20, 1),
    ("voltara_wb22", "1.6", 20, 2),
    ("voltara_wb22", "1.6", 21, 1),
    ("voltara_wb22", "1.6", 21, 2),
    ("voltara_wb22", "1.6", 22, 1),
    ("voltara_wb22", "1.6", 22, 2),
    ("voltara_wb22", "1.6", 23, 1),
    ("voltara_wb22", "1.6", 23, 2),
    ("voltara_wb22", "1.6", 24, 1),
    ("voltara_wb22", "1.6", 24, 2),
]


def _plans() -> list[ChargerPlan]:
    plans = []
    for key, version, site, n in FLEET:
        model = model_by_key(key)
        charger_id = f"SITE-{site:03d}-{model.id_kind}-{n:02d}"
        plans.append(ChargerPlan(charger_id, model, version, f"SITE-{site:03d}", n))
    return plans


@dataclass
class UiStack:
    api_url: str
    loop: asyncio.AbstractEventLoop
    backend: Backend
    fleet: Fleet
    passwords: dict[str, str]
    admin_token: str
    charger_ids: list[str] = field(default_factory=list)
    _free: list[str] = field(default_factory=list)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def call(self, fn: Callable[[], T]) -> T:
        async def wrapper() -> T:
            return fn()

        return self.run(wrapper())

    def http(self, token: str | None = None) -> httpx.Client:
        return httpx.Client(
            base_url=self.api_url,
            headers={"Authorization": f"Bearer {token or self.admin_token}"},
            timeout=30,
        )

    def token(self, user: str) -> str:
        with httpx.Client(base_url=self.api_url) as client:
            r = client.post(
                "/api/auth/login", json={"username": user, "password": self.passwords[user]}
            )
            r.raise_for_status()
            return r.json()["token"]

    def take_charger(self, version: str = "1.6") -> str:
        """A charger of this OCPP version no other test has used (add one to FLEET when they
        run out)."""
        for charger_id in self._free:
            if self.fleet.charger(charger_id).ocpp_version == version:
                self._free.remove(charger_id)
                return charger_id
        raise AssertionError(f"every {version} test charger is taken: add one to FLEET")

    def inject(self, charger_id: str, fault: str = "firmware_hang") -> None:
        self.call(lambda: self.fleet.charger(charger_id).inject_now(fault))
        self.wait_for(
            lambda: self.http().get(f"/api/chargers/{charger_id}").json()["open_faults"],
            f"fault on {charger_id}",
        )

    def wait_for(self, check: Callable[[], Any], what: str, timeout: float = 15) -> Any:
        import time

        end = time.monotonic() + timeout
        while time.monotonic() < end:
            value = check()
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}")


def small_kb(root: Path) -> Path:
    """The sample procedures, one manual and 40 tickets: quick to index in a test."""
    source = REPO / "knowledge_base"
    shutil.copytree(source / "procedures", root / "procedures")
    shutil.copytree(source / "fault_codes", root / "fault_codes")  # the backend needs it
    (root / "manuals").mkdir(parents=True)
    shutil.copy(source / "manuals" / "voltara-wb-22.md", root / "manuals")
    (root / "tickets").mkdir()
    lines = (source / "tickets" / "tickets.csv").read_text(encoding="utf-8").splitlines()
    (root / "tickets" / "tickets.csv").write_text("\n".join(lines[:41]) + "\n", encoding="utf-8")
    return root


def _serve(ready: threading.Event, box: dict[str, Any], stop: threading.Event, tmp: Path) -> None:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    box["loop"] = loop

    async def main() -> None:
        settings = make_settings(tmp, knowledge_base_dir=small_kb(tmp / "kb"))
        backend = Backend(settings)
        state = await backend.start()
        plans = _plans()
        for plan in plans:
            await state.csms.register(plan.charger_id, PASSWORD, site_id=plan.site)
        config = FleetConfig(
            outcomes="ideal",  # these tests assume deterministic outcomes
            csms_url=backend.ocpp_url,
            chargers=0,
            speed=20.0,
            shared_password=PASSWORD,
            ground_truth_path=tmp / "truth.jsonl",
        )
        fleet = Fleet(config, plans=plans)
        await fleet.start()
        await fleet.wait_online(timeout=20)
        box["backend"], box["fleet"], box["state"] = backend, fleet, state
        box["ids"] = [p.charger_id for p in plans]
        ready.set()
        while not stop.is_set():
            await asyncio.sleep(0.1)
        await fleet.stop()
        await backend.stop()

    try:
        loop.run_until_complete(main())
    except BaseException as error:  # reported to the fixture
        box["error"] = error
        ready.set()
    finally:
        loop.close()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiStack]:
    tmp = tmp_path_factory.mktemp("ui")
    ready, stop, box = threading.Event(), threading.Event(), {}
    thread = threading.Thread(target=_serve, args=(ready, box, stop, tmp), daemon=True)
    thread.start()
    assert ready.wait(60), "backend did not start"
    if "error" in box:
        raise box["error"]
    backend: Backend = box["backend"]
    state = box["state"]
    from app.security.tokens import create_token

    admin_token = create_token(state.session_factory, name="ui-test-admin", role="admin")
    passwords = make_test_users(state.session_factory)
    state.tokens.save(TokenChange(token=DEFAULT_ID_TAG), "test")  # the simulated driver's card
    # the test token a procedure's test charge starts with, registered as `make run` does
    state.tokens.save(TokenChange(token=state.settings.test_charge_id_tag), "test")
    sites = sorted({live.site_id for live in state.live.all() if live.site_id})
    for name, (role, _, _) in TEST_USERS.items():
        if role == "partner":
            state.scope.assign(name, sites, by="test")
    ui = UiStack(
        api_url=backend.api_url,
        loop=box["loop"],
        backend=backend,
        fleet=box["fleet"],
        passwords=passwords,
        admin_token=admin_token,
        charger_ids=list(box["ids"]),
        _free=list(box["ids"]),
    )
    with ui.http(ui.token("eddie")) as editor:
        r = editor.post("/api/procedures/import")
        assert r.status_code == 200, r.text
    old = os.environ.get("CHARGEFIX_API_URL")
    os.environ["CHARGEFIX_API_URL"] = ui.api_url
    try:
        yield ui
    finally:
        if old is None:
            os.environ.pop("CHARGEFIX_API_URL", None)
        else:
            os.environ["CHARGEFIX_API_URL"] = old
        stop.set()
        thread.join(30)


TEST_USERS: dict[str, tuple[str, str, str]] = {
    # name: (role, display name, password) -- for tests only
    "pat": ("partner", "Pat (service partner)", "pat-test-1234"),
    "elena": ("partner", "Elena (partner, electrician)", "elena-test-1234"),
    "casey": ("consultant", "Casey (consultant)", "casey-test-1234"),
    "eddie": ("editor", "Eddie (editor)", "eddie-test-1234"),
    "admin": ("admin", "Admin", "admin-test-1234"),
}


def make_test_users(session_factory) -> dict[str, str]:  # type: ignore[no-untyped-def]
    for name, (role, display, password) in TEST_USERS.items():
        add_user(session_factory, name, password, role, display, replace=True)
    set_qualifications(session_factory, "elena", add=("electrician",), by="test")
    return {name: password for name, (_, _, password) in TEST_USERS.items()}
