"""The `chargefix` command: one CLI, with a sub-command per job."""

from __future__ import annotations

import typer

from app.cli import admin, certificates, commands, diagnosis, firmware, knowledge, simulate
from app.cli.backend import backend
from app.cli.procedures import procedures_cli
from app.cli.run import run
from app.cli.ui import ui

cli = typer.Typer(
    name="chargefix",
    help="ChargeFix: OCPP backend, simulator, knowledge base and troubleshooting app.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
cli.command("run")(run)
cli.command("backend")(backend)
cli.command("ui")(ui)
cli.command("ingest")(knowledge.ingest)
cli.command("search")(knowledge.search)
cli.command("command")(commands.command)
cli.command("commands")(commands.commands)
cli.command("inventory")(commands.inventory)
cli.command("monitors")(commands.monitors)
admin.chargers.command("status")(commands.charger_status)
cli.add_typer(admin.chargers, name="chargers")
cli.add_typer(admin.tokens, name="tokens")
cli.add_typer(admin.users, name="users")
cli.add_typer(admin.db, name="db")
cli.add_typer(admin.id_tokens, name="id-tokens")
cli.add_typer(procedures_cli, name="procedures")
cli.add_typer(simulate.app, name="simulate")
cli.add_typer(diagnosis.app, name="diagnosis")
cli.add_typer(firmware.app, name="firmware")
cli.add_typer(certificates.app, name="certificates")


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
