"""The KPI dashboard's numbers (lms/reports/kpi.py) against a small world counted by hand.

The world (`kpi_world`) is the financial year 2026/27: 1 April 2026 00:00 BST (31 March
23:00 UTC) to 1 April 2027 00:00 BST (31 March 2027 23:00 UTC). British Summer Time
starts on 29 March 2026 and 28 March 2027, so both ends of the year are in BST.

Two service groups: Surgery (S) and Medicine (M). Two programmes (course categories):
"Project management" (course PM-OCC, cohort PM-1) and "Workshops" (course WS-DES, cohort
WS-1). PM-1 meets on 10 and 17 June 2026; WS-1 on 1 September 2026.

    learner, group, cohort, confirmed, status and end, attendance, certificate:
    L1 S PM-1  1 May 2026             completed 1 Jul 2026             present, late   valid
    L2 S PM-1  2 May 2026             not completed 1 Jul 2026         present, absent -
    L3 M PM-1  3 May 2026             completed 1 Jul 2026             excused, left early revoked
    L6 M PM-1  31 Mar 2026 23:30 BST  withdrawn 1 May 2026             (not expected)  -
    L4 M WS-1  1 Aug 2026             completed 31 Mar 2027 23:30 BST  not marked      valid
    L5 S WS-1  2 Aug 2026             completed 1 Apr 2027 00:30 BST   present         -
    L6 M WS-1  3 Aug 2026             cancelled 20 Aug 2026            (not expected)  -
    L1 S WS-1  5 Aug 2026             completed 10 Sep 2026            present         -

Projects (leads; support):
    P1  S  starts 1 Sep 2026, led by L1; accepted support 1 May to 30 Sep 2026
    P2  M  starts 1 Oct 2027, led by L3; accepted support from 1 Apr 2027 (open-ended)
    P3  M  starts 1 Jan 2026; accepted support 1 Jan to 1 Apr 2026, and another from
           1 Jun 2026 (two supports, one project)
    P4  S  starts 1 May 2027, led by L5; a request not yet accepted

The rules the hand counts follow (lms/reports/kpi.py, lms/reports/leading.py): the
funnel's Enrolled leaves out CANCELLED enrolments (cancelled before the course began);
the completion rate's denominator is COMPLETED, NOT_COMPLETED and WITHDRAWN (left after
the course began); "leading a project within 12 months" needs the completion to stand (a
VALID certificate) and a project led by the learner whose trainee window (the start of the
UK day 12 months before it began) opened by the completion and which began after it.
L5 leads P4 a month after completing, but has no certificate: L5 does not count as
leading (test_a_completion_leads_only_while_its_certificate_stands gives L5 one).

Assessment attempts and submissions:
    A1  L1 on PM-1's quiz, submitted 20 Jun 2026, passed
    A2  L2 on PM-1's quiz, submitted 20 Jun 2026, failed
    A3  L2 on PM-1's quiz, started 21 Jun 2026, never submitted (not marked)
    A4  L3 on PM-1's quiz, submitted 15 Mar 2026 (the year before), passed
    S1  L4 on WS-1's assignment, submitted 5 Sep 2026, passed
    S2  L5 on WS-1's assignment, submitted 6 Sep 2026, waiting to be marked
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from certificates import issue, revoke
from certificates.models import Certificate, CertificateStatus, RevocationReason
from courses.assessments.models import Attempt, Submission, SubmissionStatus
from courses.models import (
    AttendanceMethod,
    AttendanceRecord,
    AttendanceStatus,
    CohortStatus,
    EnrolmentStatus,
)
from lms.core.extensions import db
from lms.people.models import ServiceGroup
from lms.projects.models import ProjectRole, SupportStatus
from lms.projects.years import financial_year
from lms.reports.figures import Figure
from lms.reports.filters import ReportFilters
from lms.reports.kpi import dashboard_figures, headlines

YEAR = financial_year(2026)
NOW = datetime(2027, 6, 1, 12, tzinfo=UTC)  # after every session of the world


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def bst(*parts) -> datetime:
    """A UK time in British Summer Time (UTC+1), as UTC."""
    return utc(*parts) - timedelta(hours=1)


@pytest.fixture
def kpi_world(
    make_user,
    make_course,
    make_cohort,
    make_enrolment,
    make_project,
    make_support,
    make_quiz,
    make_assignment,
    admin,
):
    surgery, medicine = ServiceGroup(name="Surgery"), ServiceGroup(name="Medicine")
    db.session.add_all([surgery, medicine])
    db.session.flush()
    people = {
        name: make_user(full_name=name, service_group_id=group.id)
        for name, group in [
            ("L1", surgery),
            ("L2", surgery),
            ("L3", medicine),
            ("L4", medicine),
            ("L5", surgery),
            ("L6", medicine),
        ]
    }
    pm = make_course(code="PM-OCC", category="Project management")
    ws = make_course(code="WS-DES", category="Workshops")
    pm1 = make_cohort(
        pm,
        code="PM-1",
        status=CohortStatus.CLOSED,
        sessions=[
            (utc(2026, 6, 10, 9), utc(2026, 6, 10, 12)),
            (utc(2026, 6, 17, 9), utc(2026, 6, 17, 12)),
        ],
    )
    ws1 = make_cohort(
        ws,
        code="WS-1",
        status=CohortStatus.CLOSED,
        sessions=[(utc(2026, 9, 1, 9), utc(2026, 9, 1, 12))],
    )
    COMPLETED, NOT_COMPLETED = EnrolmentStatus.COMPLETED, EnrolmentStatus.NOT_COMPLETED

    def enrol(cohort, name, confirmed, status, ended):
        return make_enrolment(
            cohort,
            people[name],
            status=status,
            requested_at=confirmed,
            confirmed_at=confirmed,
            ended_at=ended,
        )

    e = SimpleNamespace(
        l1_pm=enrol(pm1, "L1", utc(2026, 5, 1, 9), COMPLETED, utc(2026, 7, 1, 9)),
        l2_pm=enrol(pm1, "L2", utc(2026, 5, 2, 9), NOT_COMPLETED, utc(2026, 7, 1, 9)),
        l3_pm=enrol(pm1, "L3", utc(2026, 5, 3, 9), COMPLETED, utc(2026, 7, 1, 9)),
        l6_pm=enrol(
            pm1, "L6", bst(2026, 3, 31, 23, 30), EnrolmentStatus.WITHDRAWN, utc(2026, 5, 1, 9)
        ),
        l4_ws=enrol(ws1, "L4", utc(2026, 8, 1, 9), COMPLETED, bst(2027, 3, 31, 23, 30)),
        l5_ws=enrol(ws1, "L5", utc(2026, 8, 2, 9), COMPLETED, bst(2027, 4, 1, 0, 30)),
        l6_ws=enrol(ws1, "L6", utc(2026, 8, 3, 9), EnrolmentStatus.CANCELLED, utc(2026, 8, 20, 9)),
        l1_ws=enrol(ws1, "L1", utc(2026, 8, 5, 9), COMPLETED, utc(2026, 9, 10, 9)),
    )
    first, second = pm1.sessions
    (workshop,) = ws1.sessions
    S = AttendanceStatus
    for session, enrolment, status in [
        (first, e.l1_pm, S.PRESENT),
        (second, e.l1_pm, S.LATE),
        (first, e.l2_pm, S.PRESENT),
        (second, e.l2_pm, S.ABSENT),
        (first, e.l3_pm, S.EXCUSED),
        (second, e.l3_pm, S.LEFT_EARLY),
        (workshop, e.l5_ws, S.PRESENT),
        (workshop, e.l1_ws, S.PRESENT),
    ]:
        db.session.add(
            AttendanceRecord(
                session=session,
                enrolment=enrolment,
                status=status,
                method=AttendanceMethod.REGISTER,
                marked_at=session.ends_at,
            )
        )
    for serial, (enrolment, status) in enumerate(
        [
            (e.l1_pm, CertificateStatus.VALID),
            (e.l3_pm, CertificateStatus.REVOKED),
            (e.l4_ws, CertificateStatus.VALID),
        ],
        start=1,
    ):
        revoked = status is CertificateStatus.REVOKED
        db.session.add(
            Certificate(
                number=f"PMO-2026-{serial:05d}",
                serial_year=2026,
                serial=serial,
                verification_code=f"CODE{serial}",
                enrolment_id=enrolment.id,
                learner_id=enrolment.learner_id,
                course_id=enrolment.cohort.course_id,
                cohort_id=enrolment.cohort_id,
                learner_name="Learner",
                course_code="CODE",
                course_title="Course",
                cohort_code="COHORT",
                cpd_hours=Decimal("3"),
                issued_at=enrolment.ended_at,
                issued_on=enrolment.ended_at.date(),
                layout="classic",
                pdf_sha256="0" * 64,
                status=status,
                revoked_at=enrolment.ended_at + timedelta(days=1) if revoked else None,
                revocation_reason=RevocationReason.ISSUED_IN_ERROR if revoked else None,
            )
        )
    quiz, assignment = make_quiz(pm), make_assignment(ws)
    for number, (enrolment, started, submitted, passed) in enumerate(
        [
            (e.l1_pm, utc(2026, 6, 20, 9), utc(2026, 6, 20, 10), True),
            (e.l2_pm, utc(2026, 6, 20, 9), utc(2026, 6, 20, 10), False),
            (e.l2_pm, utc(2026, 6, 21, 9), None, None),
            (e.l3_pm, utc(2026, 3, 15, 9), utc(2026, 3, 15, 10), True),
        ],
        start=1,
    ):
        db.session.add(
            Attempt(
                assessment_id=quiz.id,
                enrolment_id=enrolment.id,
                number=number,
                started_at=started,
                submitted_at=submitted,
                passed=passed,
                pass_mark_percent=80,
            )
        )
    for enrolment, submitted, status in [
        (e.l4_ws, utc(2026, 9, 5, 9), SubmissionStatus.PASSED),
        (e.l5_ws, utc(2026, 9, 6, 9), SubmissionStatus.SUBMITTED),
    ]:
        db.session.add(
            Submission(
                assessment_id=assignment.id,
                enrolment_id=enrolment.id,
                number=1,
                submitted_at=submitted,
                status=status,
            )
        )
    db.session.commit()
    p1 = make_project(
        "P1", lead=people["L1"], starts_on=date(2026, 9, 1), service_group_id=surgery.id
    )
    p2 = make_project(
        "P2", lead=people["L3"], starts_on=date(2027, 10, 1), service_group_id=medicine.id
    )
    p3 = make_project(
        "P3",
        starts_on=date(2026, 1, 1),
        service_group_id=medicine.id,
        members={people["L4"]: ProjectRole.MEMBER},
    )
    p4 = make_project(
        "P4", lead=people["L5"], starts_on=date(2027, 5, 1), service_group_id=surgery.id
    )
    make_support(
        p1, admin, responsible=admin, starts_on=date(2026, 5, 1), ends_on=date(2026, 9, 30)
    )
    make_support(p2, admin, responsible=admin, starts_on=date(2027, 4, 1))
    make_support(p3, admin, responsible=admin, starts_on=date(2026, 1, 1), ends_on=date(2026, 4, 1))
    make_support(p3, admin, responsible=admin, starts_on=date(2026, 6, 1))
    make_support(p4, admin, status=SupportStatus.REQUESTED)
    return SimpleNamespace(
        surgery=surgery, medicine=medicine, pm=pm, ws=ws, people=people, enrolments=e
    )


def figures_for(world, year=YEAR, *, category=None, group=None) -> dict[str, Figure]:
    filters = ReportFilters(
        year,
        category_id=category.category_id if category else None,
        service_group_id=group.id if group else None,
    )
    return {figure.key: figure for figure in dashboard_figures(filters, NOW)}


def by_label(figure: Figure) -> dict:
    return {row[0]: row[1:] for row in figure.rows}


def d(text: str) -> Decimal:
    return Decimal(text)


# --- targets -------------------------------------------------------------------------------


def test_people_trained_and_projects_supported_against_their_targets(kpi_world):
    targets = by_label(figures_for(kpi_world)["targets"])
    # People trained: completions ended in the year: L1 (PM-1, 1 Jul), L3 (1 Jul), L4
    # (31 Mar 2027 23:30 BST, the year's last hour), L1 again (WS-1, 10 Sep). L5's
    # completion at 00:30 BST on 1 April 2027 (23:30 UTC on 31 March) is next year's.
    # Different learners: L1, L3, L4 = 3, of 120: 2.5%.
    assert targets["People trained"] == (3, 120, d("2.5"))
    # Projects: P1 (support May-Sep 2026) and P3 (support to 1 Apr 2026, the year's first
    # day, and another from June; counted once) = 2; P2's support starts next year, P4's
    # is not accepted. 2 of 20: 10.0%.
    assert targets["Projects supported by the PMO"] == (2, 20, d("10.0"))


def test_the_headlines_are_the_targets_rows(kpi_world, app):
    app.config["PEOPLE_TRAINED_TARGET"] = 2
    app.config["PROJECTS_SUPPORTED_TARGET"] = 8
    filters = ReportFilters(YEAR)
    people, projects = headlines(dashboard_figures(filters, NOW))
    # 3 of 2 = 150.0%, a full bar; 2 of 8 = 25.0%.
    assert (people.measure, people.achieved, people.target, people.percent) == (
        "People trained",
        3,
        2,
        d("150.0"),
    )
    assert people.bar == 100
    assert (projects.achieved, projects.target, projects.percent, projects.bar) == (
        2,
        8,
        d("25.0"),
        25,
    )


def test_a_completion_in_the_first_hour_of_1_april_counts_in_the_new_year(kpi_world):
    figures = figures_for(kpi_world, financial_year(2027))
    # 2027/28: only L5 completed (00:30 BST on 1 April 2027) = 1 of 120: 0.8%.
    assert by_label(figures["targets"])["People trained"] == (1, 120, d("0.8"))
    # Projects 2027/28: P2 (open-ended support from 1 Apr 2027), P3 (open-ended from June
    # 2026) = 2.
    assert by_label(figures["targets"])["Projects supported by the PMO"][0] == 2
    # Trend: L5's completion is in April 2027, the year's first month.
    assert figures["trend"].rows[0] == ("April 2027", 0, 1, 1)


def test_the_year_before_has_only_what_ended_and_was_confirmed_before_1_april(kpi_world):
    figures = figures_for(kpi_world, financial_year(2025))
    # 2025/26: L6's place on PM-1 confirmed at 23:30 BST on 31 March 2026: enrolled 1;
    # nobody completed; P3's support from 1 Jan 2026 was active: 1 project.
    assert by_label(figures["funnel"])["Enrolled"][0] == 1
    assert by_label(figures["targets"])["People trained"][0] == 0
    assert by_label(figures["targets"])["Projects supported by the PMO"][0] == 1
    # A4 (L3, passed, 15 March 2026) is the only marked attempt: 1 of 1.
    assert by_label(figures["rates"])["Pass rate"] == (1, 1, d("100.0"))


# --- the funnel ----------------------------------------------------------------------------


def test_each_stage_of_the_funnel(kpi_world):
    funnel = figures_for(kpi_world)["funnel"]
    # Enrolled: places confirmed in the year, less the cancelled: L1-PM, L2-PM, L3-PM,
    # L4-WS, L5-WS, L1-WS = 6 (L6-WS was cancelled on 20 Aug 2026, before WS-1 began;
    # L6-PM was confirmed at 23:30 BST on 31 March 2026: the year before).
    # Attended at least one session: L1-PM, L2-PM (present once), L3-PM (left early),
    # L5-WS, L1-WS = 5 (L4-WS was not marked): 5/6 = 83.3% of enrolled, and of the stage
    # before.
    # Completed: L1-PM, L3-PM, L4-WS, L5-WS, L1-WS = 5: 5/6 = 83.3% of enrolled,
    # 5/5 = 100.0% of the stage before.
    # Certified: L1-PM and L4-WS (L3's certificate was revoked) = 2: 2/6 = 33.3%,
    # 2/5 = 40.0%.
    # Leading a project within 12 months: L1-PM (ended 1 Jul 2026 with a valid
    # certificate; P1 began 1 Sep 2026, its window opening 1 Sep 2025) = 1: 1/6 = 16.7%,
    # 1/2 = 50.0%. Not L5-WS (ended 1 Apr 2027, P4 begins 1 May 2027, but no
    # certificate), nor L1-WS (ended 10 Sep, after P1 began; no certificate either), nor
    # L3 (certificate revoked; and P2 begins 1 Oct 2027, its window opening 1 Oct 2026,
    # after L3's completion), nor L4 (a member of P3, not its lead).
    assert funnel.columns == ("Stage", "Enrolments", "% of enrolled", "% of the stage before")
    assert list(funnel.rows) == [
        ("Enrolled", 6, d("100.0"), None),
        ("Attended at least one session", 5, d("83.3"), d("83.3")),
        ("Completed", 5, d("83.3"), d("100.0")),
        ("Certified", 2, d("33.3"), d("40.0")),
        ("Leading a project within 12 months", 1, d("16.7"), d("50.0")),
    ]


def test_a_cancelled_enrolment_is_not_enrolled(kpi_world, make_enrolment, make_user):
    ws1 = kpi_world.enrolments.l1_ws.cohort
    # Two more places confirmed in the year on WS-1: one cancelled before it began (as
    # when the whole cohort is cancelled), one withdrawn after it began.
    for status in (EnrolmentStatus.CANCELLED, EnrolmentStatus.WITHDRAWN):
        make_enrolment(
            ws1,
            make_user(service_group_id=kpi_world.medicine.id),
            status=status,
            requested_at=utc(2026, 8, 10, 9),
            confirmed_at=utc(2026, 8, 10, 9),
            ended_at=utc(2026, 8, 25, 9)
            if status is EnrolmentStatus.CANCELLED
            else utc(2026, 9, 2, 9),
        )
    funnel = by_label(figures_for(kpi_world)["funnel"])
    # Enrolled: the world's 6, plus the withdrawn = 7; the cancelled is left out, as
    # L6-WS is. Attended stays 5: 5/7 = 71.4%.
    assert funnel["Enrolled"] == (7, d("100.0"), None)
    assert funnel["Attended at least one session"] == (5, d("71.4"), d("71.4"))
    # Workshops and Medicine: L4-WS and the withdrawn one = 2 (L6-WS and the new
    # cancelled one left out).
    narrowed = figures_for(kpi_world, category=kpi_world.ws, group=kpi_world.medicine)
    assert narrowed["funnel"].rows[0][1] == 2


def test_a_completion_leads_only_while_its_certificate_stands(kpi_world, admin):
    l5_ws = kpi_world.enrolments.l5_ws
    certificate = issue(l5_ws, now=l5_ws.ended_at)
    db.session.commit()
    funnel = by_label(figures_for(kpi_world)["funnel"])
    # L5-WS (completed 00:30 BST on 1 Apr 2027) now has a valid certificate, and leads P4
    # from 1 May 2027 (its window opening 1 May 2026): Certified L1-PM, L4-WS, L5-WS = 3:
    # 3/6 = 50.0%, 3/5 = 60.0%; Leading L1-PM, L5-WS = 2: 2/6 = 33.3%, 2/3 = 66.7%.
    assert funnel["Certified"] == (3, d("50.0"), d("60.0"))
    assert funnel["Leading a project within 12 months"] == (2, d("33.3"), d("66.7"))
    revoke(certificate, RevocationReason.ISSUED_IN_ERROR, "Issued in error", by=admin)
    db.session.commit()
    funnel = by_label(figures_for(kpi_world)["funnel"])
    # Revoked, the completion no longer stands: back to 2 certified and 1 leading (L1-PM):
    # 2/6 = 33.3%, 2/5 = 40.0%; 1/6 = 16.7%, 1/2 = 50.0%.
    assert funnel["Certified"] == (2, d("33.3"), d("40.0"))
    assert funnel["Leading a project within 12 months"] == (1, d("16.7"), d("50.0"))


# --- rates ---------------------------------------------------------------------------------


def test_attendance_completion_and_pass_rates(kpi_world):
    rates = by_label(figures_for(kpi_world)["rates"])
    # Attendance: PM-1's two sessions expected L1, L2, L3 (L6 had withdrawn) = 6 places;
    # WS-1's session expected L4, L5, L1 (L6 had cancelled) = 3 places: 9, less L3's one
    # excused = 8 counted. Attended: L1 2, L2 1, L3 1, L5 1, L1 1 = 6 (L4 not marked).
    # 6/8 = 75.0%.
    assert rates["Attendance rate"] == (6, 8, d("75.0"))
    # Completion: ended in the year complete, not complete or withdrawn: L1-PM, L2-PM
    # (not), L3-PM, L6-PM (withdrawn 1 May 2026, after PM-1 began), L4-WS, L1-WS = 6, of
    # which 4 completed: 66.7% (L5 ended next year; L6-WS was cancelled: not counted).
    assert rates["Completion rate"] == (4, 6, d("66.7"))
    # Pass: marked and submitted in the year: A1 (passed), A2 (failed), S1 (passed) = 3,
    # passed 2: 66.7% (A3 never submitted, A4 the year before, S2 not yet marked).
    assert rates["Pass rate"] == (2, 3, d("66.7"))


def test_a_withdrawal_counts_in_the_completion_rate_and_a_cancellation_does_not(
    kpi_world, make_enrolment, make_user
):
    ws1 = kpi_world.enrolments.l1_ws.cohort
    for status, ended in (
        (EnrolmentStatus.WITHDRAWN, utc(2026, 9, 2, 9)),  # after WS-1 began (1 Sep)
        (EnrolmentStatus.CANCELLED, utc(2026, 8, 25, 9)),  # before it began
    ):
        make_enrolment(
            ws1,
            make_user(),
            status=status,
            requested_at=utc(2026, 8, 10, 9),
            confirmed_at=utc(2026, 8, 10, 9),
            ended_at=ended,
        )
    rates = by_label(figures_for(kpi_world)["rates"])
    # The world's 4 of 6, and the one withdrawn on 2 Sep 2026 in the denominator: 4 of 7 =
    # 57.1%. The one cancelled on 25 Aug 2026, also ended in the year, is in neither.
    assert rates["Completion rate"] == (4, 7, d("57.1"))


def test_attendance_counts_only_sessions_held_before_now(kpi_world):
    filters = ReportFilters(YEAR)
    before_workshop = utc(2026, 8, 1)
    rates = by_label(
        next(f for f in dashboard_figures(filters, before_workshop) if f.key == "rates")
    )
    # Only PM-1's sessions had been held: L1 2, L2 1, L3 1 attended of 6 less 1 excused.
    assert rates["Attendance rate"] == (4, 5, d("80.0"))


# --- the trend by month --------------------------------------------------------------------


def test_the_trend_by_month(kpi_world):
    trend = figures_for(kpi_world)["trend"]
    months = [row[0] for row in trend.rows]
    assert months[0] == "April 2026" and months[-1] == "March 2027" and len(months) == 12
    rows = {row[0]: row[1:] for row in trend.rows}
    # Confirmed: May 2026 L1, L2, L3 = 3; August 2026 L4, L5, L1 = 3 (L6-WS, confirmed on
    # 3 Aug 2026, was cancelled before the course began: left out, as the funnel does).
    # Completions: July 2026 L1, L3 = 2 (2 people); September 2026 L1 = 1; March 2027 L4
    # (23:30 BST on the 31st) = 1. L5's 00:30 BST on 1 April 2027 is not March's.
    assert rows["May 2026"] == (3, 0, 0)
    assert rows["July 2026"] == (0, 2, 2)
    assert rows["August 2026"] == (3, 0, 0)
    assert rows["September 2026"] == (0, 1, 1)
    assert rows["March 2027"] == (0, 1, 1)
    # Every place confirmed in the year and not cancelled: the funnel's 6 enrolled.
    assert sum(row[1] for row in trend.rows) == 6
    assert sum(row[2] for row in trend.rows) == 4  # every completion of the year
    quiet = [
        month
        for month in months
        if month not in ("May 2026", "July 2026", "August 2026", "September 2026", "March 2027")
    ]
    assert all(rows[month] == (0, 0, 0) for month in quiet)


def test_a_trend_month_starts_at_the_uk_midnight(kpi_world, make_enrolment, make_user):
    # 31 October 2026 23:30 UTC is 23:30 GMT (the clocks went back on 25 October): October.
    # 30 September 2026 23:30 UTC is 00:30 BST on 1 October: October.
    ws1 = kpi_world.enrolments.l1_ws.cohort
    for moment in (utc(2026, 10, 31, 23, 30), utc(2026, 9, 30, 23, 30)):
        make_enrolment(
            ws1,
            make_user(),
            status=EnrolmentStatus.WAITLISTED,
            requested_at=moment,
            confirmed_at=moment,
        )
    rows = {row[0]: row[1:] for row in figures_for(kpi_world)["trend"].rows}
    assert rows["October 2026"][0] == 2
    assert rows["September 2026"][0] == 0
    assert rows["November 2026"][0] == 0


# --- filters -------------------------------------------------------------------------------


def test_the_programme_filter_narrows_training_but_not_projects(kpi_world):
    figures = figures_for(kpi_world, category=kpi_world.pm)
    targets = by_label(figures["targets"])
    # Project management only: L1-PM and L3-PM completed in the year = 2 people.
    assert targets["People trained"][0] == 2
    assert targets["Projects supported by the PMO"][0] == 2  # projects are not narrowed
    # Funnel: L1-PM, L2-PM, L3-PM enrolled (L6-PM confirmed the year before); all
    # attended; L1, L3 completed; L1 certified (L3's revoked) and leading (P1).
    assert [row[1] for row in figures["funnel"].rows] == [3, 3, 2, 1, 1]
    rates = by_label(figures["rates"])
    # Attendance: PM-1 only: 4 of 5 = 80.0%. Completion: L1, L3 of L1, L2 (not), L3 and
    # L6 (withdrawn 1 May 2026) = 2 of 4 = 50.0%. Pass: A1 of A1, A2 = 50.0%.
    assert rates["Attendance rate"] == (4, 5, d("80.0"))
    assert rates["Completion rate"] == (2, 4, d("50.0"))
    assert rates["Pass rate"] == (1, 2, d("50.0"))


def test_the_service_group_filter_narrows_learners_and_projects(kpi_world):
    figures = figures_for(kpi_world, group=kpi_world.surgery)
    targets = by_label(figures["targets"])
    # Surgery: L1, L2, L5. People trained: L1 = 1. Projects: P1 (P4's is a request) = 1.
    assert targets["People trained"] == (1, 120, d("0.8"))
    assert targets["Projects supported by the PMO"] == (1, 20, d("5.0"))
    # Funnel: L1-PM, L2-PM, L5-WS, L1-WS = 4; all attended; L1-PM, L5, L1-WS completed;
    # L1-PM certified; L1-PM leading (L5 leads P4 but has no certificate).
    assert [row[1] for row in figures["funnel"].rows] == [4, 4, 3, 1, 1]
    medicine = figures_for(kpi_world, group=kpi_world.medicine)
    # Medicine: L3, L4, L6. People trained: L3, L4 = 2. Projects: P3 = 1.
    assert by_label(medicine["targets"])["People trained"][0] == 2
    assert by_label(medicine["targets"])["Projects supported by the PMO"][0] == 1


def test_both_filters_together(kpi_world):
    figures = figures_for(kpi_world, category=kpi_world.ws, group=kpi_world.medicine)
    # Workshops and Medicine: L4-WS enrolled (L6-WS was cancelled: left out); nobody
    # attended (L4 not marked); L4 completed and certified; nobody leading (L4 is only a
    # member of P3). People trained: L4 = 1.
    assert [row[1] for row in figures["funnel"].rows] == [1, 0, 1, 1, 0]
    assert by_label(figures["targets"])["People trained"][0] == 1
    # Attendance: WS-1 expected L4 only of Medicine: 0 of 1 = 0.0%.
    assert by_label(figures["rates"])["Attendance rate"] == (0, 1, d("0.0"))


def test_an_empty_year_shows_zeros_and_no_rates(app, admin):
    figures = {f.key: f for f in dashboard_figures(ReportFilters(YEAR), NOW)}
    assert by_label(figures["targets"])["People trained"] == (0, 120, d("0.0"))
    assert figures["funnel"].rows[0][1:] == (0, None, None)
    assert by_label(figures["rates"])["Pass rate"] == (0, 0, None)
    assert all(row[1:] == (0, 0, 0) for row in figures["trend"].rows)


# --- cost ----------------------------------------------------------------------------------


def test_the_figures_take_five_statements_whatever_the_data(
    kpi_world, make_enrolment, make_user, count_queries
):
    filters = ReportFilters(
        YEAR, category_id=kpi_world.pm.category_id, service_group_id=kpi_world.surgery.id
    )
    with count_queries() as small:
        dashboard_figures(filters, NOW)
    ws1 = kpi_world.enrolments.l1_ws.cohort
    for number in range(60):
        moment = utc(2026, 4 + number % 9, 1 + number % 27, 9)
        make_enrolment(
            ws1,
            make_user(service_group_id=kpi_world.surgery.id),
            status=EnrolmentStatus.COMPLETED,
            requested_at=moment,
            confirmed_at=moment,
            ended_at=moment + timedelta(days=30),
        )
    with count_queries() as large:
        dashboard_figures(filters, NOW)
    assert small.count == large.count == 5
