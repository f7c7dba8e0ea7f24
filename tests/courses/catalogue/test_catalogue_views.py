"""The catalogue pages: courses/views/catalogue.py (learners) and course_admin.py (admins)."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from courses.models import CohortStatus, Course, CourseCategory, CourseStatus, DeliveryMode
from lms.audit.audit import AuditEvent
from lms.auth.models import Role
from lms.core.db import utcnow
from lms.core.extensions import db
from tests.helpers import count, field_error, log_in

COURSE_LINK = re.compile(r'<a href="/courses/([A-Z0-9-]+)">')


@pytest.fixture
def as_learner_client(app, learner, make_course):
    """A second browser, logged in as a learner, beside the admin's."""
    other = app.test_client()
    assert log_in(other, learner.email).status_code == 302
    return other, make_course


def listed(response) -> list[str]:
    assert response.status_code == 200
    return COURSE_LINK.findall(response.get_data(as_text=True))


def actions() -> list[str]:
    """The catalogue's audit events so far (logging in writes others)."""
    return list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.entity_type.in_(["Course", "CourseCategory"]))
            .order_by(AuditEvent.id)
        )
    )


def course_form(**fields) -> dict:
    form = {
        "code": "PM-OCC",
        "title": "Project management for occasional project managers",
        "summary": "For staff who run projects alongside their day job.",
        "learning_outcomes": "Plan a project\r\n\r\nKeep a RAID log\r\n",
        "category_id": "",
        "delivery_mode": "blended",
        "cpd_hours": "18",
        "min_attendance_percent": "80",
        "certificate_validity_months": "",
    }
    form.update(fields)
    return form


# --- the learner catalogue -----------------------------------------------------------------


def test_learners_see_only_published_courses(client, as_learner, make_course):
    make_course(code="PM-OCC", title="Project management")
    make_course(code="SRO-ESS", title="SRO essentials", status=CourseStatus.DRAFT)
    make_course(code="OLD", title="Old course", status=CourseStatus.ARCHIVED)
    assert listed(client.get("/courses/")) == ["PM-OCC"]
    assert client.get("/courses/SRO-ESS").status_code == 404
    assert client.get("/courses/OLD").status_code == 404
    assert client.get("/courses/NOPE").status_code == 404


def test_the_catalogue_shows_each_course_in_brief(client, as_learner, make_course):
    make_course(
        code="PD-WKSHP",
        title="Project design workshop",
        summary="Turn an idea into a project on a page.",
        category="Workshop",
        delivery_mode=DeliveryMode.IN_PERSON,
        cpd_hours=Decimal("3.5"),
    )
    page = client.get("/courses/").get_data(as_text=True)
    assert "Project design workshop" in page and "Turn an idea into a project on a page." in page
    assert "Workshop" in page and "In person" in page and "3.5 hours CPD" in page


def test_search_finds_a_course_by_a_word_in_its_outcomes(client, as_learner, make_course):
    make_course(code="PM-OCC", learning_outcomes=["Keep a RAID log", "Report to a project board"])
    make_course(code="SRO-ESS", learning_outcomes=["Chair a project board"])
    assert listed(client.get("/courses/?q=raid")) == ["PM-OCC"]
    assert sorted(listed(client.get("/courses/?q=BOARD"))) == ["PM-OCC", "SRO-ESS"]
    response = client.get("/courses/?q=benefits+realisation")
    assert "No courses match your search." in response.get_data(as_text=True)


def test_filters_narrow_the_catalogue(client, as_learner, make_course, make_cohort):
    make_course(code="W-ONLINE", category="Workshop", delivery_mode=DeliveryMode.ONLINE)
    make_course(code="COACH", category="Coaching", delivery_mode=DeliveryMode.ONLINE)
    open_course = make_course(code="OPEN", category="Coaching")
    make_cohort(open_course)
    workshop = db.session.scalar(select(CourseCategory.id).where(CourseCategory.name == "Workshop"))
    assert listed(client.get(f"/courses/?category={workshop}")) == ["W-ONLINE"]
    assert sorted(listed(client.get("/courses/?mode=online"))) == ["COACH", "W-ONLINE"]
    assert listed(client.get("/courses/?open=y")) == ["OPEN"]
    page = client.get("/courses/?open=y").get_data(as_text=True)
    assert re.search(r'value="y"\s+checked', page)


