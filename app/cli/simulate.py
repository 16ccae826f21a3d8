"""``chargefix simulate``: run a simulated charger fleet, or talk to a running one's control API.

chargefix simulate --csms ws://127.0.0.1:9000/ocpp --chargers 50 --ocpp mixed --speed 10
chargefix simulate list
chargefix simulate state SITE-001-AC-01
chargefix simulate inject SITE-001-AC-01 ground_fault --connector 1
chargefix simulate clear SITE-001-AC-01 ground_fault --how site_visit
chargefix simulate faults
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
from pathlib import Path
from typing import Any

import httpx
import typer

from app.config import get_settings
from app.simulator.chargex_faces import MREC_MODELS, parse_models

app = typer.Typer(
    help="Simulated charger fleet (OCPP 1.6J / 2.0.1) with fault injection and ground truth.",
    invoke_without_command=True,
    no_args_is_help=False,
)


def _control_url(port: int | None) -> str:
    return f"http://127.0.0.1:{port or get_settings().simulator_control_port}"


@app.callback()
def simulate(
    ctx: typer.Context,
    csms: str = typer.Option(None, help="CSMS websocket URL; default: ours on the OCPP port."),
    chargers: int = typer.Option(10, min=0, help="Number of simulated chargers."),
    ocpp: str = typer.Option("mixed", help="1.6, 2.0.1 or mixed."),
    scenario: Path | None = typer.Option(None, exists=True, dir_okay=False, help="YAML."),
    seed: int = typer.Option(1, help="Fleet seed (deterministic ids, models, behaviour)."),
    speed: float = typer.Option(1.0, min=0.001, help="Divide every simulated delay by this."),
    password_file: Path | None = typer.Option(
        None, exists=True, dir_okay=False, help="'charger_id:password' lines or one password."
    ),
    ground_truth: Path | None = typer.Option(None, help="JSON-lines ground-truth log."),
    control_port: int | None = typer.Option(None, help="Control API port (0 = free port)."),
    connect_rate: float = typer.Option(500.0, help="New connections per second."),
    chargex_models: str = typer.Option(
        ",".join(MREC_MODELS),
        help="Models whose firmware reports ChargeX codes as EVerest does (comma-separated "
        "keys; 'none': every model sends its vendor codes).",
    ),
) -> None:
    """Run the fleet until Ctrl-C (when no sub-command is given)."""
    if ctx.invoked_subcommand is not None:
        return
    from pydantic import ValidationError

    from app.simulator.config import FleetConfig, read_password_file
    from app.simulator.scenario import ScenarioError, load_scenario

    if ocpp not in ("1.6", "2.0.1", "mixed"):
        raise typer.BadParameter("must be 1.6, 2.0.1 or mixed", param_hint="--ocpp")
    settings = get_settings()
    passwords: dict[str, str] = {}
    shared: str | None = None
    if password_file is not None:
        try:
            passwords, shared = read_password_file(password_file)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--password-file") from None
    try:
        loaded = load_scenario(scenario) if scenario else None
    except ScenarioError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    try:
        mrec = FleetConfig(chargex_models=parse_models(chargex_models)).chargex_models
    except ValidationError as exc:
        why = exc.errors()[0]["msg"].removeprefix("Value error, ")
        raise typer.BadParameter(why, param_hint="--chargex-models") from None
    config = FleetConfig(
        chargex_models=mrec,
        csms_url=csms or f"ws://{settings.host}:{settings.ocpp_port}/ocpp",
        chargers=chargers,
        ocpp=ocpp,  # type: ignore[arg-type]
        seed=seed,
        speed=speed,
        passwords=passwords,
        shared_password=shared,
        connect_rate=connect_rate,
        ground_truth_path=ground_truth or settings.data_dir / "simulator" / "ground_truth.jsonl",
        control_port=settings.simulator_control_port if control_port is None else control_port,
    )
    asyncio.run(_run(config, loaded))


async def _run(config: Any, scenario: Any) -> None:
    from app.simulator.fleet import Fleet
    from app.simulator.scenario import ScenarioError

    fleet = Fleet(config, scenario=scenario)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await fleet.start()
    except ScenarioError as exc:
        typer.echo(f"error: {exc}", err=True)
        await fleet.stop()
        raise typer.Exit(2) from None
    typer.echo(
        f"{len(fleet.chargers)} chargers -> {config.csms_url} (speed x{config.speed}); "
        f"control API {fleet.control_url}; ground truth {config.ground_truth_path}"
    )
    told: set[str] = set()
    try:
        while not stop.is_set():
            refused = fleet.ctx.refused
            waits = {asyncio.ensure_future(stop.wait()), asyncio.ensure_future(refused.wait())}
            _, pending = await asyncio.wait(waits, timeout=10, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
            if refused.is_set():
                refused.clear()
                for line in refusal_report(fleet.refusals(), len(fleet.chargers), told):
                    typer.echo(line, err=True)
                continue
            typer.echo(f"online {fleet.online_count()}/{len(fleet.chargers)}")
            fleet.truth.flush()
    finally:
        await fleet.stop()


# What to pass when the CSMS refuses the chargers, by the reason it gives (app/csms).
REFUSAL_HINTS = {
    "HTTP Basic credentials required": (
        "the backend requires a password for each charger (security profile 1): pass "
        "--password-file FILE with one shared password or 'charger_id:password' lines"
    ),
    "unknown charge point": (
        "register the chargers on the backend first (`chargefix chargers add ID "
        "--password P`, or start the backend with the demo fleet), then pass their "
        "passwords with --password-file"
    ),
    "bad credentials": (
        "the password sent is not the one registered for the charger: check --password-file"
    ),
    "username must be the charge point id": "the Basic user name must be the charger id",
}


def refusal_report(refusals: dict[str, str], total: int, told: set[str]) -> list[str]:
    """One line per reason not told yet: how many chargers, which, and what to pass."""
    by_reason: dict[str, list[str]] = {}
    for charger_id, why in sorted(refusals.items()):
        by_reason.setdefault(why, []).append(charger_id)
    lines = []
    for why, ids in by_reason.items():
        if why in told:
            continue
        told.add(why)
        hint = next((h for k, h in REFUSAL_HINTS.items() if k in why), "check the CSMS log")
        shown = ", ".join(ids[:3]) + (f" and {len(ids) - 3} more" if len(ids) > 3 else "")
        lines.append(
            f"refused: the CSMS at the handshake answered {why!r} for {len(ids)}/{total} "
            f"chargers ({shown}): {hint}."
        )
    return lines


def _request(method: str, path: str, port: int | None, **kwargs: Any) -> Any:
    url = _control_url(port) + path
    try:
        resp = httpx.request(method, url, timeout=10, **kwargs)
    except httpx.HTTPError as exc:
        typer.echo(f"error: cannot reach the simulator at {url}: {exc}", err=True)
        raise typer.Exit(1) from None
    if resp.is_error:
        detail = (
            resp.json().get("detail")
            if resp.headers.get("content-type", "").startswith("application/json")
            else resp.text
        )
        typer.echo(f"error: {resp.status_code}: {detail}", err=True)
        raise typer.Exit(1)
    return resp.json()


PortOption = typer.Option(None, "--port", help="Control API port (default from settings).")


@app.command("list")
def list_chargers(port: int | None = PortOption) -> None:
    """List simulated chargers with their phase and active faults."""
    for row in _request("GET", "/chargers", port):
        faults = ",".join(row["faults"]) or "-"
        typer.echo(
            f"{row['charger_id']:<20} {row['ocpp_version']:<6} {row['vendor']} {row['model']:<12}"
            f" {row['phase']:<10} {faults}"
        )


@app.command("state")
def state(charger_id: str, port: int | None = PortOption) -> None:
    """Print a charger's true state (JSON)."""
    typer.echo(json.dumps(_request("GET", f"/chargers/{charger_id}", port), indent=2))


