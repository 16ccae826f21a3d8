"""monitoring: the monitors a charger's last complete NotifyMonitoringReport listed (N02)

Revision ID: 0550_monitoring
Revises: 0540_inventory
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.db.base

revision = "0550_monitoring"
down_revision = "0540_inventory"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "charger_monitors",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("charger_id", sa.String(length=64), nullable=False),
        sa.Column("selection", sa.String(length=30), nullable=False),
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
        sa.Column("monitor_id", sa.BigInteger(), nullable=False),
        sa.Column("transaction", sa.Boolean(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("type", sa.String(length=30), nullable=True),
        sa.Column("severity", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_charger_monitors")),
    )
    op.create_index(
        "ix_charger_monitors_charger", "charger_monitors", ["charger_id", "selection"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_charger_monitors_charger", table_name="charger_monitors")
    op.drop_table("charger_monitors")
