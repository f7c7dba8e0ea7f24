"""The requests-to-approve page, /approvals/ (courses/enrolment/views.py): paginated,
oldest first, a fixed number of statements whatever the number of requests."""

from __future__ import annotations

from datetime import timedelta

import pytest

from courses.models import EnrolmentStatus
from lms.core.db import utcnow
from tests.helpers import field_error, text_of


@pytest.fixture
def requests_for(make_user, make_course, make_cohort, make_enrolment):
    """`requests_for(manager, n)`: n pending requests from the manager's reports, the
    oldest first, each from a new learner named "Learner 01", "Learner 02", ..."""
    cohort = make_cohort(make_course(requires_approval=True))
    start = utcnow() - timedelta(days=60)

    def make(manager, number: int):
        return [
            make_enrolment(
                cohort,
                make_user(full_name=f"Learner {index:02d}", line_manager=manager),
                status=EnrolmentStatus.PENDING_APPROVAL,
                requested_at=start + timedelta(hours=index),
            )
            for index in range(1, number + 1)
        ]

    return make


@pytest.fixture
def manager(make_user, login):
    person = make_user("grace.mensah@example.nhs.uk", full_name="Grace Mensah")
    login(person)
    return person


def test_requests_are_shown_a_page_at_a_time_oldest_first(app, client, manager, requests_for):
    requests_for(manager, 30)
    size = app.config["ADMIN_PAGE_SIZE"]

    first = text_of(client.get("/approvals/"))
    second = text_of(client.get("/approvals/?page=2"))

    assert "30 requests are waiting for you, oldest first." in first
    assert "Learner 01:" in first and f"Learner {size:02d}:" in first
    assert f"Learner {size + 1:02d}:" not in first
    assert f"Learner {size + 1:02d}:" in second and "Learner 30:" in second
    assert "Learner 01:" not in second


def test_the_page_costs_the_same_for_few_and_many_requests(
    client, manager, requests_for, count_queries
):
    def measure() -> int:
        with count_queries() as counter:
            assert client.get("/approvals/").status_code == 200
        return counter.count

    requests_for(manager, 2)
    few = measure()
    requests_for(manager, 40)
    assert measure() == few


def test_a_decision_refused_on_a_later_page_is_shown_on_that_page(
    app, client, manager, requests_for
):
    late = requests_for(manager, 30)[-1]

    response = client.post(f"/approvals/{late.id}?page=2", data={f"r{late.id}-decision": "reject"})

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_error(page, f"r{late.id}-reason") == "Give a reason for rejecting the request"
    assert "Learner 30:" in text_of(response)


def test_after_a_decision_the_manager_returns_to_the_page_they_were_on(
    client, manager, requests_for
):
    made = requests_for(manager, 30)
    first, late = made[0], made[-1]

    on_two = client.post(f"/approvals/{late.id}?page=2", data={f"r{late.id}-decision": "approve"})
    on_one = client.post(f"/approvals/{first.id}", data={f"r{first.id}-decision": "approve"})

    assert on_two.headers["Location"] == "/approvals/?page=2"
    assert on_one.headers["Location"] == "/approvals/"
