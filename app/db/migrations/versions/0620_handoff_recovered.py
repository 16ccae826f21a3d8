"""ts_handoffs.recovered_at: the charger was healthy again while the handoff was open

Revision ID: 0620_handoff_recovered
Revises: 0610_security_event_time
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.db.base

revision = "0620_handoff_recovered"
down_revision = "0610_security_event_time"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ts_handoffs") as batch:
        batch.add_column(sa.Column("recovered_at", app.db.base.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ts_handoffs") as batch:
        batch.drop_column("recovered_at")
