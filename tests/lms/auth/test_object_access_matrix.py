"""The access matrix for views about one object: every object-scoped route, called with a
real object by each outsider, refuses with 404 (403 where the route is for admins only).

The routes come from the declarations (`lms.auth.access.object_scoped_endpoints`), so a
new cohort, session or enrolment route is covered as soon as it is declared. The
outsiders: a learner on the cohort, a trainer of another cohort, and a former trainer who
is still on the cohort's trainer list but whose trainer role was removed.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Flask, abort
from flask_login import current_user
from sqlalchemy import select
from werkzeug.routing import Rule

from courses.cohorts.access import MANAGER, cohort_manager
from courses.models import Cohort, CohortStatus, Enrolment, EnrolmentStatus, Session
from lms.auth.access import access_rule, object_access, object_scoped_endpoints
from lms.auth.models import Role, User
from lms.core.extensions import db
from lms.core.outbox import OutboxMessage
from tests.helpers import log_in

ADMIN_ONLY = "role: admin"

# What the matrix must at least find: the cohort's roster, registers, check-in, sign-in
# sheet, grid and CSV, and the cohort admin page with its status change (which cancels).
MUST_COVER = {
    "attendance.register",
    "attendance.cohort_grid",
    "attendance.cohort_grid_csv",
    "checkin.screen",
    "checkin.screen_json",
    "signin_sheet.download",
    "cohort_admin.show",
    "cohort_admin.change_status",
    "cohort_admin.add_session",
    "cohort_admin.edit_session",
    "cohort_admin.cancel_session",
    "cohorts.cancel",  # someone's own enrolment: an outsider is another learner
    "approvals.decide",
}


@dataclass
class World:
    ids: dict[str, int]  # URL argument -> the id of a real object
    trainer: User  # teaches the cohort
    admin: User
    outsiders: dict[str, User]

    def url(self, rule: Rule) -> str:
        missing = set(rule.arguments) - self.ids.keys()
        assert not missing, f"{rule.endpoint}: the world has no {sorted(missing)}; add one"
        return rule.build({name: self.ids[name] for name in rule.arguments})[1]


@pytest.fixture
def world(make_user, make_course, make_cohort, make_enrolment) -> World:
    course = make_course(code="PM-OCC")
    trainer = make_user("a.trainer@example.nhs.uk", roles=[Role.TRAINER])
    other_trainer = make_user("b.trainer@example.nhs.uk", roles=[Role.TRAINER])
    former = make_user("c.former@example.nhs.uk", roles=[Role.TRAINER])
    admin = make_user("admin@example.nhs.uk", roles=[Role.ADMIN])
    cohort = make_cohort(course, trainers=[trainer, former])
    make_cohort(course, trainers=[other_trainer])
    on_the_cohort = make_user("on.the.cohort@example.nhs.uk")
    make_enrolment(cohort, on_the_cohort)
    # someone else's request: the object of the enrolment routes
    theirs = make_enrolment(cohort, status=EnrolmentStatus.PENDING_APPROVAL)
    former.role_grants.clear()  # the trainer role is removed; the trainer list keeps them
    db.session.commit()
    assert former in cohort.trainers and not former.is_trainer
    return World(
        ids={
            "cohort_id": cohort.id,
            "session_id": cohort.sessions[0].id,
            "enrolment_id": theirs.id,
        },
        trainer=trainer,
        admin=admin,
        outsiders={
            "a learner on the cohort": on_the_cohort,
            "a trainer of another cohort": other_trainer,
            "a former trainer": former,
        },
    )


def _methods(rule: Rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def _client_for(app: Flask, person: User):
    client = app.test_client()
    assert log_in(client, person.email).status_code == 302, person.email
    return client


def outsider_failures(app: Flask, world: World) -> list[tuple[str, str, str, int]]:
    """(endpoint, method, outsider, status) for every call an outsider was not refused.

    Object-scoped routes must answer 404; admin-only routes about a world object, 403.
    """
    expected = dict.fromkeys(object_scoped_endpoints(app), 404)
    for rule in app.url_map.iter_rules():
        if access_rule(app, rule.endpoint) == ADMIN_ONLY and set(rule.arguments) & world.ids.keys():
            expected.setdefault(rule.endpoint, 403)
    clients = {name: _client_for(app, person) for name, person in world.outsiders.items()}
    failures = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint not in expected:
            continue
        url = world.url(rule)
        for method in _methods(rule):
            for name, client in clients.items():
                status = client.open(url, method=method).status_code
                if status != expected[rule.endpoint]:
                    failures.append((rule.endpoint, method, name, status))
    return sorted(failures)


def test_every_object_scoped_route_refuses_the_three_outsiders(app, world):
    assert outsider_failures(app, world) == []
    # and nothing they posted changed anything: no cancelled cohort, no mail
    db.session.expire_all()
    cohort = db.session.get(Cohort, world.ids["cohort_id"])
    assert cohort.status == CohortStatus.OPEN
    assert [session.cancelled for session in cohort.sessions] == [False]
    assert db.session.get(Session, world.ids["session_id"]).check_in_secret is None
    theirs = db.session.get(Enrolment, world.ids["enrolment_id"])
    assert theirs.status == EnrolmentStatus.PENDING_APPROVAL
    assert db.session.scalars(select(OutboxMessage)).all() == []


def test_the_object_scoped_routes_come_from_the_declarations(app):
    declared = object_scoped_endpoints(app)
    assert declared and declared.keys() >= MUST_COVER, MUST_COVER - declared.keys()
    for rule in app.url_map.iter_rules():
        if rule.endpoint in declared:
            # the declaration names the URL argument that carries the object
            assert declared[rule.endpoint].argument in rule.arguments, rule.endpoint
    managed = {name for name, rule in declared.items() if rule.description == MANAGER}
    assert managed >= MUST_COVER - {"cohorts.cancel", "approvals.decide"}


def test_the_cohorts_trainer_and_an_admin_get_in(app, world):
    """The world is real: the 404s above are refusals, not missing objects."""
    declared = object_scoped_endpoints(app)
    managed = {name for name, rule in declared.items() if rule.description == MANAGER}
    for person in (world.trainer, world.admin):
        client = _client_for(app, person)
        for rule in app.url_map.iter_rules():
            if rule.endpoint in managed and "GET" in rule.methods:
                response = client.get(world.url(rule))
                assert response.status_code == 200, (person.email, rule.endpoint)


def test_the_outsider_matrix_fails_on_a_view_that_forgets_the_rule(make_app, app, world):
    """Proof that the check can fail: a throwaway app with an object-scoped view that
    never checks, and one that still uses the old rule (the trainer list alone)."""
    throwaway = make_app()

    @throwaway.get("/teach/cohorts/<int:cohort_id>/forgetful")
    @object_access(MANAGER, argument="cohort_id")
    def forgetful(cohort_id: int):
        return "the roster"

    @throwaway.get("/teach/cohorts/<int:cohort_id>/old-rule")
    @object_access(MANAGER, argument="cohort_id")
    def old_rule(cohort_id: int):
        cohort = db.session.get(Cohort, cohort_id)
        if cohort is None or not (
            current_user.is_admin or any(t.id == current_user.id for t in cohort.trainers)
        ):
            abort(404)
        return "the roster"

    @throwaway.get("/teach/cohorts/<int:cohort_id>/guarded")
    @cohort_manager(load="cohort_id")
    def guarded(cohort_id: int, cohort: Cohort):
        return "the roster"

    planted = {"forgetful", "old_rule", "guarded"}
    assert planted <= object_scoped_endpoints(throwaway).keys()
    failures = outsider_failures(throwaway, world)
    assert [failure for failure in failures if failure[0] in planted] == [
        ("forgetful", "GET", "a former trainer", 200),
        ("forgetful", "GET", "a learner on the cohort", 200),
        ("forgetful", "GET", "a trainer of another cohort", 200),
        ("old_rule", "GET", "a former trainer", 200),
    ]
