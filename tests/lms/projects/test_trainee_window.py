"""When a project's trainee window opens (`Project.trainee_window_opens`,
lms/projects/models.py) and what it decides: whether a completion "went on to lead" the
project (lms/reports/leading.py `leads_a_project_after()`, the KPI funnel's last stage and
the impact view's leading share).

The window opens at the start of the UK day 12 calendar months before the project began:
its start date, or, without one, the day it was registered (28 February for a start on 29
February). A completion counts from that moment until the project began (the end of its
start day, or the moment it was registered), and only with a valid certificate. The
column is kept by the model's `starts_on` validator, a before_insert event, and the PPM
import's bulk statements, so SQLite and PostgreSQL compare the same stored moment.

UK days: British Summer Time (UTC+1) from 29 March to 25 October 2026, 28 March to
31 October 2027; GMT (UTC) otherwise, as on 28 February to 1 March 2028 and 2029.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from certificates import issue
from courses.models import CohortStatus, Enrolment, EnrolmentStatus
from lms.core.dates import add_months
from lms.core.extensions import db
from lms.core.timezones import start_of_local_day, to_local
from lms.projects.importing import import_projects
from lms.projects.models import Project
from lms.projects.years import financial_year
from lms.reports.filters import ReportFilters
from lms.reports.impact import impact_figures
from lms.reports.kpi import dashboard_figures
from lms.reports.leading import leads_a_project_after

HEADER = "Reference,Title,Service group,Start date,Planned end date,Status,Lead,Team members"


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.fixture
def complete(make_course, make_cohort, make_enrolment, make_user):
    """`complete(ended_at, certified=True)`: a new learner's completed enrolment (confirmed
    a month before), with a valid certificate issued then unless `certified` is False."""
    course = make_course(code="PM", title="Project management")

    def make(ended_at: datetime, *, certified: bool = True) -> Enrolment:
        cohort = make_cohort(course, status=CohortStatus.CLOSED, sessions=[], closed_at=ended_at)
        enrolment = make_enrolment(
            cohort,
            make_user(),
            status=EnrolmentStatus.COMPLETED,
            requested_at=ended_at - timedelta(days=30),
            confirmed_at=ended_at - timedelta(days=30),
            ended_at=ended_at,
        )
        if certified:
            issue(enrolment, now=ended_at)
            db.session.commit()
        return enrolment

    return make


def leads(enrolment: Enrolment) -> bool:
    """Whether the completion went on to lead a project, by the reports' rule."""
    found = db.session.scalar(
        select(Enrolment.id).where(Enrolment.id == enrolment.id, leads_a_project_after())
    )
    return found is not None


def reloaded(project: Project) -> Project:
    db.session.expire_all()
    return db.session.get(Project, project.id)


# --- the stored moment ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "starts_on, opens",
    [
        # 10 May 2027: 10 May 2026 starts at 00:00 BST = 23:00 UTC on 9 May.
        (date(2027, 5, 10), utc(2026, 5, 9, 23)),
        # 15 January 2027: 15 January 2026 starts at 00:00 GMT = 00:00 UTC.
        (date(2027, 1, 15), utc(2026, 1, 15)),
        # 29 February 2028: there is no 29 February 2027, so 28 February 2027, 00:00 GMT.
        (date(2028, 2, 29), utc(2027, 2, 28)),
        # 28 March 2027 (BST from 01:00 UTC that day): 28 March 2026 was GMT: 00:00 UTC.
        (date(2027, 3, 28), utc(2026, 3, 28)),
    ],
)
def test_the_window_opens_at_the_uk_day_12_months_before_the_start(make_project, starts_on, opens):
    project = reloaded(make_project(starts_on=starts_on))
    assert project.trainee_window_opens == opens


def test_a_project_registered_without_a_start_date_opens_from_its_registration_day(
    make_project,
):
    project = reloaded(make_project(starts_on=None))
    registered_on = to_local(project.created_at).date()
    # The UK day it was registered, 12 months back, from its first moment.
    assert project.trainee_window_opens == start_of_local_day(add_months(registered_on, -12))
    assert project.start_cutoff is None


