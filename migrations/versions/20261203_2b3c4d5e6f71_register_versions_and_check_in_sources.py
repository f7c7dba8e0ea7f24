"""Attendance records carry a version (stale register saves are refused) and where a self check-in came from.

Revision ID: 2b3c4d5e6f71
Revises: 1a2b3c4d5e60
Create Date: 2026-12-03 00:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "2b3c4d5e6f71"
down_revision = "1a2b3c4d5e60"
branch_labels = None
depends_on = None


def upgrade():
    # On SQLite the table is rebuilt with AUTOINCREMENT, so the id of a deleted record (an
    # undone check-in) is never given to a new one, as PostgreSQL's sequence never does:
    # a register page names the record it showed by (id, version). SQLite cannot reflect
    # AUTOINCREMENT, so a later batch migration of this table must pass the same
    # table_kwargs to keep it.
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table(
        "attendance_record",
        schema=None,
        recreate="always" if sqlite else "auto",
        table_kwargs={"sqlite_autoincrement": True},
    ) as batch_op:
        # Existing records start at version 1, as new ones do.
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("check_in_device", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("check_in_address", sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table("attendance_record", schema=None) as batch_op:
        batch_op.drop_column("check_in_address")
        batch_op.drop_column("check_in_device")
        batch_op.drop_column("version")
