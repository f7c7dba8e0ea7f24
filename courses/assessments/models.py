"""Assessments: a course's quizzes and assignments, its question bank, and each learner's
attempts and submissions.

An assessment belongs to a course, so every cohort of the course takes the same one;
when it opens and falls due is worked out per cohort (`schedule.py`). Attempts and
submissions belong to an enrolment, so a learner who joins a later cohort starts afresh.

Questions are versioned: a question that any attempt has used is never changed. Editing
it writes a new version (a new row of the same `family_id`) and retires the old one, so
a submitted attempt keeps the wording, options and score it was marked against.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from courses.models import Course, Enrolment, _enum
from lms.auth.models import User
from lms.core.db import Base, StoredFileMixin, TimestampMixin


class AssessmentKind(enum.StrEnum):
    QUIZ = "quiz"
    ASSIGNMENT = "assignment"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class QuestionType(enum.StrEnum):
    SINGLE = "single"  # one correct option
    MULTIPLE = "multiple"  # one or more correct options; all and only those score
    TRUE_FALSE = "true_false"  # the options "True" and "False", one correct

    @property
    def label(self) -> str:
        return {
            "single": "Single choice",
            "multiple": "Multiple choice",
            "true_false": "True or false",
        }[self.value]


class Assessment(TimestampMixin, Base):
    """A quiz or an assignment of a course; `required` ones decide completion."""

    __tablename__ = "assessment"
    __table_args__ = (
        CheckConstraint("pass_mark_percent BETWEEN 0 AND 100", name="pass_mark_range"),
        CheckConstraint(
            "attempts_allowed IS NULL OR attempts_allowed > 0", name="attempts_allowed_positive"
        ),
        CheckConstraint(
            "time_limit_minutes IS NULL OR time_limit_minutes > 0", name="time_limit_positive"
        ),
        CheckConstraint(
            "opens_after_session IS NULL OR opens_after_session > 0",
            name="opens_after_session_positive",
        ),
        CheckConstraint(
            "due_days_after_last_session IS NULL OR due_days_after_last_session >= 0",
            name="due_days_not_negative",
        ),
        Index("ix_assessment_course_id_position", "course_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    kind: Mapped[AssessmentKind] = mapped_column(_enum(AssessmentKind, "assessment_kind"))
    title: Mapped[str] = mapped_column(String(200))
    # What the learner reads first: a quiz's instructions, an assignment's brief.
    instructions: Mapped[str] = mapped_column(Text, default="", server_default="")
    required: Mapped[bool] = mapped_column(default=True, server_default=true())
    position: Mapped[int] = mapped_column(default=0, server_default="0")
    # When it opens, per cohort: at a moment, or when the cohort's Nth session ends
    # (counting held sessions in order); neither: as soon as the learner is confirmed.
    opens_at: Mapped[datetime | None]
    opens_after_session: Mapped[int | None]
    # When it is due, per cohort: at a moment, or N days after the cohort's last session
    # ends (at the end of that day, UK time); neither: no due date.
    due_at: Mapped[datetime | None]
    due_days_after_last_session: Mapped[int | None]
    # Quizzes only.
    pass_mark_percent: Mapped[int] = mapped_column(default=80, server_default="80")
    attempts_allowed: Mapped[int | None]  # None: unlimited
    time_limit_minutes: Mapped[int | None]
    shuffle_questions: Mapped[bool] = mapped_column(default=False, server_default=false())
    shuffle_options: Mapped[bool] = mapped_column(default=False, server_default=false())
    # An admin can retire an assessment that is no longer set; attempts and marks stay.
    archived: Mapped[bool] = mapped_column(default=False, server_default=false())

    course: Mapped[Course] = relationship()
    items: Mapped[list[QuizItem]] = relationship(
        back_populates="assessment", order_by="QuizItem.position", cascade="all, delete-orphan"
    )

    @property
    def is_quiz(self) -> bool:
        return self.kind == AssessmentKind.QUIZ

    def __str__(self) -> str:
        return self.title


class Question(TimestampMixin, Base):
    """One version of a question in a course's bank.

    `family_id` is the id of the question's first version, shared by every version; the
    bank shows the versions that are not `retired`. Quizzes point at a version; editing
    a version that an attempt has used retires it and repoints the quizzes at the new one.
    """

    __tablename__ = "question"
    __table_args__ = (
        CheckConstraint("points > 0", name="points_positive"),
        UniqueConstraint("family_id", "version"),
        Index("ix_question_course_id_category", "course_id", "category"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    family_id: Mapped[int | None] = mapped_column(
        ForeignKey("question.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    retired: Mapped[bool] = mapped_column(default=False, server_default=false())
    # A bank category ("Risk", "Planning") that quizzes can draw random questions from.
    category: Mapped[str] = mapped_column(String(100), default="", server_default="")
    type: Mapped[QuestionType] = mapped_column(_enum(QuestionType, "question_type"))
    text: Mapped[str] = mapped_column(Text)
    points: Mapped[int] = mapped_column(default=1, server_default="1")
    # Shown after submission: why the answer is what it is.
    feedback: Mapped[str] = mapped_column(Text, default="", server_default="")

    course: Mapped[Course] = relationship()
    options: Mapped[list[QuestionOption]] = relationship(
        back_populates="question",
        order_by="QuestionOption.position",
        cascade="all, delete-orphan",
    )


class QuestionOption(Base):
    __tablename__ = "question_option"
    __table_args__ = (Index("ix_question_option_question_id_position", "question_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0, server_default="0")
    text: Mapped[str] = mapped_column(String(500))
    correct: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Shown after submission beside this option, when the learner chose it.
    feedback: Mapped[str] = mapped_column(Text, default="", server_default="")

    question: Mapped[Question] = relationship(back_populates="options")


class QuizItem(Base):
    """One place in a quiz: a question from the bank, or N questions drawn at random
    from a bank category when an attempt starts."""

    __tablename__ = "quiz_item"
    __table_args__ = (
        CheckConstraint(
            "(question_id IS NOT NULL AND draw_category IS NULL AND draw_count IS NULL) OR "
            "(question_id IS NULL AND draw_category IS NOT NULL AND draw_count > 0)",
            name="question_or_draw",
        ),
        Index("ix_quiz_item_assessment_id_position", "assessment_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0, server_default="0")
    question_id: Mapped[int | None] = mapped_column(
        ForeignKey("question.id", ondelete="RESTRICT"), index=True
    )
    draw_category: Mapped[str | None] = mapped_column(String(100))
    draw_count: Mapped[int | None]

    assessment: Mapped[Assessment] = relationship(back_populates="items")
    question: Mapped[Question | None] = relationship()


class Attempt(Base):
    """One try at a quiz by a learner on one enrolment.

    In progress until submitted; once its deadline (`deadline_at`, from the time limit)
    has passed it can only be finished with the answers saved before then. `score`,
    `max_score`, `percent` and `passed` are set when it is marked and never change.
    """

    __tablename__ = "attempt"
    __table_args__ = (
        UniqueConstraint("assessment_id", "enrolment_id", "number"),
        Index("ix_attempt_enrolment_id_assessment_id", "enrolment_id", "assessment_id"),
        # `flask lms tick` finds unfinished attempts whose time is up without a scan.
        Index(
            "ix_attempt_deadline_at_unsubmitted",
            "deadline_at",
            postgresql_where=text("submitted_at IS NULL"),
            sqlite_where=text("submitted_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessment.id", ondelete="CASCADE"), index=True
    )
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id", ondelete="CASCADE"))
    number: Mapped[int]  # 1 for the first attempt
    started_at: Mapped[datetime]
    deadline_at: Mapped[datetime | None]  # None: no time limit
    submitted_at: Mapped[datetime | None]
    # True when time ran out and the answers saved by the deadline were marked.
    timed_out: Mapped[bool] = mapped_column(default=False, server_default=false())
    score: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    max_score: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    passed: Mapped[bool | None]
    pass_mark_percent: Mapped[int]  # as it was when the attempt started

    assessment: Mapped[Assessment] = relationship()
    enrolment: Mapped[Enrolment] = relationship()
    questions: Mapped[list[AttemptQuestion]] = relationship(
        back_populates="attempt", order_by="AttemptQuestion.position", cascade="all, delete-orphan"
    )

    @property
    def submitted(self) -> bool:
        return self.submitted_at is not None


class AttemptQuestion(Base):
    """One question as this attempt shows it: the version, its place, the order of its
    options, what the learner chose so far, and (once marked) the points given."""

    __tablename__ = "attempt_question"
    __table_args__ = (UniqueConstraint("attempt_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(
        ForeignKey("question.id", ondelete="RESTRICT"), index=True
    )
    position: Mapped[int]
    option_order: Mapped[list[int]] = mapped_column(JSON)  # option ids as shown
    selected: Mapped[list[int]] = mapped_column(JSON, default=list)  # option ids chosen
    points_awarded: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))

    attempt: Mapped[Attempt] = relationship(back_populates="questions")
    question: Mapped[Question] = relationship()


class SubmissionStatus(enum.StrEnum):
    SUBMITTED = "submitted"  # waiting to be marked
    PASSED = "passed"
    REFERRED = "referred"  # not yet passed: the learner may resubmit

    @property
    def label(self) -> str:
        return {"submitted": "Waiting to be marked", "passed": "Passed", "referred": "Referred"}[
            self.value
        ]


class Submission(TimestampMixin, Base):
    """One submission of an assignment by a learner on one enrolment: text and at most one
    file. A referred learner resubmits as a new submission with the next `number`."""

    __tablename__ = "submission"
    __table_args__ = (
        UniqueConstraint("assessment_id", "enrolment_id", "number"),
        Index("ix_submission_enrolment_id_assessment_id", "enrolment_id", "assessment_id"),
        Index("ix_submission_assessment_id_status", "assessment_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"))
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id", ondelete="CASCADE"))
    number: Mapped[int]
    text: Mapped[str] = mapped_column(Text, default="", server_default="")
    submitted_at: Mapped[datetime]
    late: Mapped[bool] = mapped_column(default=False, server_default=false())
    status: Mapped[SubmissionStatus] = mapped_column(
        _enum(SubmissionStatus, "submission_status"), default=SubmissionStatus.SUBMITTED
    )
    feedback: Mapped[str | None] = mapped_column(Text)
    marked_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    marked_at: Mapped[datetime | None]
    resubmit_by: Mapped[datetime | None]  # set when referred

    assessment: Mapped[Assessment] = relationship()
    enrolment: Mapped[Enrolment] = relationship()
    marked_by: Mapped[User | None] = relationship()
    file: Mapped[SubmissionFile | None] = relationship(
        back_populates="submission", cascade="all, delete-orphan", uselist=False
    )


class SubmissionFile(StoredFileMixin, Base):
    """The file sent with a submission (`lms.core.db.StoredFileMixin`)."""

    __tablename__ = "submission_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submission.id", ondelete="CASCADE"), unique=True
    )

    submission: Mapped[Submission] = relationship(back_populates="file")
