"""The impact view: what the training led to, for the PMO (Kirkpatrick levels 1 to 4).

Five figures for one financial year, each from one aggregate statement whatever the
number of enrolments, projects or answers: the share of people trained who went on to
lead a project within 12 months (`lms.reports.leading`, the rule the KPI dashboard uses
too); the outcomes of projects led by trained people against the rest
(`lms.projects.training.led_by_a_trainee`); the confidence uplift per course; reaction
scores per course and per trainer; and what follow-up respondents said they applied.

No figure names a learner: reaction answers and follow-ups are counted, averaged or
quoted without who gave them, and a trainer with fewer than `MIN_RESPONSES`
responses gets no average, so that one person's answers cannot be read from it.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Select, and_, case, distinct, func, literal, select

from courses.models import Cohort, Course, Enrolment, cohort_trainer
from lms.auth.models import User
from lms.core.extensions import db
from lms.impact.models import (
    ConfidenceRating,
    FollowUp,
    Phase,
    ProjectSince,
    QuestionKind,
    ReactionAnswer,
    ReactionQuestion,
    ReactionResponse,
)
from lms.projects.models import Answer, Project, ProjectUpdate, Rag
from lms.projects.training import led_by_a_trainee
from lms.reports.figures import TWO_PLACES, Chart, Figure, average, percent
from lms.reports.filters import ReportFilters
from lms.reports.leading import LEADING_WITHIN_MONTHS, completed_in, leads_a_project_after

SMALL_GROUP = 5  # fewer projects than this in either group: examples, not evidence
MIN_RESPONSES = 3  # fewer than this: a count, but no average and no words quoted
APPLIED_SHOWN = 50  # the newest follow-up answers listed
PAGE_ROWS = 20  # courses or trainers on the page, those with the most answers first


def impact_figures(filters: ReportFilters, now: datetime) -> list[Figure]:
    """The impact view's figures for `filters`, in page order; one statement each."""
    return [
        leading_share(filters),
        project_outcomes(filters),
        confidence_uplift(filters),
        reaction_by_course(filters),
        reaction_by_trainer(filters),
        applied_after(filters),
    ]


def _training(query: Select) -> Select:
    """`query` over enrolments, joined to their cohort, course and learner."""
    return (
        query.join(Cohort, Cohort.id == Enrolment.cohort_id)
        .join(Course, Course.id == Cohort.course_id)
        .join(User, User.id == Enrolment.learner_id)
    )


def _over(filters: ReportFilters, *, people: str = "learners") -> str:
    """The filters' words for a note: "in 2026/27, for learners in the chosen service
    group, on the chosen programme's courses"."""
    words = f"in {filters.year.label}"
    if filters.category_id:
        words += ", on the chosen programme's courses"
    if filters.service_group_id:
        words += f", for {people} in the chosen service group"
    return words


# --- level 4: who went on to lead a project ------------------------------------------------


def leading_share(filters: ReportFilters) -> Figure:
    """Distinct learners who completed a course in the year, and those of them who went on
    to lead a project within 12 months of such a completion."""
    leading = case((leads_a_project_after(), Enrolment.learner_id))
    query = _training(
        select(func.count(distinct(Enrolment.learner_id)), func.count(distinct(leading)))
    ).where(completed_in(filters.span), *filters.enrolments())
    trained, leaders = db.session.execute(query).one()
    trained, leaders = int(trained or 0), int(leaders or 0)
    return Figure(
        key="leading",
        title="People trained who went on to lead a project",
        columns=("Measure", "People", "Share (%)"),
        rows=(
            ("Trained in the year", trained, percent(trained, trained)),
            (
                f"Went on to lead a project within {LEADING_WITHIN_MONTHS} months",
                leaders,
                percent(leaders, trained),
            ),
        ),
        chart=Chart(value_columns=(2,), maximum=100),
        note=(
            f"Over the {trained:,} people who completed a course {_over(filters)}, each "
            "counted once however many courses they completed. A person went on to lead a "
            f"project when they are the lead of a project that began after one of those "
            f"completions and no more than {LEADING_WITHIN_MONTHS} months after it (a "
            "project without a start date counts from when it was registered)."
        ),
    )