def test_setting_a_start_date_moves_the_window_and_clearing_it_moves_it_back(
    make_project, complete, make_user
):
    learner = make_user()
    project = make_project(starts_on=None, lead=learner)
    # Registered at 23:30 UTC on 30 June 2026: 00:30 BST on 1 July, the UK day it was
    # registered.
    db.session.execute(
        update(Project).where(Project.id == project.id).values(created_at=utc(2026, 6, 30, 23, 30))
    )
    db.session.commit()
    project = reloaded(project)

    project.starts_on = date(2027, 3, 15)
    db.session.commit()
    project = reloaded(project)
    # 15 March 2026, 00:00 GMT; its first day ends at 16 March 2027, 00:00 GMT.
    assert project.trainee_window_opens == utc(2026, 3, 15)
    assert project.start_cutoff == utc(2027, 3, 16)

    project.starts_on = None
    db.session.commit()
    project = reloaded(project)
    # Back to the registration day, 1 July 2026: 1 July 2025, 00:00 BST = 23:00 UTC on 30
    # June 2025 (not 30 June, the UTC day of the registration).
    assert project.trainee_window_opens == utc(2025, 6, 30, 23)
    assert project.start_cutoff is None


def test_the_leading_rule_follows_the_window_as_the_start_date_changes(make_project, complete):
    # Completed on 1 August 2025 (12:00 UTC, 13:00 BST), certified.
    enrolment = complete(utc(2025, 8, 1, 12))
    project = make_project(starts_on=None, lead=enrolment.learner)
    db.session.execute(
        update(Project).where(Project.id == project.id).values(created_at=utc(2026, 6, 30, 23, 30))
    )
    db.session.commit()
    project = reloaded(project)
    project.starts_on = None  # as the register's form sends an empty start date back
    db.session.commit()
    # Without a start date: began when registered (30 June 2026 23:30 UTC), window from
    # 30 June 2025 23:00 UTC: 1 August 2025 is inside, 11 months before.
    assert leads(enrolment)
    project = reloaded(project)
    project.starts_on = date(2027, 3, 15)
    db.session.commit()
    # Starting 15 March 2027: the window opens 15 March 2026, after the completion.
    assert not leads(enrolment)
    project = reloaded(project)
    project.starts_on = date(2026, 8, 1)
    db.session.commit()
    # Starting 1 August 2026, the completion's anniversary: the window opens 1 August 2025
    # 00:00 BST, before the completion's 13:00 BST.
    assert leads(enrolment)


# --- the boundaries ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ended_at, starts_on, counted",
    [
        # Completed 10 May 2026 at 14:00 BST. A project starting on the anniversary, 10 May
        # 2027: the window opens 10 May 2026 00:00 BST (23:00 UTC on 9 May): counted.
        (utc(2026, 5, 10, 13), date(2027, 5, 10), True),
        # The day after, 11 May 2027: the window opens 11 May 2026: not counted.
        (utc(2026, 5, 10, 13), date(2027, 5, 11), False),
        # Completed at 00:30 BST on 10 May 2026, 23:30 UTC on 9 May: its UK day is 10 May,
        # so the anniversary project (window from 23:00 UTC on 9 May) counts...
        (utc(2026, 5, 9, 23, 30), date(2027, 5, 10), True),
        # ...and the day after does not.
        (utc(2026, 5, 9, 23, 30), date(2027, 5, 11), False),
        # Completed 29 February 2028 at 12:00 GMT. A project starting 28 February 2029:
        # window from 28 February 2028, 00:00 GMT: counted.
        (utc(2028, 2, 29, 12), date(2029, 2, 28), True),
        # 1 March 2029: window from 1 March 2028, the day after the completion: not.
        (utc(2028, 2, 29, 12), date(2029, 3, 1), False),
        # Completed 1 December 2026 at 00:30 GMT: anniversary 1 December 2027 counts, the
        # 2nd does not.
        (utc(2026, 12, 1, 0, 30), date(2027, 12, 1), True),
        (utc(2026, 12, 1, 0, 30), date(2027, 12, 2), False),
        # The upper end: a project starting the day of the completion began at the end of
        # that day (11 May 2026 00:00 BST), after the 14:00 completion: counted.
        (utc(2026, 5, 10, 13), date(2026, 5, 10), True),
        # One that started the day before had begun before the training: not.
        (utc(2026, 5, 10, 13), date(2026, 5, 9), False),
    ],
)
def test_the_12_months_are_counted_in_uk_days(make_project, complete, ended_at, starts_on, counted):
    enrolment = complete(ended_at)
    make_project(lead=enrolment.learner, starts_on=starts_on)
    assert leads(enrolment) is counted


