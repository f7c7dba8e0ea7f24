"""Password links keep a reference and a digest, never the token; the outbox keeps what its retries need.

Revision ID: 1a2b3c4d5e60
Revises: 8c3f1d2e4b57
Create Date: 2026-12-03 00:00:00

Links mailed before this revision have no reference: their digest is the same SHA-256
as before, so they keep working until they expire (72 hours at most).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "1a2b3c4d5e60"
down_revision = "8c3f1d2e4b57"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("password_token") as batch_op:
        batch_op.add_column(sa.Column("reference", sa.String(length=32), nullable=True))

    with op.batch_alter_table("outbox_message") as batch_op:
        batch_op.add_column(sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_outbox_message_status_sent_at", ["status", "sent_at"])

    # The best that is known of messages already finished, and of those being retried
    # (whose retries now run for a period from their first refusal).
    op.execute(
        "UPDATE outbox_message SET last_attempt_at = COALESCE(sent_at, created_at) "
        "WHERE status IN ('sent', 'failed')"
    )
    op.execute(
        "UPDATE outbox_message SET failing_since = created_at "
        "WHERE status IN ('pending', 'sending') AND attempts > 0"
    )


def downgrade():
    with op.batch_alter_table("outbox_message") as batch_op:
        batch_op.drop_index("ix_outbox_message_status_sent_at")
        batch_op.drop_column("failing_since")
        batch_op.drop_column("last_attempt_at")

    with op.batch_alter_table("password_token") as batch_op:
        batch_op.drop_column("reference")
