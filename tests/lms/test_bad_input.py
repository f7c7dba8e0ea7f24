"""Odd input gets a clear answer, never a 500 (lms/app.py, lms/forms.py and the pages)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from courses import checkin, cohorts
from courses.models import CohortStatus
from lms.db import utcnow
from lms.extensions import db
from lms.forms import safe_next
from tests.conftest import PASSWORD, log_in


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
    details = cohorts.CohortDetails(code="PM\nOCC", capacity=5)
    with pytest.raises(cohorts.CohortError) as refused:
        cohorts.create_cohort(make_course(), details, by=admin)
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
    with pytest.raises(cohorts.CohortError):
        cohorts.cancel_session(session, by=admin)
