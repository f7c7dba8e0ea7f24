"""Taking a course again (courses/enrolment/enrolment.py `_check_not_completed`): only
where the course allows recertification, and only once the certificate nears expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest

from courses.catalogue import catalogue
from courses.enrolment import AlreadyCompleted, enrol
from courses.models import CohortStatus, EnrolmentStatus
from lms.core.dates import add_months
from lms.core.domain import DomainError
from lms.core.extensions import db
from lms.core.timezones import to_local
from tests.helpers import NOW, days, events, field_error, span


@pytest.fixture
def completed(make_cohort, make_enrolment, learner):
    """`completed(course, months_ago)`: the learner completed the course that long ago."""

    def make(course, months_ago: int):
        ended = NOW - timedelta(days=30 * months_ago)
        cohort = make_cohort(
            course, status=CohortStatus.CLOSED, sessions=[span(ended - timedelta(days=1))]
        )
        return make_enrolment(
            cohort, learner, status=EnrolmentStatus.COMPLETED, confirmed_at=ended, ended_at=ended
        )

    return make


def _open(make_cohort, course):
    return make_cohort(course, sessions=[span(days(20))])


def test_a_completed_course_is_not_taken_again_without_recertification(
    make_course, make_cohort, completed, learner
):
    course = make_course(certificate_validity_months=12)
    completed(course, months_ago=30)  # long expired: still no
    with pytest.raises(AlreadyCompleted, match=r"already completed this course$"):
        enrol(_open(make_cohort, course), learner, by=learner)


def test_recertification_opens_within_the_notice_before_expiry(
    app, make_course, make_cohort, completed, learner
):
    course = make_course(certificate_validity_months=12, allows_recertification=True)
    enrolment = completed(course, months_ago=6)
    opens = add_months(to_local(enrolment.ended_at).date(), 12) - timedelta(days=60)
    with pytest.raises(AlreadyCompleted) as refused:
        enrol(_open(make_cohort, course), learner, by=learner)
    assert f"from {opens:%-d %B %Y}" in str(refused.value)

    app.config["CERTIFICATE_EXPIRY_NOTICE_DAYS"] = 200  # now within the notice
    place = enrol(_open(make_cohort, course), learner, by=learner)
    assert place.status == EnrolmentStatus.CONFIRMED


def test_an_expired_certificate_may_be_renewed(make_course, make_cohort, completed, learner):
    course = make_course(certificate_validity_months=12, allows_recertification=True)
    completed(course, months_ago=14)
    assert enrol(_open(make_cohort, course), learner, by=learner).status == (
        EnrolmentStatus.CONFIRMED
    )


def test_an_admin_may_still_enrol_someone_who_completed(
    make_course, make_cohort, completed, learner, admin
):
    course = make_course()
    completed(course, months_ago=2)
    assert enrol(_open(make_cohort, course), learner, by=admin).status == EnrolmentStatus.CONFIRMED


def test_the_cohort_page_says_why_there_is_no_enrol_button(
    client, as_learner, make_course, make_cohort, completed
):
    course = make_course()
    completed(course, months_ago=2)
    cohort = _open(make_cohort, course)
    page = client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)
    assert "You have already completed this course" in page
    assert ">Enrol<" not in page


def test_recertification_needs_certificates_that_expire(make_course, admin):
    course = make_course()
    details = catalogue.CourseDetails(
        code=course.code, title=course.title, allows_recertification=True
    )
    with pytest.raises(DomainError) as refused:
        catalogue.update_course(course, details, by=admin)
    assert refused.value.field == "allows_recertification"


def test_an_admin_sets_recertification_on_the_course_form(client, as_admin, make_course):
    course = make_course(certificate_validity_months=24)
    form = {
        "code": course.code,
        "title": course.title,
        "delivery_mode": "in_person",
        "cpd_hours": "3",
        "min_attendance_percent": "80",
        "certificate_validity_months": "",
        "allows_recertification": "y",
    }
    response = client.post(f"/admin/courses/{course.id}", data=form)
    assert response.status_code == 422
    assert "Recertification needs certificates that expire" in field_error(
        response.get_data(as_text=True), "allows_recertification"
    )
    form["certificate_validity_months"] = "24"
    assert client.post(f"/admin/courses/{course.id}", data=form).status_code == 302
    db.session.expire_all()
    assert course.allows_recertification
    assert any(e.after.get("allows_recertification") for e in events() if e.after)
