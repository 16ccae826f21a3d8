"""command gateway: who acted on whose behalf, overrides; sites assigned to partners

Revision ID: 0400_command_gateway
Revises: 0300_nodes
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.db.base

revision = "0400_command_gateway"
down_revision = "0300_nodes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("commands") as batch:
        batch.add_column(sa.Column("origin", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("on_behalf_of", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("overrides", sa.String(length=100), nullable=True))
    op.create_table(
        "partner_sites",
        sa.Column("partner", sa.String(length=100), nullable=False),
        sa.Column("site_id", sa.String(length=64), nullable=False),
        sa.Column("assigned_by", sa.String(length=100), nullable=True),
        sa.Column("assigned_at", app.db.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("partner", "site_id", name=op.f("pk_partner_sites")),
    )


def downgrade() -> None:
    op.drop_table("partner_sites")
    with op.batch_alter_table("commands") as batch:
        batch.drop_column("overrides")
        batch.drop_column("on_behalf_of")
        batch.drop_column("origin")
