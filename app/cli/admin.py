"""`chargefix chargers|tokens|users|db ...`: administration from the shell."""

from __future__ import annotations

from datetime import UTC, datetime

import typer
from rich.table import Table

from app.authorization import store as token_store
from app.authorization.store import TokenChange
from app.authorization.tokens import TOKEN_TYPES, TokenStatus
from app.cli.common import console, fail, open_storage
from app.config import get_settings
from app.csms.directory import ChargerDirectory, RegistrationError
from app.errors import ChargeFixError
from app.security.passwords import new_charger_password
from app.security.qualifications import NAMES as QUALIFICATIONS
from app.security.roles import ALL_ROLES
from app.security.scope import Scope
from app.security.tokens import TokenError, create_token
from app.security.users import (
    UserError,
    add_user,
    list_users,
    remove_user,
    set_qualifications,
)

chargers = typer.Typer(help="Register and remove chargers (OCPP security profile 1).")
tokens = typer.Typer(help="API tokens for scripts.")
users = typer.Typer(help="Local accounts of people who sign in to the app.")
db = typer.Typer(help="Database schema.")
id_tokens = typer.Typer(
    help="Id tokens (RFID cards, key codes) chargers may start with; a running backend picks "
    "up changes within CHARGEFIX_ID_TOKEN_REFRESH_SECONDS."
)


@chargers.command("add")
def chargers_add(
    charger_id: str = typer.Argument(..., help="Charge point id, as in the OCPP URL."),
    password: str | None = typer.Option(None, help="At least 16 characters; generated if omitted."),
    site: str | None = typer.Option(None, help="Site id; default from the id (SITE-014-...)."),
    vendor: str | None = None,
    model: str | None = None,
    replace: bool = typer.Option(False, help="Replace an existing registration (new password)."),
    security_profile: int | None = typer.Option(
        None, min=1, max=3, help="3: TLS client certificate instead of HTTP Basic."
    ),
) -> None:
    """Register a charger and print its password (shown once)."""
    directory = ChargerDirectory(open_storage())
    secret = password or new_charger_password()
    try:
        identity = directory.register(
            charger_id,
            secret,
            site_id=site,
            vendor=vendor,
            model=model,
            replace=replace,
            security_profile=security_profile,
        )
    except RegistrationError as error:
        fail(str(error))
    console.print(f"registered {identity.charger_id} at site {identity.site_id}")
    console.print(f"password: {secret}", highlight=False)


@chargers.command("remove")
def chargers_remove(charger_id: str) -> None:
    """Remove a charger: it can no longer connect."""
    if not ChargerDirectory(open_storage()).remove(charger_id):
        fail(f"charger {charger_id} is not registered")
    console.print(f"removed {charger_id}")


@chargers.command("list")
def chargers_list() -> None:
    """List registered chargers."""
    from sqlalchemy import select

    from app.db.models import Charger

    session_factory = open_storage()
    table = Table("id", "site", "vendor", "model", "auto", "status", "profile")
    with session_factory() as session:
        for charger in session.scalars(select(Charger).order_by(Charger.id)):
            table.add_row(
                charger.id,
                charger.site_id,
                charger.vendor or "",
                charger.model or "",
                "yes" if charger.auto_registered else "",
                charger.status,
                str(charger.security_profile or 1),
            )
    console.print(table)


@tokens.command("create")
def tokens_create(
    role: str = typer.Option(..., help=f"One of: {', '.join(ALL_ROLES)}"),
    name: str = typer.Option(..., help="What the token is for."),
) -> None:
    """Create an API token and print it (only its digest is stored)."""
    try:
        token = create_token(open_storage(), name=name, role=role)
    except TokenError as error:
        fail(str(error))
    print(token)


@users.command("add")
def users_add(
    name: str,
    role: str = typer.Option(..., help=f"One of: {', '.join(ALL_ROLES)}"),
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True),
    display_name: str | None = None,
    replace: bool = typer.Option(False, help="Change an existing user's role and password."),
) -> None:
    """Add a person who signs in to the app."""
    try:
        add_user(open_storage(), name, password, role, display_name, replace=replace)
    except UserError as error:
        fail(str(error))
    console.print(f"user {name} ({role}) saved")


