"""log uploads: the log type, the GetLog requestId and the charger's reported upload status

Revision ID: 0580_log_uploads
Revises: 0570_customer_information
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.db.base import UTCDateTime

revision = "0580_log_uploads"
down_revision = "0570_customer_information"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("diagnostics_uploads") as batch:
        batch.add_column(sa.Column("log_type", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("request_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("charger_status", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("charger_status_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("diagnostics_uploads") as batch:
        for name in ("charger_status_at", "charger_status", "request_id", "log_type"):
            batch.drop_column(name)
