"""Demo accounts for ``chargefix run`` (local demo mode ONLY).

The passwords below are fixed and public: call :func:`ensure_demo_users` only when the lead's
``chargefix run`` is started in demo mode on a local machine, never on a reachable server.
"""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from app.security.users import add_user, list_users

DEMO_USERS: dict[str, tuple[str, str, str]] = {
    # name: (role, display name, password) -- fixed demo passwords, local demo mode only
    "pat": ("partner", "Pat (service partner)", "pat-demo-1234"),
    "casey": ("consultant", "Casey (consultant)", "casey-demo-1234"),
    "eddie": ("editor", "Eddie (editor)", "eddie-demo-1234"),
    "admin": ("admin", "Admin", "admin-demo-1234"),
}


def ensure_demo_users(session_factory: sessionmaker[Session]) -> dict[str, str]:
    """Create the demo users that do not exist yet; returns ``{name: password}`` of all four.

    An existing account keeps its password only if it is not a demo account we made: the demo
    accounts are reset to the fixed demo password so the printed credentials always work.
    """
    existing = {user.name for user in list_users(session_factory)}
    for name, (role, display, password) in DEMO_USERS.items():
        add_user(session_factory, name, password, role, display, replace=name in existing)
    return {name: password for name, (_, _, password) in DEMO_USERS.items()}