def test_a_filter_that_is_not_on_the_list_is_explained(client, as_learner, make_course):
    make_course(code="PM-OCC")
    response = client.get("/courses/?mode=carrier-pigeon&category=999")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_error(page, "mode") == "Choose a way of delivery from the list"
    assert field_error(page, "category") == "Choose a category from the list"
    assert COURSE_LINK.findall(page) == ["PM-OCC"]


def test_the_catalogue_is_paginated(client, as_learner, make_course):
    for number in range(25):
        make_course(code=f"C-{number:02d}", title=f"Course {number:02d}")
    first, second = client.get("/courses/"), client.get("/courses/?page=2")
    assert len(listed(first)) == 20 and len(listed(second)) == 5
    assert "Showing 21 to 25 of 25" in second.get_data(as_text=True)
    assert "/courses/?page=2" in first.get_data(as_text=True)


# --- a course's page -----------------------------------------------------------------------


def test_a_course_page_shows_outcomes_cpd_hours_and_accreditation(client, as_learner, make_course):
    basic = make_course(code="PD-WKSHP", title="Project design workshop")
    make_course(
        code="PM-OCC",
        title="Project management",
        learning_outcomes=["Plan a project", "Close a project"],
        cpd_hours=Decimal("18.25"),
        delivery_mode=DeliveryMode.BLENDED,
        accreditation_body="The CPD Certification Service",
        accreditation_reference="CPD-PMO-2026-018",
        accreditation_valid_from=utcnow().date() - timedelta(days=30),
        accreditation_valid_to=utcnow().date() + timedelta(days=300),
        prerequisites=[basic],
    )
    response = client.get("/courses/PM-OCC")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<li>Plan a project</li>" in page and "<li>Close a project</li>" in page
    assert "18.25 hours" in page and "Blended" in page
    assert "The CPD Certification Service" in page and "CPD-PMO-2026-018" in page
    assert 'href="/courses/PD-WKSHP">Project design workshop</a>' in page
    assert "Accreditation lapsed" not in page


def test_a_lapsed_accreditation_is_warned_about(client, as_learner, make_course):
    make_course(
        code="PM-OCC",
        accreditation_body="The CPD Certification Service",
        accreditation_valid_to=utcnow().date() - timedelta(days=2),
    )
    page = client.get("/courses/PM-OCC").get_data(as_text=True)
    assert "nhsuk-card--warning" in page and "Accreditation lapsed" in page
    assert "accreditation by The CPD Certification Service ended on" in page


def test_a_course_page_lists_upcoming_cohorts_with_seats_left(
    client, as_learner, make_course, make_cohort, make_enrolment
):
    course = make_course(code="PM-OCC")
    soon = make_cohort(course, code="PM-OCC-01", capacity=12, venue="Education Centre")
    full = make_cohort(
        course,
        code="PM-OCC-02",
        capacity=1,
        status=CohortStatus.PLANNED,
        online_link="https://teams.example/x",
    )
    make_enrolment(soon)
    make_enrolment(full)
    make_cohort(course, code="PM-OCC-00", status=CohortStatus.CLOSED)
    page = client.get("/courses/PM-OCC").get_data(as_text=True)
    assert f'<a href="/cohorts/{soon.id}">PM-OCC-01</a>' in page
    assert f'<a href="/cohorts/{full.id}">PM-OCC-02</a>' in page
    assert "PM-OCC-00" not in page
    assert "11 of 12" in page and "Full: join the waiting list" in page
    assert "Education Centre" in page and "Online" in page and "Open for enrolment" in page


def test_a_course_page_without_cohorts_says_so(client, as_learner, make_course):
    make_course(code="PM-OCC")
    page = client.get("/courses/PM-OCC").get_data(as_text=True)
    assert "There are no upcoming cohorts of this course yet." in page


def test_a_course_code_in_the_wrong_case_redirects_to_the_right_one(
    client, as_learner, make_course
):
    make_course(code="PM-OCC")
    response = client.get("/courses/pm-occ")
    assert response.status_code == 301 and response.headers["Location"] == "/courses/PM-OCC"


