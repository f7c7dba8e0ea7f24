"""Assessments: quizzes with a versioned question bank, attempts, assignments with
their submissions and files; and when a cohort was closed.

Revision ID: 6f7a8b9cab15
Revises: 5e6f7a8b9ca4
Create Date: 2026-12-06 14:10:20.421052

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "6f7a8b9cab15"
down_revision = "5e6f7a8b9ca4"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("quiz", "assignment", name="assessment_kind", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("instructions", sa.Text(), server_default="", nullable=False),
        sa.Column("required", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("position", sa.Integer(), server_default="0", nullable=False),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opens_after_session", sa.Integer(), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_days_after_last_session", sa.Integer(), nullable=True),
        sa.Column("pass_mark_percent", sa.Integer(), server_default="80", nullable=False),
        sa.Column("attempts_allowed", sa.Integer(), nullable=True),
        sa.Column("time_limit_minutes", sa.Integer(), nullable=True),
        sa.Column("shuffle_questions", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("shuffle_options", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("archived", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "attempts_allowed IS NULL OR attempts_allowed > 0",
            name=op.f("ck_assessment_attempts_allowed_positive"),
        ),
        sa.CheckConstraint(
            "due_days_after_last_session IS NULL OR due_days_after_last_session >= 0",
            name=op.f("ck_assessment_due_days_not_negative"),
        ),
        sa.CheckConstraint(
            "opens_after_session IS NULL OR opens_after_session > 0",
            name=op.f("ck_assessment_opens_after_session_positive"),
        ),
        sa.CheckConstraint(
            "pass_mark_percent BETWEEN 0 AND 100", name=op.f("ck_assessment_pass_mark_range")
        ),
        sa.CheckConstraint(
            "time_limit_minutes IS NULL OR time_limit_minutes > 0",
            name=op.f("ck_assessment_time_limit_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_assessment_course_id_course"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment")),
    )
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.create_index(
            "ix_assessment_course_id_position", ["course_id", "position"], unique=False
        )

    op.create_table(
        "question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("retired", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("category", sa.String(length=100), server_default="", nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "single",
                "multiple",
                "true_false",
                name="question_type",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("points", sa.Integer(), server_default="1", nullable=False),
        sa.Column("feedback", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("points > 0", name=op.f("ck_question_points_positive")),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_question_course_id_course"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["family_id"],
            ["question.id"],
            name=op.f("fk_question_family_id_question"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question")),
        sa.UniqueConstraint("family_id", "version", name=op.f("uq_question_family_id_version")),
    )
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.create_index(
            "ix_question_course_id_category", ["course_id", "category"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_question_family_id"), ["family_id"], unique=False)

    op.create_table(
        "question_option",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), server_default="0", nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("correct", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("feedback", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["question.id"],
            name=op.f("fk_question_option_question_id_question"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question_option")),
    )
    with op.batch_alter_table("question_option", schema=None) as batch_op:
        batch_op.create_index(
            "ix_question_option_question_id_position", ["question_id", "position"], unique=False
        )

    op.create_table(
        "quiz_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), server_default="0", nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=True),
        sa.Column("draw_category", sa.String(length=100), nullable=True),
        sa.Column("draw_count", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(question_id IS NOT NULL AND draw_category IS NULL AND draw_count IS NULL) OR (question_id IS NULL AND draw_category IS NOT NULL AND draw_count > 0)",
            name=op.f("ck_quiz_item_question_or_draw"),
        ),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessment.id"],
            name=op.f("fk_quiz_item_assessment_id_assessment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["question.id"],
            name=op.f("fk_quiz_item_question_id_question"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quiz_item")),
    )
    with op.batch_alter_table("quiz_item", schema=None) as batch_op:
        batch_op.create_index(
            "ix_quiz_item_assessment_id_position", ["assessment_id", "position"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_quiz_item_question_id"), ["question_id"], unique=False)

    op.create_table(
        "attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("enrolment_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("timed_out", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("score", sa.Numeric(precision=7, scale=2), nullable=True),
        sa.Column("max_score", sa.Numeric(precision=7, scale=2), nullable=True),
        sa.Column("percent", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.Column("pass_mark_percent", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessment.id"],
            name=op.f("fk_attempt_assessment_id_assessment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["enrolment.id"],
            name=op.f("fk_attempt_enrolment_id_enrolment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attempt")),
        sa.UniqueConstraint(
            "assessment_id",
            "enrolment_id",
            "number",
            name=op.f("uq_attempt_assessment_id_enrolment_id_number"),
        ),
    )
    with op.batch_alter_table("attempt", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_attempt_assessment_id"), ["assessment_id"], unique=False
        )
        batch_op.create_index(
            "ix_attempt_deadline_at_unsubmitted",
            ["deadline_at"],
            unique=False,
            postgresql_where=sa.text("submitted_at IS NULL"),
            sqlite_where=sa.text("submitted_at IS NULL"),
        )
        batch_op.create_index(
            "ix_attempt_enrolment_id_assessment_id", ["enrolment_id", "assessment_id"], unique=False
        )

    op.create_table(
        "submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("enrolment_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), server_default="", nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("late", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "submitted",
                "passed",
                "referred",
                name="submission_status",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("feedback", sa.Text(), nullable=True),
        sa.Column("marked_by_id", sa.Integer(), nullable=True),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resubmit_by", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessment.id"],
            name=op.f("fk_submission_assessment_id_assessment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["enrolment.id"],
            name=op.f("fk_submission_enrolment_id_enrolment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["marked_by_id"],
            ["user_account.id"],
            name=op.f("fk_submission_marked_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission")),
        sa.UniqueConstraint(
            "assessment_id",
            "enrolment_id",
            "number",
            name=op.f("uq_submission_assessment_id_enrolment_id_number"),
        ),
    )
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.create_index(
            "ix_submission_assessment_id_status", ["assessment_id", "status"], unique=False
        )
        batch_op.create_index(
            "ix_submission_enrolment_id_assessment_id",
            ["enrolment_id", "assessment_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_submission_marked_by_id"), ["marked_by_id"], unique=False
        )

    op.create_table(
        "attempt_question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("option_order", sa.JSON(), nullable=False),
        sa.Column("selected", sa.JSON(), nullable=False),
        sa.Column("points_awarded", sa.Numeric(precision=7, scale=2), nullable=True),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["attempt.id"],
            name=op.f("fk_attempt_question_attempt_id_attempt"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["question.id"],
            name=op.f("fk_attempt_question_question_id_question"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attempt_question")),
        sa.UniqueConstraint(
            "attempt_id", "question_id", name=op.f("uq_attempt_question_attempt_id_question_id")
        ),
    )
    with op.batch_alter_table("attempt_question", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_attempt_question_question_id"), ["question_id"], unique=False
        )

    op.create_table(
        "submission_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("stored_name", sa.String(length=100), nullable=True),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submission.id"],
            name=op.f("fk_submission_file_submission_id_submission"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission_file")),
        sa.UniqueConstraint("submission_id", name=op.f("uq_submission_file_submission_id")),
    )
    with op.batch_alter_table("cohort", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("cohort", schema=None) as batch_op:
        batch_op.drop_column("closed_at")

    op.drop_table("submission_file")
    with op.batch_alter_table("attempt_question", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attempt_question_question_id"))

    op.drop_table("attempt_question")
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_submission_marked_by_id"))
        batch_op.drop_index("ix_submission_enrolment_id_assessment_id")
        batch_op.drop_index("ix_submission_assessment_id_status")

    op.drop_table("submission")
    with op.batch_alter_table("attempt", schema=None) as batch_op:
        batch_op.drop_index("ix_attempt_enrolment_id_assessment_id")
        batch_op.drop_index(
            "ix_attempt_deadline_at_unsubmitted",
            postgresql_where=sa.text("submitted_at IS NULL"),
            sqlite_where=sa.text("submitted_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_attempt_assessment_id"))

    op.drop_table("attempt")
    with op.batch_alter_table("quiz_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quiz_item_question_id"))
        batch_op.drop_index("ix_quiz_item_assessment_id_position")

    op.drop_table("quiz_item")
    with op.batch_alter_table("question_option", schema=None) as batch_op:
        batch_op.drop_index("ix_question_option_question_id_position")

    op.drop_table("question_option")
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_question_family_id"))
        batch_op.drop_index("ix_question_course_id_category")

    op.drop_table("question")
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.drop_index("ix_assessment_course_id_position")

    op.drop_table("assessment")
