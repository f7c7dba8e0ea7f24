"""Cohorts, their sessions and trainers, enrolments, prerequisites and calendar feeds.

Revision ID: 166d9eae9743
Revises: f395245f02d0
Create Date: 2026-11-29 09:02:58.830576

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "166d9eae9743"
down_revision = "f395245f02d0"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "calendar_feed",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_calendar_feed_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feed")),
        sa.UniqueConstraint("token", name=op.f("uq_calendar_feed_token")),
        sa.UniqueConstraint("user_id", name=op.f("uq_calendar_feed_user_id")),
    )
    op.create_table(
        "cohort",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("enrolment_opens_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("enrolment_closes_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("venue", sa.String(length=200), nullable=True),
        sa.Column("online_link", sa.String(length=500), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "planned",
                "open",
                "running",
                "closed",
                "cancelled",
                name="cohort_status",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("capacity > 0", name=op.f("ck_cohort_capacity_positive")),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_cohort_course_id_course"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cohort")),
        sa.UniqueConstraint("code", name=op.f("uq_cohort_code")),
    )
    with op.batch_alter_table("cohort", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cohort_course_id"), ["course_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cohort_status"), ["status"], unique=False)

    op.create_table(
        "course_prerequisite",
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("prerequisite_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_course_prerequisite_course_id_course"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["prerequisite_id"],
            ["course.id"],
            name=op.f("fk_course_prerequisite_prerequisite_id_course"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "course_id", "prerequisite_id", name=op.f("pk_course_prerequisite")
        ),
    )
    with op.batch_alter_table("course_prerequisite", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_course_prerequisite_prerequisite_id"), ["prerequisite_id"], unique=False
        )

    op.create_table(
        "cohort_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column("cancelled", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_cohort_session_ends_after_start")),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["cohort.id"],
            name=op.f("fk_cohort_session_cohort_id_cohort"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cohort_session")),
    )
    with op.batch_alter_table("cohort_session", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cohort_session_cohort_id"), ["cohort_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_cohort_session_starts_at"), ["starts_at"], unique=False
        )

    op.create_table(
        "cohort_trainer",
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["cohort.id"],
            name=op.f("fk_cohort_trainer_cohort_id_cohort"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_cohort_trainer_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("cohort_id", "user_id", name=op.f("pk_cohort_trainer")),
    )
    with op.batch_alter_table("cohort_trainer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cohort_trainer_user_id"), ["user_id"], unique=False)

    op.create_table(
        "enrolment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending_approval",
                "confirmed",
                "waitlisted",
                "rejected",
                "cancelled",
                "withdrawn",
                "completed",
                "not_completed",
                name="enrolment_status",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decision_reason", sa.String(length=500), nullable=True),
        sa.Column("reminder_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["cohort.id"],
            name=op.f("fk_enrolment_cohort_id_cohort"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["user_account.id"],
            name=op.f("fk_enrolment_decided_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["user_account.id"],
            name=op.f("fk_enrolment_learner_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrolment")),
        sa.UniqueConstraint(
            "cohort_id", "learner_id", name=op.f("uq_enrolment_cohort_id_learner_id")
        ),
    )
    with op.batch_alter_table("enrolment", schema=None) as batch_op:
        batch_op.create_index(
            "ix_enrolment_cohort_id_status_requested_at",
            ["cohort_id", "status", "requested_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_enrolment_decided_by_id"), ["decided_by_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_enrolment_learner_id"), ["learner_id"], unique=False)


def downgrade():
    with op.batch_alter_table("enrolment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enrolment_learner_id"))
        batch_op.drop_index(batch_op.f("ix_enrolment_decided_by_id"))
        batch_op.drop_index("ix_enrolment_cohort_id_status_requested_at")

    op.drop_table("enrolment")
    with op.batch_alter_table("cohort_trainer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cohort_trainer_user_id"))

    op.drop_table("cohort_trainer")
    with op.batch_alter_table("cohort_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cohort_session_starts_at"))
        batch_op.drop_index(batch_op.f("ix_cohort_session_cohort_id"))

    op.drop_table("cohort_session")
    with op.batch_alter_table("course_prerequisite", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_course_prerequisite_prerequisite_id"))

    op.drop_table("course_prerequisite")
    with op.batch_alter_table("cohort", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cohort_status"))
        batch_op.drop_index(batch_op.f("ix_cohort_course_id"))

    op.drop_table("cohort")
    op.drop_table("calendar_feed")
