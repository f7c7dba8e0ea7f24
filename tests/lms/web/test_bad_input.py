"""Odd input gets a clear answer, never a 500 (lms/app.py, lms/forms.py and the pages)."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from courses.attendance import checkin
from courses.cohorts.cohorts import CohortDetails, CohortError, cancel_session, create_cohort
from courses.models import CohortStatus, Course
from lms.auth.models import User
from lms.core.db import utcnow
from lms.core.extensions import db
from lms.people import importing
from lms.web.forms import safe_next
from tests.helpers import PASSWORD, field_error, log_in


def test_a_nul_character_is_refused_with_400_before_anything_else(client, admin):
    assert client.post("/login", data={"email": "a\x00b", "password": "x"}).status_code == 400
    log_in(client, admin.email, PASSWORD)
    assert client.get("/admin/users/?q=%00").status_code == 400
    assert client.get("/calendar/a%00b.ics").status_code == 400


@pytest.mark.parametrize("path", ["/cohorts/99999999999999999999999", "/cohorts/3000000000"])
def test_ids_beyond_the_database_are_not_found(client, admin, path):
    log_in(client, admin.email, PASSWORD)
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("page", ["99999999999999999999", "-3", "two"])
def test_any_page_number_shows_a_page(client, admin, page):
    log_in(client, admin.email, PASSWORD)
    assert client.get(f"/admin/audit/?page={page}").status_code == 200


def test_pagination_links_ignore_odd_query_keys(client, admin, make_user):
    for _ in range(30):
        make_user()
    log_in(client, admin.email, PASSWORD)
    response = client.get("/admin/users/?_method=POST&endpoint=x&q=person")
    assert response.status_code == 200 and "_method" not in response.get_data(as_text=True)


@pytest.mark.parametrize("target", ["/\r\nSet-Cookie: x=1", "/ok\x7f", "/\tx"])
def test_control_characters_never_reach_a_redirect(target):
    assert safe_next(target, "/") == "/"


def test_a_login_with_a_poisoned_next_still_goes_home(client, learner):
    response = client.post(
        "/login?next=/%0d%0aX:y", data={"email": learner.email, "password": PASSWORD}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/"


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_far_off_dates_get_a_message(client, admin, day):
    log_in(client, admin.email, PASSWORD)
    response = client.get(f"/admin/audit/?date_from=2026-01-01&date_to={day}")
    assert response.status_code == 422
    assert "Enter a date between the years 1900 and 2200" in response.get_data(as_text=True)


def test_whitespace_in_a_select_is_a_plain_error(client, admin):
    log_in(client, admin.email, PASSWORD)
    assert client.get("/admin/users/?role=%20").status_code in (200, 422)
    assert client.get("/courses/?category=%20&mode=%20").status_code in (200, 422)


def test_cohort_codes_are_letters_numbers_and_hyphens(make_course, admin):
    details = CohortDetails(code="PM\nOCC", capacity=5)
    with pytest.raises(CohortError) as refused:
        create_cohort(make_course(), details, by=admin)
    assert refused.value.field == "code"


def test_a_closed_cohort_takes_no_check_in_and_no_session_cancellation(
    make_course, make_cohort, make_enrolment, learner, admin
):
    now = utcnow()
    cohort = make_cohort(
        make_course(), status=CohortStatus.CLOSED, sessions=[(now, now + timedelta(hours=2))]
    )
    make_enrolment(cohort, learner, confirmed_at=now - timedelta(days=3))
    session = cohort.sessions[0]
    checkin.open_check_in(session)
    db.session.commit()
    with pytest.raises(checkin.CohortNotRunning):
        checkin.check_in(checkin.code_at(session, now), learner, now)
    with pytest.raises(CohortError):
        cancel_session(session, by=admin)


# --- plain messages for tampered or odd input ----------------------------------------------


def test_a_tampered_role_is_refused_plainly_without_echoing_it(client, admin):
    log_in(client, admin.email, PASSWORD)
    response = client.post(
        "/admin/users/new",
        data={
            "full_name": "Nia Roberts",
            "email": "nia.roberts@example.nhs.uk",
            "roles": ["trainer", "<i>superuser</i>"],
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(page, "roles") == "Choose roles from the list"
    assert "superuser" not in page and "not a valid choice" not in page
    assert db.session.scalar(select(User).where(User.email == "nia.roberts@example.nhs.uk")) is None


def test_a_tampered_filter_choice_is_refused_plainly(client, admin):
    log_in(client, admin.email, PASSWORD)
    response = client.get("/admin/users/?role=%3Cb%3Eowner%3C%2Fb%3E&status=asleep")
    page = response.get_data(as_text=True)
    assert field_error(page, "role") == "Choose a role from the list"
    assert field_error(page, "status") == "Choose a status from the list"
    assert "owner" not in page and "asleep" not in page


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("date_from", "2026-13-45", "Enter the from date as a real date, like 2026-11-01"),
        ("date_to", "tomorrow", "Enter the to date as a real date, like 2026-11-30"),
    ],
)
def test_an_impossible_audit_date_is_explained_and_shown_again(
    client, admin, field, typed, message
):
    log_in(client, admin.email, PASSWORD)
    response = client.get("/admin/audit/", query_string={field: typed})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(page, field) == message
    assert re.search(rf'<input[^>]*id="{field}"[^>]*value="{typed}"', page)
    assert "Not a valid" not in page


def test_a_line_break_in_the_audit_filter_is_refused_beside_it(client, admin):
    log_in(client, admin.email, PASSWORD)
    response = client.get("/admin/audit/?actor=admin%0D%0ASet-Cookie")
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "actor") == (
        "Enter the email address on one line"
    )


# --- bodies that are not UTF-8 -------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [b"code=PM-OCC&title=\xff\xfe&cpd_hours=3", b"code=PM-OCC&title=%FF%FE&cpd_hours=3"],
    ids=["raw bytes", "percent-escaped bytes"],
)
def test_a_form_that_is_not_utf8_is_a_400_that_says_so(client, admin, body):
    log_in(client, admin.email, PASSWORD)
    response = client.post(
        "/admin/courses/new", data=body, content_type="application/x-www-form-urlencoded"
    )
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert "contained characters that could not be read" in page and "UTF-8" in page
    assert "could not be checked" not in page
    assert db.session.scalar(select(func.count()).select_from(Course)) == 0


def test_with_csrf_on_an_unreadable_form_is_not_blamed_on_the_csrf_check(app, make_app):
    with make_app(WTF_CSRF_ENABLED=True).test_client() as browser:
        response = browser.post(
            "/login",
            data=b"email=\xff&password=x",
            content_type="application/x-www-form-urlencoded",
        )
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert "could not be read" in page and "could not be checked" not in page


def test_a_utf8_form_is_read_as_before(client, admin):
    log_in(client, admin.email, PASSWORD)
    response = client.post(
        "/admin/courses/new",
        data=b"code=PM-OCC&title=Caf%C3%A9+%E2%80%94+%C5%81%C3%B3d%C5%BA&delivery_mode=online"
        b"&cpd_hours=3&min_attendance_percent=80",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 302
    assert db.session.scalar(select(Course.title)) == "Café — Łódź"


# --- ids in addresses are ASCII digits -----------------------------------------------------


@pytest.mark.parametrize(
    "zero", [0x0660, 0xFF10, 0x0966], ids=["Arabic-Indic", "full-width", "Devanagari"]
)
def test_ids_written_in_other_digits_are_not_found(client, admin, make_course, make_cohort, zero):
    cohort = make_cohort(make_course())
    log_in(client, admin.email, PASSWORD)
    other_digits = "".join(chr(zero + int(digit)) for digit in str(cohort.id))
    assert client.get(f"/cohorts/{cohort.id}").status_code == 200
    assert client.get(f"/cohorts/{other_digits}").status_code == 404
    assert client.get(f"/admin/cohorts/{other_digits}").status_code == 404


# --- imported text -------------------------------------------------------------------------


def test_the_staff_import_puts_names_and_titles_on_one_line(app):
    header = (
        "staff_number,first_name,last_name,email,job_title,department,service_group,"
        "line_manager_staff_number"
    )
    row = (
        '12345,"Nia\x1b[1m","Rob\x85erts",nia@example.nhs.uk,"Project\r\nmanager",'
        '"Ward\x075  Surgery",Surgery\u2028Group,'
    )
    report = importing.import_staff(f"{header}\r\n{row}\r\n".encode(), by=None)
    db.session.commit()
    assert report.created == 1 and report.problems == []
    person = db.session.scalar(select(User))
    assert (person.full_name, person.job_title) == ("Nia Rob erts", "Project manager")
    assert (person.department.name, person.service_group.name) == (
        "Ward5 Surgery",
        "Surgery Group",
    )
