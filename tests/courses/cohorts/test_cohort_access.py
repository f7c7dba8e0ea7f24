"""One cohort access rule (courses.cohorts.access.may_manage, enforced for views by
courses.cohorts.access.cohort_manager): admins, and people holding the trainer role who
teach the cohort. A former trainer (role removed, still on the trainer list) is refused
everywhere, at once, and answered 404 like anyone else.
"""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from courses import attendance
from courses.cohorts.access import cohort_manager
from courses.cohorts.cohorts import managed_cohorts, may_manage, teaching_trainers
from courses.models import CohortStatus, CourseStatus, Enrolment, EnrolmentStatus
from lms.auth.models import Role, UserRole
from lms.core.db import utcnow
from lms.core.extensions import db
from lms.core.outbox import OutboxMessage
from tests.helpers import log_in


@pytest.fixture
def taught(make_course, make_cohort, make_user, make_enrolment):
    """A cohort taught by Tomasz, with one learner; and Tomasz's cohort admin pages."""
    tomasz = make_user("tomasz@example.nhs.uk", roles=[Role.TRAINER])
    cohort = make_cohort(make_course(code="PM-OCC"), trainers=[tomasz])
    make_enrolment(cohort)
    return cohort, tomasz


def _remove_trainer_role(person) -> None:
    person.role_grants.clear()
    db.session.commit()


def _urls(cohort) -> list[str]:
    session = cohort.sessions[0]
    return [
        f"/teach/sessions/{session.id}/register",
        f"/teach/sessions/{session.id}/check-in",
        f"/teach/sessions/{session.id}/check-in.json",
        f"/teach/sessions/{session.id}/sign-in-sheet.pdf",
        f"/teach/cohorts/{cohort.id}/attendance",
        f"/teach/cohorts/{cohort.id}/attendance.csv",
        f"/admin/cohorts/{cohort.id}",
        f"/admin/cohorts/{cohort.id}/sessions/new",
        f"/admin/cohorts/{cohort.id}/sessions/{session.id}",
    ]


# --- the rule ----------------------------------------------------------------------------


def test_may_manage_needs_the_trainer_role_and_a_place_on_the_trainer_list(
    taught, make_user, admin
):
    cohort, tomasz = taught
    other_trainer = make_user(roles=[Role.TRAINER])
    listed_without_role = make_user()
    cohort.trainers.append(listed_without_role)
    db.session.commit()

    assert may_manage(admin, cohort)
    assert may_manage(tomasz, cohort)
    assert not may_manage(other_trainer, cohort)
    assert not may_manage(listed_without_role, cohort)

    _remove_trainer_role(tomasz)
    assert not may_manage(tomasz, cohort)


def test_managed_cohorts_agree_with_may_manage(taught, make_cohort, admin):
    cohort, tomasz = taught
    make_cohort(cohort.course)  # someone else's

    def codes(person):
        return [row.code for row in db.session.scalars(managed_cohorts(person, utcnow()))]

    assert codes(tomasz) == [cohort.code]
    assert len(codes(admin)) == 2
    _remove_trainer_role(tomasz)
    assert codes(tomasz) == []


def test_a_former_trainer_may_not_mark_the_register(taught):
    cohort, tomasz = taught
    session = cohort.sessions[0]
    _remove_trainer_role(tomasz)
    assert not attendance.may_mark(session, tomasz)
    with pytest.raises(attendance.RegisterClosed):
        attendance.mark_register(session, {}, by=tomasz, now=utcnow())


def test_cohort_manager_loads_only_cohorts_and_sessions():
    with pytest.raises(ValueError, match="cohort_id"):
        cohort_manager(load="enrolment_id")


# --- the pages ---------------------------------------------------------------------------


def test_removing_the_trainer_role_ends_access_at_the_next_request(client, taught):
    cohort, tomasz = taught
    assert log_in(client, tomasz.email).status_code == 302
    for url in _urls(cohort):
        assert client.get(url).status_code == 200, url
    assert cohort.code in client.get("/teach/").get_data(as_text=True)

    _remove_trainer_role(tomasz)  # an admin takes the role away; Tomasz stays logged in

    for url in _urls(cohort):
        assert client.get(url).status_code == 404, url
    assert client.get("/teach/").status_code == 403
    assert client.get("/admin/cohorts/").status_code == 403

    db.session.add(UserRole(user_id=tomasz.id, role=Role.TRAINER))  # and gives it back
    db.session.commit()
    assert client.get(_urls(cohort)[0]).status_code == 200