# --- level 4: outcomes of projects led by trained people and by others ---------------------

OUTCOMES: tuple[tuple[str, str, tuple], ...] = (
    ("rag", "RAG status", (Rag.GREEN, Rag.AMBER, Rag.RED)),
    ("on_time", "On time", (Answer.YES, Answer.PARTLY, Answer.NO)),
    ("on_budget", "On budget", (Answer.YES, Answer.PARTLY, Answer.NO)),
    (
        "benefits_realised",
        "Benefits realised",
        (Answer.YES, Answer.PARTLY, Answer.NO, Answer.TOO_EARLY),
    ),
)


def project_outcomes(filters: ReportFilters) -> Figure:
    """Each project with an update reported in the year, as its latest update in the year
    (by reported day, then the latest written) says, split by whether a trained person
    leads it; counted in one GROUP BY over the combinations of answers."""
    year = filters.year
    latest = func.row_number().over(
        partition_by=ProjectUpdate.project_id,
        order_by=(ProjectUpdate.reported_on.desc(), ProjectUpdate.id.desc()),
    )
    updates = (
        select(
            ProjectUpdate.project_id,
            case((led_by_a_trainee(), 1), else_=0).label("trained"),
            *(getattr(ProjectUpdate, column) for column, _, _ in OUTCOMES),
            latest.label("latest"),
        )
        .join(Project, Project.id == ProjectUpdate.project_id)
        .where(ProjectUpdate.reported_on.between(year.first_day, year.last_day))
    )
    if filters.service_group_id:
        updates = updates.where(Project.service_group_id == filters.service_group_id)
    updates = updates.subquery()
    answers = [updates.c[column] for column, _, _ in OUTCOMES]
    rows = db.session.execute(
        select(updates.c.trained, *answers, func.count())
        .where(updates.c.latest == 1)
        .group_by(updates.c.trained, *answers)
    ).all()

    sizes: Counter = Counter()
    counts: Counter = Counter()  # (trained, column, value) -> projects
    for trained, *values, projects in rows:
        sizes[bool(trained)] += projects
        for (column, _, _), value in zip(OUTCOMES, values, strict=True):
            counts[(bool(trained), column, value)] += projects
    by_trained, by_others = sizes[True], sizes[False]

    table = [("Projects reported on", by_trained, None, by_others, None)]
    for column, measure, values in OUTCOMES:
        for value in values:
            mine, theirs = counts[(True, column, value)], counts[(False, column, value)]
            table.append(
                (
                    f"{measure}: {value.label}",
                    mine,
                    percent(mine, by_trained),
                    theirs,
                    percent(theirs, by_others),
                )
            )
    notes = ()
    if by_trained < SMALL_GROUP or by_others < SMALL_GROUP:
        notes = (
            f"Too few projects to compare: {by_trained:,} led by trained people, "
            f"{by_others:,} by others. Read these figures as examples, not evidence.",
        )
    where = f"in {year.label}"
    if filters.service_group_id:
        where += " in the chosen service group"
    programme = (
        " The programme filter does not apply: a project is not tied to one programme."
        if filters.category_id
        else " The programme filter does not apply to projects."
    )
    return Figure(
        key="project-outcomes",
        title="Outcomes of projects led by trained people and by others",
        columns=(
            "Outcome",
            "Led by trained people (projects)",
            "Led by trained people (%)",
            "Led by others (projects)",
            "Led by others (%)",
        ),
        rows=tuple(table),
        chart=Chart(value_columns=(2, 4), maximum=100),
        note=(
            f"Over the {by_trained + by_others:,} projects with an update reported {where}: "
            f"{by_trained:,} led by trained people and {by_others:,} led by others. Each "
            "project counts once, as its latest update in the year says. A project is led "
            "by a trained person when its lead completed a course (with a valid "
            "certificate) on or before the project's start; every other project, with or "
            "without a lead, is led by others." + programme
        ),
        notes=notes,
    )


# --- level 2: confidence before and after ----------------------------------------------------


