"""axe-core on the register and the attendance grid (courses/views/attendance.py)."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect

from courses.attendance import mark_register
from courses.models import AttendanceStatus, CohortStatus
from lms.auth.models import Role
from lms.core.db import utcnow
from tests.browser.helpers import assert_accessible


def test_register_and_grid(
    live_server, make_user, make_course, make_cohort, make_enrolment, log_in
):
    now = utcnow().replace(microsecond=0)
    trainer = make_user("trainer@example.nhs.uk", full_name="Tomasz Nowak", roles=[Role.TRAINER])
    cohort = make_cohort(
        make_course(title="Project management"),
        status=CohortStatus.RUNNING,
        trainers=[trainer],
        sessions=[
            (now - timedelta(days=2), now - timedelta(days=2, hours=-3)),
            (now + timedelta(days=5), now + timedelta(days=5, hours=3)),
        ],
    )
    month_ago = now - timedelta(days=30)
    enrolments = [
        make_enrolment(
            cohort, make_user(full_name=name), confirmed_at=month_ago, requested_at=month_ago
        )
        for name in ("Ann Lee", "Bo Chan", "Cal Dee")
    ]
    session = cohort.sessions[0]
    mark_register(session, {enrolments[0].id: (AttendanceStatus.LATE, "Bus")}, by=trainer, now=now)
    from lms.core.extensions import db

    db.session.commit()
    page = log_in(trainer)
    page.goto(f"{live_server}/teach/sessions/{session.id}/register")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Mark everyone present").click()
    expect(page.get_by_role("radio", name="Present").nth(1)).to_be_checked()
    page.locator(f"#status_{enrolments[2].id}-4").focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Save register").click()
    expect(page.get_by_text("The register has been saved.")).to_be_visible()
    assert_accessible(page)

    # Someone else changes Bo's mark while this page is open: the save is refused, says so
    # beside Bo's row, shows Bo's mark as it is now, and saving again goes through.
    bo = enrolments[1]
    mark_register(session, {bo.id: (AttendanceStatus.EXCUSED, "Rang in")}, by=trainer, now=now)
    db.session.commit()
    page.locator(f"#status_{bo.id}-2").check()  # late
    page.get_by_role("button", name="Save register").click()
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("Nothing has been saved, because Bo Chan's mark changed")
    expect(page.locator(f"#status_{bo.id}-error")).to_contain_text("It is now excused")
    expect(page.locator(f"#status_{bo.id}-5")).to_be_checked()  # excused, as it is now
    assert_accessible(page)
    page.get_by_role("button", name="Save register").click()
    expect(page.get_by_text("The register has been saved.")).to_be_visible()
    page.goto(f"{live_server}/teach/cohorts/{cohort.id}/attendance")
    assert_accessible(page)
    page.goto(f"{live_server}/teach/")
    assert_accessible(page)
