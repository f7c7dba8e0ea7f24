"""Certificates are listed newest first: an index on (issued_at, id), so a page of the
PMO's list reads 25 rows, not all of them, and sorts nothing.

Revision ID: 8b9cabdced37
Revises: 7a8b9cabdc26
Create Date: 2026-12-07 00:50:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "8b9cabdced37"
down_revision = "7a8b9cabdc26"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.create_index("ix_certificate_issued_at_id", ["issued_at", "id"], unique=False)


def downgrade():
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.drop_index("ix_certificate_issued_at_id")