def _exact_average(total: int | Decimal, count: int) -> Decimal | None:
    return average(Decimal(total) / Decimal(count)) if count else None


def confidence_uplift(filters: ReportFilters) -> Figure:
    """Per course: the average confidence after less the average before, over the
    learning outcomes each learner completing in the year rated both before and after."""
    before = ConfidenceRating.__table__.alias("before")
    after = ConfidenceRating.__table__.alias("after")
    query = _training(
        select(
            Course.code,
            Course.title,
            func.count(distinct(Enrolment.learner_id)),
            func.count(after.c.id),
            func.sum(before.c.score),
            func.sum(after.c.score),
        )
        .select_from(Enrolment)
        .join(before, and_(before.c.enrolment_id == Enrolment.id, before.c.phase == Phase.BEFORE))
        .join(
            after,
            and_(
                after.c.enrolment_id == Enrolment.id,
                after.c.phase == Phase.AFTER,
                after.c.outcome_index == before.c.outcome_index,
            ),
        )
    ).where(completed_in(filters.span), *filters.enrolments())
    query = query.group_by(Course.id, Course.code, Course.title)
    rows = []
    for code, title, learners, pairs, total_before, total_after in db.session.execute(
        query.order_by(func.count(distinct(Enrolment.learner_id)).desc(), Course.code)
    ):
        uplift = Decimal(total_after - total_before) / Decimal(pairs)
        rows.append(
            (
                f"{code} {title}",
                int(learners),
                _exact_average(total_before, pairs),
                _exact_average(total_after, pairs),
                uplift.quantize(TWO_PLACES, ROUND_HALF_UP),
            )
        )
    return Figure(
        key="confidence",
        page_rows=PAGE_ROWS,
        title="Confidence before and after, by course",
        columns=("Course", "Learners", "Average before", "Average after", "Uplift"),
        rows=tuple(rows),
        chart=Chart(value_columns=(2, 3), maximum=5),
        note=(
            f"Over the learners who completed a course {_over(filters)} and rated their "
            "confidence (1 to 5) in a learning outcome both before the course and after "
            "it; only outcomes rated both times count. The uplift is the average after "
            "less the average before."
        ),
    )


# --- level 1: reaction ------------------------------------------------------------------


def _scale_answers(query: Select, filters: ReportFilters) -> Select:
    """`query` over the scale answers of reaction responses on cohorts closed in the year."""
    return (
        query.select_from(ReactionAnswer)
        .join(ReactionQuestion, ReactionQuestion.id == ReactionAnswer.question_id)
        .join(ReactionResponse, ReactionResponse.id == ReactionAnswer.response_id)
        .join(Enrolment, Enrolment.id == ReactionResponse.enrolment_id)
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
        .join(Course, Course.id == Cohort.course_id)
        .join(User, User.id == Enrolment.learner_id)
        .where(
            ReactionQuestion.kind == QuestionKind.SCALE,
            ReactionAnswer.score.is_not(None),
            filters.span.holds(Cohort.closed_at),
            *filters.enrolments(),
        )
    )


def _reaction_measures():
    return (
        func.count(distinct(ReactionResponse.id)),
        func.count(ReactionAnswer.score),
        func.sum(ReactionAnswer.score),
    )


def _protected_average(responses: int, total: int, answers: int) -> Decimal | None:
    """The average of the answers, unless fewer than `MIN_RESPONSES` people gave them."""
    return _exact_average(total, answers) if responses >= MIN_RESPONSES else None


def reaction_by_course(filters: ReportFilters) -> Figure:
    """Per course: the responses and the average of their 1-5 answers."""
    query = _scale_answers(select(Course.code, Course.title, *_reaction_measures()), filters)
    query = query.group_by(Course.id, Course.code, Course.title)
    rows = tuple(
        (f"{code} {title}", int(responses), _protected_average(responses, total, answers))
        for code, title, responses, answers, total in db.session.execute(
            query.order_by(func.count(distinct(ReactionResponse.id)).desc(), Course.code)
        )
    )
    return Figure(
        key="reaction-courses",
        page_rows=PAGE_ROWS,
        title="Reaction scores by course",
        columns=("Course", "Responses", "Average score"),
        rows=rows,
        chart=Chart(value_columns=(2,), maximum=5),
        note=(
            "Over the reaction survey responses of learners on cohorts closed "
            f"{_over(filters)}: the average of every answer to an agree-or-disagree "
            "question (1, strongly disagree, to 5, strongly agree). Responses counts those "
            f"with at least one such answer. A course with fewer than {MIN_RESPONSES} "
            "responses shows the count but no average, so that no learner's answers can be "
            "read from it. No learner is named."
        ),
    )


