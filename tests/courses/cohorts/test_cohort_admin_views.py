"""Cohort administration pages: courses/views/cohort_admin.py, through the test client."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from courses.models import (
    Cohort,
    CohortStatus,
    CourseStatus,
    Enrolment,
    EnrolmentStatus,
    Session,
)
from lms.audit.audit import AuditEvent
from lms.auth.models import Role
from lms.core.extensions import db
from lms.core.outbox import OutboxMessage
from tests.helpers import count, field_error, text_of


def cohort_form(**fields) -> dict:
    form = {
        "code": "PM-OCC-2026-04",
        "capacity": "12",
        "opens_date": "",
        "opens_time": "",
        "closes_date": "",
        "closes_time": "",
        "venue": "Education centre, room 2",
        "online_link": "",
    }
    form.update(fields)
    return form


def form_of(cohort: Cohort, **fields) -> dict:
    return cohort_form(
        **{"code": cohort.code, "capacity": str(cohort.capacity), "venue": cohort.venue or ""}
        | fields
    )


# --- adding a cohort and its sessions ------------------------------------------------------


def test_an_admin_adds_a_cohort_then_its_sessions(client, as_admin, course, trainer, make_course):
    make_course(code="OLD", status=CourseStatus.ARCHIVED)
    page = client.get(f"/admin/cohorts/new?course_id={course.id}").get_data(as_text=True)
    assert f'<option value="{course.id}" selected>PM-OCC' in page
    assert "OLD" not in page  # archived courses cannot have new cohorts
    assert "Tomasz Nowak" in page

    response = client.post(
        "/admin/cohorts/new",
        data=cohort_form(
            course_id=str(course.id),
            code="pm-occ-2026-04",
            opens_date="2026-03-01",
            opens_time="09:00",
            closes_date="2026-04-01",
            closes_time="17:00",
            online_link="https://teams.example.nhs.uk/meet/123",
            trainer_ids=[str(trainer.id)],
        ),
    )
    assert response.status_code == 302
    cohort = db.session.scalar(select(Cohort))
    assert response.headers["Location"] == f"/admin/cohorts/{cohort.id}"
    assert (cohort.code, cohort.capacity, cohort.course_id) == ("PM-OCC-2026-04", 12, course.id)
    # UK time in, UTC stored: 1 March is GMT, 1 April is BST
    assert cohort.enrolment_opens_at == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    assert cohort.enrolment_closes_at == datetime(2026, 4, 1, 16, 0, tzinfo=UTC)
    assert [person.id for person in cohort.trainers] == [trainer.id]
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.entity_type == "Cohort"))

    for title, day in (("Spring", "2026-03-29"), ("Autumn", "2026-10-25")):
        response = client.post(
            f"/admin/cohorts/{cohort.id}/sessions/new",
            data={
                "title": title,
                "date": day,
                "start_time": "10:00",
                "end_time": "12:30",
                "location": "",
            },
        )
        assert response.status_code == 302
    starts = db.session.scalars(select(Session.starts_at).order_by(Session.starts_at)).all()
    assert starts == [
        datetime(2026, 3, 29, 9, 0, tzinfo=UTC),
        datetime(2026, 10, 25, 10, 0, tzinfo=UTC),
    ]

    page = text_of(client.get(f"/admin/cohorts/{cohort.id}"))
    assert "Sun 29 Mar 2026, 10:00 to 12:30" in page
    assert "Sun 25 Oct 2026, 10:00 to 12:30" in page
    assert 'value="17:00"' in page and 'value="2026-04-01"' in page  # shown back in UK time

    spring = db.session.scalar(select(Session).where(Session.title == "Spring"))
    edit = client.get(f"/admin/cohorts/{cohort.id}/sessions/{spring.id}").get_data(as_text=True)
    assert 'value="10:00"' in edit and 'value="2026-03-29"' in edit


def test_a_session_at_a_time_the_clocks_skip_is_refused(client, as_admin, course, make_cohort):
    cohort = make_cohort(course, sessions=[])
    response = client.post(
        f"/admin/cohorts/{cohort.id}/sessions/new",
        data={"title": "Early", "date": "2026-03-29", "start_time": "01:30", "end_time": "03:00"},
    )
    assert response.status_code == 422
    assert "clocks go forward" in field_error(response.get_data(as_text=True), "start_time")
    assert count(Session) == 0


def test_session_form_errors_are_in_plain_english(client, as_admin, course, make_cohort):
    cohort = make_cohort(course, sessions=[])
    response = client.post(
        f"/admin/cohorts/{cohort.id}/sessions/new",
        data={"title": "", "date": "31/02/2026", "start_time": "9am", "end_time": ""},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(page, "title") == "Enter the session title"
    assert field_error(page, "date").startswith("Enter the date of the session as a real date")
    assert field_error(page, "start_time").startswith("Enter the start time as a 24-hour time")
    assert field_error(page, "end_time") == "Enter the time the session ends"
    assert "<title>Error: " in page

    response = client.post(
        f"/admin/cohorts/{cohort.id}/sessions/new",
        data={
            "title": "Back to front",
            "date": "2026-05-01",
            "start_time": "12:00",
            "end_time": "09:00",
        },
    )
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "end_time") == (
        "The session must end after it starts"
    )


def test_cohort_form_errors_are_in_plain_english(client, as_admin, course):
    response = client.post(
        "/admin/cohorts/new",
        data=cohort_form(
            course_id="",
            code="",
            capacity="0",
            opens_date="2026-04-01",
            closes_time="17:00",
            online_link="javascript:alert(1)",
        ),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(page, "course_id") == "Choose the course this cohort runs"
    assert field_error(page, "code") == "Enter a cohort code"
    assert field_error(page, "capacity") == "Capacity must be at least 1"
    assert field_error(page, "opens_time") == "Enter the time enrolment opens"
    assert field_error(page, "closes_date") == "Enter the date enrolment closes"
    assert field_error(page, "online_link") == (
        "Enter an online meeting link that starts with https://"
    )
    assert count(Cohort) == 0


def test_a_service_refusal_is_shown_beside_its_field(client, as_admin, course, make_cohort):
    make_cohort(course, code="PM-TAKEN")
    response = client.post(
        "/admin/cohorts/new",
        data=cohort_form(
            course_id=str(course.id),
            code="pm-taken",
            opens_date="2026-05-01",
            opens_time="09:00",
            closes_date="2026-04-01",
            closes_time="09:00",
        ),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(page, "code") == "Another cohort already has this code"
    assert count(Cohort) == 1


# --- changing a cohort ---------------------------------------------------------------------


def test_capacity_below_the_confirmed_places_is_refused_and_nothing_is_saved(
    client, as_admin, course, make_cohort, make_enrolment
):
    cohort = make_cohort(course, code="PM-01", capacity=5, venue="Room 1")
    for _ in range(3):
        make_enrolment(cohort)

    response = client.post(
        f"/admin/cohorts/{cohort.id}", data=form_of(cohort, capacity="2", venue="Room 9")
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(page, "capacity") == (
        "Capacity cannot be lower than the 3 places already confirmed"
    )
    assert 'value="Room 9"' in page  # what was typed is kept
    db.session.expire_all()
    assert (cohort.capacity, cohort.venue) == (5, "Room 1")

    response = client.post(f"/admin/cohorts/{cohort.id}", data=form_of(cohort, capacity="6"))
    assert response.status_code == 302
    db.session.expire_all()
    assert cohort.capacity == 6


def test_raising_capacity_on_the_page_promotes_the_waitlist(
    client, as_admin, course, make_cohort, make_enrolment
):
    cohort = make_cohort(course, capacity=1)
    make_enrolment(cohort)
    waiting = make_enrolment(cohort, status=EnrolmentStatus.WAITLISTED)
    assert (
        client.post(f"/admin/cohorts/{cohort.id}", data=form_of(cohort, capacity="2")).status_code
        == 302
    )
    db.session.expire_all()
    assert waiting.status == EnrolmentStatus.CONFIRMED
    assert (
        db.session.scalar(
            select(OutboxMessage.recipient).where(OutboxMessage.subject.startswith("A place"))
        )
        == waiting.learner.email
    )


def test_status_changes_and_cancelling_tells_everyone(
    client, as_admin, course, make_cohort, make_enrolment
):
    cohort = make_cohort(course, status=CohortStatus.PLANNED)
    people = [make_enrolment(cohort), make_enrolment(cohort, status=EnrolmentStatus.WAITLISTED)]

    page = text_of(client.get(f"/admin/cohorts/{cohort.id}"))
    assert "Open for enrolment" in page and "Cancel cohort" in page
    assert (
        "emails everyone who is enrolled, on the waitlist or waiting for approval (2 people)"
        in page
    )

    assert (
        client.post(f"/admin/cohorts/{cohort.id}/status", data={"status": "running"}).status_code
        == 422
    )
    assert (
        client.post(f"/admin/cohorts/{cohort.id}/status", data={"status": "open"}).status_code
        == 302
    )
    db.session.expire_all()
    assert cohort.status == CohortStatus.OPEN

    response = client.post(f"/admin/cohorts/{cohort.id}/status", data={"status": "cancelled"})
    assert response.status_code == 302
    db.session.expire_all()
    assert cohort.status == CohortStatus.CANCELLED
    assert {e.status for e in people} == {EnrolmentStatus.CANCELLED}
    told = db.session.scalars(
        select(OutboxMessage.recipient).where(OutboxMessage.subject.startswith("Cancelled:"))
    ).all()
    assert sorted(told) == sorted(e.learner.email for e in people)
    page = text_of(client.get(f"/admin/cohorts/{cohort.id}"))
    assert "Its status cannot change any more" in page and "Cancel cohort" not in page


def test_an_admin_cancels_someones_enrolment_from_the_list(
    client, as_admin, course, make_cohort, make_enrolment
):
    cohort = make_cohort(course, capacity=1)
    leaving = make_enrolment(cohort)
    waiting = make_enrolment(cohort, status=EnrolmentStatus.WAITLISTED)

    response = client.post(f"/admin/cohorts/{cohort.id}/enrolments/{leaving.id}/cancel")
    assert response.status_code == 302
    db.session.expire_all()
    assert (leaving.status, waiting.status) == (
        EnrolmentStatus.CANCELLED,
        EnrolmentStatus.CONFIRMED,
    )
    page = text_of(client.get(f"/admin/cohorts/{cohort.id}"))
    assert f"{leaving.learner.full_name}'s enrolment is now cancelled." in page

    other = make_cohort(course)
    response = client.post(f"/admin/cohorts/{other.id}/enrolments/{waiting.id}/cancel")
    assert response.status_code == 404  # the enrolment must belong to the cohort in the URL


# --- bulk enrolment -----------------------------------------------------------------------


def test_bulk_enrolment_reports_each_line(
    client, as_admin, course, make_cohort, make_enrolment, make_user
):
    cohort = make_cohort(course, capacity=2)
    there = make_enrolment(cohort, make_user("already@example.nhs.uk"))
    make_user("ana@example.nhs.uk")
    make_user("ben@example.nhs.uk")
    make_user("gone@example.nhs.uk", is_active_account=False)
    pasted = (
        "ana@example.nhs.uk\n"
        "nobody@example.nhs.uk; BEN@example.nhs.uk\n"
        "\n"
        "Ana@Example.nhs.uk\n"
        f"{there.learner.email}, gone@example.nhs.uk\n"
    )

    response = client.post(f"/admin/cohorts/{cohort.id}/enrol", data={"emails": pasted})

    assert response.status_code == 200
    page = text_of(response)
    report = page.split("People you enrolled", 1)[1].split("<h2>Sessions</h2>", 1)[0]
    counts = dict(
        re.findall(
            r'<dt class="nhsuk-summary-list__key">\s*(.*?)\s*</dt>\s*'
            r'<dd class="nhsuk-summary-list__value">\s*(\d+)\s*</dd>',
            report,
        )
    )
    assert counts == {
        "Enrolled": "1",
        "Waitlisted": "1",
        "Already enrolled": "1",
        "Listed twice": "1",
        "Not found": "2",
        "Refused": "0",
    }
    rows = re.findall(
        r"<tr class=\"nhsuk-table__row\">\s*<td[^>]*>(\d+)</td>\s*<td[^>]*>(.*?)</td>\s*"
        r"<td[^>]*>(.*?)</td>",
        report,
    )
    assert rows == [
        ("1", "ana@example.nhs.uk", "Enrolled"),
        ("2", "nobody@example.nhs.uk", "Not found"),
        ("2", "BEN@example.nhs.uk", "Waitlisted"),
        ("4", "Ana@Example.nhs.uk", "Duplicate"),
        ("5", "already@example.nhs.uk", "Already enrolled"),
        ("5", "gone@example.nhs.uk", "Not found"),
    ]
    statuses = db.session.execute(
        select(Enrolment.status, func.count())
        .where(Enrolment.cohort_id == cohort.id)
        .group_by(Enrolment.status)
    ).all()
    assert dict(statuses) == {EnrolmentStatus.CONFIRMED: 2, EnrolmentStatus.WAITLISTED: 1}


def test_bulk_enrolment_from_a_spreadsheet_uses_its_email_column(
    client, as_admin, course, make_cohort, make_user
):
    cohort = make_cohort(course)
    make_user("ana@example.nhs.uk")
    upload = "\ufeffName,Email\r\nAna Silva,ana@example.nhs.uk\r\nNo One,nobody@example.nhs.uk\r\n"
    response = client.post(
        f"/admin/cohorts/{cohort.id}/enrol",
        data={"emails": "", "file": (io.BytesIO(upload.encode("utf-8")), "people.csv")},
        content_type="multipart/form-data",
    )
    page = text_of(response)
    assert response.status_code == 200
    assert "Ana Silva" not in page.split("People you enrolled", 1)[1].split("Sessions", 1)[0]
    assert re.search(r">2</td>\s*<td[^>]*>ana@example.nhs.uk</td>\s*<td[^>]*>Enrolled<", page)
    assert re.search(r">3</td>\s*<td[^>]*>nobody@example.nhs.uk</td>\s*<td[^>]*>Not found<", page)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"emails": "  "}, "emails", "Paste some email addresses or choose a file to upload"),
        (
            {"emails": "a@example.nhs.uk", "file": (io.BytesIO(b"b@example.nhs.uk"), "x.txt")},
            "file",
            "Paste the email addresses or upload a file, not both",
        ),
        (
            {"file": (io.BytesIO(b"a@example.nhs.uk"), "people.xlsx")},
            "file",
            "The selected file must be a .csv or .txt file",
        ),
        (
            {"file": (io.BytesIO(b"PK\x03\x04\x00\x00binary"), "people.csv")},
            "file",
            "The selected file must be a text file of email addresses",
        ),
    ],
)
def test_bulk_enrolment_needs_a_list(client, as_admin, course, make_cohort, data, field, message):
    cohort = make_cohort(course)
    response = client.post(
        f"/admin/cohorts/{cohort.id}/enrol", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), field) == message
    assert count(Enrolment) == 0


def test_each_session_links_to_its_register_and_check_in_screen(
    client, login, admin, trainer, course, make_cohort
):
    """Cancelled sessions have neither (no register, nobody can check in)."""
    start = datetime(2026, 5, 5, 9, 0, tzinfo=UTC)
    cohort = make_cohort(
        course,
        trainers=[trainer],
        sessions=[(start.replace(day=day), start.replace(day=day, hour=12)) for day in (5, 6, 7)],
    )
    held, cancelled, later = cohort.sessions
    cancelled.cancelled = True
    db.session.commit()
    for person in (admin, trainer):
        login(person)
        page = client.get(f"/admin/cohorts/{cohort.id}").get_data(as_text=True)
        sessions = page.split("<h2>Sessions</h2>", 1)[1].split("<h2>", 1)[0]
        for session in (held, later):
            register = f'<a href="/teach/sessions/{session.id}/register">Register'
            screen = f'<a href="/teach/sessions/{session.id}/check-in">Check-in screen'
            assert register in sessions and screen in sessions, (person, session.title)
            assert client.get(f"/teach/sessions/{session.id}/register").status_code == 200
            assert client.get(f"/teach/sessions/{session.id}/check-in").status_code == 200
        assert f"/teach/sessions/{cancelled.id}/" not in sessions
        client.post("/logout")


# --- who may do what ----------------------------------------------------------------------


def test_a_trainer_manages_only_their_own_cohorts(
    client, login, trainer, course, make_cohort, make_enrolment, make_user
):
    mine = make_cohort(course, code="PM-MINE", trainers=[trainer])
    theirs = make_cohort(course, code="PM-THEIRS", trainers=[make_user(roles=[Role.TRAINER])])
    enrolment = make_enrolment(mine)
    login(trainer)

    listing = client.get("/admin/cohorts/").get_data(as_text=True)
    assert "PM-MINE" in listing and "PM-THEIRS" not in listing
    assert ">Cohorts<" in listing  # in the navigation

    page = client.get(f"/admin/cohorts/{mine.id}").get_data(as_text=True)
    assert "Cohort PM-MINE" in page
    assert "Enrol people" not in page and "/cancel" not in page.split("<h2>Enrolments</h2>")[1]
    assert (
        client.post(f"/admin/cohorts/{mine.id}/status", data={"status": "running"}).status_code
        == 302
    )

    for method, url in [
        ("GET", f"/admin/cohorts/{theirs.id}"),
        ("POST", f"/admin/cohorts/{theirs.id}"),
        ("POST", f"/admin/cohorts/{theirs.id}/status"),
        ("GET", f"/admin/cohorts/{theirs.id}/sessions/new"),
        ("GET", f"/admin/cohorts/{theirs.id}/sessions/{theirs.sessions[0].id}"),
        ("POST", f"/admin/cohorts/{theirs.id}/sessions/{theirs.sessions[0].id}/cancel"),
        ("GET", f"/admin/cohorts/{mine.id}/sessions/{theirs.sessions[0].id}"),
    ]:
        assert client.open(url, method=method).status_code == 404, (method, url)
    # bulk enrolment and cancelling other people's places are for admins only
    assert (
        client.post(f"/admin/cohorts/{mine.id}/enrol", data={"emails": "a@b.nhs.uk"}).status_code
        == 403
    )
    cancel = f"/admin/cohorts/{mine.id}/enrolments/{enrolment.id}/cancel"
    assert client.post(cancel).status_code == 403
    db.session.expire_all()
    assert theirs.sessions[0].cancelled is False and enrolment.status == EnrolmentStatus.CONFIRMED


def test_a_trainer_who_hands_their_cohort_on_goes_back_to_the_list(
    client, login, trainer, course, make_cohort, make_user
):
    colleague = make_user(full_name="Chidi Eze", roles=[Role.TRAINER])
    cohort = make_cohort(course, trainers=[trainer])
    login(trainer)
    response = client.post(
        f"/admin/cohorts/{cohort.id}", data=form_of(cohort, trainer_ids=[str(colleague.id)])
    )
    assert response.status_code == 302 and response.headers["Location"] == "/admin/cohorts/"
    db.session.expire_all()
    assert [person.id for person in cohort.trainers] == [colleague.id]


def test_a_trainer_can_add_a_cohort_which_they_then_teach(client, login, trainer, course):
    login(trainer)
    response = client.post(
        "/admin/cohorts/new", data=cohort_form(course_id=str(course.id), code="PM-T")
    )
    assert response.status_code == 302
    cohort = db.session.scalar(select(Cohort))
    assert [person.id for person in cohort.trainers] == [trainer.id]


def test_a_learner_may_not_use_the_cohort_admin_pages(client, learner, login, course, make_cohort):
    cohort = make_cohort(course)
    login(learner)
    assert client.get("/admin/cohorts/").status_code == 403
    assert client.get("/admin/cohorts/new").status_code == 403
    assert client.post("/admin/cohorts/new", data=cohort_form()).status_code == 403
    assert client.post(f"/admin/cohorts/{cohort.id}/enrol", data={"emails": "x"}).status_code == 403
    assert client.get(f"/admin/cohorts/{cohort.id}").status_code == 404
    assert ">Cohorts<" not in client.get("/").get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_log_in(client, course, make_cohort):
    cohort = make_cohort(course)
    for url in ("/admin/cohorts/", f"/admin/cohorts/{cohort.id}"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")


# --- what the pages cost ------------------------------------------------------------------


def test_the_cohort_page_costs_the_same_with_5_and_100_enrolments(
    client, as_admin, course, make_cohort, make_enrolment, make_user, count_queries, trainer
):
    cohort = make_cohort(course, capacity=3, trainers=[trainer])

    def add(how_many: int, status=EnrolmentStatus.WAITLISTED) -> None:
        for _ in range(how_many):
            make_enrolment(cohort, status=status)

    url = f"/admin/cohorts/{cohort.id}"

    def measure() -> int:
        with count_queries() as counter:
            response = client.get(url)
        assert response.status_code == 200
        return counter.count

    add(3, EnrolmentStatus.CONFIRMED)
    add(2)
    few = measure()
    add(90)
    add(5, EnrolmentStatus.PENDING_APPROVAL)
    many = measure()
    assert few == many
    page_two = client.get(f"/admin/cohorts/{cohort.id}?page=2").get_data(as_text=True)
    assert f'href="/admin/cohorts/{cohort.id}?page=3"' in page_two


def test_the_cohort_list_costs_the_same_with_few_and_many_cohorts(
    client, as_admin, course, make_cohort, make_enrolment, trainer, count_queries
):
    def add(how_many: int) -> None:
        for _ in range(how_many):
            cohort = make_cohort(course, trainers=[trainer])
            make_enrolment(cohort)

    def measure() -> int:
        with count_queries() as counter:
            response = client.get("/admin/cohorts/")
        assert response.status_code == 200
        return counter.count

    add(3)
    few = measure()
    add(30)
    many = measure()
    assert few == many
    page = text_of(client.get("/admin/cohorts/"))
    assert "1 of 12" in page


def test_bulk_enrolment_of_too_many_lines_is_refused_plainly(client, as_admin, make_cohort, course):
    cohort = make_cohort(course, capacity=5)
    emails = "\n".join(f"person{n}@example.nhs.uk" for n in range(1001))
    response = client.post(f"/admin/cohorts/{cohort.id}/enrol", data={"emails": emails})
    assert response.status_code == 422
    assert "Enrol at most 1,000 people at a time; this list has 1,001" in text_of(response)


def test_bulk_enrolment_counts_addresses_not_lines(client, as_admin, make_cohort, course):
    cohort = make_cohort(course, capacity=5)
    one_line = ", ".join(f"person{n}@example.nhs.uk" for n in range(1001))
    response = client.post(f"/admin/cohorts/{cohort.id}/enrol", data={"emails": one_line})
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "emails") == (
        "Enrol at most 1,000 people at a time; this list has 1,001 different addresses"
    )
    assert count(Enrolment) == 0


def test_an_uploaded_list_of_too_many_addresses_is_refused_beside_the_file(
    client, as_admin, make_cohort, course
):
    cohort = make_cohort(course, capacity=5)
    spaced = " ".join(f"person{n}@example.nhs.uk" for n in range(1001)).encode()
    response = client.post(
        f"/admin/cohorts/{cohort.id}/enrol",
        data={"file": (io.BytesIO(spaced), "people.txt")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "1,001 different addresses" in field_error(response.get_data(as_text=True), "file")
    assert count(Enrolment) == 0


def test_saving_a_cohort_keeps_a_trainer_who_has_lost_the_role_until_the_admin_unticks_them(
    client, as_admin, course, make_cohort, make_user
):
    current = make_user(roles=[Role.TRAINER], full_name="Tom Hughes")
    former = make_user(full_name="Grace Former")
    cohort = make_cohort(course, trainers=[current, former])

    page = client.get(f"/admin/cohorts/{cohort.id}").get_data(as_text=True)
    box = re.search(rf'<input[^>]*value="{former.id}"[^>]*>', page)
    assert box and "checked" in box.group(0)
    assert "Grace Former (no longer a trainer)" in page

    ticked = {"trainer_ids": [str(current.id), str(former.id)]}
    response = client.post(
        f"/admin/cohorts/{cohort.id}", data=form_of(cohort, capacity="14") | ticked
    )

    assert response.status_code == 302
    db.session.refresh(cohort)
    assert {trainer.id for trainer in cohort.trainers} == {current.id, former.id}