def test_admins_may_preview_a_draft(client, as_admin, make_course):
    make_course(code="SRO-ESS", status=CourseStatus.DRAFT)
    response = client.get("/courses/SRO-ESS")
    assert response.status_code == 200
    assert "This course is a draft. Learners cannot see it" in response.get_data(as_text=True)


# --- statements per page -------------------------------------------------------------------


def test_catalogue_and_course_pages_issue_the_same_statements_for_5_and_200(
    client, as_learner, make_course, make_cohort, make_enrolment, make_user, count_queries
):
    """The acceptance line: what a page costs does not grow with courses or cohorts."""
    learners = [make_user() for _ in range(3)]
    prerequisite = make_course(code="PD-WKSHP", category="Workshop")
    course = make_course(
        code="PM-OCC",
        category="Training programme",
        prerequisites=[prerequisite],
        learning_outcomes=["Plan a project"],
        accreditation_body="The CPD Certification Service",
    )

    def add(how_many: int) -> None:
        for number in range(how_many):
            make_course(category=["Workshop", "Coaching", "E-learning"][number % 3])
            first = utcnow() + timedelta(days=number + 1)
            second = first + timedelta(days=7)
            cohort = make_cohort(
                course,
                capacity=5,
                sessions=[
                    (first, first + timedelta(hours=3)),
                    (second, second + timedelta(hours=3)),
                ],
            )
            make_enrolment(cohort, learners[number % 3])

    def measure(url: str) -> int:
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        return counter.count

    add(5)
    few = {url: measure(url) for url in ("/courses/", "/courses/?open=y&q=a", "/courses/PM-OCC")}
    add(195)
    many = {url: measure(url) for url in few}
    assert few == many


# --- admin: adding and editing -------------------------------------------------------------


def test_an_admin_adds_a_course_as_a_draft(client, as_admin, make_course):
    prerequisite = make_course(code="PD-WKSHP")
    response = client.post(
        "/admin/courses/new",
        data=course_form(
            code="pm-occ",
            prerequisite_ids=[str(prerequisite.id)],
            requires_approval="y",
            accreditation_body="The CPD Certification Service",
            accreditation_valid_from="2026-04-01",
            accreditation_valid_to="2027-03-31",
            cpd_hours="18.5",
        ),
    )
    assert response.status_code == 302
    course = db.session.scalar(select(Course).where(Course.code == "PM-OCC"))
    assert response.headers["Location"] == f"/admin/courses/{course.id}"
    assert course.status is CourseStatus.DRAFT and course.requires_approval
    assert course.learning_outcomes == ["Plan a project", "Keep a RAID log"]
    assert course.cpd_hours == Decimal("18.5") and course.prerequisites == [prerequisite]
    assert course.accreditation_valid_to.isoformat() == "2027-03-31"
    assert actions() == ["course.created"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "PM-OCC has been added as a draft." in page


def test_a_title_with_a_line_break_is_refused_beside_it_and_shown_on_one_line(client, as_admin):
    response = client.post(
        "/admin/courses/new",
        data=course_form(title="Project management\r\nfor occasional project managers"),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(page, "title") == "Enter the title on one line"
    assert 'value="Project management for occasional project managers"' in page
    assert count(Course) == 0


def test_a_hidden_character_in_a_course_field_is_refused(client, as_admin):
    response = client.post(
        "/admin/courses/new", data=course_form(accreditation_body="CPD \x1b[31mService")
    )
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "accreditation_body") == (
        "The accrediting body must not contain hidden characters. Retype any pasted text"
    )
    assert count(Course) == 0


def test_the_edit_page_shows_the_courses_details(client, as_admin, make_course):
    prerequisite = make_course(code="PD-WKSHP")
    course = make_course(
        code="PM-OCC",
        learning_outcomes=["Plan a project", "Close a project"],
        prerequisites=[prerequisite],
        category="Workshop",
        delivery_mode=DeliveryMode.ONLINE,
    )
    page = client.get(f"/admin/courses/{course.id}").get_data(as_text=True)
    assert "Plan a project\nClose a project</textarea>" in page
    assert re.search(rf'value="{prerequisite.id}"\s+checked', page)
    assert re.search(r'value="online"\s+checked', page)
    assert re.search(rf'<option value="{course.category_id}" selected', page)
    assert re.search(r'id="cpd_hours" name="cpd_hours" [^>]*value="3"', page)
    assert f'value="{course.id}"' not in page.split('id="prerequisite_ids"', 1)[1]


def test_an_admin_edits_a_course(client, as_admin, make_course):
    course = make_course(code="PM-OCC", title="Old title")
    response = client.post(
        f"/admin/courses/{course.id}", data=course_form(title="New title", cpd_hours="3.75")
    )
    assert response.status_code == 302
    db.session.refresh(course)
    assert course.title == "New title" and course.cpd_hours == Decimal("3.75")
    [updated] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "course.updated"))
    assert updated.before["title"] == "Old title" and updated.after["title"] == "New title"