def reaction_by_trainer(filters: ReportFilters) -> Figure:
    """Per trainer of the cohorts: the responses and the average of their 1-5 answers,
    the average left out below `MIN_RESPONSES` responses."""
    trainer = User.__table__.alias("trainer")
    query = (
        _scale_answers(select(trainer.c.full_name, *_reaction_measures()), filters)
        .join(cohort_trainer, cohort_trainer.c.cohort_id == Cohort.id)
        .join(trainer, trainer.c.id == cohort_trainer.c.user_id)
    )
    query = query.group_by(trainer.c.id, trainer.c.full_name)
    rows = tuple(
        (
            name,
            int(responses),
            _protected_average(responses, total, answers),
        )
        for name, responses, answers, total in db.session.execute(
            query.order_by(
                func.count(distinct(ReactionResponse.id)).desc(),
                trainer.c.full_name,
                trainer.c.id,
            )
        )
    )
    return Figure(
        key="reaction-trainers",
        page_rows=PAGE_ROWS,
        title="Reaction scores by trainer",
        columns=("Trainer", "Responses", "Average score"),
        rows=rows,
        chart=Chart(value_columns=(2,), maximum=5),
        note=(
            "Over the reaction survey responses of learners on the cohorts each trainer "
            f"ran that closed {_over(filters)}; a response counts for every trainer of its "
            "cohort. A trainer with fewer than "
            f"{MIN_RESPONSES} responses shows the count but no average, so that "
            "no learner's answers can be read from it. No learner is named."
        ),
    )


# --- level 3: what follow-up respondents applied ----------------------------------------


def applied_after(filters: ReportFilters) -> Figure:
    """The newest follow-up answers of the year that say what was applied, in the
    learner's words and without their name; the total counted in the same statement."""
    query = _training(
        select(
            Course.code,
            Course.title,
            FollowUp.months,
            FollowUp.project_since,
            FollowUp.applied,
            func.count().over().label("total"),
        )
        .select_from(FollowUp)
        .join(Enrolment, Enrolment.id == FollowUp.enrolment_id)
    ).where(
        filters.span.holds(FollowUp.answered_at),
        FollowUp.applied.is_not(None),
        func.trim(FollowUp.applied) != literal(""),
        *filters.enrolments(),
    )
    query = query.order_by(FollowUp.answered_at.desc(), FollowUp.id.desc())
    found = db.session.execute(query.limit(APPLIED_SHOWN)).all()
    total = int(found[0].total) if found else 0
    if total < MIN_RESPONSES:
        found = []  # so few that the words could point to who wrote them
    rows = tuple(
        (
            f"{code} {title}",
            months,
            ProjectSince(since).label if since else "Not answered",
            applied.strip(),
        )
        for code, title, months, since, applied, _ in found
    )
    if not total:
        shown_words = "there are none yet"
    elif total < MIN_RESPONSES:
        shown_words = (
            f"{total:,}, fewer than {MIN_RESPONSES}, so none are listed: so few answers "
            "could point to who wrote them"
        )
    elif total > len(rows):
        shown_words = f"the newest {len(rows):,} of {total:,} are listed"
    else:
        shown_words = f"all {total:,} are listed"
    return Figure(
        key="applied",
        title="What follow-up respondents applied",
        columns=("Course", "Months after", "Project since", "What they applied"),
        rows=rows,
        note=(
            "Over the 3- and 6-month follow-ups answered "
            f"{_over(filters)} that say what the learner applied: {shown_words}, newest "
            "first, in the learner's own words and without their name."
        ),
    )
