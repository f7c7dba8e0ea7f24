"""Factories for certificates: a completed enrolment, and its certificate issued."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from certificates import issue
from certificates.models import Certificate
from courses.models import (
    AttendanceMethod,
    AttendanceRecord,
    AttendanceStatus,
    CohortStatus,
    Enrolment,
    EnrolmentStatus,
)
from lms.core.extensions import db
from tests.helpers import MONTH_AGO, NOW, days, span


@pytest.fixture
def certified_course(make_course):
    """CERT-PM, Occasional project managers: 7.5 CPD hours, accredited, valid three years."""
    return make_course(
        code="CERT-PM",
        title="Occasional project managers",
        cpd_hours=Decimal("7.50"),
        accreditation_body="APM",
        accreditation_reference="APM-CPD-0042",
        certificate_validity_months=36,
    )


@pytest.fixture
def make_completed(make_cohort, make_enrolment, trainer) -> Callable[..., Enrolment]:
    """`make_completed(course, learner=None, cohort=None)`: a completed enrolment on a
    closed cohort whose two sessions the learner attended."""

    def make(course, learner=None, cohort=None) -> Enrolment:
        if cohort is None:
            cohort = make_cohort(
                course,
                status=CohortStatus.CLOSED,
                trainers=[trainer],
                sessions=[span(days(-9)), span(days(-2))],
                closed_at=NOW,
            )
        enrolment = make_enrolment(
            cohort, learner, status=EnrolmentStatus.COMPLETED, confirmed_at=MONTH_AGO, ended_at=NOW
        )
        for session in cohort.sessions:
            db.session.add(
                AttendanceRecord(
                    session=session,
                    enrolment=enrolment,
                    status=AttendanceStatus.PRESENT,
                    method=AttendanceMethod.REGISTER,
                    marked_at=session.ends_at,
                )
            )
        db.session.commit()
        return enrolment

    return make


@pytest.fixture
def make_certificate(make_completed, certified_course) -> Callable[..., Certificate]:
    """`make_certificate(learner=None, course=CERT-PM, cohort=None, now=None)`: issued and
    committed."""

    def make(learner=None, course=None, cohort=None, now=None) -> Certificate:
        enrolment = make_completed(course or certified_course, learner, cohort)
        certificate = issue(enrolment, now=now)
        db.session.commit()
        return certificate

    return make
