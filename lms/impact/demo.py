"""The demo's evaluations, made through the services as learners would make them.

The closed SRO cohort's learners rated their confidence in its learning outcomes when
their places were confirmed (`rate_before`) and again once they had completed
(`evaluate_closed_cohort`), so the impact view shows an uplift per outcome. Three of them
answered the course survey, enough for the trainer to see the results; the demo learner
(Zoë) has not yet, so her home page says a survey is waiting for her."""

from __future__ import annotations

from datetime import datetime

from courses.models import Enrolment, EnrolmentStatus
from lms.impact import confidence, reaction
from lms.impact.models import Phase, QuestionKind
from lms.impact.questions import asked, key

# Confidence in each of the SRO course's outcomes (in order), before and after it.
CONFIDENCE = {
    "sian.apgwyn@example.nhs.uk": ((2, 1, 2), (4, 4, 3)),
    "priya.shah@example.nhs.uk": ((3, 2, 2), (4, 4, 4)),
    "noah.bennett@example.nhs.uk": ((2, 2, 1), None),  # did not complete
    "learner@example.nhs.uk": ((1, 2, 2), (3, 4, 4)),
}

# Each answer to the default survey: the five statements (1 to 5), then the free text.
REACTIONS = {
    "sian.apgwyn@example.nhs.uk": (
        (5, 5, 4, 5, 5),
        "More time on chairing a difficult board meeting.",
    ),
    "priya.shah@example.nhs.uk": ((4, 5, 4, 4, 5), ""),
    "noah.bennett@example.nhs.uk": (
        (3, 4, 3, 3, 4),
        "A recording of the second session for those who missed it.",
    ),
}


def rate_before(enrolments: list[Enrolment], *, now: datetime) -> None:
    """Each confirmed learner's confidence before the course."""
    for enrolment in enrolments:
        scores = CONFIDENCE.get(enrolment.learner.email)
        if scores and enrolment.status == EnrolmentStatus.CONFIRMED:
            confidence.rate(enrolment, Phase.BEFORE, dict(enumerate(scores[0])), now=now)


def evaluate_closed_cohort(enrolments: list[Enrolment], *, now: datetime) -> None:
    """Confidence after the course for those who completed it, and three survey answers."""
    for enrolment in enrolments:
        after = CONFIDENCE.get(enrolment.learner.email, (None, None))[1]
        if after and enrolment.status == EnrolmentStatus.COMPLETED:
            confidence.rate(enrolment, Phase.AFTER, dict(enumerate(after)), now=now)
        answer = REACTIONS.get(enrolment.learner.email)
        if answer:
            questions = asked(enrolment.cohort.course)
            scores = iter(answer[0])
            answers = {
                key(question): next(scores) if question.kind == QuestionKind.SCALE else answer[1]
                for question in questions
            }
            reaction.submit(enrolment, questions, answers, now=now)
