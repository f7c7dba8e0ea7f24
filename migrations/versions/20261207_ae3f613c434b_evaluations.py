"""Evaluations at Kirkpatrick's four levels: reaction surveys (questions versioned per
course, with defaults), confidence before and after against learning outcomes, the 3-
and 6-month follow-ups after a completion; and who has been invited to evaluate a course,
so that closing a cohort again invites nobody twice.

Revision ID: ae3f613c434b
Revises: ad0b1c2d3e4f
Create Date: 2026-12-07 10:23:05.150058

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "ae3f613c434b"
down_revision = "ad0b1c2d3e4f"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "course_evaluation",
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("anonymous", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("own_questions", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_course_evaluation_course_id_course"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("course_id", name=op.f("pk_course_evaluation")),
    )
    op.create_table(
        "reaction_question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("scale", "text", name="reaction_question_kind", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("text", sa.String(length=300), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("replaces_id", sa.Integer(), nullable=True),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_reaction_question_version_positive")),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_reaction_question_course_id_course"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["replaces_id"],
            ["reaction_question.id"],
            name=op.f("fk_reaction_question_replaces_id_reaction_question"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reaction_question")),
    )
    with op.batch_alter_table("reaction_question", schema=None) as batch_op:
        batch_op.create_index(
            "ix_reaction_question_course_id_position", ["course_id", "position"], unique=False
        )

    op.create_table(
        "confidence_rating",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enrolment_id", sa.Integer(), nullable=False),
        sa.Column(
            "phase",
            sa.Enum("before", "after", name="confidence_phase", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("outcome_index", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=500), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "score BETWEEN 1 AND 5", name=op.f("ck_confidence_rating_score_on_scale")
        ),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["enrolment.id"],
            name=op.f("fk_confidence_rating_enrolment_id_enrolment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_confidence_rating")),
        sa.UniqueConstraint(
            "enrolment_id",
            "phase",
            "outcome_index",
            name=op.f("uq_confidence_rating_enrolment_id_phase_outcome_index"),
        ),
    )
    op.create_table(
        "follow_up",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enrolment_id", sa.Integer(), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "project_since",
            sa.Enum(
                "led",
                "worked_on",
                "neither",
                name="follow_up_project_since",
                native_enum=False,
                length=20,
            ),
            nullable=True,
        ),
        sa.Column("applied", sa.Text(), nullable=True),
        sa.CheckConstraint("months IN (3, 6)", name=op.f("ck_follow_up_months_known")),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["enrolment.id"],
            name=op.f("fk_follow_up_enrolment_id_enrolment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_up")),
        sa.UniqueConstraint(
            "enrolment_id", "months", name=op.f("uq_follow_up_enrolment_id_months")
        ),
    )
    with op.batch_alter_table("follow_up", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_follow_up_answered_at"), ["answered_at"], unique=False)

    op.create_table(
        "reaction_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enrolment_id", sa.Integer(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["enrolment.id"],
            name=op.f("fk_reaction_response_enrolment_id_enrolment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reaction_response")),
        sa.UniqueConstraint("enrolment_id", name=op.f("uq_reaction_response_enrolment_id")),
    )
    op.create_table(
        "reaction_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "score IS NULL OR score BETWEEN 1 AND 5", name=op.f("ck_reaction_answer_score_on_scale")
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["reaction_question.id"],
            name=op.f("fk_reaction_answer_question_id_reaction_question"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["reaction_response.id"],
            name=op.f("fk_reaction_answer_response_id_reaction_response"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reaction_answer")),
        sa.UniqueConstraint(
            "response_id", "question_id", name=op.f("uq_reaction_answer_response_id_question_id")
        ),
    )
    with op.batch_alter_table("reaction_answer", schema=None) as batch_op:
        batch_op.create_index("ix_reaction_answer_question_id", ["question_id"], unique=False)

    op.create_table(
        "evaluation_invitation",
        sa.Column("enrolment_id", sa.Integer(), nullable=False),
        sa.Column("reaction_invited_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["enrolment.id"],
            name=op.f("fk_evaluation_invitation_enrolment_id_enrolment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("enrolment_id", name=op.f("pk_evaluation_invitation")),
    )


def downgrade():
    op.drop_table("evaluation_invitation")
    with op.batch_alter_table("reaction_answer", schema=None) as batch_op:
        batch_op.drop_index("ix_reaction_answer_question_id")

    op.drop_table("reaction_answer")
    op.drop_table("reaction_response")
    with op.batch_alter_table("follow_up", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_follow_up_answered_at"))

    op.drop_table("follow_up")
    op.drop_table("confidence_rating")
    with op.batch_alter_table("reaction_question", schema=None) as batch_op:
        batch_op.drop_index("ix_reaction_question_course_id_position")

    op.drop_table("reaction_question")
    op.drop_table("course_evaluation")
