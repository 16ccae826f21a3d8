"""handoff cases: the handoffs open on one charger at once share a case id

Revision ID: 0480_handoff_cases
Revises: 0470_procedure_review
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0480_handoff_cases"
down_revision = "0470_procedure_review"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ts_handoffs") as batch:
        batch.add_column(sa.Column("case_id", sa.Integer(), nullable=True))
        batch.create_index("ix_ts_handoffs_case_id", ["case_id"])


def downgrade() -> None:
    with op.batch_alter_table("ts_handoffs") as batch:
        batch.drop_index("ix_ts_handoffs_case_id")
        batch.drop_column("case_id")
