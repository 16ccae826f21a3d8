"""The embedded demo behind `make run`: demo accounts, the simulated fleet's registration,
and the sample procedures imported. Secrets are generated per installation and kept under
the data directory (never in git)."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from app.authorization import store as tokens
from app.authorization.tokens import TokenStatus
from app.config import Settings
from app.csms.directory import ChargerDirectory, RegistrationError
from app.procedures import store as procedure_store
from app.security.scope import Scope
from app.security.users import add_user, set_qualifications
from app.simulator.config import DEFAULT_ID_TAG, plan_fleet

DEMO_USERS = (
    ("pat", "partner", "Pat (field partner)"),
    ("elena", "partner", "Elena (field partner, electrician)"),
    ("casey", "consultant", "Casey (consultant)"),
    ("eddie", "editor", "Eddie (knowledge editor)"),
    ("admin", "admin", "Admin"),
)
# Pat is an installer with no electrical qualification: hazardous steps hand him to a
# consultant. Elena is a qualified electrician (not HV/DC): she may open AC chargers.
DEMO_QUALIFICATIONS = {"elena": ("electrician",), "casey": ("electrician", "hv_dc")}


def _secret_file(settings: Settings, name: str) -> Path:
    folder = settings.data_dir / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


def _write_private(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    os.chmod(path, 0o600)


def ensure_demo_users(settings: Settings, session_factory: sessionmaker[Session]) -> dict[str, str]:
    """Demo accounts with passwords generated once per installation; returns name -> password."""
    path = _secret_file(settings, "users.json")
    passwords: dict[str, str] = {}
    if path.exists():
        passwords = json.loads(path.read_text(encoding="utf-8"))
    added = False
    for name, role, display in DEMO_USERS:
        if name in passwords:
            continue  # an installation from before this demo user existed gets it too
        password = secrets.token_urlsafe(9)
        add_user(session_factory, name, password, role, display, replace=True)
        set_qualifications(
            session_factory, name, add=DEMO_QUALIFICATIONS.get(name, ()), by="demo-setup"
        )
        passwords[name] = password
        added = True
    if added:
        _write_private(path, json.dumps(passwords, indent=2))
    return passwords


def ensure_demo_fleet(
    settings: Settings, session_factory: sessionmaker[Session], count: int, seed: int
) -> Path:
    """Register the simulated fleet's chargers with one generated password; returns the
    password file the simulator reads."""
    path = _secret_file(settings, "fleet-password")
    if not path.exists():
        _write_private(path, secrets.token_urlsafe(24) + "\n")
    password = path.read_text(encoding="utf-8").strip()
    directory = ChargerDirectory(session_factory)
    sites: set[str] = set()
    for plan in plan_fleet(count, "mixed", seed):
        sites.add(plan.site)
        if directory.lookup(plan.charger_id) is not None:
            continue
        with contextlib.suppress(RegistrationError):
            directory.register(
                plan.charger_id, password, vendor=plan.model.vendor, model=plan.model.model
            )
    # the simulated drivers' card is a known one: their charges are Accepted (unknown cards
    # are Invalid, and a 1.6 charger then stops the charge)
    # and so is the test token a procedure's test charge starts with ($test_token)
    for tag in (DEFAULT_ID_TAG, settings.test_charge_id_tag):
        if tokens.find(session_factory, tag) is None:  # an operator's change stays
            tokens.save(
                session_factory,
                tokens.TokenChange(token=tag, status=TokenStatus.ACCEPTED),
                by="demo-setup",
            )
    # the demo partners work on the demo fleet's sites (a real operator assigns them)
    scope = Scope(session_factory)
    for name, role, _ in DEMO_USERS:
        if role == "partner":
            scope.assign(name, sorted(sites), by="demo-setup")
    return path


def import_sample_procedures(
    settings: Settings, session_factory: sessionmaker[Session]
) -> dict[str, list[str]]:
    with session_factory() as session:
        result = procedure_store.import_directory(
            session, settings.knowledge_base_dir / "procedures", "demo-setup"
        )
        session.commit()
    return result
