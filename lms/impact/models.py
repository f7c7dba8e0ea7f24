"""Evaluation of the training at Kirkpatrick's four levels.

- Level 1, reaction: a short survey (`ReactionQuestion`s, answered once per enrolment in a
  `ReactionResponse`) offered when a cohort closes. A course may keep who answered from its
  trainers (`CourseEvaluation.anonymous`).
- Level 2, learning: a `ConfidenceRating` per learning outcome of the course, on a 1-5
  scale, before (from confirmation) and after (at completion); the uplift is the
  difference of the two averages.
- Level 3, behaviour: a `FollowUp` 3 and 6 months after completion, queued once each by
  `flask lms tick`: has the learner led or worked on a project since, and what did they
  apply.
- Level 4, results: the outcomes of the projects trainees lead (`lms.projects`), read, not
  stored here.

Closing a cohort invites its learners to evaluate the course once each
(`EvaluationInvitation`), however often it is closed again.

A question that has been answered is never rewritten: changing it retires it and adds a
new version (`replaces_id`), so every stored answer keeps the words it answered.
Questions with no course are the defaults, used by every course without its own.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from courses.models import Course, Enrolment, _enum
from lms.core.db import Base, TimestampMixin

SCALE = range(1, 6)  # every 1-5 answer: Likert agreement and confidence alike


class QuestionKind(enum.StrEnum):
    SCALE = "scale"  # strongly disagree (1) .. strongly agree (5)
    TEXT = "text"  # free text

    @property
    def label(self) -> str:
        return {"scale": "Agree or disagree (1 to 5)", "text": "Free text"}[self.value]


class CourseEvaluation(Base):
    """A course's evaluation settings; a course without a row takes the defaults."""

    __tablename__ = "course_evaluation"

    course_id: Mapped[int] = mapped_column(
        ForeignKey("course.id", ondelete="CASCADE"), primary_key=True
    )
    # Trainers see reaction answers without names (admins' reports never show names).
    anonymous: Mapped[bool] = mapped_column(default=True, server_default=true())
    # The course has its own questions (else the defaults, course_id NULL, apply).
    own_questions: Mapped[bool] = mapped_column(default=False, server_default=false())


class ReactionQuestion(TimestampMixin, Base):
    """One question of a reaction survey, in one wording (a version)."""

    __tablename__ = "reaction_question"
    __table_args__ = (
        Index("ix_reaction_question_course_id_position", "course_id", "position"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # NULL: one of the defaults every course without its own questions uses.
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[QuestionKind] = mapped_column(_enum(QuestionKind, "reaction_question_kind"))
    text: Mapped[str] = mapped_column(String(300))
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    replaces_id: Mapped[int | None] = mapped_column(
        ForeignKey("reaction_question.id", ondelete="SET NULL")
    )
    retired_at: Mapped[datetime | None]  # no longer asked; its answers stay

    course: Mapped[Course | None] = relationship()


class ReactionResponse(TimestampMixin, Base):
    """One learner's answers to the reaction survey of one enrolment."""

    __tablename__ = "reaction_response"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(
        ForeignKey("enrolment.id", ondelete="CASCADE"), unique=True
    )
    submitted_at: Mapped[datetime]

    enrolment: Mapped[Enrolment] = relationship()
    answers: Mapped[list[ReactionAnswer]] = relationship(
        back_populates="response", cascade="all, delete-orphan", passive_deletes=True
    )


class ReactionAnswer(Base):
    """The answer to one question: a score for a scale question, text for a text one."""

    __tablename__ = "reaction_answer"
    __table_args__ = (
        UniqueConstraint("response_id", "question_id"),
        Index("ix_reaction_answer_question_id", "question_id"),
        CheckConstraint("score IS NULL OR score BETWEEN 1 AND 5", name="score_on_scale"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("reaction_response.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(
        ForeignKey("reaction_question.id", ondelete="RESTRICT")
    )
    score: Mapped[int | None]
    text: Mapped[str | None] = mapped_column(Text)

    response: Mapped[ReactionResponse] = relationship(back_populates="answers")
    question: Mapped[ReactionQuestion] = relationship()


class Phase(enum.StrEnum):
    BEFORE = "before"
    AFTER = "after"


class ConfidenceRating(Base):
    """How confident a learner is in one of the course's learning outcomes (1-5)."""

    __tablename__ = "confidence_rating"
    __table_args__ = (
        UniqueConstraint("enrolment_id", "phase", "outcome_index"),
        CheckConstraint("score BETWEEN 1 AND 5", name="score_on_scale"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id", ondelete="CASCADE"))
    phase: Mapped[Phase] = mapped_column(_enum(Phase, "confidence_phase"))
    outcome_index: Mapped[int]  # position in Course.learning_outcomes when rated
    outcome: Mapped[str] = mapped_column(String(500))  # its words then
    score: Mapped[int]
    rated_at: Mapped[datetime]

    enrolment: Mapped[Enrolment] = relationship()


class ProjectSince(enum.StrEnum):
    LED = "led"
    WORKED_ON = "worked_on"
    NEITHER = "neither"

    @property
    def label(self) -> str:
        return {
            "led": "Yes, I have led a project",
            "worked_on": "Yes, I have worked on a project",
            "neither": "No, not yet",
        }[self.value]


FOLLOW_UP_MONTHS = (3, 6)


class FollowUp(Base):
    """The 3- or 6-month question after a completion; one of each per enrolment."""

    __tablename__ = "follow_up"
    __table_args__ = (
        UniqueConstraint("enrolment_id", "months"),
        CheckConstraint("months IN (3, 6)", name="months_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id", ondelete="CASCADE"))
    months: Mapped[int]
    due_on: Mapped[date]
    queued_at: Mapped[datetime]
    answered_at: Mapped[datetime | None] = mapped_column(index=True)
    project_since: Mapped[ProjectSince | None] = mapped_column(
        _enum(ProjectSince, "follow_up_project_since")
    )
    applied: Mapped[str | None] = mapped_column(Text)  # what they applied, in their words

    enrolment: Mapped[Enrolment] = relationship()


class EvaluationInvitation(Base):
    """When the learner of an enrolment was invited to evaluate its course (the reaction
    survey, and rating their confidence after it), so that closing a cohort again, after
    reopening it, invites nobody twice."""

    __tablename__ = "evaluation_invitation"

    enrolment_id: Mapped[int] = mapped_column(
        ForeignKey("enrolment.id", ondelete="CASCADE"), primary_key=True
    )
    reaction_invited_at: Mapped[datetime]