@app.command("inject")
def inject(
    charger_id: str,
    fault: str,
    connector: int | None = typer.Option(None, "--connector", "-c"),
    port: int | None = PortOption,
) -> None:
    """Inject a fault now."""
    _request(
        "POST",
        f"/chargers/{charger_id}/faults",
        port,
        json={"fault": fault, "connector_id": connector},
    )
    typer.echo(f"injected {fault} on {charger_id}")


@app.command("clear")
def clear(
    charger_id: str,
    fault: str,
    connector: int | None = typer.Option(None, "--connector", "-c"),
    how: str = typer.Option("site_visit", help="Recorded in the ground truth."),
    port: int | None = PortOption,
) -> None:
    """Clear a fault (e.g. after a site visit)."""
    _request(
        "POST",
        f"/chargers/{charger_id}/faults/{fault}/clear",
        port,
        json={"connector_id": connector, "how": how},
    )
    typer.echo(f"cleared {fault} on {charger_id}")


@app.command("faults")
def faults(port: int | None = PortOption) -> None:
    """List the fault catalogue (works without a running simulator)."""
    from app.simulator.faults import fault_catalogue

    for spec in fault_catalogue().values():
        typer.echo(
            f"{spec.key:<24} {spec.v16.error_code:<22} {spec.v201.component}.{spec.v201.variable}"
            f"  clears by: {','.join(spec.truth.clears_by) or '-'}  remedy: {spec.truth.remedy}"
        )


@app.command("ground-truth")
def ground_truth(
    n: int = typer.Option(50, "-n"),
    charger_id: str | None = typer.Option(None, "--charger"),
    port: int | None = PortOption,
) -> None:
    """Tail the ground-truth log of a running simulator."""
    params: dict[str, Any] = {"n": n}
    if charger_id:
        params["charger_id"] = charger_id
    for row in _request("GET", "/ground-truth", port, params=params):
        typer.echo(json.dumps(row))


@app.command("start-tx")
def start_tx(
    charger_id: str,
    connector: int = typer.Option(1, "--connector", "-c"),
    id_tag: str = typer.Option("SIM-TAG-0001", "--id-tag"),
    port: int | None = PortOption,
) -> None:
    """Plug in and start a transaction."""
    _request(
        "POST",
        f"/chargers/{charger_id}/transactions",
        port,
        json={"connector_id": connector, "id_tag": id_tag},
    )
    typer.echo(f"transaction started on {charger_id}:{connector}")


@app.command("stop-tx")
def stop_tx(
    charger_id: str,
    connector: int = typer.Option(1, "--connector", "-c"),
    port: int | None = PortOption,
) -> None:
    """Stop the transaction on a connector (driver stops locally)."""
    _request("POST", f"/chargers/{charger_id}/transactions/{connector}/stop", port)
    typer.echo(f"transaction stopped on {charger_id}:{connector}")
