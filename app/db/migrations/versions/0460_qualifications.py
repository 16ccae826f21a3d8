"""qualifications people hold (electrician, hv_dc, ...): the procedure engine's safety gate

Revision ID: 0460_qualifications
Revises: 0440_diagnosis_catalogue
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.db.base

revision = "0460_qualifications"
down_revision = "0440_diagnosis_catalogue"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_qualifications",
        sa.Column("user_name", sa.String(length=100), nullable=False),
        sa.Column("qualification", sa.String(length=40), nullable=False),
        sa.Column("granted_by", sa.String(length=100), nullable=True),
        sa.Column("granted_at", app.db.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("user_name", "qualification", name=op.f("pk_user_qualifications")),
    )


def downgrade() -> None:
    op.drop_table("user_qualifications")
