"""Every GET page costs the same number of SQL statements with little data and with more.

Each GET endpoint of the app has an entry here: who visits it and at which address. A
new GET endpoint without an entry fails `test_every_get_page_has_an_entry`, as the
access matrix does for access rules. The pages are measured on a small world, the world
is grown (more people, courses, cohorts, enrolments, marks, requests, audit events), and
they are measured again: a page that gained a query per row fails.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from courses.cohorts.calendars import issue_feed
from courses.models import AttendanceMethod, AttendanceRecord, AttendanceStatus, EnrolmentStatus
from lms.audit import audit
from lms.audit.audit import AuditEvent
from lms.auth import accounts
from lms.auth.models import Role
from lms.core import outbox
from lms.core.db import utcnow
from lms.core.extensions import db
from lms.people import views as people_views
from tests.helpers import sign_in

# Served from files, never from the database.
NOT_PAGES = {"static", "assets.asset", "assets.frontend"}


@dataclass
class World:
    admin: object
    trainer: object
    manager: object
    learner: object
    course: object
    cohort: object
    held: object  # a session that has been held
    feed_token: str
    reset_token: str
    category: object


# endpoint -> (who visits: an attribute of World, or None for anyone; the address)
PAGES: dict[str, tuple[str | None, Callable[[World], str]]] = {
    "health.healthz": (None, lambda w: "/healthz"),
    "health.readyz": (None, lambda w: "/readyz"),
    "auth.login": (None, lambda w: "/login"),
    "auth.request_reset": (None, lambda w: "/account/reset"),
    "auth.reset_password": (None, lambda w: f"/account/reset/{w.reset_token}"),
    "auth.change_password": ("learner", lambda w: "/account/password"),
    "home.index": ("manager", lambda w: "/"),
    "catalogue.index": ("learner", lambda w: "/courses/?q=course"),
    "catalogue.course": ("learner", lambda w: f"/courses/{w.course.code}"),
    "cohorts.show": ("learner", lambda w: f"/cohorts/{w.cohort.id}"),
    "cohorts.calendar": ("learner", lambda w: f"/cohorts/{w.cohort.id}/calendar.ics"),
    "cohorts.feed": (None, lambda w: f"/calendar/{w.feed_token}.ics"),
    "cohorts.feed_settings": ("learner", lambda w: "/calendar/"),
    "approvals.index": ("manager", lambda w: "/approvals/"),
    "checkin.check_in": ("learner", lambda w: "/check-in"),
    "checkin.screen": ("trainer", lambda w: f"/teach/sessions/{w.held.id}/check-in"),
    "checkin.screen_json": ("trainer", lambda w: f"/teach/sessions/{w.held.id}/check-in.json"),
    "attendance.index": ("trainer", lambda w: "/teach/"),
    "attendance.register": ("trainer", lambda w: f"/teach/sessions/{w.held.id}/register"),
    "attendance.cohort_grid": ("trainer", lambda w: f"/teach/cohorts/{w.cohort.id}/attendance"),
    "attendance.cohort_grid_csv": (
        "trainer",
        lambda w: f"/teach/cohorts/{w.cohort.id}/attendance.csv",
    ),
    "signin_sheet.download": (
        "trainer",
        lambda w: f"/teach/sessions/{w.held.id}/sign-in-sheet.pdf",
    ),
    "cohort_admin.index": ("admin", lambda w: "/admin/cohorts/"),
    "cohort_admin.create": ("admin", lambda w: "/admin/cohorts/new"),
    "cohort_admin.show": ("admin", lambda w: f"/admin/cohorts/{w.cohort.id}"),
    "cohort_admin.add_session": ("admin", lambda w: f"/admin/cohorts/{w.cohort.id}/sessions/new"),
    "cohort_admin.edit_session": (
        "admin",
        lambda w: f"/admin/cohorts/{w.cohort.id}/sessions/{w.held.id}",
    ),
    "course_admin.index": ("admin", lambda w: "/admin/courses/"),
    "course_admin.create": ("admin", lambda w: "/admin/courses/new"),
    "course_admin.edit": ("admin", lambda w: f"/admin/courses/{w.course.id}"),
    "course_admin.categories": ("admin", lambda w: "/admin/courses/categories"),
    "course_admin.rename_category": (
        "admin",
        lambda w: f"/admin/courses/categories/{w.category.id}",
    ),
    "people.index": ("admin", lambda w: "/admin/users/"),
    "people.create": ("admin", lambda w: "/admin/users/new"),
    "people.edit": ("admin", lambda w: f"/admin/users/{w.learner.id}"),
    "people_import.index": ("admin", lambda w: "/admin/import/"),
    "audit.index": ("admin", lambda w: "/admin/audit/"),
    "mail.index": ("admin", lambda w: "/admin/mail/"),
    "reports.attendance": ("admin", lambda w: "/reports/attendance"),
}


def test_every_get_page_has_an_entry(app):
    get_endpoints = {
        rule.endpoint for rule in app.url_map.iter_rules() if "GET" in (rule.methods or ())
    }
    assert get_endpoints - NOT_PAGES - PAGES.keys() == set()
    assert PAGES.keys() - get_endpoints == set()


@pytest.fixture
def grow(make_user, make_course, make_cohort, make_enrolment):
    """`grow(world, n)` adds n of everything the pages list."""

    def add(world: World, n: int) -> None:
        for _ in range(n):
            learner = make_user(line_manager=world.manager)
            enrolment = make_enrolment(
                world.cohort, learner, confirmed_at=world.held.starts_at - timedelta(days=2)
            )
            db.session.add(
                AttendanceRecord(
                    session=world.held,
                    enrolment=enrolment,
                    status=AttendanceStatus.PRESENT,
                    method=AttendanceMethod.REGISTER,
                    marked_by=world.trainer,
                    marked_at=world.held.ends_at,
                )
            )
            other_course = make_course(category=world.category)
            other = make_cohort(other_course, trainers=[world.trainer])
            make_enrolment(other, learner)
            make_enrolment(
                make_cohort(make_course(requires_approval=True)),
                make_user(line_manager=world.manager),
                status=EnrolmentStatus.PENDING_APPROVAL,
            )
            make_enrolment(other, world.learner)
            audit.record(world.admin, "statement_counts.grown", learner)
            outbox.queue(learner.email, "Your place", "Hello").status = outbox.FAILED
        db.session.commit()

    return add


@pytest.fixture
def world(make_user, make_course, make_cohort, make_enrolment, grow) -> World:
    admin = make_user("admin@example.nhs.uk", roles=[Role.ADMIN])
    manager = make_user("manager@example.nhs.uk")
    trainer = make_user("trainer@example.nhs.uk", roles=[Role.TRAINER], line_manager=manager)
    learner = make_user("learner@example.nhs.uk", line_manager=manager)
    course = make_course(code="PM-OCC", title="Project management", category="Workshop")
    now = utcnow().replace(microsecond=0)
    cohort = make_cohort(
        course,
        trainers=[trainer],
        sessions=[
            (now - timedelta(days=1), now - timedelta(days=1) + timedelta(hours=3)),
            (now + timedelta(days=6), now + timedelta(days=6, hours=3)),
        ],
    )
    held = min(cohort.sessions, key=lambda session: session.starts_at)
    make_enrolment(cohort, learner, confirmed_at=held.starts_at - timedelta(days=3))
    make_enrolment(cohort, trainer, confirmed_at=held.starts_at - timedelta(days=3))
    feed, _ = issue_feed(learner)
    reset_token = accounts.issue_token(make_user(), accounts.RESET)
    db.session.commit()
    built = World(
        admin=admin,
        trainer=trainer,
        manager=manager,
        learner=learner,
        course=course,
        cohort=cohort,
        held=held,
        feed_token=feed.token,
        reset_token=reset_token,
        category=course.category,
    )
    grow(built, 2)
    return built


def _measure(app, world: World, count_queries) -> dict[str, tuple[int, int]]:
    """(status, statements) of every page, each visited twice and counted the second time
    (so nothing cached on a first visit is counted)."""
    clients = {}
    measured = {}
    for endpoint, (who, address) in PAGES.items():
        if who not in clients:
            client = app.test_client()
            if who is not None:
                sign_in(client, getattr(world, who).get_id())
            clients[who] = client
        url = address(world)
        clients[who].get(url)
        with count_queries() as counter:
            status = clients[who].get(url).status_code
        measured[endpoint] = (status, counter.count)
    return measured


def test_every_page_costs_the_same_statements_with_more_data(app, world, grow, count_queries):
    few = _measure(app, world, count_queries)
    assert {endpoint for endpoint, (status, _) in few.items() if status != 200} == set(), few
    grow(world, 12)
    many = _measure(app, world, count_queries)
    grown = {
        endpoint: (few[endpoint][1], many[endpoint][1])
        for endpoint in PAGES
        if few[endpoint] != many[endpoint]
    }
    assert grown == {}, f"pages whose statements grew with the data: {grown}"


def test_the_check_finds_a_page_that_gains_a_query_per_row(
    app, world, grow, count_queries, monkeypatch
):
    """Proof that the check can fail: the people list made to look up each row's
    audit trail on its own."""
    real_render = people_views.render_template

    def render_with_a_query_per_row(template, **context):
        for person in context["page"].items if "page" in context else []:
            db.session.scalar(
                select(func.count(AuditEvent.id)).where(AuditEvent.entity_id == str(person.id))
            )
        return real_render(template, **context)

    monkeypatch.setattr(people_views, "render_template", render_with_a_query_per_row)
    few = _measure(app, world, count_queries)
    grow(world, 12)
    many = _measure(app, world, count_queries)
    assert [endpoint for endpoint in PAGES if few[endpoint] != many[endpoint]] == ["people.index"]
