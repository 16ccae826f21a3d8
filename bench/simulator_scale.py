"""How long N simulated chargers take to connect and boot, against a bare ocpp CSMS.

The CSMS (ocpp library server side: Boot/Heartbeat/Status handlers, no storage) runs in a child
process started by this script. Two runs against it:
1. baseline: N raw websocket connections, each sending one BootNotification frame;
2. the simulator: a Fleet of N chargers (BootNotification + StatusNotification per connector).

    .venv/bin/python bench/simulator_scale.py --chargers 5000 --rate 1000
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing as mp
import os
import resource
import socket
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psutil
import websockets


def _raise_fd_limit() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_csms(port: int, ready: mp.Event, counts: mp.Value) -> None:  # type: ignore[valid-type]
    _raise_fd_limit()
    import ocpp.messages
    from ocpp.routing import on
    from ocpp.v16 import ChargePoint as CP16
    from ocpp.v16 import call_result as r16
    from ocpp.v16.enums import Action as A16
    from ocpp.v201 import ChargePoint as CP201
    from ocpp.v201 import call_result as r201
    from ocpp.v201.enums import Action as A201

    ocpp.messages.ASYNC_VALIDATION = False

    def now() -> str:
        return datetime.now(UTC).isoformat()

    class S16(CP16):
        @on(A16.boot_notification)
        def boot(self, **_: object) -> r16.BootNotification:
            with counts.get_lock():
                counts.value += 1
            return r16.BootNotification(current_time=now(), interval=300, status="Accepted")

        @on(A16.heartbeat)
        def hb(self, **_: object) -> r16.Heartbeat:
            return r16.Heartbeat(current_time=now())

        @on(A16.status_notification)
        def st(self, **_: object) -> r16.StatusNotification:
            return r16.StatusNotification()

    class S201(CP201):
        @on(A201.boot_notification)
        def boot(self, **_: object) -> r201.BootNotification:
            with counts.get_lock():
                counts.value += 1
            return r201.BootNotification(current_time=now(), interval=300, status="Accepted")

        @on(A201.heartbeat)
        def hb(self, **_: object) -> r201.Heartbeat:
            return r201.Heartbeat(current_time=now())

        @on(A201.status_notification)
        def st(self, **_: object) -> r201.StatusNotification:
            return r201.StatusNotification()

    async def handler(ws: websockets.ServerConnection) -> None:
        cls = S16 if ws.subprotocol == "ocpp1.6" else S201
        cp = cls(ws.request.path.rsplit("/", 1)[-1], ws)
        with contextlib.suppress(websockets.ConnectionClosed):
            await cp.start()

    async def main() -> None:
        async with websockets.serve(
            handler,
            "127.0.0.1",
            port,
            subprotocols=["ocpp1.6", "ocpp2.0.1"],  # type: ignore[list-item]
            ping_interval=None,
            backlog=4096,
        ):
            ready.set()
            await asyncio.Future()

    asyncio.run(main())


async def baseline(url: str, n: int, rate: float) -> dict[str, float]:
    """Raw websockets: connect, send one BootNotification, await its answer; keep open."""
    frame = json.dumps(
        [2, "1", "BootNotification", {"chargePointVendor": "Raw", "chargePointModel": "Raw"}]
    )
    conns: list[websockets.ClientConnection] = []
    errors = 0

    async def one(i: int) -> None:
        nonlocal errors
        await asyncio.sleep(i / rate)
        try:
            ws = await websockets.connect(
                f"{url}/RAW-{i:05d}",
                subprotocols=["ocpp1.6"],
                ping_interval=None,  # type: ignore[list-item]
            )
            await ws.send(frame)
            await ws.recv()
            conns.append(ws)
        except Exception:
            errors += 1

    t0 = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    elapsed = time.perf_counter() - t0
    for ws in conns:
        ws.transport.abort()
    return {"seconds": elapsed, "ok": len(conns), "errors": errors}


async def simulator(
    url: str, n: int, rate: float, mode: str, verbose: bool = False
) -> dict[str, float]:
    from app.simulator.config import FleetConfig
    from app.simulator.fleet import Fleet

    proc = psutil.Process()
    rss0 = proc.memory_info().rss
    cpu0 = proc.cpu_times()
    config = FleetConfig(csms_url=url, chargers=n, ocpp=mode, seed=1, speed=1, connect_rate=rate)
    fleet = Fleet(config)
    t0 = time.perf_counter()
    await fleet.start()
    half = None
    timeline: list[str] = []
    next_tick = 1.0
    while fleet.online_count() < n:
        now = time.perf_counter() - t0
        online = fleet.online_count()
        if half is None and online >= n // 2:
            half = now
        if now >= next_tick:
            phases: dict[str, int] = {}
            for c in fleet.chargers:
                phases[c.phase] = phases.get(c.phase, 0) + 1
            timeline.append(f"{now:.0f}s {phases}")
            next_tick += 1.0
        if now > 300:
            break
        await asyncio.sleep(0.05)
    if verbose:
        print("\n".join(timeline))
    elapsed = time.perf_counter() - t0
    # until every charger's initial StatusNotifications are out
    while any(c.outbox for c in fleet.chargers) and time.perf_counter() - t0 < 300:
        await asyncio.sleep(0.05)
    settled = time.perf_counter() - t0
    cpu1 = proc.cpu_times()
    rss1 = proc.memory_info().rss
    online = fleet.online_count()
    errors = sum(1 for c in fleet.chargers if c.last_error)
    t_stop = time.perf_counter()
    await fleet.stop()
    return {
        "seconds_all_booted": elapsed,
        "seconds_half_booted": half or elapsed,
        "seconds_statuses_sent": settled,
        "online": online,
        "chargers_with_errors": errors,
        "cpu_seconds": (cpu1.user + cpu1.system) - (cpu0.user + cpu0.system),
        "rss_mb_delta": (rss1 - rss0) / 2**20,
        "kb_per_charger": (rss1 - rss0) / 1024 / max(n, 1),
        "stop_seconds": time.perf_counter() - t_stop,
    }


def _cpu(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


async def amain(args: argparse.Namespace, url: str, csms_pid: int) -> None:
    floor = args.chargers / args.rate
    print(
        f"{args.chargers} chargers, stagger {args.rate:.0f}/s (floor {floor:.1f} s), "
        f"{os.cpu_count()} cores"
    )
    c0 = _cpu(csms_pid)
    base = await baseline(url, args.chargers, args.rate)
    c1 = _cpu(csms_pid)
    print(
        f"baseline raw websockets + 1 BootNotification: {base['seconds']:.2f} s, "
        f"ok {base['ok']}, errors {base['errors']}; CSMS cpu {c1 - c0:.1f} s"
    )
    await asyncio.sleep(2)
    c2 = _cpu(csms_pid)
    sim = await simulator(
        url.rsplit("/", 1)[0] + "/ocpp", args.chargers, args.rate, args.ocpp, args.verbose
    )
    print(
        f"simulator ({args.ocpp}): all booted {sim['seconds_all_booted']:.2f} s "
        f"(half {sim['seconds_half_booted']:.2f} s), statuses sent "
        f"{sim['seconds_statuses_sent']:.2f} s, online {sim['online']:.0f}, "
        f"with errors {sim['chargers_with_errors']:.0f}"
    )
    print(f"CSMS cpu during the simulator run: {_cpu(csms_pid) - c2:.1f} s")
    print(
        f"simulator process: cpu {sim['cpu_seconds']:.1f} s, rss +{sim['rss_mb_delta']:.0f} MB "
        f"({sim['kb_per_charger']:.0f} KB/charger), stop {sim['stop_seconds']:.1f} s"
    )
    print(
        f"overhead vs raw: {sim['seconds_all_booted'] - base['seconds']:+.2f} s "
        f"({sim['seconds_all_booted'] / max(base['seconds'], 1e-9):.2f}x)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chargers", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=1000.0, help="connects per second")
    parser.add_argument("--ocpp", default="mixed", choices=["1.6", "2.0.1", "mixed"])
    parser.add_argument("--verbose", action="store_true", help="print phases every second")
    args = parser.parse_args()
    _raise_fd_limit()
    port = _free_port()
    ready = mp.Event()
    counts = mp.Value("i", 0)
    child = mp.Process(target=run_csms, args=(port, ready, counts), daemon=True)
    child.start()
    try:
        if not ready.wait(20):
            raise SystemExit("CSMS did not start")
        asyncio.run(amain(args, f"ws://127.0.0.1:{port}/raw", child.pid))
        print(f"CSMS accepted {counts.value} BootNotifications in total")
    finally:
        child.terminate()
        child.join(5)


if __name__ == "__main__":
    main()
