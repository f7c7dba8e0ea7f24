"""The project register's services: the trainee link, merging, who may change a project,
updates and closing (lms/projects/register.py, training.py, merging.py, updates.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from certificates import withdraw
from courses.models import EnrolmentStatus
from lms.core.domain import DomainError
from lms.core.extensions import db
from lms.projects import merging, register, updates
from lms.projects.access import can_change
from lms.projects.models import (
    Answer,
    CoachingSession,
    Project,
    ProjectMember,
    ProjectRole,
    ProjectStatus,
    ProjectUpdate,
    Rag,
    Support,
)
from lms.projects.register import ProjectDetails, ProjectRefused, RegisterFilter
from lms.projects.training import lead_time, training_before
from lms.projects.updates import UpdateDetails
from tests.helpers import count, events

START = date(2026, 6, 1)  # in British Summer Time: the day ends at 23:00 UTC


def _completed_at(make_certificate, learner, moment: datetime):
    certificate = make_certificate(learner)
    certificate.enrolment.ended_at = moment
    db.session.commit()
    return certificate


def _ids(query) -> set[int]:
    return set(db.session.scalars(query.with_only_columns(Project.id)).all())


# --- the trainee link ------------------------------------------------------------------------


def test_a_course_completed_on_the_start_date_counts_and_the_next_day_does_not(
    make_user, make_certificate, make_project
):
    on_the_day, next_day = make_user(full_name="Siân ap Gwyn"), make_user()
    _completed_at(make_certificate, on_the_day, datetime(2026, 6, 1, 22, 59, tzinfo=UTC))
    _completed_at(make_certificate, next_day, datetime(2026, 6, 1, 23, 0, tzinfo=UTC))
    project = make_project(lead=on_the_day, starts_on=START, members={next_day: ProjectRole.MEMBER})

    found = training_before(project)

    assert set(found) == {on_the_day.id}
    (course,) = found[on_the_day.id]
    assert (course.course_title, course.completed_on) == ("Occasional project managers", START)
    assert course.lead_time == "the same day"
    assert _ids(register.search(RegisterFilter(trainee_led=True))) == {project.id}


def test_a_withdrawn_completion_and_a_later_start_date_are_followed_at_once(
    make_user, make_certificate, make_project
):
    lead = make_user()
    certificate = _completed_at(make_certificate, lead, datetime(2026, 2, 10, 12, tzinfo=UTC))
    project = make_project(lead=lead, starts_on=START)
    (course,) = training_before(project)[lead.id]
    assert course.lead_time == "3 months"

    project.starts_on = date(2026, 2, 9)  # moved before the course
    db.session.commit()
    assert training_before(project) == {}
    assert _ids(register.search(RegisterFilter(trainee_led=False))) == {project.id}

    project.starts_on = START
    db.session.commit()
    assert lead.id in training_before(project)
    enrolment = certificate.enrolment
    enrolment.status = EnrolmentStatus.NOT_COMPLETED  # the cohort closed again without it
    withdraw(enrolment)
    db.session.commit()
    assert training_before(project) == {}
    assert _ids(register.search(RegisterFilter(trainee_led=True))) == set()


def test_led_by_a_trainee_compares_each_project_with_its_own_start(
    make_user, make_certificate, make_project
):
    lead = make_user()
    _completed_at(make_certificate, lead, datetime(2026, 3, 2, 12, tzinfo=UTC))
    before = make_project("Started before the course", lead=lead, starts_on=date(2026, 3, 1))
    make_project("Started after it", lead=make_user(), starts_on=date(2027, 1, 1))
    assert _ids(register.search(RegisterFilter(trainee_led=True))) == set()
    assert before.id in _ids(register.search(RegisterFilter(trainee_led=False)))


def test_only_the_lead_makes_a_project_trainee_led(make_user, make_certificate, make_project):
    trained = make_user()
    _completed_at(make_certificate, trained, datetime(2026, 1, 5, 12, tzinfo=UTC))
    project = make_project(lead=make_user(), members={trained: ProjectRole.PROJECT_MANAGER})
    assert set(training_before(project)) == {trained.id}
    assert _ids(register.search(RegisterFilter(trainee_led=True))) == set()


def test_no_start_date_means_no_link(make_user, make_certificate, make_project):
    lead = make_user()
    make_certificate(lead)
    assert training_before(make_project(lead=lead, starts_on=None)) == {}


@pytest.mark.parametrize(
    ("completed", "starts", "words"),
    [
        (date(2026, 2, 1), date(2026, 6, 1), "4 months"),
        (date(2026, 5, 2), date(2026, 6, 1), "30 days"),
        (date(2026, 5, 31), date(2026, 6, 1), "1 day"),
        (date(2025, 6, 1), date(2026, 6, 1), "12 months"),
        (date(2026, 1, 31), date(2026, 2, 28), "28 days"),
    ],
)
def test_lead_time_in_words(completed, starts, words):
    assert lead_time(completed, starts) == words


# --- registering and changing ------------------------------------------------------------


def _details(**changes) -> ProjectDetails:
    values = {"title": "Virtual ward roll-out", "starts_on": START, "ppm_reference": "PPM-0100"}
    values.update(changes)
    return ProjectDetails(**values)


def test_a_learner_registers_a_project_they_lead_and_it_is_audited(app, learner):
    project = register.register(_details(), by=learner, role=ProjectRole.LEAD)
    db.session.commit()
    assert [(link.person_id, link.role) for link in project.members] == [
        (learner.id, ProjectRole.LEAD)
    ]
    assert [event.action for event in events(entity_type="Project")] == [
        "project.registered",
        "project.person_added",
    ]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "  "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"ppm_reference": "p" * 41}, "ppm_reference"),
        ({"planned_end_on": date(2026, 5, 31)}, "planned_end_on"),
        ({"status": ProjectStatus.CLOSED}, "status"),
        ({"service_group_id": 999_999}, "service_group_id"),
        ({"sponsor": "s" * 201}, "sponsor"),
    ],
)
def test_bad_details_are_refused_beside_their_field(app, learner, changes, field):
    with pytest.raises(ProjectRefused) as refused:
        register.register(_details(**changes), by=learner, role=ProjectRole.LEAD)
    assert field in {problem.field for problem in refused.value.problems}


def test_a_ppm_reference_is_unique_in_any_case(app, learner, make_project):
    make_project(ppm_reference="PPM-0100")
    with pytest.raises(ProjectRefused) as refused:
        register.register(_details(ppm_reference="ppm-0100"), by=learner, role=ProjectRole.LEAD)
    assert refused.value.problems[0].field == "ppm_reference"


def test_only_an_admin_registers_a_project_they_are_not_on(app, learner, admin):
    with pytest.raises(DomainError):
        register.register(_details(), by=learner, role=None)
    project = register.register(_details(), by=admin, role=None)
    assert project.members == []


def test_who_may_change_a_project(app, make_user, admin, make_project):
    lead, manager, member, registrant, stranger = (make_user() for _ in range(5))
    project = make_project(
        lead=lead,
        members={
            manager: ProjectRole.PROJECT_MANAGER,
            member: ProjectRole.MEMBER,
            registrant: ProjectRole.MEMBER,
        },
        created_by_id=registrant.id,
    )
    allowed = {
        person.id
        for person in (lead, manager, member, registrant, stranger, admin)
        if can_change(project, person)
    }
    assert allowed == {lead.id, manager.id, registrant.id, admin.id}
    with pytest.raises(register.NotAllowed):
        register.change(project, _details(), by=member)
    with pytest.raises(register.NotAllowed):
        register.add_person(project, stranger, ProjectRole.LEAD, by=stranger)


def test_whoever_registered_a_project_loses_it_when_taken_off_it(app, make_user, admin):
    registrant, lead = make_user(), make_user()
    project = register.register(_details(), by=registrant, role=ProjectRole.PROJECT_MANAGER)
    register.add_person(project, lead, ProjectRole.LEAD, by=admin)
    (link,) = [link for link in register.people(project.id) if link.person_id == registrant.id]
    register.remove_person(project, link, by=admin)
    db.session.commit()
    assert not can_change(project, registrant)
    with pytest.raises(register.NotAllowed):
        register.add_person(project, registrant, ProjectRole.LEAD, by=registrant)


def test_people_are_added_their_role_changed_and_removed_with_audit(app, make_user, make_project):
    lead, other = make_user(), make_user()
    project = make_project(lead=lead)
    link = register.add_person(project, other, ProjectRole.MEMBER, by=lead)
    register.add_person(project, other, ProjectRole.PROJECT_MANAGER, by=lead)
    register.remove_person(project, link, by=lead)
    db.session.commit()
    assert [event.action for event in events(entity_type="Project")] == [
        "project.person_added",
        "project.role_changed",
        "project.person_removed",
    ]
    assert count(ProjectMember, ProjectMember.project_id == project.id) == 1


# --- updates and closing -----------------------------------------------------------------


def _update(**changes) -> UpdateDetails:
    values = {
        "reported_on": date(2026, 7, 1),
        "rag": Rag.AMBER,
        "milestones_met": Answer.PARTLY,
        "on_time": Answer.YES,
        "on_budget": Answer.NO,
        "benefits_realised": Answer.TOO_EARLY,
        "narrative": "Stage one signed off.",
    }
    values.update(changes)
    return UpdateDetails(**values)


def test_updates_and_the_final_outcome_are_recorded_and_audited(app, make_user, make_project):
    lead = make_user()
    project = make_project(lead=lead)
    updates.add_update(project, _update(), by=lead, today=date(2026, 7, 2))
    updates.close(
        project,
        ProjectStatus.CLOSED,
        _update(rag=Rag.GREEN, benefits_realised=Answer.YES),
        by=lead,
        today=date(2026, 7, 2),
    )
    db.session.commit()
    assert project.status == ProjectStatus.CLOSED
    history = db.session.scalars(updates.updates_of(project.id)).all()
    assert [update.final for update in history] == [True, False]
    assert {event.action for event in events()} >= {"project_update.recorded", "project.closed"}
    with pytest.raises(DomainError):
        updates.add_update(project, _update(), by=lead, today=date(2026, 7, 2))


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"reported_on": date(2026, 7, 3)}, "reported_on"),
        ({"reported_on": None}, "reported_on"),
        ({"rag": None}, "rag"),
        ({"on_time": Answer.TOO_EARLY}, "on_time"),
        ({"benefits_realised": None}, "benefits_realised"),
        ({"narrative": "n" * 2001}, "narrative"),
    ],
)
def test_a_bad_update_is_refused_beside_its_field(app, make_user, make_project, changes, field):
    lead = make_user()
    project = make_project(lead=lead)
    with pytest.raises(ProjectRefused) as refused:
        updates.add_update(project, _update(**changes), by=lead, today=date(2026, 7, 2))
    assert field in {problem.field for problem in refused.value.problems}


def test_a_team_member_cannot_report(app, make_user, make_project):
    member = make_user()
    project = make_project(members={member: ProjectRole.MEMBER})
    with pytest.raises(register.NotAllowed):
        updates.add_update(project, _update(), by=member, today=date(2026, 7, 2))


# --- merging -------------------------------------------------------------------------------


def test_merging_moves_everything_and_leaves_no_orphan(
    app, admin, make_user, make_project, make_support
):
    both, only_duplicate, coach = make_user(), make_user(), make_user()
    survivor = make_project(
        "Outpatient letters", lead=make_user(), starts_on=None, members={both: ProjectRole.MEMBER}
    )
    duplicate = make_project(
        "Outpatient letters (dup)",
        ppm_reference="PPM-7",
        sponsor="Dr Ada Obi",
        members={both: ProjectRole.LEAD, only_duplicate: ProjectRole.MEMBER},
    )
    support = make_support(duplicate, only_duplicate, responsible=coach)
    db.session.add(
        CoachingSession(
            support_id=support.id,
            coach_id=coach.id,
            coachee_id=only_duplicate.id,
            held_on=date(2026, 6, 2),
            minutes=60,
            topic="Planning",
        )
    )
    updates.add_update(duplicate, _update(), by=admin, today=date(2026, 7, 2))
    db.session.commit()
    duplicate_id = duplicate.id

    moved = merging.merge(duplicate, survivor, by=admin)
    db.session.commit()

    assert moved == {"people": 2, "updates": 1, "support": 1}
    assert db.session.get(Project, duplicate_id) is None
    roles = {
        link.person_id: link.role
        for link in db.session.scalars(
            select(ProjectMember).where(ProjectMember.project_id == survivor.id)
        )
    }
    assert roles[both.id] == ProjectRole.LEAD  # the stronger of the two
    assert roles[only_duplicate.id] == ProjectRole.MEMBER
    for model in (ProjectMember, ProjectUpdate, Support):
        assert count(model, model.project_id == duplicate_id) == 0
    assert count(CoachingSession) == 1
    assert (survivor.ppm_reference, survivor.sponsor, survivor.starts_on) == (
        "PPM-7",
        "Dr Ada Obi",
        START,
    )
    (event,) = events("project.merged")
    assert event.before["merged_from"]["id"] == duplicate_id


def test_a_merge_keeps_a_project_apart_that_the_ppm_platform_lists_twice(app, admin, make_project):
    keep, duplicate = make_project(ppm_reference="PPM-1"), make_project(ppm_reference="PPM-2")
    with pytest.raises(DomainError) as refused:
        merging.merge(duplicate, keep, by=admin)
    assert "merge them there first" in str(refused.value)
    merging.merge(make_project(ppm_reference=None), keep, by=admin)


def test_a_merge_fills_dates_only_when_they_agree_and_an_open_survivor_has_no_final(
    app, admin, make_user, make_project
):
    lead = make_user()
    keep = make_project("Keep", starts_on=None, planned_end_on=date(2026, 1, 1))
    duplicate = make_project("Closed copy", lead=lead, starts_on=date(2026, 6, 1))
    updates.close(duplicate, ProjectStatus.CLOSED, _update(), by=lead, today=date(2026, 7, 2))
    merging.merge(duplicate, keep, by=admin)
    db.session.commit()
    assert (keep.starts_on, keep.planned_end_on) == (None, date(2026, 1, 1))
    (moved,) = db.session.scalars(updates.updates_of(keep.id)).all()
    assert moved.final is False and keep.status == ProjectStatus.ACTIVE


def test_only_admins_merge_and_never_a_project_into_itself(app, admin, learner, make_project):
    one, other = make_project(lead=learner), make_project()
    with pytest.raises(DomainError):
        merging.merge(one, other, by=learner)
    with pytest.raises(DomainError):
        merging.merge(one, one, by=admin)
