"""The people list's order as an index, so any page of 20,000 people is an index scan.

Revision ID: 8c3f1d2e4b57
Revises: 5b1e7c2a9d40
Create Date: 2026-12-02 04:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "8c3f1d2e4b57"
down_revision = "5b1e7c2a9d40"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_user_account_full_name_lower",
        "user_account",
        [sa.text("lower(full_name)"), "id"],
    )


def downgrade():
    op.drop_index("ix_user_account_full_name_lower", table_name="user_account")
