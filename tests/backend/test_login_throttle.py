"""Sign-in: throttled per account and per client address; no user enumeration by timing."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import pytest

from app.config import Settings
from app.security.tokens import login
from app.security.users import add_user
from tests.conftest import RunningBackend, make_settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(
        tmp_path,
        login_max_failures_per_account=3,
        login_max_failures_per_address=6,
        login_window_seconds=60,
    )


async def test_wrong_passwords_lock_the_account_even_for_the_right_one(
    backend: RunningBackend,
) -> None:
    add_user(backend.state.session_factory, "pat", "partner-pass-1", "partner")
    async with backend.client() as client:
        for _ in range(3):
            wrong = await client.post(
                "/api/auth/login", json={"username": "pat", "password": "nope"}
            )
            assert wrong.status_code == 401
        right = await client.post(
            "/api/auth/login", json={"username": "Pat", "password": "partner-pass-1"}
        )
    assert right.status_code == 429
    assert 1 <= int(right.headers["Retry-After"]) <= 60
    assert "too many failed sign-ins" in right.json()["detail"]


async def test_a_success_clears_the_account_count(backend: RunningBackend) -> None:
    add_user(backend.state.session_factory, "sam", "partner-pass-2", "partner")
    async with backend.client() as client:
        for _ in range(2):
            await client.post("/api/auth/login", json={"username": "sam", "password": "nope"})
        ok = await client.post(
            "/api/auth/login", json={"username": "sam", "password": "partner-pass-2"}
        )
        assert ok.status_code == 200
        for _ in range(2):
            again = await client.post(
                "/api/auth/login", json={"username": "sam", "password": "nope"}
            )
            assert again.status_code == 401


async def test_one_address_spraying_many_accounts_is_throttled(backend: RunningBackend) -> None:
    add_user(backend.state.session_factory, "kim", "partner-pass-3", "partner")
    async with backend.client() as client:
        for i in range(6):
            answer = await client.post(
                "/api/auth/login", json={"username": f"nobody-{i}", "password": "guess"}
            )
            assert answer.status_code == 401
        blocked = await client.post(
            "/api/auth/login", json={"username": "kim", "password": "partner-pass-3"}
        )
    assert blocked.status_code == 429 and "Retry-After" in blocked.headers


def test_unknown_and_known_users_take_the_same_time(tmp_path: Path) -> None:
    from app.backend import build_state

    state = build_state(make_settings(tmp_path))
    add_user(state.session_factory, "lee", "partner-pass-4", "partner")
    login(state.session_factory, "nobody", "warm-up")  # the dummy hash is made once

    def timed(name: str) -> float:
        started = time.perf_counter()
        assert login(state.session_factory, name, "wrong-password") is None
        return time.perf_counter() - started

    known = statistics.median(timed("lee") for _ in range(5))
    unknown = statistics.median(timed("nobody") for _ in range(5))
    state.engine.dispose()
    assert unknown > known * 0.6, (known, unknown)
