"""vendor fault-code tables edited through the API (draft, publish)

Revision ID: 0450_fault_code_tables
Revises: 0430_id_tokens
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.db.base

revision = "0450_fault_code_tables"
down_revision = "0430_id_tokens"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fault_code_tables",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("vendor_key", sa.String(length=100), nullable=False),
        sa.Column("vendor", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("yaml_text", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", app.db.base.UTCDateTime(), nullable=False),
        sa.Column("published_by", sa.String(length=100), nullable=True),
        sa.Column("published_at", app.db.base.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fault_code_tables")),
        sa.UniqueConstraint("vendor_key", "version", name=op.f("uq_fault_code_tables_vendor_key")),
    )
    op.create_index(
        op.f("ix_fault_code_tables_vendor_key"), "fault_code_tables", ["vendor_key"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_fault_code_tables_vendor_key"), table_name="fault_code_tables")
    op.drop_table("fault_code_tables")
