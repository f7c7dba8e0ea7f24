"""Confidence before and after a course (lms/impact/confidence.py): when each may be
rated, one rating per learning outcome (rating again changes it), and the uplift per
outcome over the learners who rated it both times."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from courses.models import EnrolmentStatus
from lms.core.db import utcnow
from lms.core.extensions import db
from lms.impact import confidence
from lms.impact.confidence import ConfidenceError, RatingRefused
from lms.impact.models import ConfidenceRating, Phase
from tests.helpers import count, days

OUTCOMES = ["Plan a project", "Manage risks", "Report progress"]


@pytest.fixture
def pm(make_course):
    return make_course(code="PM", title="Project management", learning_outcomes=OUTCOMES)


def stored(enrolment, phase) -> list[tuple[int, str, int]]:
    return db.session.execute(
        select(ConfidenceRating.outcome_index, ConfidenceRating.outcome, ConfidenceRating.score)
        .where(ConfidenceRating.enrolment_id == enrolment.id, ConfidenceRating.phase == phase)
        .order_by(ConfidenceRating.outcome_index)
    ).all()


@pytest.mark.parametrize(
    ("status", "before", "after"),
    [
        (EnrolmentStatus.CONFIRMED, True, False),
        (EnrolmentStatus.COMPLETED, False, True),
        (EnrolmentStatus.NOT_COMPLETED, False, False),
        (EnrolmentStatus.WAITLISTED, False, False),
        (EnrolmentStatus.PENDING_APPROVAL, False, False),
        (EnrolmentStatus.WITHDRAWN, False, False),
    ],
)
def test_before_from_confirmation_until_completion_and_after_at_completion(
    pm, make_cohort, make_enrolment, status, before, after
):
    enrolment = make_enrolment(make_cohort(pm), status=status)
    assert (confidence.refusal(enrolment, Phase.BEFORE) is None) is before
    assert (confidence.refusal(enrolment, Phase.AFTER) is None) is after


def test_a_course_without_outcomes_has_nothing_to_rate(course, make_cohort, make_enrolment):
    enrolment = make_enrolment(make_cohort(course))
    assert "no learning outcomes" in confidence.refusal(enrolment, Phase.BEFORE)


def test_rating_stores_each_outcome_with_its_words_and_rating_again_changes_it(
    pm, make_cohort, make_enrolment
):
    enrolment = make_enrolment(make_cohort(pm))
    assert confidence.rate(enrolment, Phase.BEFORE, {0: 2, 1: 3, 2: 1}, now=days(-1)) == 3
    db.session.commit()
    assert stored(enrolment, Phase.BEFORE) == [
        (0, "Plan a project", 2),
        (1, "Manage risks", 3),
        (2, "Report progress", 1),
    ]
    confidence.rate(enrolment, Phase.BEFORE, {0: 4, 1: 3, 2: 1}, now=utcnow())
    db.session.commit()
    assert count(ConfidenceRating) == 3
    assert stored(enrolment, Phase.BEFORE)[0] == (0, "Plan a project", 4)
    assert confidence.ratings_of(enrolment.id, Phase.AFTER) == {}


@pytest.mark.parametrize("scores", [{0: 2, 1: 3}, {0: 2, 1: 0, 2: 6}, {0: None, 1: 3, 2: 3}])
def test_every_outcome_needs_a_score_from_1_to_5(pm, make_cohort, make_enrolment, scores):
    enrolment = make_enrolment(make_cohort(pm))
    with pytest.raises(RatingRefused) as refused:
        confidence.rate(enrolment, Phase.BEFORE, scores, now=utcnow())
    wrong = [f"outcome_{index}" for index in range(3) if scores.get(index) not in range(1, 6)]
    assert [problem.field for problem in refused.value.problems] == wrong
    assert refused.value.problems[0].message.startswith("Choose how confident you are: ")
    db.session.rollback()
    assert count(ConfidenceRating) == 0


def test_rating_after_before_completion_is_refused(pm, make_cohort, make_enrolment):
    enrolment = make_enrolment(make_cohort(pm))
    with pytest.raises(ConfidenceError, match="once you have completed it"):
        confidence.rate(enrolment, Phase.AFTER, {0: 5, 1: 5, 2: 5}, now=utcnow())


def test_the_uplift_per_outcome_counts_learners_who_rated_it_both_times(
    pm, make_closed_cohort, make_completion, make_confidence
):
    cohort = make_closed_cohort(pm)
    ann, ben, cat = (make_completion(cohort) for _ in range(3))
    make_confidence(ann, Phase.BEFORE, [1, 2, 3])
    make_confidence(ann, Phase.AFTER, [4, 4, 4])
    make_confidence(ben, Phase.BEFORE, [2, 2])  # rated two outcomes before
    make_confidence(ben, Phase.AFTER, [3, 5, 5])
    make_confidence(cat, Phase.BEFORE, [1, 1, 1])  # never rated after: left out
    uplift = confidence.uplift(pm, cohort_id=cohort.id)
    assert (uplift.rated_before, uplift.rated_after, uplift.rated_both) == (3, 2, 2)
    rows = [(o.index, o.outcome, o.pairs, o.before, o.after, o.uplift) for o in uplift.outcomes]
    assert rows == [
        # (1 + 2) / 2 = 1.5 before, (4 + 3) / 2 = 3.5 after
        (0, "Plan a project", 2, Decimal("1.50"), Decimal("3.50"), Decimal("2.00")),
        (1, "Manage risks", 2, Decimal("2.00"), Decimal("4.50"), Decimal("2.50")),
        (2, "Report progress", 1, Decimal("3.00"), Decimal("4.00"), Decimal("1.00")),
    ]


def test_the_uplift_of_one_cohort_or_of_the_whole_course(
    pm, make_closed_cohort, make_completion, make_confidence
):
    first, second = make_closed_cohort(pm), make_closed_cohort(pm)
    for cohort, before, after in ((first, 1, 2), (second, 2, 5)):
        place = make_completion(cohort)
        make_confidence(place, Phase.BEFORE, [before] * 3)
        make_confidence(place, Phase.AFTER, [after] * 3)
    assert confidence.uplift(pm, cohort_id=first.id).outcomes[0].uplift == Decimal("1.00")
    assert confidence.uplift(pm, cohort_id=second.id).outcomes[0].uplift == Decimal("3.00")
    whole = confidence.uplift(pm).outcomes[0]
    assert (whole.pairs, whole.before, whole.after, whole.uplift) == (
        2,
        Decimal("1.50"),
        Decimal("3.50"),
        Decimal("2.00"),
    )


def test_an_exact_uplift_is_rounded_once(pm, make_closed_cohort, make_completion, make_confidence):
    """Averages 1.33 (4/3) and 2.67 (8/3): the uplift is 4/3 = 1.33, not 2.67 - 1.33 = 1.34."""
    cohort = make_closed_cohort(pm)
    for before, after in ((1, 2), (1, 3), (2, 3)):
        place = make_completion(cohort)
        make_confidence(place, Phase.BEFORE, [before])
        make_confidence(place, Phase.AFTER, [after])
    first = confidence.uplift(pm, cohort_id=cohort.id).outcomes[0]
    assert (first.before, first.after, first.uplift) == (
        Decimal("1.33"),
        Decimal("2.67"),
        Decimal("1.33"),
    )


def test_no_ratings_no_uplift(pm, make_closed_cohort):
    uplift = confidence.uplift(pm, cohort_id=make_closed_cohort(pm).id)
    assert [(o.outcome, o.pairs, o.uplift) for o in uplift.outcomes] == [
        (words, 0, None) for words in OUTCOMES
    ]
