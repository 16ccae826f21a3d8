"""A slow database does not stall the websocket loop; TLS (security profile 2) works."""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
import time

import pytest
import websockets
from ocpp.v16 import call as call16

from tests.chargers import TestCharger16, basic_auth, connected
from tests.conftest import TEST_CHARGER_PASSWORD, make_settings, start_backend


async def test_slow_database_does_not_stall_chargers(backend):
    recorder = backend.state.recorder
    real = recorder.writer

    class SlowWriter:
        def start(self) -> None: ...

        def stop(self) -> None: ...

        async def write(self, *batch):
            await asyncio.sleep(2.0)  # a database that takes 2 s per batch
            await real.write(*batch)

    recorder.writer = SlowWriter()
    await backend.register("SITE-013-AC-01")
    async with connected(backend.ocpp_url, "SITE-013-AC-01") as charger:
        await charger.boot()
        await asyncio.sleep(0.2)  # a flush is now in progress
        worst = 0.0
        for _ in range(20):
            started = time.perf_counter()
            await charger.call(call16.Heartbeat())
            worst = max(worst, time.perf_counter() - started)
        assert worst < 0.25, f"heartbeat took {worst:.3f} s while the database was slow"
    recorder.writer = real


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl needed to make a cert")
async def test_tls_profile_2(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    running = await start_backend(make_settings(tmp_path, tls_cert_file=cert, tls_key_file=key))
    try:
        assert running.ocpp_url.startswith("wss://")
        await running.register("SITE-013-AC-02")
        context = ssl.create_default_context(cafile=str(cert))
        ws = await websockets.connect(
            f"{running.ocpp_url}/SITE-013-AC-02",
            subprotocols=["ocpp1.6"],
            additional_headers=basic_auth("SITE-013-AC-02", TEST_CHARGER_PASSWORD),
            ssl=context,
        )
        charger = TestCharger16("SITE-013-AC-02", ws)
        task = asyncio.create_task(charger.start())
        assert (await charger.boot()).status == "Accepted"
        task.cancel()
        await ws.close()
        with pytest.raises((websockets.InvalidHandshake, OSError, EOFError, TimeoutError)):
            await websockets.connect(
                f"ws://127.0.0.1:{running.backend.ocpp_port}/ocpp/SITE-013-AC-02",
                subprotocols=["ocpp1.6"],
                additional_headers=basic_auth("SITE-013-AC-02", TEST_CHARGER_PASSWORD),
                open_timeout=3,
            )
    finally:
        await running.backend.stop()
