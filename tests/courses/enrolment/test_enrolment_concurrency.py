"""Seats under concurrency (courses/enrolment.py): never over capacity, never twice.

Each worker thread has its own app context, so its own session and connection, as
concurrent requests would. Runs on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from sqlalchemy import func, select

from courses.cohorts.cohorts import CohortDetails, update_cohort
from courses.enrolment import cancel, enrol, waitlist_positions
from courses.models import (
    Cohort,
    CohortStatus,
    Course,
    CourseStatus,
    Enrolment,
    EnrolmentStatus,
)
from lms.audit.audit import AuditEvent
from lms.auth.models import User
from lms.core.extensions import db
from tests.helpers import sign_in

LEARNERS = 200
SEATS = 20


def _open_cohort(capacity: int) -> Cohort:
    course = Course(
        code="PM-OCC",
        title="Project management",
        cpd_hours=Decimal("18"),
        status=CourseStatus.PUBLISHED,
        learning_outcomes=[],
    )
    cohort = Cohort(course=course, code="PM-OCC-01", capacity=capacity, status=CohortStatus.OPEN)
    db.session.add(cohort)
    db.session.commit()
    return cohort


def _in_threads(app, work, items, workers=16):
    """Runs work(item) for each item in its own app context; returns the errors."""

    def run(item):
        with app.app_context():
            try:
                work(item)
                db.session.commit()
            except Exception as error:  # the test counts every failure
                db.session.rollback()
                return repr(error)
            finally:
                db.session.remove()
        return None

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return [error for error in pool.map(run, items) if error]


def _statuses(cohort_id):
    db.session.expire_all()
    return Counter(
        db.session.scalars(select(Enrolment.status).where(Enrolment.cohort_id == cohort_id))
    )


def test_200_concurrent_enrolments_fill_20_seats_and_queue_the_rest(app, make_user):
    cohort = _open_cohort(SEATS)
    learner_ids = [make_user().id for _ in range(LEARNERS)]
    cohort_id = cohort.id

    def enrol_one(learner_id):
        learner = db.session.get(User, learner_id)
        enrol(db.session.get(Cohort, cohort_id), learner, by=learner)

    errors = _in_threads(app, enrol_one, learner_ids)

    assert errors == []
    statuses = _statuses(cohort_id)
    assert statuses == {EnrolmentStatus.CONFIRMED: SEATS, EnrolmentStatus.WAITLISTED: 180}
    rows = db.session.execute(select(Enrolment.id, Enrolment.learner_id)).all()
    assert len({learner for _, learner in rows}) == LEARNERS  # no duplicates
    waitlisted = db.session.scalars(
        select(Enrolment.id).where(Enrolment.status == EnrolmentStatus.WAITLISTED)
    ).all()
    positions = waitlist_positions(waitlisted)
    assert sorted(positions.values()) == list(range(1, 181))

    # Now cancellations, a capacity rise and more enrolments all at once.
    confirmed = db.session.scalars(
        select(Enrolment.id).where(Enrolment.status == EnrolmentStatus.CONFIRMED)
    ).all()
    late_learners = [make_user().id for _ in range(20)]
    admin = make_user(roles=["admin"])
    admin_id = admin.id

    def act(item):
        kind, identifier = item
        if kind == "cancel":
            row = db.session.get(Enrolment, identifier)
            cancel(row, by=row.learner)
        elif kind == "grow":
            target = db.session.get(Cohort, cohort_id)
            details = CohortDetails(code=target.code, capacity=SEATS + 5)
            update_cohort(target, details, by=db.session.get(User, admin_id))
        else:
            learner = db.session.get(User, identifier)
            enrol(db.session.get(Cohort, cohort_id), learner, by=learner)

    work = [("cancel", i) for i in confirmed[:10]] + [("grow", None)]
    work += [("enrol", i) for i in late_learners]
    errors = _in_threads(app, act, work)

    assert errors == []
    statuses = _statuses(cohort_id)
    assert statuses[EnrolmentStatus.CONFIRMED] == SEATS + 5
    assert statuses[EnrolmentStatus.CANCELLED] == 10
    assert statuses[EnrolmentStatus.WAITLISTED] == 180 + 20 - 15
    promotions = Counter(
        db.session.scalars(
            select(AuditEvent.entity_id).where(AuditEvent.action == "enrolment.promoted")
        )
    )
    assert len(promotions) == 15 and set(promotions.values()) == {1}
    still_waiting = db.session.scalars(
        select(Enrolment.id).where(Enrolment.status == EnrolmentStatus.WAITLISTED)
    ).all()
    assert sorted(waitlist_positions(still_waiting).values()) == list(range(1, 186))
    assert db.session.scalar(select(func.count()).select_from(Enrolment)) == LEARNERS + 20


def test_concurrent_enrolments_with_in_process_mail_send_each_learner_one_placement_mail(
    make_app, app, make_user, smtp_server
):
    """Every request drains the outbox after its commit, as `make run` does; a message is
    claimed by exactly one of them, so nobody gets a copy per request that saw it."""
    sink, port = smtp_server
    inline = make_app(OUTBOX_INLINE=True, MAIL_TRANSPORT="smtp", MAIL_PORT=port)
    cohort_id = _open_cohort(capacity=10).id
    identities = [(learner.email, learner.get_id()) for learner in map(make_user, [None] * 60)]

    def enrol_over_http(identity: tuple[str, str]) -> int:
        client = inline.test_client()
        sign_in(client, identity[1])  # logged in, without 60 password checks
        return client.post(f"/cohorts/{cohort_id}/enrol").status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(enrol_over_http, identities))

    assert set(statuses) == {302}
    received = Counter(message["To"] for message in sink.messages)
    assert received == {email: 1 for email, _ in identities}
    subjects = Counter(message["Subject"].split(":")[0] for message in sink.messages)
    assert subjects == {"Your place is confirmed": 10, "You are on the waitlist": 50}
