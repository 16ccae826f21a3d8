"""customer information: the data a station reported for a CustomerInformation request (N09)

Revision ID: 0570_customer_information
Revises: 0560_charger_status
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.db.base

revision = "0570_customer_information"
down_revision = "0560_charger_status"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customer_information",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("charger_id", sa.String(length=64), nullable=False),
        sa.Column("request_id", sa.BigInteger(), nullable=False),
        sa.Column("generated_at", app.db.base.UTCDateTime(), nullable=False),
        sa.Column("stored_at", app.db.base.UTCDateTime(), nullable=False),
        sa.Column("truncated", sa.Boolean(), nullable=False),
        sa.Column("parts", sa.Integer(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_information")),
    )
    op.create_index(
        "ix_customer_information_charger", "customer_information", ["charger_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_customer_information_charger", table_name="customer_information")
    op.drop_table("customer_information")
