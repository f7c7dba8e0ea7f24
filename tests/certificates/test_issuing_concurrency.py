"""Issuing under concurrency (certificates/issuing.py): one certificate per enrolment
however many callers at once, and serial numbers without gaps or duplicates.

Each worker thread has its own app context, so its own session and connection, as
concurrent requests or workers would. Runs on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from certificates import issue
from certificates.models import Certificate
from courses.models import Enrolment
from lms.core.extensions import db
from tests.helpers import events


def _in_threads(app, work, items, workers=16) -> tuple[list, list[str]]:
    """Runs work(item) for each item in its own app context; returns (results, errors)."""

    def run(item):
        with app.app_context():
            try:
                result = work(item)
                db.session.commit()
                return result, None
            except Exception as error:  # the test counts every failure
                db.session.rollback()
                return None, repr(error)
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        outcomes = list(pool.map(run, items))
    return [r for r, _ in outcomes], [e for _, e in outcomes if e]


def test_50_concurrent_issues_of_one_enrolment_make_one_certificate(
    app, make_completed, certified_course
):
    enrolment_id = make_completed(certified_course).id

    def issue_one(_):
        return issue(db.session.get(Enrolment, enrolment_id)).number

    numbers, errors = _in_threads(app, issue_one, range(50))
    assert errors == []
    assert len(set(numbers)) == 1
    assert db.session.scalar(select(func.count(Certificate.id))) == 1
    assert len(events("certificate.issued")) == 1


def test_concurrent_issues_for_many_enrolments_number_them_without_gaps(
    app, make_completed, certified_course, make_cohort, trainer
):
    first = make_completed(certified_course)
    ids = [first.id] + [make_completed(certified_course, cohort=first.cohort).id for _ in range(29)]

    def issue_one(enrolment_id):
        return issue(db.session.get(Enrolment, enrolment_id)).serial

    serials, errors = _in_threads(app, issue_one, ids)
    assert errors == []
    assert sorted(serials) == list(range(1, 31))
    assert db.session.scalar(select(func.count(func.distinct(Certificate.number)))) == 30
