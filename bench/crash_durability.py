"""Crash benchmark: what a backend killed with SIGKILL had acknowledged and then forgot.

For each mode (journal off = the baseline, journal on), in the same run: start the backend as a
subprocess on a fresh data directory with N registered chargers; each charger sends
state-changing CALLs as fast as they are answered (StatusNotification Preparing, Start-
Transaction, StatusNotification Charging, StopTransaction, StatusNotification Finishing,
Available, and again); after T seconds the backend and its writer process are killed with
SIGKILL (a power cut), the backend is started again on the same data (the journal is replayed),
stopped cleanly, and the database is compared with what the chargers had been answered:

  - acknowledged CALLs missing from the event log (target 0);
  - chargers whose restored connector status is older than the last one they were answered
    for (target 0; the one CALL in flight at the kill may or may not count, both are right);
  - acknowledged StartTransaction/StopTransaction missing from the transactions table.

    python bench/crash_durability.py [--chargers 20] [--seconds 5] [--warmup 2] [--recorder process]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psutil
from websockets.asyncio.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ocpp_load import PASSWORD, free_port, percentile, register_chargers

ROOT = Path(__file__).resolve().parent.parent
CYCLE = ["Preparing", "Start", "Charging", "Stop", "Finishing", "Available"]


def charger_id(index: int) -> str:
    return f"SITE-900-AC-{index:05d}"


@dataclass
class ChargerLog:
    acked: list[tuple[str, str]] = field(default_factory=list)  # (unique id, action)
    last_status: str | None = None  # last StatusNotification answered
    in_flight_status: str | None = None  # sent, not answered when the backend died
    started: list[str] = field(default_factory=list)  # transaction ids answered
    stopped: list[str] = field(default_factory=list)
    rtts: list[float] = field(default_factory=list)


def start_backend(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli.main", "backend"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("backend exited during start")
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        writer.close()
        return
    raise RuntimeError("backend did not open its OCPP port")


async def charger_loop(url: str, index: int, log: ChargerLog, stop: asyncio.Event) -> None:
    cid = charger_id(index)
    token = base64.b64encode(f"{cid}:{PASSWORD}".encode()).decode()
    ws = await connect(
        f"{url}/ocpp/{cid}",
        subprotocols=["ocpp1.6"],
        additional_headers={"Authorization": f"Basic {token}"},
        compression=None,
        ping_interval=None,
    )
    seq = 0
    meter = 0
    tx_id: int | None = None
    try:
        await ws.send(
            '[2,"b","BootNotification",{"chargePointVendor":"Voltara","chargePointModel":"X"}]'
        )
        await ws.recv()
        while not stop.is_set():
            step = CYCLE[seq % len(CYCLE)]
            seq += 1
            uid = f"{index}-{seq}"
            stamp = datetime.now(UTC).isoformat()
            if step == "Start":
                action = "StartTransaction"
                payload = {
                    "connectorId": 1,
                    "idTag": "TAG1",
                    "meterStart": meter,
                    "timestamp": stamp,
                }
            elif step == "Stop":
                meter += 100
                action = "StopTransaction"
                payload = {"transactionId": tx_id or 0, "meterStop": meter, "timestamp": stamp}
            else:
                action = "StatusNotification"
                payload = {"connectorId": 1, "errorCode": "NoError", "status": step}
                log.in_flight_status = step
            sent = time.perf_counter()
            await ws.send(json.dumps([2, uid, action, payload]))
            answer = json.loads(await ws.recv())
            log.rtts.append(time.perf_counter() - sent)
            if answer[0] != 3:
                continue
            log.acked.append((uid, action))
            if action == "StatusNotification":
                log.last_status, log.in_flight_status = step, None
            elif action == "StartTransaction":
                tx_id = answer[2]["transactionId"]
                log.started.append(str(tx_id))
            else:
                log.stopped.append(str(tx_id))
    except Exception:
        pass  # the backend was killed
    finally:
        await ws.close()


def kill_hard(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the backend and its writer process at once, as a power cut would."""
    family = [process.pid] + [c.pid for c in psutil.Process(process.pid).children(recursive=True)]
    for pid in family:
        os.kill(pid, signal.SIGKILL)
    process.wait(10)
    psutil.wait_procs([p for p in psutil.process_iter() if p.pid in family[1:]], timeout=10)


