"""OCPP load benchmark: ChargeFix's backend against a bare `ocpp`-library CSMS, same run.

Each server runs in its own process; this process is the load generator (raw websockets,
one socket per charger). Phases, per server:
  1. connect N chargers (BootNotification each) and hold them: time, RSS per connection;
  2. closed-loop throughput: a window of chargers sends Heartbeat/StatusNotification as fast
     as answers come back, for D seconds: messages/s, round-trip p50/p99;
  3. open loop at a fixed rate (default 2,000 msg/s): round-trip p50/p99.
Prints a table and the ratio to the bare CSMS; targets are checked and reported.

    python bench/ocpp_load.py [--chargers 5000] [--duration 10] [--rate 2000] [--journal both]

With --journal both (the default) the backend is measured with its journal on (every
StatusNotification fsynced before its answer) and off, beside the bare CSMS.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from websockets.asyncio.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password-0123456789"
TARGETS = {"connections": 10_000, "msgs_per_s": 5_000, "p99_ms_at_rate": 50.0, "ratio": 0.80}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def raise_file_limit() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    url: str
    auth: bool
    workdir: Path | None = None

    @property
    def ps(self) -> psutil.Process:
        return psutil.Process(self.process.pid)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


PIN: dict[str, set[int]] = {}  # filled by --pin: cores for the servers and this process


def _pin_server() -> None:
    if PIN:
        os.sched_setaffinity(0, PIN["server"])


def start_bare() -> Server:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "_bare_csms.py"), str(port)],
        stdout=subprocess.PIPE,
        preexec_fn=_pin_server,
    )
    assert proc.stdout is not None
    proc.stdout.readline()  # "ready"
    return Server("bare ocpp CSMS", proc, f"ws://127.0.0.1:{port}", auth=False)


def start_chargefix(n: int, journal: bool = True) -> Server:
    workdir = Path(tempfile.mkdtemp(prefix="chargefix-bench-"))
    ocpp_port, api_port = free_port(), free_port()
    env = {
        **os.environ,
        "CHARGEFIX_DATA_DIR": str(workdir),
        "CHARGEFIX_OCPP_PORT": str(ocpp_port),
        "CHARGEFIX_API_PORT": str(api_port),
        "CHARGEFIX_REFRESH_STATE_ON_CONNECT": "false",
        "CHARGEFIX_HEARTBEAT_INTERVAL": "300",
        "CHARGEFIX_JOURNAL": "true" if journal else "false",
        "PYTHONPATH": str(ROOT),  # this checkout's code, not the one the venv was installed from
    }
    register_chargers(env, n)
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli.main", "backend"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=_pin_server,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", ocpp_port)) == 0:
                break
        time.sleep(0.2)
    name = "chargefix backend" if journal else "chargefix, journal off"
    return Server(name, proc, f"ws://127.0.0.1:{ocpp_port}", True, workdir)


def register_chargers(env: dict[str, str], n: int) -> None:
    """Register N chargers straight into the database (one password hash, bulk insert)."""
    code = f"""
from sqlalchemy import insert
from app.config import get_settings
from app.db.engine import make_engine, make_session_factory
from app.db.migrate import upgrade_to_head
from app.db.models import Charger
from app.csms.directory import ensure_site
from app.security.passwords import hash_machine_secret
s = get_settings(); s.ensure_dirs(); upgrade_to_head(s.resolved_database_url)
factory = make_session_factory(make_engine(s.resolved_database_url))
h = hash_machine_secret({PASSWORD!r})
with factory() as db, db.begin():
    ensure_site(db, "SITE-900")
    db.execute(insert(Charger), [{{"id": f"SITE-900-AC-{{i:05d}}", "site_id": "SITE-900",
        "password_hash": h}} for i in range({n})])
