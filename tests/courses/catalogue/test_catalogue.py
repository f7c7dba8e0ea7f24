"""The catalogue's services and listings: courses/catalogue.py."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from courses.catalogue import (
    CategoryInvalid,
    CourseDetails,
    CourseInvalid,
    StatusChangeRefused,
    catalogue,
)
from courses.models import (
    CohortStatus,
    Course,
    CourseCategory,
    CourseStatus,
    DeliveryMode,
    EnrolmentStatus,
)
from lms.core.extensions import db
from tests.helpers import events

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


def details(**fields) -> CourseDetails:
    fields.setdefault("code", "PM-OCC")
    fields.setdefault("title", "Project management for occasional project managers")
    fields.setdefault("cpd_hours", Decimal("18"))
    return CourseDetails(**fields)


def codes(query) -> list[str]:
    return [course.code for course in db.session.scalars(query)]


def refusal(excinfo) -> tuple[str, str]:
    return excinfo.value.field, str(excinfo.value)


# --- creating ------------------------------------------------------------------------------


def test_create_course_saves_a_draft_with_tidy_details(admin):
    workshop = catalogue.add_category("Workshop", by=admin)
    course = catalogue.create_course(
        details(
            code=" pm-occ ",
            title="  Project management ",
            learning_outcomes=[" Plan a project ", "", "  ", "Close a project"],
            category_id=workshop.id,
            delivery_mode=DeliveryMode.BLENDED,
            cpd_hours=Decimal("3.25"),
            accreditation_body=" The CPD Certification Service ",
            accreditation_reference="",
            requires_approval=True,
            certificate_validity_months=36,
        ),
        by=admin,
    )
    db.session.commit()
    db.session.refresh(course)
    assert course.status is CourseStatus.DRAFT
    assert course.code == "PM-OCC" and course.title == "Project management"
    assert course.learning_outcomes == ["Plan a project", "Close a project"]
    assert course.category.name == "Workshop" and course.delivery_mode is DeliveryMode.BLENDED
    assert course.cpd_hours == Decimal("3.25") and course.min_attendance_percent == 80
    assert course.accreditation_body == "The CPD Certification Service"
    assert course.accreditation_reference is None
    assert course.requires_approval and course.certificate_validity_months == 36


def test_create_course_is_audited_with_everything_it_set(admin, make_course):
    prerequisite = make_course(code="PD-WKSHP")
    course = catalogue.create_course(
        details(
            cpd_hours=Decimal("3.50"),
            prerequisite_ids=[prerequisite.id],
            accreditation_body="The CPD Certification Service",
            accreditation_valid_to=date(2027, 3, 31),
        ),
        by=admin,
    )
    db.session.commit()
    [created] = events("course.created")
    assert created.actor_id == admin.id
    assert (created.entity_type, created.entity_id) == ("Course", str(course.id))
    assert created.before is None
    assert created.after["code"] == "PM-OCC" and created.after["cpd_hours"] == "3.5"
    assert created.after["prerequisites"] == ["PD-WKSHP"]
    assert created.after["accreditation_valid_to"] == "2027-03-31"
    assert created.after["delivery_mode"] == "in_person"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"code": " "}, "code", "Enter a course code"),
        ({"code": "PM OCC"}, "code", "Course code can only contain letters and numbers"),
        ({"code": "PM_OCC"}, "code", "Course code can only contain letters and numbers"),
        ({"code": "-PM"}, "code", "Course code can only contain letters and numbers"),
        ({"code": "PM--OCC"}, "code", "Course code can only contain letters and numbers"),
        ({"code": "CAFÉ"}, "code", "Course code can only contain letters and numbers"),
        ({"code": "A" * 21}, "code", "Course code must be 20 characters or fewer"),
        ({"title": "  "}, "title", "Enter the course title"),
        ({"title": "T" * 201}, "title", "Course title must be 200 characters or fewer"),
        ({"cpd_hours": Decimal("-0.25")}, "cpd_hours", "CPD hours must be from 0 to 999.75"),
        ({"cpd_hours": Decimal("1000")}, "cpd_hours", "CPD hours must be from 0 to 999.75"),
        ({"cpd_hours": Decimal("NaN")}, "cpd_hours", "CPD hours must be from 0 to 999.75"),
        ({"cpd_hours": Decimal("1.3")}, "cpd_hours", "CPD hours must be in quarter hours"),
        ({"cpd_hours": Decimal("0.1")}, "cpd_hours", "CPD hours must be in quarter hours"),
        (
            {"min_attendance_percent": -1},
            "min_attendance_percent",
            "Minimum attendance must be from 0% to 100%",
        ),
        (
            {"min_attendance_percent": 101},
            "min_attendance_percent",
            "Minimum attendance must be from 0% to 100%",
        ),
        (
            {"certificate_validity_months": 0},
            "certificate_validity_months",
            "Certificate validity must be from 1 to 120 months, or empty if certificates never",
        ),
        (
            {"certificate_validity_months": 121},
            "certificate_validity_months",
            "Certificate validity must be from 1 to 120 months",
        ),
        (
            {
                "accreditation_body": "CPD Certification Service",
                "accreditation_valid_from": date(2026, 4, 1),
                "accreditation_valid_to": date(2026, 3, 31),
            },
            "accreditation_valid_to",
            "The accreditation's valid to date must be the same as or after its valid from date",
        ),
        (
            {"accreditation_reference": "CPD-018"},
            "accreditation_body",
            "Enter the accrediting body, or remove the accreditation reference and dates",
        ),
        (
            {"accreditation_valid_to": date(2027, 3, 31)},
            "accreditation_body",
            "Enter the accrediting body",
        ),
        (
            {"learning_outcomes": ["x" * 501]},
            "learning_outcomes",
            "Each learning outcome must be 500 characters or fewer",
        ),
        ({"category_id": 99999}, "category_id", "Choose a category from the list"),
        ({"prerequisite_ids": [99999]}, "prerequisite_ids", "Choose prerequisites from the list"),
    ],
)
def test_each_rule_refuses_with_a_plain_message_beside_its_field(admin, fields, field, message):
    with pytest.raises(CourseInvalid) as excinfo:
        catalogue.create_course(details(**fields), by=admin)
    assert excinfo.value.field == field
    assert str(excinfo.value).startswith(message)
    assert db.session.scalar(select(func.count()).select_from(Course)) == 0
    assert events("course.created") == []


@pytest.mark.parametrize(
    "fields",
    [
        {"cpd_hours": Decimal("0")},
        {"cpd_hours": Decimal("0.25")},
        {"cpd_hours": Decimal("999.75")},
        {"cpd_hours": Decimal("12.50")},
        {"min_attendance_percent": 0},
        {"min_attendance_percent": 100},
        {"certificate_validity_months": 1},
        {"certificate_validity_months": 120},
        {"certificate_validity_months": None},
        {"code": "A" * 20},
        {"code": "sro-2"},
        {
            "accreditation_body": "CPD Certification Service",
            "accreditation_valid_from": date(2026, 4, 1),
            "accreditation_valid_to": date(2026, 4, 1),
        },
    ],
)
def test_values_at_the_edges_of_each_rule_are_accepted(admin, fields):
    assert catalogue.create_course(details(**fields), by=admin).id is not None


def test_every_problem_is_reported_at_once(admin):
    with pytest.raises(CourseInvalid) as excinfo:
        catalogue.create_course(
            details(code="PM OCC", cpd_hours=Decimal("1.1"), min_attendance_percent=120),
            by=admin,
        )
    assert [problem.field for problem in excinfo.value.problems] == [
        "code",
        "cpd_hours",
        "min_attendance_percent",
    ]


def test_course_codes_are_unique_whatever_their_case(admin, make_course):
    make_course(code="pd-wkshp")  # written before codes were upper-cased
    with pytest.raises(CourseInvalid) as excinfo:
        catalogue.create_course(details(code="PD-WKSHP"), by=admin)
    assert refusal(excinfo) == ("code", "Another course already has the code PD-WKSHP")


# --- updating ------------------------------------------------------------------------------


def test_update_course_audits_only_the_fields_that_changed(admin, make_course):
    course = catalogue.create_course(details(learning_outcomes=["Plan a project"]), by=admin)
    db.session.commit()
    catalogue.update_course(
        course,
        details(learning_outcomes=["Plan a project", "Close a project"], cpd_hours=Decimal("18.5")),
        by=admin,
    )
    db.session.commit()
    [updated] = events("course.updated")
    assert updated.actor_id == admin.id and updated.entity_id == str(course.id)
    assert updated.before == {"learning_outcomes": ["Plan a project"], "cpd_hours": "18"}
    assert updated.after == {
        "learning_outcomes": ["Plan a project", "Close a project"],
        "cpd_hours": "18.5",
    }


def test_saving_a_course_unchanged_writes_no_audit_event(admin):
    course = catalogue.create_course(details(cpd_hours=Decimal("18.00")), by=admin)
    db.session.commit()
    catalogue.update_course(course, details(code="pm-occ"), by=admin)
    db.session.commit()
    assert events("course.updated") == []


def test_a_course_keeps_its_own_code_when_edited(admin, make_course):
    course = make_course(code="PM-OCC")
    catalogue.update_course(course, details(code="PM-OCC", title="Renamed"), by=admin)
    assert course.title == "Renamed"


def test_a_course_cannot_take_another_courses_code(admin, make_course):
    make_course(code="SRO-ESS")
    course = make_course(code="PM-OCC")
    with pytest.raises(CourseInvalid) as excinfo:
        catalogue.update_course(course, details(code="sro-ess"), by=admin)
    assert refusal(excinfo) == ("code", "Another course already has the code SRO-ESS")


def test_a_course_cannot_be_its_own_prerequisite(admin, make_course):
    course = make_course(code="PM-OCC")
    with pytest.raises(CourseInvalid) as excinfo:
        catalogue.update_course(course, details(prerequisite_ids=[course.id]), by=admin)
    assert refusal(excinfo) == ("prerequisite_ids", "A course cannot be its own prerequisite")


def test_prerequisites_cannot_make_a_direct_cycle(admin, make_course):
    basic = make_course(code="PM-OCC")
    advanced = make_course(code="PGM-INT", prerequisites=[basic])
    with pytest.raises(CourseInvalid) as excinfo:
        catalogue.update_course(basic, details(prerequisite_ids=[advanced.id]), by=admin)
    assert refusal(excinfo) == (
        "prerequisite_ids",
        "PGM-INT cannot be a prerequisite of this course, because it needs this course to be "
        "completed first",
    )


def test_prerequisites_cannot_make_a_cycle_through_other_courses(admin, make_course):
    first = make_course(code="A-1")
    second = make_course(code="B-2", prerequisites=[first])
    third = make_course(code="C-3", prerequisites=[second])
    unrelated = make_course(code="D-4")
    with pytest.raises(CourseInvalid) as excinfo:
        catalogue.update_course(
            first, details(code="A-1", prerequisite_ids=[unrelated.id, third.id]), by=admin
        )
    assert excinfo.value.field == "prerequisite_ids" and str(excinfo.value).startswith("C-3")
    catalogue.update_course(first, details(code="A-1", prerequisite_ids=[unrelated.id]), by=admin)
    db.session.commit()
    assert [course.code for course in first.prerequisites] == ["D-4"]
    [updated] = events("course.updated")
    assert updated.before["prerequisites"] == [] and updated.after["prerequisites"] == ["D-4"]


def test_a_shared_prerequisite_is_not_a_cycle(admin, make_course):
    basic = make_course(code="PM-OCC")
    make_course(code="PGM-INT", prerequisites=[basic])
    sro = make_course(code="SRO-ESS")
    catalogue.update_course(sro, details(code="SRO-ESS", prerequisite_ids=[basic.id]), by=admin)
    assert sro.prerequisites == [basic]


# --- publishing and archiving ----------------------------------------------------------------


def test_publish_and_archive_are_audited(admin):
    course = catalogue.create_course(details(), by=admin)
    catalogue.publish(course, by=admin)
    catalogue.archive(course, by=admin)
    db.session.commit()
    assert course.status is CourseStatus.ARCHIVED
    [published] = events("course.published")
    [archived] = events("course.archived")
    assert (published.before, published.after) == ({"status": "draft"}, {"status": "published"})
    assert (archived.before, archived.after) == ({"status": "published"}, {"status": "archived"})
    assert published.entity_id == archived.entity_id == str(course.id)


def test_publishing_twice_or_archiving_twice_changes_nothing(admin):
    course = catalogue.create_course(details(), by=admin)
    catalogue.publish(course, by=admin)
    catalogue.publish(course, by=admin)
    catalogue.archive(course, by=admin)
    catalogue.archive(course, by=admin)
    assert len(events("course.published")) == 1 and len(events("course.archived")) == 1


def test_an_archived_course_cannot_be_published_again(admin, make_course):
    course = make_course(status=CourseStatus.ARCHIVED)
    with pytest.raises(StatusChangeRefused, match="An archived course cannot be published again"):
        catalogue.publish(course, by=admin)
    assert course.status is CourseStatus.ARCHIVED


def test_a_draft_can_be_archived_without_being_published(admin, make_course):
    course = make_course(status=CourseStatus.DRAFT)
    catalogue.archive(course, by=admin)
    assert events("course.archived")[0].before == {"status": "draft"}


# --- categories ----------------------------------------------------------------------------


def test_add_category_is_audited(admin):
    category = catalogue.add_category("  E-learning ", by=admin)
    db.session.commit()
    assert category.name == "E-learning"
    [created] = events("category.created")
    assert created.entity_type == "CourseCategory" and created.after == {"name": "E-learning"}


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("  ", "Enter a name for the category"),
        ("x" * 101, "Category name must be 100 characters or fewer"),
        ("WORKSHOP", "There is already a category called Workshop"),
    ],
)
def test_category_names_are_required_short_and_unique_in_any_case(admin, name, message):
    catalogue.add_category("Workshop", by=admin)
    with pytest.raises(CategoryInvalid) as excinfo:
        catalogue.add_category(name, by=admin)
    assert refusal(excinfo) == ("name", message)


def test_rename_category_is_audited_and_may_change_only_case(admin):
    category = catalogue.add_category("workshop", by=admin)
    catalogue.add_category("Coaching", by=admin)
    catalogue.rename_category(category, "Workshop", by=admin)
    catalogue.rename_category(category, "Workshop", by=admin)  # no change, no event
    with pytest.raises(CategoryInvalid, match="There is already a category called Coaching"):
        catalogue.rename_category(category, "coaching", by=admin)
    [renamed] = events("category.renamed")
    assert (renamed.before, renamed.after) == ({"name": "workshop"}, {"name": "Workshop"})


# --- the learner catalogue -----------------------------------------------------------------


def test_only_published_courses_are_listed_by_title_in_any_case(make_course):
    make_course(code="B", title="project design")
    make_course(code="A", title="Programme management")
    make_course(code="C", title="Agile basics", status=CourseStatus.DRAFT)
    make_course(code="D", title="Coaching", status=CourseStatus.ARCHIVED)
    assert codes(catalogue.published_courses()) == ["A", "B"]


@pytest.mark.parametrize(
    ("search", "found"),
    [
        ("risk", ["SUMMARY"]),
        ("PROJECT BOARD", ["OUTCOME"]),
        ("raid log", ["OUTCOME"]),
        ("Lived", ["TITLE"]),
        ("zoë", ["OUTCOME"]),  # stored in the JSON as Zo\u00eb
        ('"quoted"', ["OUTCOME"]),
        ("50%", ["OUTCOME"]),
        ("%", ["OUTCOME"]),  # a literal percent sign, not a wildcard
        ("_", []),
        ("nothing like this", []),
        ("   ", ["OUTCOME", "SUMMARY", "TITLE"]),
    ],
)
def test_search_finds_title_summary_and_outcomes_in_any_case(make_course, search, found):
    make_course(code="TITLE", title="Working with people with lived experience")
    make_course(
        code="SUMMARY", title="Risk", summary="How to manage RISK and issues", learning_outcomes=[]
    )
    make_course(
        code="OUTCOME",
        title="Reporting",
        learning_outcomes=[
            "Report progress to a Project Board",
            "Keep a RAID log like Zoë's",
            'Explain "quoted" benefits',
            "Get 50% of the way",
        ],
    )
    assert sorted(codes(catalogue.published_courses(search))) == found


def test_filters_keep_to_the_category_and_delivery_mode(make_course):
    make_course(code="W-ONLINE", category="Workshop", delivery_mode=DeliveryMode.ONLINE)
    make_course(code="W-ROOM", category="Workshop", delivery_mode=DeliveryMode.IN_PERSON)
    make_course(code="C-ONLINE", category="Coaching", delivery_mode=DeliveryMode.ONLINE)
    workshop = db.session.scalar(select(CourseCategory).where(CourseCategory.name == "Workshop"))
    assert codes(catalogue.published_courses(category_id=workshop.id)) == ["W-ONLINE", "W-ROOM"]
    assert sorted(codes(catalogue.published_courses(delivery_mode=DeliveryMode.ONLINE))) == [
        "C-ONLINE",
        "W-ONLINE",
    ]
    assert codes(
        catalogue.published_courses(category_id=workshop.id, delivery_mode=DeliveryMode.ONLINE)
    ) == ["W-ONLINE"]


@pytest.mark.parametrize(
    ("status", "opens", "closes", "listed"),
    [
        (CohortStatus.OPEN, None, None, True),
        (CohortStatus.OPEN, NOW, None, True),  # opens this moment
        (CohortStatus.OPEN, NOW + timedelta(seconds=1), None, False),
        (CohortStatus.OPEN, None, NOW + timedelta(seconds=1), True),
        (CohortStatus.OPEN, None, NOW, False),  # closed this moment
        (CohortStatus.OPEN, NOW - timedelta(days=7), NOW + timedelta(days=7), True),
        (CohortStatus.OPEN, NOW - timedelta(days=7), NOW - timedelta(days=1), False),
        (CohortStatus.PLANNED, None, None, False),
        (CohortStatus.RUNNING, None, None, False),
        (CohortStatus.CANCELLED, None, None, False),
    ],
)
def test_open_only_keeps_courses_with_a_cohort_open_for_enrolment_now(
    make_course, make_cohort, status, opens, closes, listed
):
    course = make_course(code="PM-OCC")
    make_cohort(course, status=status, enrolment_opens_at=opens, enrolment_closes_at=closes)
    make_course(code="NO-COHORT")
    expected = ["PM-OCC"] if listed else []
    assert codes(catalogue.published_courses(open_only=True, now=NOW)) == expected
    assert len(codes(catalogue.published_courses(open_only=False, now=NOW))) == 2


def test_a_course_with_several_open_cohorts_is_listed_once(make_course, make_cohort):
    course = make_course(code="PM-OCC")
    make_cohort(course)
    make_cohort(course)
    assert codes(catalogue.published_courses(open_only=True)) == ["PM-OCC"]


def test_course_by_code_ignores_case(make_course):
    course = make_course(code="PM-OCC")
    assert catalogue.course_by_code("pm-occ") is course
    assert catalogue.course_by_code("PM-OC") is None


# --- upcoming cohorts ----------------------------------------------------------------------


def at(days: float, hours: float = 3) -> tuple[datetime, datetime]:
    start = NOW + timedelta(days=days)
    return start, start + timedelta(hours=hours)


def test_upcoming_cohorts_are_live_ones_not_yet_ended_by_first_session(make_course, make_cohort):
    course = make_course()
    later = make_cohort(course, code="LATER", sessions=[at(30)])
    soon = make_cohort(course, code="SOON", status=CohortStatus.PLANNED, sessions=[at(3), at(40)])
    running = make_cohort(
        course, code="RUNNING", status=CohortStatus.RUNNING, sessions=[at(-2), at(1)]
    )
    undated = make_cohort(course, code="UNDATED", sessions=[])
    make_cohort(course, code="ENDED", status=CohortStatus.RUNNING, sessions=[at(-9), at(-1)])
    make_cohort(course, code="CLOSED", status=CohortStatus.CLOSED, sessions=[at(5)])
    make_cohort(course, code="OFF", status=CohortStatus.CANCELLED, sessions=[at(5)])
    make_cohort(make_course(), code="OTHER", sessions=[at(5)])
    upcoming = catalogue.upcoming_cohorts(course, now=NOW)
    assert [row.cohort for row in upcoming] == [running, soon, later, undated]
    assert upcoming[1].starts_at == at(3)[0] and upcoming[1].ends_at == at(40)[1]
    assert upcoming[3].starts_at is None and upcoming[3].ends_at is None


def test_cancelled_sessions_do_not_set_a_cohorts_dates(make_course, make_cohort):
    course = make_course()
    cohort = make_cohort(course, sessions=[at(1), at(8), at(15)])
    cohort.sessions[0].cancelled = True
    cohort.sessions[2].cancelled = True
    db.session.commit()
    [row] = catalogue.upcoming_cohorts(course, now=NOW)
    assert (row.starts_at, row.ends_at) == at(8)


def test_seats_left_are_capacity_less_confirmed_enrolments(
    make_course, make_cohort, make_enrolment
):
    course = make_course()
    roomy = make_cohort(course, capacity=10, sessions=[at(1)])
    full = make_cohort(course, capacity=2, sessions=[at(2)])
    for status in (EnrolmentStatus.CONFIRMED, EnrolmentStatus.WAITLISTED):
        make_enrolment(roomy, status=status)
    for status in (
        EnrolmentStatus.PENDING_APPROVAL,
        EnrolmentStatus.CANCELLED,
        EnrolmentStatus.CONFIRMED,
        EnrolmentStatus.CONFIRMED,
        EnrolmentStatus.WAITLISTED,
    ):
        make_enrolment(full, status=status)
    seats = {row.cohort.id: row.seats_left for row in catalogue.upcoming_cohorts(course, now=NOW)}
    assert seats == {roomy.id: 9, full.id: 0}


# --- accreditation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("valid_to", "lapsed", "lapses_soon"),
    [
        (None, False, False),
        (date(2026, 11, 28), True, False),
        (date(2026, 11, 29), False, True),  # still valid on its last day
        (date(2027, 1, 28), False, True),  # 60 days away
        (date(2027, 1, 29), False, False),
    ],
)
def test_accreditation_lapses_after_its_valid_to_date(make_course, valid_to, lapsed, lapses_soon):
    course = make_course(
        accreditation_body="CPD Certification Service", accreditation_valid_to=valid_to
    )
    today = date(2026, 11, 29)
    assert catalogue.accreditation_lapsed(course, today) is lapsed
    assert catalogue.accreditation_lapses_soon(course, today) is lapses_soon


# --- the admin list ------------------------------------------------------------------------


def test_admin_courses_lists_every_status_by_code_with_search(make_course):
    make_course(code="SRO-ESS", title="SRO essentials", status=CourseStatus.DRAFT)
    make_course(code="PM-OCC", title="Project management", status=CourseStatus.ARCHIVED)
    make_course(code="PD-WKSHP", title="Project design")
    assert codes(catalogue.admin_courses()) == ["PD-WKSHP", "PM-OCC", "SRO-ESS"]
    assert codes(catalogue.admin_courses("PROJECT")) == ["PD-WKSHP", "PM-OCC"]
    assert codes(catalogue.admin_courses("sro-")) == ["SRO-ESS"]
    assert codes(catalogue.admin_courses(status=CourseStatus.DRAFT)) == ["SRO-ESS"]


def test_prerequisite_choices_leave_out_the_course_and_unneeded_archived_ones(make_course):
    old_needed = make_course(code="OLD-1", status=CourseStatus.ARCHIVED)
    make_course(code="OLD-2", status=CourseStatus.ARCHIVED)
    draft = make_course(code="NEW-1", status=CourseStatus.DRAFT)
    course = make_course(code="PM-OCC", prerequisites=[old_needed])
    rows = db.session.execute(catalogue.prerequisite_choices(course)).all()
    assert [row.code for row in rows] == ["NEW-1", "OLD-1"]
    new_rows = db.session.execute(catalogue.prerequisite_choices(None)).all()
    assert [row.code for row in new_rows] == ["NEW-1", "PM-OCC"]
    assert draft.id in {row.id for row in new_rows}
