"""charger status: commissioning (BootNotification Pending), active, blocked (Rejected)

Revision ID: 0560_charger_status
Revises: 0550_monitoring
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0560_charger_status"
down_revision = "0550_monitoring"
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
