"""`chargefix chargers|tokens|users|db`: administration from the shell."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from app.cli.main import cli
from app.csms.directory import ChargerDirectory
from app.db.engine import make_engine, make_session_factory
from app.security.tokens import resolve_token


@pytest.fixture
def runner(settings, monkeypatch) -> CliRunner:
    monkeypatch.setenv("CHARGEFIX_DATA_DIR", str(settings.data_dir))
    return CliRunner()


def _factory(settings):
    return make_session_factory(make_engine(settings.resolved_database_url))


def test_chargers_add_list_remove(runner, settings):
    added = runner.invoke(cli, ["chargers", "add", "SITE-040-AC-01", "--vendor", "Voltara"])
    assert added.exit_code == 0, added.output
    password = added.output.split("password:")[1].strip()
    directory = ChargerDirectory(_factory(settings))
    identity = directory.lookup("SITE-040-AC-01")
    assert identity.site_id == "SITE-040" and directory.verify(identity, password)
    again = runner.invoke(cli, ["chargers", "add", "SITE-040-AC-01"])
    assert again.exit_code == 1 and "already registered" in again.output
    short = runner.invoke(cli, ["chargers", "add", "X1", "--password", "short"])
    assert short.exit_code == 1 and "too short" in short.output
    directory.set_status("SITE-040-AC-01", "commissioning")
    listed = runner.invoke(cli, ["chargers", "list"])
    assert "SITE-040-AC-01" in listed.output and "commissioning" in listed.output
    assert runner.invoke(cli, ["chargers", "remove", "SITE-040-AC-01"]).exit_code == 0
    assert runner.invoke(cli, ["chargers", "remove", "SITE-040-AC-01"]).exit_code == 1


def test_tokens_and_users(runner, settings):
    created = runner.invoke(cli, ["tokens", "create", "--role", "consultant", "--name", "script"])
    assert created.exit_code == 0, created.output
    principal = resolve_token(_factory(settings), created.output.strip())
    assert principal is not None and principal.role == "consultant"
    bad_role = runner.invoke(cli, ["tokens", "create", "--role", "boss", "--name", "x"])
    assert bad_role.exit_code == 1 and "unknown role" in bad_role.output
    user = runner.invoke(
        cli, ["users", "add", "pat", "--role", "partner", "--password", "long-enough-1"]
    )
    assert user.exit_code == 0, user.output
    assert "pat" in runner.invoke(cli, ["users", "list"]).output
    assert runner.invoke(cli, ["users", "remove", "pat"]).exit_code == 0
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0


def test_users_qualify_grants_withdraws_and_refuses_unknown(runner, settings):
    from app.security.users import qualifications_of

    granted = runner.invoke(cli, ["users", "qualify", "elena", "--add", "electrician"])
    assert granted.exit_code == 0 and "elena: electrician" in granted.output
    assert qualifications_of(_factory(settings), "elena") == {"electrician"}
    bad = runner.invoke(cli, ["users", "qualify", "elena", "--add", "sparky"])
    assert bad.exit_code == 1 and "unknown qualification 'sparky'" in bad.output
    assert "hv_dc" in bad.output  # the vocabulary is listed
    gone = runner.invoke(cli, ["users", "qualify", "elena", "--remove", "electrician"])
    assert gone.exit_code == 0 and "no qualifications" in gone.output


def test_chargers_add_with_security_profile_3(runner, settings):
    added = runner.invoke(cli, ["chargers", "add", "SITE-040-MTLS-01", "--security-profile", "3"])
    assert added.exit_code == 0, added.output
    directory = ChargerDirectory(_factory(settings))
    assert directory.lookup("SITE-040-MTLS-01").security_profile == 3
    bad = runner.invoke(cli, ["chargers", "add", "SITE-040-MTLS-02", "--security-profile", "4"])
    assert bad.exit_code == 2 and "security-profile" in bad.output
    listed = runner.invoke(cli, ["chargers", "list"])
    assert "SITE-040-MTLS-01" in listed.output and "profile" in listed.output
