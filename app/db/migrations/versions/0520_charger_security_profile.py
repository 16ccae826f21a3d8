"""charger security profile: 3 = TLS client certificate instead of HTTP Basic

Revision ID: 0520_charger_security_profile
Revises: 0510_password_rotation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0520_charger_security_profile"
down_revision = "0510_password_rotation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("chargers") as batch:
        batch.add_column(sa.Column("security_profile", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("chargers") as batch:
        batch.drop_column("security_profile")