@users.command("remove")
def users_remove(name: str) -> None:
    try:
        removed = remove_user(open_storage(), name)
    except UserError as error:
        fail(str(error))
    if not removed:
        fail(f"no user {name}")
    console.print(f"user {name} removed")


@users.command("list")
def users_list() -> None:
    table = Table("name", "display name", "role", "active")
    for user in list_users(open_storage()):
        table.add_row(user.name, user.display_name or "", user.role, "yes" if user.active else "no")
    console.print(table)


@users.command("sites")
def users_sites(
    name: str = typer.Argument(..., help="The partner's account name."),
    add: list[str] = typer.Option([], "--add", help="Assign this site (repeat for several)."),
    remove: list[str] = typer.Option([], "--remove", help="Take this site away (repeatable)."),
) -> None:
    """Show, assign or take away the sites a partner works on (partners act only there)."""
    scope = Scope(open_storage())
    try:
        if add:
            scope.assign(name, add, by="cli")
        if remove:
            scope.unassign(name, remove)
    except ChargeFixError as error:
        fail(str(error))
    sites = sorted(scope.sites_of(name))
    console.print(f"{name}: {', '.join(sites) if sites else 'no sites assigned'}")


@id_tokens.command("add")
def id_tokens_add(
    token: str = typer.Argument(..., help="The idTag / idToken (1.6: up to 20, 2.0.1: 36)."),
    status: TokenStatus = typer.Option(TokenStatus.ACCEPTED, help="What Authorize answers."),
    token_type: str | None = typer.Option(
        None, "--type", help=f"2.0.1 token type ({', '.join(TOKEN_TYPES)}); default any."
    ),
    expires: datetime | None = typer.Option(
        None, help="Expiry, UTC (e.g. 2030-01-01T00:00:00); Expired after it."
    ),
    group: str | None = typer.Option(None, help="Group id (parentIdTag / groupIdToken)."),
) -> None:
    """Add a token, or update the one with the same id (case-insensitive)."""
    change = TokenChange(
        token=token,
        status=status,
        token_type=token_type,
        expires_at=_as_utc(expires),
        group_id=group,
    )
    try:
        record = token_store.save(open_storage(), change, by="cli")
    except ChargeFixError as error:
        fail(str(error))
    console.print(f"id token {record.token} saved ({record.status.value})", highlight=False)


@id_tokens.command("list")
def id_tokens_list() -> None:
    table = Table("id token", "type", "status", "expires", "group", "updated by")
    for row in token_store.list_rows(open_storage()):
        table.add_row(
            row.token,
            row.token_type or "",
            row.status,
            row.expires_at.isoformat() if row.expires_at else "",
            row.group_id or "",
            row.updated_by or "",
        )
    console.print(table)


@id_tokens.command("block")
def id_tokens_block(token: str) -> None:
    """Block a token: Authorize answers Blocked."""
    try:
        token_store.set_status(open_storage(), token, TokenStatus.BLOCKED, by="cli")
    except ChargeFixError as error:
        fail(str(error))
    console.print(f"id token {token} blocked", highlight=False)


@id_tokens.command("remove")
def id_tokens_remove(token: str) -> None:
    """Remove a token: Authorize answers Invalid (unless accept-all is on)."""
    try:
        token_store.remove(open_storage(), token)
    except ChargeFixError as error:
        fail(str(error))
    console.print(f"id token {token} removed", highlight=False)


def _as_utc(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


@users.command("qualify")
def users_qualify(
    name: str = typer.Argument(..., help="The account name."),
    add: list[str] = typer.Option(
        [], "--add", help=f"Grant this qualification (repeatable): {', '.join(QUALIFICATIONS)}."
    ),
    remove: list[str] = typer.Option([], "--remove", help="Withdraw it (repeatable)."),
) -> None:
    """Show, grant or withdraw the qualifications a person holds (hazardous procedure steps
    need them)."""
    try:
        held = set_qualifications(open_storage(), name, add=add, remove=remove, by="cli")
    except UserError as error:
        fail(str(error))
    console.print(f"{name}: {', '.join(held) if held else 'no qualifications'}")


@db.command("upgrade")
def db_upgrade() -> None:
    """Bring the database to the newest schema."""
    settings = get_settings()
    open_storage(settings)
    console.print(f"database at newest schema: {settings.resolved_database_url}")
