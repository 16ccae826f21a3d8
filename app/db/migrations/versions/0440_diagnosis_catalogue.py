"""diagnosis catalogue: each diagnosis names its catalogue entry, standard code, safety class
and who is responsible

Revision ID: 0440_diagnosis_catalogue
Revises: 0450_fault_code_tables
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0440_diagnosis_catalogue"
down_revision = "0450_fault_code_tables"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("diagnoses") as batch:
        batch.add_column(sa.Column("catalogue_entry", sa.String(length=120), nullable=True))
        batch.add_column(sa.Column("standard_code", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("safety_class", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("responsible", sa.String(length=32), nullable=True))
        batch.create_index("ix_diagnoses_responsible", ["responsible"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("diagnoses") as batch:
        batch.drop_index("ix_diagnoses_responsible")
        batch.drop_column("responsible")
        batch.drop_column("safety_class")
        batch.drop_column("standard_code")
        batch.drop_column("catalogue_entry")