def test_a_former_trainer_cannot_cancel_the_cohort_or_its_sessions(client, taught):
    cohort, tomasz = taught
    session = cohort.sessions[0]
    _remove_trainer_role(tomasz)
    assert log_in(client, tomasz.email).status_code == 302

    cancel = client.post(f"/admin/cohorts/{cohort.id}/status", data={"status": "cancelled"})
    assert cancel.status_code == 404
    cancel_session = f"/admin/cohorts/{cohort.id}/sessions/{session.id}/cancel"
    assert client.post(cancel_session).status_code == 404
    assert client.post(f"/teach/sessions/{session.id}/check-in").status_code == 404

    db.session.expire_all()
    assert cohort.status == CohortStatus.OPEN and not session.cancelled
    assert session.check_in_secret is None
    statuses = db.session.scalars(select(Enrolment.status).where(Enrolment.cohort_id == cohort.id))
    assert list(statuses) == [EnrolmentStatus.CONFIRMED]
    assert db.session.scalars(select(OutboxMessage)).all() == []


def test_the_trainer_still_may_change_status_and_sessions(client, taught):
    """What trainers could do before stays: only the former-trainer hole is closed."""
    cohort, tomasz = taught
    assert log_in(client, tomasz.email).status_code == 302
    response = client.post(f"/admin/cohorts/{cohort.id}/status", data={"status": "running"})
    assert response.status_code == 302
    session = cohort.sessions[0]
    cancel_session = f"/admin/cohorts/{cohort.id}/sessions/{session.id}/cancel"
    assert client.post(cancel_session).status_code == 302
    db.session.expire_all()
    assert cohort.status == CohortStatus.RUNNING and session.cancelled


def test_a_former_trainer_no_longer_sees_a_draft_courses_cohort(
    client, make_course, make_cohort, make_user
):
    tomasz = make_user("tomasz@example.nhs.uk", roles=[Role.TRAINER])
    cohort = make_cohort(make_course(status=CourseStatus.DRAFT), trainers=[tomasz])
    assert log_in(client, tomasz.email).status_code == 302
    assert client.get(f"/cohorts/{cohort.id}").status_code == 200
    _remove_trainer_role(tomasz)
    assert client.get(f"/cohorts/{cohort.id}").status_code == 404


def test_a_former_trainer_is_neither_named_on_sign_in_sheets_nor_sent_warnings(
    app, client, admin, login, make_user, make_course, make_cohort, make_enrolment
):
    current = make_user("tom@example.nhs.uk", roles=[Role.TRAINER], full_name="Tom Hughes")
    former = make_user("gone@example.nhs.uk", full_name="Former Trainer")
    held = utcnow() - timedelta(days=7)
    cohort = make_cohort(
        make_course(min_attendance_percent=80),
        trainers=[current, former],
        sessions=[
            (held, held + timedelta(hours=3)),
            (held + timedelta(days=14), held + timedelta(days=14, hours=3)),
        ],
    )
    absent = make_enrolment(cohort, confirmed_at=held - timedelta(days=1))
    assert [trainer.full_name for trainer in teaching_trainers(cohort)] == ["Tom Hughes"]

    login(admin)
    sheet = client.get(f"/teach/sessions/{cohort.sessions[0].id}/sign-in-sheet.pdf")
    text = " ".join(page.extract_text() for page in PdfReader(BytesIO(sheet.data)).pages)
    assert "Tom Hughes" in text and "Former Trainer" not in text

    attendance.mark_register(
        cohort.sessions[0], {absent.id: ("absent", None)}, by=current, now=held + timedelta(hours=4)
    )
    db.session.commit()
    mailed = set(db.session.scalars(select(OutboxMessage.recipient)))
    assert "tom@example.nhs.uk" in mailed and "gone@example.nhs.uk" not in mailed


def test_the_cohort_page_names_only_trainers_who_still_teach(
    client, learner, login, make_user, make_course, make_cohort
):
    current = make_user(roles=[Role.TRAINER], full_name="Tom Hughes")
    former = make_user(full_name="Former Trainer")
    cohort = make_cohort(make_course(), trainers=[current, former])
    login(learner)
    page = client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)
    assert "Tom Hughes" in page and "Former Trainer" not in page
