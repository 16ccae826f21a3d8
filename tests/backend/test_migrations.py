"""The migrations build exactly the schema the models declare: a branch merged with its own
migration re-chained wrongly (two heads, a column lost) fails here, not in a user's database."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

import app.db.models
import app.db.models_diagnosis
import app.db.models_sessions  # noqa: F401  (the tables the metadata must hold)
from app.db.base import Base
from app.db.migrate import upgrade_to_head

ROOT = Path(__file__).resolve().parents[2]


def test_one_head_and_no_difference_from_the_models(tmp_path):
    config = Config(str(ROOT / "app" / "db" / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "app" / "db" / "migrations"))
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1
    url = f"sqlite:///{tmp_path / 'schema.db'}"
    upgrade_to_head(url)
    with create_engine(url).connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diffs == []
