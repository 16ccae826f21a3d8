"""backend nodes (several nodes share one database)

Revision ID: 0300_nodes
Revises: 0200_diagnosis
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.db.base

revision = "0300_nodes"
down_revision = "0200_diagnosis"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "nodes",
        sa.Column("node_id", sa.String(length=64), nullable=False),
        sa.Column("api_url", sa.String(length=300), nullable=False),
        sa.Column("started_at", app.db.base.UTCDateTime(), nullable=False),
        sa.Column("seen_at", app.db.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("node_id", name=op.f("pk_nodes")),
    )


def downgrade() -> None:
    op.drop_table("nodes")
