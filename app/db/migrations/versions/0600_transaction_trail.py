"""transactions: signed start/stop meter values, offline events and seqNo holes (OCPP 2.0.1)

Revision ID: 0600_transaction_trail
Revises: 0580_log_uploads
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.db.base

revision = "0600_transaction_trail"
down_revision = "0580_log_uploads"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("transactions") as batch:
        batch.add_column(sa.Column("meter_start_signed", app.db.base.JSONType, nullable=True))
        batch.add_column(sa.Column("meter_stop_signed", app.db.base.JSONType, nullable=True))
        batch.add_column(sa.Column("offline_events", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("seq_gaps", app.db.base.JSONType, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("transactions") as batch:
        for name in ("seq_gaps", "offline_events", "meter_stop_signed", "meter_start_signed"):
            batch.drop_column(name)
