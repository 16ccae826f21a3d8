"""inventory: a charger's device model as its last complete NotifyReport said (B07/B08)

Revision ID: 0540_inventory
Revises: 0520_charger_security_profile
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import app.db.base

revision = "0540_inventory"
down_revision = "0520_charger_security_profile"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "charger_inventory",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("charger_id", sa.String(length=64), nullable=False),
        sa.Column("report_base", sa.String(length=30), nullable=False),
        sa.Column("request_id", sa.BigInteger(), nullable=False),
        sa.Column("generated_at", app.db.base.UTCDateTime(), nullable=False),
        sa.Column("stored_at", app.db.base.UTCDateTime(), nullable=False),
        sa.Column("truncated", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("component", sa.String(length=50), nullable=False),
        sa.Column("component_instance", sa.String(length=50), nullable=True),
        sa.Column("evse_id", sa.Integer(), nullable=True),
        sa.Column("connector_id", sa.Integer(), nullable=True),
        sa.Column("variable", sa.String(length=50), nullable=False),
        sa.Column("variable_instance", sa.String(length=50), nullable=True),
        sa.Column("attributes", JSON, nullable=False),
        sa.Column("characteristics", JSON, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_charger_inventory")),
    )
    op.create_index(
        "ix_charger_inventory_charger",
        "charger_inventory",
        ["charger_id", "report_base"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_charger_inventory_charger", table_name="charger_inventory")
    op.drop_table("charger_inventory")
