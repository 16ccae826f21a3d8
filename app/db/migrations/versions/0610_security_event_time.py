"""security_events: the charger's own time of a reported event (OCPP 2.0.1 A04)

Revision ID: 0610_security_event_time
Revises: 0600_transaction_trail
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.db.base

revision = "0610_security_event_time"
down_revision = "0600_transaction_trail"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("security_events") as batch:
        batch.add_column(sa.Column("reported_at", app.db.base.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("security_events") as batch:
        batch.drop_column("reported_at")
