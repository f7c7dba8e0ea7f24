"""lms/home/my_learning.py: the home page's read model hands the template every decision —
the first held session, the waitlist position, the attendance words, the cancel button."""

from __future__ import annotations

from datetime import timedelta

from courses.attendance import Rate
from courses.models import Enrolment
from courses.models import EnrolmentStatus as S
from lms.core.db import utcnow
from lms.core.extensions import db
from lms.home.my_learning import attendance_words, my_learning

DAY = timedelta(days=1)
HOURS = timedelta(hours=2)


def test_each_enrolment_row_carries_what_the_page_shows(
    course, make_cohort, make_enrolment, learner
):
    now = utcnow().replace(microsecond=0)
    cancelled, held = now + 2 * DAY, now + 9 * DAY
    first = make_cohort(course, sessions=[(cancelled, cancelled + HOURS), (held, held + HOURS)])
    first.sessions[0].cancelled = True
    full = make_cohort(course, capacity=1, sessions=[])
    db.session.commit()
    confirmed = make_enrolment(first, learner)
    make_enrolment(full)
    waitlisted = make_enrolment(full, learner, S.WAITLISTED)

    rows = {row.enrolment.id: row for row in my_learning(learner, now).enrolments}

    assert rows[confirmed.id].starts_at == held  # the cancelled first session left out
    assert rows[waitlisted.id].starts_at is None  # no sessions yet: "To be confirmed"
    assert (rows[confirmed.id].position, rows[waitlisted.id].position) == (None, 1)
    assert rows[confirmed.id].attendance == "No sessions held yet"
    assert rows[waitlisted.id].attendance == ""
    assert rows[confirmed.id].can_cancel and rows[waitlisted.id].can_cancel


def test_ended_enrolments_offer_no_cancel_button(course, make_cohort, make_enrolment, learner):
    for status in (S.CANCELLED, S.WITHDRAWN, S.REJECTED, S.COMPLETED, S.NOT_COMPLETED):
        make_enrolment(make_cohort(course), learner, status)
    rows = my_learning(learner, utcnow()).enrolments
    assert len(rows) == 5 and not any(row.can_cancel for row in rows)


def test_the_attendance_words_wait_for_a_held_session_or_a_confirmed_place():
    confirmed, withdrawn = Enrolment(status=S.CONFIRMED), Enrolment(status=S.WITHDRAWN)
    assert attendance_words(confirmed, None) == ""
    assert attendance_words(confirmed, Rate()) == "No sessions held yet"
    assert attendance_words(withdrawn, Rate()) == ""
    assert attendance_words(withdrawn, Rate(held=2, attended=1, marked=2)) == "50%"
