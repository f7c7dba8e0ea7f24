"""The register, a project's page and the support list cost the same SQL statements with
5 projects as with 2,000 (issue #14's own numbers; tests/test_statement_counts.py grows
every page by a dozen rows, this one by the trust's full register)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert, select

from lms.core.extensions import db
from lms.core.timezones import local_today, start_of_local_day
from lms.projects.models import (
    Project,
    ProjectMember,
    ProjectRole,
    ProjectStatus,
    Support,
    SupportStatus,
)
from tests.helpers import sign_in

PAGES = (
    "/projects/",
    "/projects/?trainee_led=yes&supported=yes&status=active",
    "/projects/?q=project",
    "/support/",
    "/support/?status=accepted",
)


def _add_projects(first: int, n: int, people: list[int], today) -> None:
    """n projects straight into the tables: each with a lead, a team member and accepted
    support (executemany: 2,000 take well under a second)."""
    starts = today - timedelta(days=30)
    rows = [
        {
            "title": f"Project {number}",
            "ppm_reference": f"PPM-{number:05}",
            "description": "",
            "starts_on": starts,
            "start_cutoff": start_of_local_day(starts + timedelta(days=1)),
            "status": ProjectStatus.ACTIVE,
        }
        for number in range(first, first + n)
    ]
    db.session.execute(insert(Project), rows)
    ids = db.session.scalars(
        select(Project.id).where(Project.title.in_([row["title"] for row in rows]))
    ).all()
    db.session.execute(
        insert(ProjectMember),
        [
            {
                "project_id": project_id,
                "person_id": people[(index + offset) % len(people)],
                "role": role,
            }
            for index, project_id in enumerate(ids)
            for offset, role in ((0, ProjectRole.LEAD), (1, ProjectRole.MEMBER))
        ],
    )
    db.session.execute(
        insert(Support),
        [
            {
                "project_id": project_id,
                "requested_by_id": people[index % len(people)],
                "assurance": True,
                "need": "Assurance",
                "status": SupportStatus.ACCEPTED,
                "responsible_id": people[0],
                "starts_on": today,
            }
            for index, project_id in enumerate(ids)
        ],
    )
    db.session.commit()


def test_the_register_a_project_and_the_support_list_at_5_and_2000_projects(
    app, admin, make_user, make_certificate, count_queries
):
    today = local_today()
    people = [make_user().id for _ in range(20)]
    for person_id in people[:10]:  # half of them trained here: "led by a trainee" finds some
        certificate = make_certificate(db.session.get(type(admin), person_id))
        certificate.enrolment.ended_at = start_of_local_day(today - timedelta(days=60))
    db.session.commit()
    _add_projects(0, 5, people, today)
    first = db.session.scalar(select(Project.id).order_by(Project.id))
    client = app.test_client()
    sign_in(client, admin.get_id())

    def statements() -> dict[str, int]:
        counted = {}
        for path in (*PAGES, f"/projects/{first}"):
            client.get(path)
            with count_queries() as counter:
                assert client.get(path).status_code == 200, path
            counted[path] = counter.count
        return counted

    few = statements()
    _add_projects(5, 1995, people, today)
    assert db.session.query(Project).count() == 2000
    assert statements() == few