async def run_mode(journal: bool, args: argparse.Namespace) -> dict[str, float]:
    workdir = Path(tempfile.mkdtemp(prefix="chargefix-crash-"))
    ocpp_port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "CHARGEFIX_DATA_DIR": str(workdir),
        "CHARGEFIX_OCPP_PORT": str(ocpp_port),
        "CHARGEFIX_API_PORT": str(free_port()),
        "CHARGEFIX_REFRESH_STATE_ON_CONNECT": "false",
        "CHARGEFIX_RECORDER_MODE": args.recorder,
        "CHARGEFIX_JOURNAL": "true" if journal else "false",
    }
    register_chargers(env, args.chargers)
    process = start_backend(env)
    await wait_for_port(ocpp_port, process)
    await asyncio.sleep(args.warmup)  # the writer process is up: a steady state, not a start
    logs = [ChargerLog() for _ in range(args.chargers)]
    stop = asyncio.Event()
    url = f"ws://127.0.0.1:{ocpp_port}"
    tasks = [asyncio.ensure_future(charger_loop(url, i, logs[i], stop)) for i in range(len(logs))]
    await asyncio.sleep(args.seconds)
    kill_hard(process)
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)

    again = start_backend(env)  # replays the journal (when on) before it accepts chargers
    await wait_for_port(ocpp_port, again)
    again.send_signal(signal.SIGINT)  # clean stop: the restored state is written back
    again.wait(60)
    return measure(workdir / "chargefix.db", logs, args.seconds)


def measure(db: Path, logs: list[ChargerLog], seconds: float) -> dict[str, float]:
    with sqlite3.connect(db) as conn:
        events = set(conn.execute("SELECT charger_id, unique_id FROM events WHERE direction='in'"))
        rows = conn.execute("SELECT charger_id, state FROM charger_state")
        states = {cid: json.loads(state) for cid, state in rows}
        txs = {
            (cid, tx): stopped
            for cid, tx, stopped in conn.execute(
                "SELECT charger_id, transaction_id, stopped_at FROM transactions"
            )
        }
    acked = missing = stale = tx_missing = 0
    for index, log in enumerate(logs):
        cid = charger_id(index)
        acked += len(log.acked)
        missing += sum(1 for uid, _ in log.acked if (cid, uid) not in events)
        connector = (states.get(cid) or {}).get("connectors", {}).get("1", {})
        answered_for = {log.last_status, log.in_flight_status} - {None}
        if log.last_status and connector.get("status") not in answered_for:
            stale += 1
        tx_missing += sum(1 for tx in log.started if (cid, tx) not in txs)
        tx_missing += sum(1 for tx in log.stopped if txs.get((cid, tx)) is None)
    rtts = [r for log in logs for r in log.rtts]
    return {
        "acked": acked,
        "acked_per_s": acked / seconds,
        "p50_ms": percentile(rtts, 0.50),
        "p99_ms": percentile(rtts, 0.99),
        "missing": missing,
        "stale": stale,
        "tx_missing": tx_missing,
    }


async def main(args: argparse.Namespace) -> None:
    results = {}
    for journal in (False, True):
        name = "journal on" if journal else "journal off (baseline)"
        results[name] = await run_mode(journal, args)
        print(f"{name}: done", flush=True)
    rows = [
        ("acknowledged state-changing CALLs", "acked", "{:.0f}"),
        ("  per second", "acked_per_s", "{:.0f}"),
        ("  round trip p50 (ms)", "p50_ms", "{:.1f}"),
        ("  round trip p99 (ms)", "p99_ms", "{:.1f}"),
        ("acknowledged, missing from the event log", "missing", "{:.0f}"),
        ("chargers restored with an older status", "stale", "{:.0f}"),
        ("acknowledged Start/Stop missing in transactions", "tx_missing", "{:.0f}"),
    ]
    names = list(results)
    print(f"\n{args.chargers} chargers, SIGKILL after {args.seconds:g} s\n")
    print(f"{'':50}" + "".join(f"{n:>24}" for n in names))
    for label, key, fmt in rows:
        print(f"{label:50}" + "".join(f"{fmt.format(results[n][key]):>24}" for n in names))
    on = results["journal on"]
    ok = on["missing"] == 0 and on["stale"] == 0 and on["tx_missing"] == 0
    print(("\nPASS" if ok else "\nMISS") + " journal on: nothing acknowledged was lost (target 0)")
    if args.json:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chargers", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=5.0, help="load before the SIGKILL")
    parser.add_argument("--warmup", type=float, default=2.0, help="idle seconds before the load")
    parser.add_argument("--recorder", choices=["process", "thread"], default="process")
    parser.add_argument("--json", action="store_true")
    asyncio.run(main(parser.parse_args()))
