"""charger status: commissioning (BootNotification Pending), active, blocked (Rejected)

Revision ID: 0520_charger_status
Revises: 0510_monitoring
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0520_charger_status"
down_revision = "0510_monitoring"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("chargers") as batch:
        batch.add_column(
            sa.Column("status", sa.String(length=20), nullable=False, server_default="active")
        )


def downgrade() -> None:
    with op.batch_alter_table("chargers") as batch:
        batch.drop_column("status")