def test_bad_input_is_explained_beside_each_field_and_saves_nothing(client, as_admin):
    response = client.post(
        "/admin/courses/new",
        data=course_form(
            code="",
            title="",
            cpd_hours="three",
            min_attendance_percent="eighty",
            accreditation_valid_from="31/02/2026",
            delivery_mode="by-pigeon",
        ),
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and "<title>Error: Add a course" in page
    assert field_error(page, "code") == "Enter a course code"
    assert field_error(page, "title") == "Enter the course title"
    assert field_error(page, "cpd_hours") == "Enter CPD hours as a number, like 3.5"
    assert field_error(page, "min_attendance_percent") == (
        "Enter the minimum attendance as a whole number, like 80"
    )
    assert field_error(page, "accreditation_valid_from") == (
        "Enter the valid from date as a real date, like 2026-04-01"
    )
    assert field_error(page, "delivery_mode") == "Choose how the course is delivered"
    assert 'value="three"' in page  # what was typed is shown again
    assert count(Course) == 0 and actions() == []


def test_rule_breaches_are_all_explained_beside_their_fields(client, as_admin, make_course):
    make_course(code="PM-OCC")
    response = client.post(
        "/admin/courses/new",
        data=course_form(
            code="pm-occ",
            cpd_hours="1.3",
            min_attendance_percent="101",
            certificate_validity_months="0",
            accreditation_body="CPD Certification Service",
            accreditation_valid_from="2026-04-01",
            accreditation_valid_to="2026-03-31",
        ),
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_error(page, "code") == "Another course already has the code PM-OCC"
    assert field_error(page, "cpd_hours").startswith("CPD hours must be in quarter hours")
    assert (
        field_error(page, "min_attendance_percent") == "Minimum attendance must be from 0% to 100%"
    )
    assert field_error(page, "certificate_validity_months").startswith(
        "Certificate validity must be from 1 to 120 months"
    )
    assert field_error(page, "accreditation_valid_to").startswith("The accreditation's valid to")
    assert count(Course) == 1 and actions() == []


def test_a_prerequisite_cycle_is_explained_on_the_edit_page(client, as_admin, make_course):
    basic = make_course(code="PM-OCC")
    advanced = make_course(code="PGM-INT", prerequisites=[basic])
    response = client.post(
        f"/admin/courses/{basic.id}", data=course_form(prerequisite_ids=[str(advanced.id)])
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_error(page, "prerequisite_ids").startswith("PGM-INT cannot be a prerequisite")
    db.session.refresh(basic)
    assert basic.prerequisites == [] and actions() == []


# --- admin: publishing, archiving, the list ------------------------------------------------


def test_an_admin_publishes_then_archives_a_course(client, as_admin, as_learner_client):
    learner_client, make = as_learner_client
    course = make(code="PM-OCC", status=CourseStatus.DRAFT)
    assert learner_client.get("/courses/PM-OCC").status_code == 404

    response = client.post(f"/admin/courses/{course.id}/publish", follow_redirects=True)
    assert "PM-OCC is published: learners can find it now." in response.get_data(as_text=True)
    assert learner_client.get("/courses/PM-OCC").status_code == 200

    response = client.post(f"/admin/courses/{course.id}/archive", follow_redirects=True)
    assert "PM-OCC is archived" in response.get_data(as_text=True)
    assert learner_client.get("/courses/PM-OCC").status_code == 404
    assert actions() == ["course.published", "course.archived"]


def test_publishing_an_archived_course_is_refused_with_a_message(client, as_admin, make_course):
    course = make_course(code="PM-OCC", status=CourseStatus.ARCHIVED)
    response = client.post(f"/admin/courses/{course.id}/publish", follow_redirects=True)
    assert "An archived course cannot be published again" in response.get_data(as_text=True)
    db.session.refresh(course)
    assert course.status is CourseStatus.ARCHIVED


def test_the_admin_list_shows_status_and_accreditation_warnings(client, as_admin, make_course):
    today = utcnow().date()
    make_course(
        code="LAPSED", accreditation_body="CPD", accreditation_valid_to=today - timedelta(1)
    )
    make_course(code="SOON", accreditation_body="CPD", accreditation_valid_to=today + timedelta(30))
    make_course(code="FINE", accreditation_body="CPD", accreditation_valid_to=today + timedelta(90))
    make_course(code="DRAFT", status=CourseStatus.DRAFT)
    page = client.get("/admin/courses/").get_data(as_text=True)
    rows = {
        code: row
        for row in page.split('<tr class="nhsuk-table__row">')[2:]
        for code in re.findall(r'/admin/courses/\d+">([A-Z-]+)</a>', row)
    }
    assert set(rows) == {"LAPSED", "SOON", "FINE", "DRAFT"}
    assert "Lapsed" in rows["LAPSED"] and "Lapses soon" in rows["SOON"]
    assert "Lapse" not in rows["FINE"] and "Draft" in rows["DRAFT"]
    assert "Published" in rows["FINE"]
    filtered = client.get("/admin/courses/?status=draft").get_data(as_text=True)
    assert (
        "/admin/courses/" in filtered and ">DRAFT</a>" in filtered and ">FINE</a>" not in filtered
    )


# --- admin: categories ---------------------------------------------------------------------


def test_an_admin_adds_and_renames_a_category(client, as_admin):
    response = client.post("/admin/courses/categories", data={"name": "Workshp"})
    assert response.status_code == 302
    category = db.session.scalar(select(CourseCategory))
    assert "Workshp" in client.get("/admin/courses/categories").get_data(as_text=True)

    response = client.post(f"/admin/courses/categories/{category.id}", data={"name": "Workshop"})
    assert response.status_code == 302
    db.session.refresh(category)
    assert category.name == "Workshop"
    assert actions() == ["category.created", "category.renamed"]


def test_a_duplicate_category_is_explained_beside_the_name(client, as_admin):
    client.post("/admin/courses/categories", data={"name": "Coaching"})
    response = client.post("/admin/courses/categories", data={"name": "coaching"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_error(page, "name") == "There is already a category called Coaching"
    assert count(CourseCategory) == 1


# --- access --------------------------------------------------------------------------------


def test_a_learner_is_refused_every_course_admin_page(app, client, as_learner, make_course):
    course = make_course(code="PM-OCC", status=CourseStatus.DRAFT)
    category = db.session.scalar(select(CourseCategory)) or CourseCategory(name="Workshop")
    db.session.add(category)
    db.session.commit()
    answers = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/admin/courses"):
            url = rule.rule.replace("<int:course_id>", str(course.id))
            url = url.replace("<int:category_id>", str(category.id))
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                answers[method, url] = client.open(
                    url, method=method, data=course_form(name="Hacked")
                ).status_code
    assert len(answers) == 13
    assert set(answers.values()) == {403}, answers
    db.session.refresh(course)
    assert course.status is CourseStatus.DRAFT and actions() == []


def test_the_catalogue_needs_a_login(client, make_course):
    make_course(code="PM-OCC")
    for url in ("/courses/", "/courses/PM-OCC"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")


@pytest.mark.parametrize(
    ("roles", "visible", "hidden"),
    [((), ["Courses"], ["Course admin"]), ((Role.ADMIN,), ["Courses", "Course admin"], [])],
)
def test_navigation_offers_the_catalogue_to_all_and_its_admin_to_admins(
    client, make_user, login, roles, visible, hidden
):
    login(make_user(roles=roles))
    page = client.get("/courses/").get_data(as_text=True)
    navigation = page.split('aria-label="Menu"', 1)[1].split("</nav>", 1)[0]
    navigation = re.sub(r"\s+", " ", navigation).replace("> ", ">").replace(" <", "<")
    for text in visible:
        assert f">{text}<" in navigation, text
    for text in hidden:
        assert f">{text}<" not in navigation, text