"""
    subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=ROOT)


@dataclass
class Charger:
    ws: ClientConnection
    pending: dict[str, float] = field(default_factory=dict)
    seq: int = 0


@dataclass
class Load:
    chargers: list[Charger] = field(default_factory=list)
    rtts: list[float] = field(default_factory=list)
    closed_loop: set[int] = field(default_factory=set)
    errors: int = 0
    received: int = 0
    sending: set[asyncio.Future[None]] = field(default_factory=set)

    def send(self, index: int) -> None:
        charger = self.chargers[index]
        charger.seq += 1
        uid = f"{index}.{charger.seq}"
        if charger.seq % 2:
            frame = f'[2,"{uid}","Heartbeat",{{}}]'
        else:
            frame = (
                f'[2,"{uid}","StatusNotification",{{"connectorId":1,'
                f'"errorCode":"NoError","status":"Available"}}]'
            )
        charger.pending[uid] = time.perf_counter()
        task = asyncio.ensure_future(charger.ws.send(frame))
        self.sending.add(task)
        task.add_done_callback(self.sending.discard)

    async def reader(self, index: int) -> None:
        charger = self.chargers[index]
        try:
            async for message in charger.ws:
                now = time.perf_counter()
                frame = json.loads(message)
                sent = charger.pending.pop(frame[1], None)
                if frame[0] == 4:
                    self.errors += 1
                if sent is not None:
                    self.rtts.append(now - sent)
                    self.received += 1
                if index in self.closed_loop:
                    self.send(index)
        except Exception:
            pass


async def open_charger(server: Server, index: int) -> Charger:
    cid = f"SITE-900-AC-{index:05d}"
    headers = {}
    if server.auth:
        token = base64.b64encode(f"{cid}:{PASSWORD}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    for attempt in range(5):
        try:
            ws = await connect(
                f"{server.url}/ocpp/{cid}",
                subprotocols=["ocpp1.6"],
                additional_headers=headers,
                compression=None,
                open_timeout=60,
                ping_interval=None,
                max_queue=None,
            )
            break
        except (OSError, TimeoutError):
            await asyncio.sleep(0.5 * (attempt + 1))
    else:
        raise RuntimeError(f"{cid} could not connect")
    await ws.send(
        '[2,"boot","BootNotification",{"chargePointVendor":"Voltara","chargePointModel":"WB-22"}]'
    )
    answer = json.loads(await ws.recv())
    if answer[0] != 3 or answer[2].get("status") != "Accepted":
        raise RuntimeError(f"{cid} boot refused: {answer}")
    for connector in (0, 1):  # as real firmware does after an accepted boot
        await ws.send(
            f'[2,"s{connector}","StatusNotification",{{"connectorId":{connector},'
            f'"errorCode":"NoError","status":"Available"}}]'
        )
        await ws.recv()
    return Charger(ws)


async def loop_lag(out: list[float], tick: float = 0.01) -> None:
    """How late this (load generator) process's own loop wakes up: a round trip measured here
    includes that delay, so it is printed beside the latencies."""
    while True:
        started = time.perf_counter()
        await asyncio.sleep(tick)
        out.append(time.perf_counter() - started - tick)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def run_server(server: Server, args: argparse.Namespace) -> dict[str, float]:
    ps = server.ps
    rss_before = ps.memory_info().rss
    load = Load()
    started = time.perf_counter()
    batch = 500
    for first in range(0, args.chargers, batch):
        count = min(batch, args.chargers - first)
        load.chargers += await asyncio.gather(
            *(open_charger(server, i) for i in range(first, first + count))
        )
    connect_s = time.perf_counter() - started
    # The load generator's own garbage collector must not stall it while it measures: its
    # collections paused it for up to 0.4 s, which a round trip measured here counts as server
    # latency. It is off during the measured phases (memory grows only for those seconds).
    gc.collect()
    gc.freeze()
    gc.disable()
    readers = [asyncio.ensure_future(load.reader(i)) for i in range(len(load.chargers))]
    await asyncio.sleep(1.0)
    rss_per_conn = (ps.memory_info().rss - rss_before) / len(load.chargers)
    held = sum(1 for c in load.chargers if c.ws.state.name == "OPEN")

    # closed loop: a window of chargers, each sends again as soon as its answer arrives
    window = min(args.window, len(load.chargers))
    load.rtts.clear()
    load.received = 0
    cpu_before = ps.cpu_times()
    load.closed_loop = set(range(window))
    t0 = time.perf_counter()
    for i in range(window):
        load.send(i)
    await asyncio.sleep(args.duration)
    load.closed_loop.clear()
    elapsed = time.perf_counter() - t0
    received = load.received
    cpu_after = ps.cpu_times()
    server_cpu = (cpu_after.user + cpu_after.system - cpu_before.user - cpu_before.system) / elapsed
    closed_rtts = list(load.rtts)
    await asyncio.sleep(1.0)

    # open loop at a fixed rate, spread over all chargers
    load.rtts.clear()
    lags: list[float] = []
    monitor = asyncio.ensure_future(loop_lag(lags))
    sent = 0
    tick = 0.01
    per_tick = args.rate * tick
    credit = 0.0
    cursor = 0
    t1 = time.perf_counter()
    while time.perf_counter() - t1 < args.duration:
        credit += per_tick
        while credit >= 1:
            load.send(cursor)
            cursor = (cursor + 1) % len(load.chargers)
            credit -= 1
            sent += 1
        await asyncio.sleep(tick - ((time.perf_counter() - t1) % tick))
    open_elapsed = time.perf_counter() - t1
    await asyncio.sleep(1.0)
    monitor.cancel()
    open_rtts = list(load.rtts)

    gc.enable()
    for reader in readers:
        reader.cancel()
    await asyncio.gather(*(c.ws.close() for c in load.chargers), return_exceptions=True)
    return {
        "chargers": len(load.chargers),
        "held": held,
        "connect_s": connect_s,
        "rss_kb_per_conn": rss_per_conn / 1024,
        "msgs_per_s": received / elapsed,
        "closed_p50_ms": percentile(closed_rtts, 0.50),
        "closed_p99_ms": percentile(closed_rtts, 0.99),
        "server_cpu_pct": server_cpu * 100,
        "rate_sent_per_s": sent / open_elapsed,
        "rate_p50_ms": percentile(open_rtts, 0.50),
        "rate_p99_ms": percentile(open_rtts, 0.99),
        "client_lag_max_ms": max(lags, default=0.0) * 1000,
        "errors": load.errors,
    }


def print_table(results: dict[str, dict[str, float]], args: argparse.Namespace) -> None:
    names = list(results)
    rows = [
        ("chargers connected and held", "held", "{:.0f}"),
        ("connect + boot time (s)", "connect_s", "{:.1f}"),
        ("server RSS per connection (KB)", "rss_kb_per_conn", "{:.0f}"),
        ("closed-loop messages/s", "msgs_per_s", "{:.0f}"),
        ("  round trip p50 (ms)", "closed_p50_ms", "{:.1f}"),
        ("  round trip p99 (ms)", "closed_p99_ms", "{:.1f}"),
        ("  server CPU (% of one core)", "server_cpu_pct", "{:.0f}"),
        (f"open loop at {args.rate} msg/s: sent/s", "rate_sent_per_s", "{:.0f}"),
        ("  round trip p50 (ms)", "rate_p50_ms", "{:.1f}"),
        ("  round trip p99 (ms)", "rate_p99_ms", "{:.1f}"),
        ("  load generator's own loop lag, max (ms)", "client_lag_max_ms", "{:.0f}"),
        ("CALLERRORs", "errors", "{:.0f}"),
    ]
    print(f"\n{'':40}" + "".join(f"{n:>22}" for n in names))
    for label, key, fmt in rows:
        print(f"{label:40}" + "".join(f"{fmt.format(results[n][key]):>22}" for n in names))
    ours = results.get("chargefix backend") or results["chargefix, journal off"]
    bare = results["bare ocpp CSMS"]
    ratio = ours["msgs_per_s"] / bare["msgs_per_s"]
    p99_ratio = ours["rate_p99_ms"] / bare["rate_p99_ms"]
    print(f"\nthroughput vs bare CSMS: {ratio:.0%} (target >= {TARGETS['ratio']:.0%})")
    print(f"p99 at {args.rate} msg/s vs bare CSMS: {p99_ratio:.1f}x (target <= 3x)")
    if "chargefix, journal off" in results and ours is not results["chargefix, journal off"]:
        off = results["chargefix, journal off"]
        print(
            f"journal off: {off['msgs_per_s'] / bare['msgs_per_s']:.0%} of bare throughput, "
            f"p99 {off['rate_p99_ms'] / bare['rate_p99_ms']:.1f}x bare"
        )
    checks = {
        f"held {ours['held']:.0f} connections (target {TARGETS['connections']})": ours["held"]
        >= TARGETS["connections"],
        f"{ours['msgs_per_s']:.0f} msg/s (target {TARGETS['msgs_per_s']})": ours["msgs_per_s"]
        >= TARGETS["msgs_per_s"],
        f"p99 {ours['rate_p99_ms']:.1f} ms at {args.rate} msg/s (target < 50)": ours["rate_p99_ms"]
        < TARGETS["p99_ms_at_rate"],
        f"{ratio:.0%} of bare throughput (target >= 80 %)": ratio >= TARGETS["ratio"],
        f"p99 {p99_ratio:.1f}x the bare CSMS's at {args.rate} msg/s (target <= 3x)": p99_ratio
        <= 3.0,
    }
    for text, ok in checks.items():
        print(("PASS " if ok else "MISS ") + text)
    if args.json:
        print(json.dumps({"results": results, "ratio": ratio}, indent=2))


async def main(args: argparse.Namespace) -> None:
    raise_file_limit()
    if args.pin:  # servers on core 0, the load generator on core 1: no scheduler interference
        PIN["server"], PIN["load"] = {0}, {1}
        os.sched_setaffinity(0, PIN["load"])
    results: dict[str, dict[str, float]] = {}
    starts = []
    if args.journal in ("on", "both"):
        starts.append(lambda: start_chargefix(args.chargers, journal=True))
    if args.journal in ("off", "both"):
        starts.append(lambda: start_chargefix(args.chargers, journal=False))
    for start in (*starts, start_bare):
        server = start()
        try:
            results[server.name] = await asyncio.wait_for(
                run_server(server, args), timeout=args.timeout
            )
            print(f"{server.name}: done", flush=True)
        finally:
            server.stop()
    print_table(results, args)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chargers", type=int, default=5000)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per phase")
    parser.add_argument("--rate", type=int, default=2000, help="open-loop messages/s")
    parser.add_argument("--window", type=int, default=500, help="chargers in the closed loop")
    parser.add_argument("--timeout", type=float, default=300.0, help="max seconds per server")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--journal", choices=["on", "off", "both"], default="both", help="backend's journal"
    )
    parser.add_argument(
        "--pin", action="store_true", help="servers on core 0, the load generator on core 1"
    )
    asyncio.run(main(parser.parse_args()))
