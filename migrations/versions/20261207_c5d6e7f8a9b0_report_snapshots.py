"""The reports: snapshots of a report page's figures (kept for a few minutes, so every app
process serves a page worked out once), and indexes for their years: enrolments by when
they ended (with their status and learner) and when their place was given, cohorts by
when they closed.

Revision ID: c5d6e7f8a9b0
Revises: b4c5d6e7f8a9
Create Date: 2026-12-07 11:25:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c5d6e7f8a9b0"
down_revision = "b4c5d6e7f8a9"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "report_snapshot",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_report_snapshot")),
    )
    op.create_index(
        "ix_enrolment_status_ended_at_learner_id",
        "enrolment",
        ["status", "ended_at", "learner_id"],
    )
    op.create_index("ix_enrolment_confirmed_at", "enrolment", ["confirmed_at"])
    op.create_index(op.f("ix_cohort_closed_at"), "cohort", ["closed_at"])


def downgrade():
    op.drop_index(op.f("ix_cohort_closed_at"), table_name="cohort")
    op.drop_index("ix_enrolment_confirmed_at", table_name="enrolment")
    op.drop_index("ix_enrolment_status_ended_at_learner_id", table_name="enrolment")
    op.drop_table("report_snapshot")
