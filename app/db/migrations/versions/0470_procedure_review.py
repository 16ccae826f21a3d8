"""procedure review: a second editor approves a version with hazardous steps before publish

Revision ID: 0470_procedure_review
Revises: 0460_qualifications
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.db.base

revision = "0470_procedure_review"
down_revision = "0460_qualifications"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("procedure_versions") as batch:
        batch.add_column(sa.Column("approved_by", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("approved_at", app.db.base.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("procedure_versions") as batch:
        batch.drop_column("approved_at")
        batch.drop_column("approved_by")
