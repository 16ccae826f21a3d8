"""password rotation: a charger's pending Basic-auth password until it logs in with it

Revision ID: 0510_password_rotation
Revises: 0500_firmware_campaigns
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.db.base

revision = "0510_password_rotation"
down_revision = "0500_firmware_campaigns"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("chargers") as batch:
        batch.add_column(sa.Column("pending_password_hash", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("pending_password_state", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("pending_password_at", app.db.base.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("chargers") as batch:
        batch.drop_column("pending_password_at")
        batch.drop_column("pending_password_state")
        batch.drop_column("pending_password_hash")
