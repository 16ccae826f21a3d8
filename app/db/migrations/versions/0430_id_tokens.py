"""id tokens: the cards and codes Authorize, StartTransaction and TransactionEvent answer for

Revision ID: 0430_id_tokens
Revises: 0420_dead_letters
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.db.base

revision = "0430_id_tokens"
down_revision = "0420_dead_letters"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "id_tokens",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("token", sa.String(length=36), nullable=False),
        sa.Column("token_key", sa.String(length=36), nullable=False),
        sa.Column("token_type", sa.String(length=20), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("expires_at", app.db.base.UTCDateTime(), nullable=True),
        sa.Column("group_id", sa.String(length=36), nullable=True),
        sa.Column("updated_at", app.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_id_tokens")),
        sa.UniqueConstraint("token_key", name=op.f("uq_id_tokens_token_key")),
    )


def downgrade() -> None:
    op.drop_table("id_tokens")
