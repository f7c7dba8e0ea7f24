"""Indexes on the columns `flask lms tick` and the mail senders filter by.

Revision ID: 5b1e7c2a9d40
Revises: 36d7d2644bc9
Create Date: 2026-12-02 00:50:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "5b1e7c2a9d40"
down_revision = "36d7d2644bc9"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("enrolment") as batch_op:
        batch_op.create_index("ix_enrolment_reminder_sent_at", ["reminder_sent_at"])
        batch_op.create_index(
            "ix_enrolment_attendance_warning_sent_at", ["attendance_warning_sent_at"]
        )

    with op.batch_alter_table("outbox_message") as batch_op:
        batch_op.create_index(
            "ix_outbox_message_status_next_attempt_at", ["status", "next_attempt_at"]
        )


def downgrade():
    with op.batch_alter_table("outbox_message") as batch_op:
        batch_op.drop_index("ix_outbox_message_status_next_attempt_at")
    with op.batch_alter_table("enrolment") as batch_op:
        batch_op.drop_index("ix_enrolment_attendance_warning_sent_at")
        batch_op.drop_index("ix_enrolment_reminder_sent_at")
