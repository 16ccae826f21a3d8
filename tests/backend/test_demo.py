"""The embedded demo's setup: accounts, fleet registration, procedures import."""

from __future__ import annotations

import stat

from app.cli.common import open_storage
from app.demo import ensure_demo_fleet, ensure_demo_users, import_sample_procedures
from app.security.tokens import login
from app.security.users import qualifications_of
from app.simulator.config import plan_fleet


def test_demo_setup_is_idempotent_and_secrets_private(settings):
    factory = open_storage(settings)
    passwords = ensure_demo_users(settings, factory)
    assert set(passwords) == {"pat", "elena", "casey", "eddie", "admin"}
    assert ensure_demo_users(settings, factory) == passwords
    # the installer holds no electrical qualification; the electrician partner does
    assert qualifications_of(factory, "pat") == frozenset()
    assert qualifications_of(factory, "elena") == {"electrician"}
    assert login(factory, "pat", passwords["pat"]) is not None
    users_file = settings.data_dir / "demo" / "users.json"
    assert stat.S_IMODE(users_file.stat().st_mode) == 0o600

    password_file = ensure_demo_fleet(settings, factory, 5, seed=3)
    ensure_demo_fleet(settings, factory, 5, seed=3)  # again: nothing changes
    from app.csms.directory import ChargerDirectory

    directory = ChargerDirectory(factory)
    password = password_file.read_text().strip()
    for plan in plan_fleet(5, "mixed", 3):
        identity = directory.lookup(plan.charger_id)
        assert identity is not None and directory.verify(identity, password)

    # the simulated drivers' card is registered, so their charges are Accepted
    from app.authorization.store import TokenStore
    from app.simulator.config import DEFAULT_ID_TAG

    store = TokenStore(factory)
    store.load()
    assert store.authorize(DEFAULT_ID_TAG).status == "Accepted"
    # and so is the test token procedures' test charges start with
    assert store.authorize(settings.test_charge_id_tag).status == "Accepted"
    assert settings.test_charge_id_tag == "CHARGEFIX-TEST"
    assert store.authorize("SOMEONE-ELSES-CARD").status == "Invalid"

    result = import_sample_procedures(settings, factory)
    assert len(result["imported"]) >= 30 and result["failed"] == []
    assert import_sample_procedures(settings, factory)["imported"] == []
