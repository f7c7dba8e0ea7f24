"""The project register's pages: lms/projects/views.py."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from lms.core.extensions import db
from lms.core.timezones import local_today
from lms.projects.models import (
    Project,
    ProjectMember,
    ProjectRole,
    ProjectStatus,
    ProjectUpdate,
)
from tests.helpers import count, events, field_error, sign_in, text_of


def _client_as(app, person):
    client = app.test_client()
    sign_in(client, person.get_id())
    return client


def _project_form(**changes) -> dict:
    data = {
        "title": "Virtual ward roll-out",
        "role": "lead",
        "ppm_reference": "PPM-0100",
        "description": "Hospital at home for frail patients.",
        "service_group_id": "",
        "sponsor": "Dr Ada Obi",
        "starts_on": "2026-06-01",
        "planned_end_on": "2027-03-31",
        "status": "active",
    }
    data.update(changes)
    return data


def _update_form(**changes) -> dict:
    data = {
        "reported_on": local_today().isoformat(),
        "rag": "amber",
        "milestones_met": "partly",
        "on_time": "yes",
        "on_budget": "no",
        "benefits_realised": "too_early",
        "narrative": "Stage one signed off.",
    }
    data.update(changes)
    return data


def test_a_learner_registers_a_project_and_its_page_shows_their_training(
    app, make_user, make_certificate
):
    lead = make_user(full_name="Siân ap Gwyn")
    certificate = make_certificate(lead)
    certificate.enrolment.ended_at = datetime(2026, 2, 1, 12, tzinfo=UTC)
    db.session.commit()
    client = _client_as(app, lead)

    response = client.post("/projects/new", data=_project_form())

    assert response.status_code == 302
    project = db.session.scalar(select(Project))
    assert response.headers["Location"].endswith(f"/projects/{project.id}")
    page = text_of(client.get(f"/projects/{project.id}"))
    assert "Lead: Siân ap Gwyn" in page
    assert (
        f"completed Occasional project managers (cohort {certificate.cohort_code}) "
        "4 months before start"
    ) in page
    assert "Add an update" in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "", "Enter the project's title"),
        ("role", "boss", "Choose your role from the list"),
        ("starts_on", "31/02/2026", "Enter the date of the start as a real date"),
        ("planned_end_on", "2026-05-01", "The planned end must be on or after the start date"),
        ("status", "closed", "Choose proposed, active or on hold"),
        ("service_group_id", "12345", "Choose a service group from the list"),
    ],
)
def test_each_bad_field_is_shown_beside_it_and_nothing_is_saved(
    app, learner, field, value, message
):
    response = _client_as(app, learner).post("/projects/new", data=_project_form(**{field: value}))
    assert response.status_code == 422
    assert message in (field_error(text_of(response), field) or "")
    assert count(Project) == 0


def test_a_learner_changes_only_their_own_projects(app, make_user, make_project):
    lead, member, stranger = make_user(), make_user(), make_user()
    project = make_project(lead=lead, members={member: ProjectRole.MEMBER})
    for outsider in (member, stranger):
        client = _client_as(app, outsider)
        for path in ("edit", "people", "updates/new", "close"):
            assert client.get(f"/projects/{project.id}/{path}").status_code == 404
        assert client.post(f"/projects/{project.id}/edit", data=_project_form()).status_code == 404
        assert client.get(f"/projects/{project.id}").status_code == 200  # the register is open
    response = _client_as(app, lead).post(
        f"/projects/{project.id}/edit", data=_project_form(title="Renamed")
    )
    assert response.status_code == 302
    assert db.session.get(Project, project.id).title == "Renamed"
    assert [event.action for event in events("project.changed")] == ["project.changed"]


def test_the_lead_adds_and_removes_people(app, make_user, make_project):
    lead = make_user()
    newcomer = make_user(email="pat.doe@example.nhs.uk", full_name="Pat Doe")
    project = make_project(lead=lead)
    client = _client_as(app, lead)
    response = client.post(
        f"/projects/{project.id}/people",
        data={"person": "PAT.DOE@example.nhs.uk", "role": "project_manager"},
    )
    assert response.status_code == 302
    link = db.session.scalar(select(ProjectMember).where(ProjectMember.person_id == newcomer.id))
    assert link.role == ProjectRole.PROJECT_MANAGER
    missing = client.post(
        f"/projects/{project.id}/people", data={"person": "nobody@x", "role": "member"}
    )
    assert missing.status_code == 422
    assert "No one with an account" in field_error(text_of(missing), "person")
    client.post(f"/projects/{project.id}/people/{link.id}/remove")
    assert count(ProjectMember, ProjectMember.person_id == newcomer.id) == 0


def test_an_update_then_the_close(app, make_user, make_project):
    lead = make_user()
    project = make_project(lead=lead)
    client = _client_as(app, lead)
    bad = client.post(f"/projects/{project.id}/updates/new", data=_update_form(rag=""))
    assert bad.status_code == 422 and count(ProjectUpdate) == 0
    assert (
        client.post(f"/projects/{project.id}/updates/new", data=_update_form()).status_code == 302
    )
    no_outcome = client.post(
        f"/projects/{project.id}/close", data=_update_form(outcome="closed", narrative="")
    )
    assert "Say briefly how the project ended" in field_error(text_of(no_outcome), "narrative")
    closed = client.post(
        f"/projects/{project.id}/close",
        data=_update_form(outcome="stopped", narrative="Funding withdrawn."),
    )
    assert closed.status_code == 302
    assert db.session.get(Project, project.id).status == ProjectStatus.STOPPED
    page = text_of(client.get(f"/projects/{project.id}"))
    assert "Final outcome" in page and "Funding withdrawn." in page
    assert "Add an update" not in page


def test_an_admin_merges_a_duplicate_by_ppm_reference(app, admin, learner, make_project):
    keep = make_project("Keep", ppm_reference="PPM-1")
    duplicate = make_project("Duplicate", lead=learner)
    client = _client_as(app, admin)
    wrong = client.post(f"/projects/{duplicate.id}/merge", data={"survivor": "PPM-404"})
    assert "No project has that number" in field_error(text_of(wrong), "survivor")
    itself = client.post(f"/projects/{duplicate.id}/merge", data={"survivor": str(duplicate.id)})
    assert "Choose another project to keep" in field_error(text_of(itself), "survivor")
    response = client.post(f"/projects/{duplicate.id}/merge", data={"survivor": "ppm-1"})
    assert response.headers["Location"].endswith(f"/projects/{keep.id}")
    assert count(Project) == 1
    assert _client_as(app, learner).get(f"/projects/{keep.id}/merge").status_code == 404


def test_the_register_filters(app, learner, make_user, make_project, make_support):
    mine = make_project("Theatre scheduling", lead=learner, ppm_reference="PPM-9")
    supported = make_project("Discharge lounge", status=ProjectStatus.ON_HOLD)
    make_support(supported, learner, responsible=make_user())
    make_project("Pharmacy robot", status=ProjectStatus.CLOSED)
    client = _client_as(app, learner)

    def titles(query: str) -> set[str]:
        page = text_of(client.get(f"/projects/?{query}"))
        return {title for title in ("Theatre", "Discharge", "Pharmacy") if title in page}

    assert titles("") == {"Theatre", "Discharge", "Pharmacy"}
    assert titles("q=theatre") == {"Theatre"}
    assert titles("q=ppm-9") == {"Theatre"}
    assert titles("status=on_hold") == {"Discharge"}
    assert titles("supported=yes") == {"Discharge"}
    assert titles("supported=no") == {"Theatre", "Pharmacy"}
    assert titles("mine=yes") == {"Theatre"}
    assert titles("trainee_led=yes") == set()
    for nonsense in (
        "status=x",
        "supported=maybe",
        "service_group=abc",
        "page=-3",
        "q=" + "x" * 300,
    ):
        assert client.get(f"/projects/?{nonsense}").status_code == 200
    assert mine.id


def _grow(make_user, make_project, make_support, make_certificate, n: int) -> Project:
    first = None
    for number in range(n):
        lead = make_user()
        if number % 2 == 0:
            make_certificate(lead)
        project = make_project(
            f"Project {number}",
            lead=lead,
            starts_on=date(2027, 1, 1),
            members={make_user(): ProjectRole.MEMBER},
        )
        make_support(project, lead, responsible=lead)
        first = first or project
    return first


def test_the_register_and_a_project_page_cost_the_same_statements_for_more_projects(
    app, admin, make_user, make_project, make_support, make_certificate, count_queries
):
    project = _grow(make_user, make_project, make_support, make_certificate, 2)
    client = _client_as(app, admin)

    def statements(path: str) -> int:
        client.get(path)  # warm
        with count_queries() as counter:
            assert client.get(path).status_code == 200
        return counter.count

    small = {path: statements(path) for path in ("/projects/", f"/projects/{project.id}")}
    _grow(make_user, make_project, make_support, make_certificate, 8)
    link = db.session.scalar(select(ProjectMember).where(ProjectMember.project_id == project.id))
    for _ in range(5):
        db.session.add(
            ProjectMember(project_id=project.id, person_id=make_user().id, role=ProjectRole.MEMBER)
        )
    db.session.commit()
    assert link
    large = {path: statements(path) for path in small}
    assert large == small


def test_a_merge_survivor_typed_as_other_digits_is_refused_not_an_error(app, admin, make_project):
    duplicate = make_project("Duplicate")
    client = _client_as(app, admin)
    for typed in ("²", "١٢", "9" * 30):
        response = client.post(f"/projects/{duplicate.id}/merge", data={"survivor": typed})
        assert response.status_code == 422, typed
