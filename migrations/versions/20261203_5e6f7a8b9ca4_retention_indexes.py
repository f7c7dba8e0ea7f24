"""Partial indexes on the attendance records retention still has to blank (register notes,
check-in sources), so `flask lms tick` finds them without reading every record.

Revision ID: 5e6f7a8b9ca4
Revises: 4d5e6f7a8b93
Create Date: 2026-12-03 01:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5e6f7a8b9ca4"
down_revision = "4d5e6f7a8b93"
branch_labels = None
depends_on = None

WITH_NOTE = "note IS NOT NULL"
WITH_CHECK_IN_SOURCE = "check_in_device IS NOT NULL OR check_in_address IS NOT NULL"


def upgrade():
    for name, where in (
        ("ix_attendance_record_session_id_with_note", WITH_NOTE),
        ("ix_attendance_record_session_id_with_check_in_source", WITH_CHECK_IN_SOURCE),
    ):
        op.create_index(
            name,
            "attendance_record",
            ["session_id"],
            postgresql_where=sa.text(where),
            sqlite_where=sa.text(where),
        )


def downgrade():
    op.drop_index("ix_attendance_record_session_id_with_check_in_source", "attendance_record")
    op.drop_index("ix_attendance_record_session_id_with_note", "attendance_record")
