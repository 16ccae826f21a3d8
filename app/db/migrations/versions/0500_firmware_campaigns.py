"""firmware campaigns: an update across the chargers of one model, a few sites at a time

Revision ID: 0500_firmware_campaigns
Revises: 0480_handoff_cases
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.db.base

revision = "0500_firmware_campaigns"
down_revision = "0480_handoff_cases"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "firmware_campaigns",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("model", sa.String(length=100), nullable=False),
        sa.Column("from_version", sa.String(length=100), nullable=True),
        sa.Column("update", app.db.base.JSONType, nullable=False),
        sa.Column("max_sites", sa.Integer(), nullable=False),
        sa.Column("stop_after_failures", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("stop_reason", sa.String(length=500), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", app.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", app.db.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_firmware_campaigns")),
    )
    op.create_table(
        "firmware_campaign_items",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("campaign_id", BigId, nullable=False),
        sa.Column("charger_id", sa.String(length=64), nullable=False),
        sa.Column("site_id", sa.String(length=64), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("firmware_status", sa.String(length=40), nullable=True),
        sa.Column("request_id", sa.BigInteger(), nullable=True),
        sa.Column("old_version", sa.String(length=100), nullable=True),
        sa.Column("new_version", sa.String(length=100), nullable=True),
        sa.Column("detail", sa.String(length=500), nullable=True),
        sa.Column("updated_at", app.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["firmware_campaigns.id"],
            name=op.f("fk_firmware_campaign_items_campaign_id_firmware_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_firmware_campaign_items")),
        sa.UniqueConstraint(
            "campaign_id", "charger_id", name=op.f("uq_firmware_campaign_items_campaign_id")
        ),
    )
    op.create_index(
        op.f("ix_firmware_campaign_items_campaign_id"),
        "firmware_campaign_items",
        ["campaign_id"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_firmware_campaign_items_campaign_id"), table_name="firmware_campaign_items"
    )
    op.drop_table("firmware_campaign_items")
    op.drop_table("firmware_campaigns")