def test_without_a_valid_certificate_nobody_leads(make_project, complete):
    # Completed 10 May 2026 and leading a project from 1 September 2026, but uncertified.
    enrolment = complete(utc(2026, 5, 10, 13), certified=False)
    make_project(lead=enrolment.learner, starts_on=date(2026, 9, 1))
    assert not leads(enrolment)


def test_the_funnel_and_the_impact_view_count_29_february_alike(make_project, complete):
    # Two learners completed on 29 February 2028 (12:00 GMT), in 2027/28; one leads a
    # project from 28 February 2029 (counted), the other from 1 March 2029 (not).
    counted = complete(utc(2028, 2, 29, 12))
    late = complete(utc(2028, 2, 29, 12))
    make_project("Counted", lead=counted.learner, starts_on=date(2029, 2, 28))
    make_project("Too late", lead=late.learner, starts_on=date(2029, 3, 1))
    filters = ReportFilters(financial_year(2027))
    now = utc(2029, 4, 1)
    funnel = next(f for f in dashboard_figures(filters, now) if f.key == "funnel")
    # Enrolled (confirmed 30 January 2028) 2, completed 2, certified 2, leading 1: 50.0%
    # of enrolled and of the certified.
    assert funnel.rows[-1][1:] == (1, Decimal("50.0"), Decimal("50.0"))
    leading = next(f for f in impact_figures(filters, now) if f.key == "leading")
    # Trained in 2027/28: 2 people; went on to lead: 1 = 50.0%.
    assert [row[1] for row in leading.rows] == [2, 1]


# --- the PPM import ------------------------------------------------------------------------


def run(*rows: str, by) -> None:
    import_projects(("\r\n".join((HEADER, *rows)) + "\r\n").encode(), by=by)
    db.session.commit()


def project(reference: str) -> Project:
    db.session.expire_all()
    return db.session.scalar(select(Project).where(Project.ppm_reference == reference))


def test_the_import_opens_the_window_for_new_projects(app, admin):
    run("PPM-1,With a start,,2027-05-10,,Active,,", "PPM-2,Without one,,,,Proposed,,", by=admin)
    # 10 May 2027: 10 May 2026 00:00 BST = 23:00 UTC on 9 May.
    assert project("PPM-1").trainee_window_opens == utc(2026, 5, 9, 23)
    assert project("PPM-1").start_cutoff == utc(2027, 5, 10, 23)
    # No start date: the UK day it was registered, 12 months back.
    bare = project("PPM-2")
    registered_on = to_local(bare.created_at).date()
    assert bare.trainee_window_opens == start_of_local_day(add_months(registered_on, -12))


def test_the_import_moves_the_window_of_changed_projects(app, admin):
    run("PPM-1,Letters,,2027-05-10,,Active,,", "PPM-2,Discharge,,,,Proposed,,", by=admin)
    # Both registered at 23:30 UTC on 30 June 2026: 1 July 2026 in the UK.
    db.session.execute(update(Project).values(created_at=utc(2026, 6, 30, 23, 30)))
    db.session.commit()
    run(
        "PPM-1,Letters,,,,Active,,",  # the start date cleared
        "PPM-2,Discharge,,29/02/2028,,Active,,",  # a start date given
        by=admin,
    )
    # PPM-1: back to its registration day, 1 July 2026: 1 July 2025 00:00 BST.
    assert project("PPM-1").trainee_window_opens == utc(2025, 6, 30, 23)
    assert project("PPM-1").start_cutoff is None
    # PPM-2: 29 February 2028: 28 February 2027, 00:00 GMT.
    assert project("PPM-2").trainee_window_opens == utc(2027, 2, 28)
    assert project("PPM-2").start_cutoff == utc(2028, 3, 1)
    # Imported again unchanged: nothing moves.
    run("PPM-1,Letters,,,,Active,,", "PPM-2,Discharge,,29/02/2028,,Active,,", by=admin)
    assert project("PPM-1").trainee_window_opens == utc(2025, 6, 30, 23)
    assert project("PPM-2").trainee_window_opens == utc(2027, 2, 28)


def test_a_project_loaded_with_its_registration_time_opens_from_that_day(app):
    # A data load gives the registration time: 10 January 2026 (GMT), so the window opens
    # at 10 January 2025 00:00 GMT, not 12 months before the day it was loaded.
    project = Project(title="Loaded", created_at=datetime(2026, 1, 10, 12, tzinfo=UTC))
    db.session.add(project)
    db.session.commit()
    assert project.trainee_window_opens == datetime(2025, 1, 10, tzinfo=UTC)
