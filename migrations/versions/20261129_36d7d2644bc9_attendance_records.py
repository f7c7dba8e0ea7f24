"""Attendance records, per-session check-in secrets and the attendance warning flag.

Revision ID: 36d7d2644bc9
Revises: 166d9eae9743
Create Date: 2026-11-29 09:47:59.380162

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "36d7d2644bc9"
down_revision = "166d9eae9743"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "attendance_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("enrolment_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "present",
                "late",
                "left_early",
                "absent",
                "excused",
                name="attendance_status",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column(
            "method",
            sa.Enum(
                "register",
                "self_check_in",
                "automatic",
                name="attendance_method",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("marked_by_id", sa.Integer(), nullable=True),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["enrolment.id"],
            name=op.f("fk_attendance_record_enrolment_id_enrolment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["marked_by_id"],
            ["user_account.id"],
            name=op.f("fk_attendance_record_marked_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["cohort_session.id"],
            name=op.f("fk_attendance_record_session_id_cohort_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance_record")),
        sa.UniqueConstraint(
            "session_id", "enrolment_id", name=op.f("uq_attendance_record_session_id_enrolment_id")
        ),
    )
    with op.batch_alter_table("attendance_record", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_attendance_record_enrolment_id"), ["enrolment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_attendance_record_marked_by_id"), ["marked_by_id"], unique=False
        )

    with op.batch_alter_table("cohort_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("check_in_secret", sa.String(length=64), nullable=True))

    with op.batch_alter_table("enrolment", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("attendance_warning_sent_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade():
    with op.batch_alter_table("enrolment", schema=None) as batch_op:
        batch_op.drop_column("attendance_warning_sent_at")

    with op.batch_alter_table("cohort_session", schema=None) as batch_op:
        batch_op.drop_column("check_in_secret")

    with op.batch_alter_table("attendance_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attendance_record_marked_by_id"))
        batch_op.drop_index(batch_op.f("ix_attendance_record_enrolment_id"))

    op.drop_table("attendance_record")
