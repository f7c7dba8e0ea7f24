"""Teaching pages: courses/views/attendance.py, through the test client."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from courses.attendance import checkin, mark_register
from courses.models import (
    AttendanceMethod,
    AttendanceRecord,
    AttendanceStatus,
    CohortStatus,
    EnrolmentStatus,
)
from lms.audit.audit import AuditEvent
from lms.auth.models import Role
from lms.core.extensions import db
from lms.core.timezones import format_local
from tests.helpers import MONTH_AGO, NOW, count, days, field_error, log_in, span, text_of


@pytest.fixture
def cohort(make_cohort, course, trainer):
    """Two sessions held (four and two days ago) and one next week."""
    return make_cohort(
        course,
        code="PM-OCC-01",
        status=CohortStatus.RUNNING,
        trainers=[trainer],
        sessions=[span(days(-4)), span(days(-2)), span(days(7))],
    )


@pytest.fixture
def enrol(make_enrolment, make_user, cohort):
    def make(
        name: str, status=EnrolmentStatus.CONFIRMED, confirmed_at=MONTH_AGO, target=None, **fields
    ):
        fields.setdefault("requested_at", MONTH_AGO - timedelta(days=1))
        return make_enrolment(
            target or cohort,
            make_user(full_name=name),
            status=status,
            confirmed_at=confirmed_at,
            **fields,
        )

    return make


def checked(page: str, enrolment) -> str | None:
    """The status whose radio is checked on the register for this enrolment, if any."""
    for tag in re.findall(rf'<input[^>]*name="status_{enrolment.id}"[^>]*>', page):
        if re.search(r"\bchecked\b", tag):
            return re.search(r'value="(\w+)"', tag).group(1)
    return None


def records() -> dict[int, AttendanceRecord]:
    return {r.enrolment_id: r for r in db.session.scalars(select(AttendanceRecord))}


def register_url(session) -> str:
    return f"/teach/sessions/{session.id}/register"


def hidden_versions(page: str) -> dict[str, str]:
    """The record versions a register page carries, as its form posts them."""
    fields = {}
    for tag in re.findall(r'<input[^>]*type="hidden"[^>]*>', page):
        name = re.search(r'name="([^"]+)"', tag).group(1)
        if name.startswith("version_"):
            fields[name] = re.search(r'value="([^"]*)"', tag).group(1)
    return fields


def versions(client, session) -> dict[str, str]:
    """Opens the register, as a trainer does before marking it; its versions to post."""
    return hidden_versions(client.get(register_url(session)).get_data(as_text=True))


def as_posted(page: str) -> dict[str, str]:
    """Every value a register page would post as it stands: checked radios, notes and
    versions, with the Save button."""
    form = {"action": "save"} | hidden_versions(page)
    for tag in re.findall(r'<input[^>]*type="radio"[^>]*>', page):
        if re.search(r"\bchecked\b", tag):
            form[re.search(r'name="([^"]+)"', tag).group(1)] = re.search(
                r'value="([^"]*)"', tag
            ).group(1)
    for name, value in re.findall(r'<input[^>]*name="(note_\d+)"[^>]*value="([^"]*)"', page):
        form[name] = value
    return form


# --- who may use the pages ---------------------------------------------------------------


def test_a_trainer_of_another_cohort_and_a_learner_get_404(
    client, login, cohort, make_cohort, course, make_user, learner, enrol
):
    enrol("Zoë Ashworth")
    stranger = make_user("someone@example.nhs.uk", roles=[Role.TRAINER])
    make_cohort(course, trainers=[stranger])
    urls = [
        register_url(cohort.sessions[0]),
        f"/teach/cohorts/{cohort.id}/attendance",
        f"/teach/cohorts/{cohort.id}/attendance.csv",
    ]
    login(stranger)
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert client.post(urls[0], data={"action": "save"}).status_code == 404
    assert client.get("/teach/").status_code == 200
    assert client.get("/reports/attendance").status_code == 403
    assert client.get("/teach/sessions/999999/register").status_code == 404
    client.post("/logout")
    login(learner)
    for url in urls:
        assert client.get(url).status_code == 404, url
    for url in ["/teach/", "/reports/attendance"]:
        assert client.get(url).status_code == 403, url
    assert records() == {}


def test_the_cohorts_trainer_and_an_admin_may_use_them(client, login, cohort, trainer, admin):
    for person in (trainer, admin):
        login(person)
        assert client.get(register_url(cohort.sessions[0])).status_code == 200
        assert client.get(f"/teach/cohorts/{cohort.id}/attendance").status_code == 200
        assert client.get(f"/teach/cohorts/{cohort.id}/attendance.csv").status_code == 200
        client.post("/logout")


def test_teaching_lists_only_my_cohorts_with_marked_counts(
    client, login, cohort, trainer, make_cohort, course, enrol, make_user
):
    make_cohort(course, code="SOMEONE-ELSES", trainers=[make_user(roles=[Role.TRAINER])])
    one, _ = enrol("Ann Lee"), enrol("Bo Chan")
    mark_register(
        cohort.sessions[0], {one.id: (AttendanceStatus.PRESENT, None)}, by=trainer, now=NOW
    )
    login(trainer)
    page = text_of(client.get("/teach/"))
    assert "PM-OCC-01" in page and "SOMEONE-ELSES" not in page
    assert "1 of 2 marked" in page and "0 of 2 marked" in page
    assert "Not started: 2 expected" in page
    assert f'href="{register_url(cohort.sessions[0])}"' in page
    navigation = page.split('aria-label="Menu"', 1)[1].split("</nav>", 1)[0]
    assert "Teaching" in navigation


# --- the register ------------------------------------------------------------------------


def test_the_register_lists_expected_learners_and_says_who_is_unmarked(
    client, login, cohort, trainer, enrol
):
    first = cohort.sessions[0]
    present = enrol("Ann Lee")
    enrol("Bo Chan")
    enrol("Cal Late", confirmed_at=first.ends_at)  # enrolled after the first session
    enrol("Dee Waiting", EnrolmentStatus.WAITLISTED, confirmed_at=None)
    mark_register(
        first, {present.id: (AttendanceStatus.PRESENT, "Brought slides")}, by=trainer, now=NOW
    )
    login(trainer)
    page = text_of(client.get(register_url(first)))
    assert "Ann Lee" in page and "Bo Chan" in page
    assert "Cal Late" not in page and "Dee Waiting" not in page
    assert checked(page, present) == "present" and "Brought slides" in page
    assert "1 learner is not marked" in page and "Not marked" in page
    assert "24 hours after it ended will be marked absent automatically" in page
    assert "Attendance for Bo Chan" in page  # each learner's radios are labelled by name
    for status in ("Present", "Late", "Left early", "Absent", "Excused"):
        assert f">{status}</label>" in page.replace("\n", "").replace("  ", "") or status in page


def test_saving_the_register_saves_every_row_and_a_second_save_changes_nothing(
    client, login, cohort, trainer, enrol
):
    session = cohort.sessions[0]
    ann, bo, cal = enrol("Ann Lee"), enrol("Bo Chan"), enrol("Cal Dee")
    form = {
        "action": "save",
        f"status_{ann.id}": "present",
        f"status_{bo.id}": "left_early",
        f"note_{bo.id}": "Left at 11 for clinic",
        f"status_{cal.id}": "excused",
    }
    login(trainer)
    form |= versions(client, session)
    response = client.post(register_url(session), data=form)
    assert response.status_code == 302 and response.headers["Location"] == register_url(session)
    saved = records()
    assert {e: r.status for e, r in saved.items()} == {
        ann.id: AttendanceStatus.PRESENT,
        bo.id: AttendanceStatus.LEFT_EARLY,
        cal.id: AttendanceStatus.EXCUSED,
    }
    assert saved[bo.id].note == "Left at 11 for clinic"
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    assert client.post(register_url(session), data=form).status_code == 302
    assert len(records()) == 3
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events
    page = text_of(client.get(register_url(session)))
    assert "The register has been saved." in page and checked(page, bo) == "left_early"


def test_a_status_that_is_not_offered_is_refused(client, login, cohort, trainer, enrol):
    ann = enrol("Ann Lee")
    login(trainer)
    form = {"action": "save", f"status_{ann.id}": "asleep"} | versions(client, cohort.sessions[0])
    response = client.post(register_url(cohort.sessions[0]), data=form)
    assert response.status_code == 422
    message = "Choose present, late, left early, absent or excused for Ann Lee"
    assert message in text_of(response) and "asleep" not in text_of(response)
    assert records() == {}


def test_mark_everyone_present_fills_only_the_unmarked_rows_and_saves_nothing(
    client, login, cohort, trainer, enrol
):
    session = cohort.sessions[0]
    excused, chosen, blank = enrol("Ann Lee"), enrol("Bo Chan"), enrol("Cal Dee")
    mark_register(session, {excused.id: (AttendanceStatus.EXCUSED, None)}, by=trainer, now=NOW)
    login(trainer)
    response = client.post(
        register_url(session),
        data={
            "action": "everyone_present",
            f"status_{excused.id}": "excused",
            f"status_{chosen.id}": "absent",
        }
        | versions(client, session),
    )
    page = text_of(response)
    assert response.status_code == 200
    assert checked(page, excused) == "excused"
    assert checked(page, chosen) == "absent"
    assert checked(page, blank) == "present"
    assert "1 learner not yet marked is now shown as present. Nothing is saved yet" in page
    assert set(records()) == {excused.id}


def test_after_close_a_trainer_cannot_save_and_an_admin_must_give_a_reason(
    client, login, cohort, trainer, admin, enrol
):
    session = cohort.sessions[0]
    ann = enrol("Ann Lee", EnrolmentStatus.COMPLETED)
    mark_register(session, {ann.id: (AttendanceStatus.ABSENT, None)}, by=trainer, now=NOW)
    cohort.status = CohortStatus.CLOSED
    db.session.commit()
    form = {"action": "save", f"status_{ann.id}": "present"}
    login(trainer)
    page = text_of(client.get(register_url(session)))
    assert "only the PMO team can change its register" in page and "Save register" not in page
    response = client.post(register_url(session), data=form)
    assert response.status_code == 422 and "Only the PMO team" in text_of(response)
    client.post("/logout")
    login(admin)
    page = text_of(client.get(register_url(session)))
    form |= hidden_versions(page)
    assert "Reason for changing the register" in page
    response = client.post(register_url(session), data=form)
    assert response.status_code == 422
    assert "Enter the reason for changing the register of a closed cohort" in text_of(response)
    assert records()[ann.id].status == AttendanceStatus.ABSENT
    response = client.post(register_url(session), data=form | {"reason": "Sheet found later"})
    assert response.status_code == 302
    assert records()[ann.id].status == AttendanceStatus.PRESENT
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "attendance.changed"))
    assert event.after["reason"] == "Sheet found later" and event.ip_address


# --- two people at one register ---------------------------------------------------------


def test_two_trainers_saving_one_register_never_lose_a_mark(
    app, client, login, cohort, trainer, admin, enrol
):
    """Both open the register; the first saves; the second's save, made from a page that
    did not show the first's marks, is refused whole, says whose marks changed and shows
    them, and goes through once saved again."""
    session = cohort.sessions[0]
    ann, bo, cal = enrol("Ann Lee"), enrol("Bo Chan"), enrol("Cal Dee")
    first, second = client, app.test_client()
    login(trainer)
    first_page = first.get(register_url(session)).get_data(as_text=True)
    log_in(second, admin.email)
    second_page = second.get(register_url(session)).get_data(as_text=True)

    saved = first.post(
        register_url(session),
        data=as_posted(first_page) | {f"status_{ann.id}": "present", f"status_{bo.id}": "late"},
    )
    assert saved.status_code == 302
    events = count(AuditEvent)

    mine = as_posted(second_page) | {
        f"status_{ann.id}": "absent",  # clashes with the first trainer's "present"
        f"status_{bo.id}": "late",  # says what the first trainer saved: no clash
        f"status_{cal.id}": "excused",
        f"note_{cal.id}": "Annual leave",
    }
    refused = second.post(register_url(session), data=mine)
    assert refused.status_code == 422
    page = text_of(refused)
    assert (
        "Nothing has been saved, because Ann Lee's mark changed after you opened the register."
    ) in page
    assert field_error(page, f"status_{ann.id}") == (
        "Ann Lee's mark changed after you opened the register. "
        "It is now present (marked by Tomasz Nowak)"
    )
    assert field_error(page, f"status_{bo.id}") is None
    # Ann's row shows her mark as it is now; the rest keep what was typed.
    assert checked(page, ann) == "present" and checked(page, bo) == "late"
    assert checked(page, cal) == "excused" and 'value="Annual leave"' in page
    assert {e: r.status for e, r in records().items()} == {
        ann.id: AttendanceStatus.PRESENT,
        bo.id: AttendanceStatus.LATE,
    }
    assert count(AuditEvent) == events  # nothing half-saved, nothing audited

    # Reviewed: saving the page as it now stands saves it, with Ann's mark kept.
    again = second.post(register_url(session), data=as_posted(page) | {f"status_{ann.id}": "late"})
    assert again.status_code == 302
    assert {e: r.status for e, r in records().items()} == {
        ann.id: AttendanceStatus.LATE,
        bo.id: AttendanceStatus.LATE,
        cal.id: AttendanceStatus.EXCUSED,
    }


def test_a_learner_checking_in_after_the_register_was_opened_keeps_their_check_in(
    client, login, cohort, trainer, enrol
):
    session = cohort.sessions[0]
    zoe, bo = enrol("Zoë Ashworth"), enrol("Bo Chan")
    login(trainer)
    page = client.get(register_url(session)).get_data(as_text=True)
    # While the trainer marks the register, Zoë checks herself in.
    checkin.open_check_in(session)
    checkin.check_in(checkin.code_at(session, session.starts_at), zoe.learner, session.starts_at)
    db.session.commit()

    form = as_posted(page) | {f"status_{zoe.id}": "absent", f"status_{bo.id}": "present"}
    refused = client.post(register_url(session), data=form)
    assert refused.status_code == 422
    at = format_local(session.starts_at, "%H:%M")
    assert field_error(text_of(refused), f"status_{zoe.id}") == (
        "Zoë Ashworth's mark changed after you opened the register. "
        f"It is now present (checked in at {at})"
    )
    record = records()[zoe.id]
    assert record.method == AttendanceMethod.SELF_CHECK_IN and bo.id not in records()

    # Saving the page as it was with Zoë left unmarked never touches her check-in.
    form = as_posted(page) | {f"status_{bo.id}": "present"}
    assert client.post(register_url(session), data=form).status_code == 302
    assert records()[zoe.id].method == AttendanceMethod.SELF_CHECK_IN
    assert records()[bo.id].status == AttendanceStatus.PRESENT


@pytest.mark.parametrize("version", ["", "garbage", "1.x", "-1.1", "1.2.3", "9" * 30 + ".1"])
def test_a_tampered_or_missing_version_gets_a_plain_message(
    client, login, cohort, trainer, enrol, version
):
    session = cohort.sessions[0]
    ann = enrol("Ann Lee")
    login(trainer)
    form = {"action": "save", f"status_{ann.id}": "present", f"version_{ann.id}": version}
    response = client.post(register_url(session), data=form)
    assert response.status_code == 422
    assert (
        "The register could not be checked against what you saw, so nothing was saved. "
        "Open the register again and mark it"
    ) in text_of(response)
    assert records() == {}


def test_the_register_page_costs_the_same_for_5_and_100_learners(
    client, login, make_course, make_cohort, make_enrolment, trainer, count_queries
):
    def measure(how_many: int) -> tuple[int, int]:
        cohort = make_cohort(make_course(), trainers=[trainer], sessions=[span(days(-1))])
        ids = [
            make_enrolment(cohort, confirmed_at=days(-5), requested_at=days(-5)).id
            for _ in range(how_many)
        ]
        session = cohort.sessions[0]
        mark_register(session, {ids[0]: (AttendanceStatus.LATE, "Bus")}, by=trainer, now=NOW)
        url = register_url(session)
        with count_queries() as page:
            response = client.get(url)
            assert response.status_code == 200
        form = as_posted(response.get_data(as_text=True))
        form |= {f"status_{i}": "present" for i in ids}
        with count_queries() as save:
            assert client.post(url, data=form).status_code == 302
        assert (
            db.session.scalar(select(func.count()).where(AttendanceRecord.session_id == session.id))
            == how_many
        )
        return page.count, save.count

    login(trainer)
    few, many = measure(5), measure(100)
    assert few == many, (few, many)
    assert many[1] <= 20, many  # the whole request: log-in, loading, the save, the audit


# --- the grid, the CSV and the report ---------------------------------------------------


@pytest.fixture
def marked_cohort(cohort, trainer, enrol):
    """Ann: present then late (100%); Bo: absent then unmarked (0%); Cal enrolled late."""
    first, second, _ = cohort.sessions
    ann, bo = enrol("Ann Lee"), enrol("=Bo Chan")
    cal = enrol("Cal Dee", confirmed_at=first.ends_at)
    mark_register(
        first,
        {ann.id: (AttendanceStatus.PRESENT, None), bo.id: (AttendanceStatus.ABSENT, "No word")},
        by=trainer,
        now=NOW,
    )
    mark_register(
        second,
        {ann.id: (AttendanceStatus.LATE, None), cal.id: (AttendanceStatus.EXCUSED, None)},
        by=trainer,
        now=NOW,
    )
    db.session.commit()
    return ann, bo, cal


def test_the_grid_shows_each_status_in_words_with_a_colour_and_each_rate(
    client, login, cohort, trainer, marked_cohort
):
    login(trainer)
    page = text_of(client.get(f"/teach/cohorts/{cohort.id}/attendance"))
    rows = {
        name: row
        for row in page.split('<tr class="nhsuk-table__row">')[2:]
        for name in ("Ann Lee", "=Bo Chan", "Cal Dee")
        if name in row
    }
    assert re.search(r'nhsuk-tag--green">\s*Present', rows["Ann Lee"])
    assert re.search(r'nhsuk-tag--yellow">\s*Late', rows["Ann Lee"]) and "100%" in rows["Ann Lee"]
    assert (
        re.search(r'nhsuk-tag--red">\s*Absent', rows["=Bo Chan"]) and "No word" in rows["=Bo Chan"]
    )
    assert "Not marked" in rows["=Bo Chan"] and "0%" in rows["=Bo Chan"]
    assert "Below 80%" in rows["=Bo Chan"]
    assert "Not expected" in rows["Cal Dee"] and "Excused" in rows["Cal Dee"]
    assert "All sessions excused" in rows["Cal Dee"] and "To come" in rows["Cal Dee"]


def test_the_grid_costs_the_same_for_few_and_many_learners(
    client, login, cohort, trainer, enrol, count_queries
):
    login(trainer)

    def measure() -> int:
        with count_queries() as counter:
            assert client.get(f"/teach/cohorts/{cohort.id}/attendance").status_code == 200
        return counter.count

    for number in range(3):
        enrol(f"Learner {number}")
    few = measure()
    for number in range(60):
        enrol(f"More {number}")
    assert measure() == few


def test_the_csv_has_a_row_per_learner_and_a_column_per_session(
    client, login, cohort, trainer, marked_cohort
):
    login(trainer)
    response = client.get(f"/teach/cohorts/{cohort.id}/attendance.csv")
    assert response.mimetype == "text/csv"
    assert 'filename="PM-OCC-01-attendance.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:3] == ["Learner", "Email", "Enrolment"] and len(rows[0]) == 3 + 3 + 4
    assert rows[0][3].startswith("Session 1 (")
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["Ann Lee"][3:] == ["Present", "Late", "To come", "2", "2", "0", "100.0"]
    assert by_name["'=Bo Chan"][3:] == ["Absent", "Not marked", "To come", "0", "2", "0", "0.0"]
    assert by_name["Cal Dee"][3:] == ["Not expected", "Excused", "To come", "0", "0", "1", ""]


def test_the_admin_report_gives_each_courses_rate_over_the_dates(
    client, login, admin, cohort, marked_cohort, make_course, make_cohort, enrol, trainer
):
    other = make_cohort(
        make_course(code="SRO", title="Senior responsible owners"),
        trainers=[trainer],
        sessions=[span(days(-100))],
    )
    old = enrol("Old Timer", target=other, confirmed_at=days(-200))
    mark_register(
        other.sessions[0], {old.id: (AttendanceStatus.PRESENT, None)}, by=trainer, now=NOW
    )
    db.session.commit()
    login(admin)
    page = text_of(client.get("/reports/attendance"))
    # PM-OCC: Ann 2 of 2, Bo 0 of 2 (one unmarked), Cal excused: 2 of 4 places = 50%.
    row = page.split("PM-OCC: Project management", 1)[1].split("</tr>", 1)[0]
    cells = re.findall(r'<td class="nhsuk-table__cell[^"]*">\s*(.*?)\s*</td>', row, re.S)
    assert cells[:5] == ["1", "2", "2", "4", "1"] and cells[5].startswith("50%")
    assert "SRO: Senior responsible owners" in page
    recent = (NOW - timedelta(days=30)).date().isoformat()
    page = text_of(client.get(f"/reports/attendance?date_from={recent}"))
    assert "PM-OCC: Project management" in page and "SRO:" not in page
    response = client.get("/reports/attendance?date_from=2026-05-01&date_to=2026-04-01")
    assert response.status_code == 422
    assert "The last date must be on or after the first date" in text_of(response)


# --- the learner's home page --------------------------------------------------------------


def test_learners_see_their_attendance_on_their_home_page(client, login, cohort, marked_cohort):
    _, bo, _ = marked_cohort
    login(bo.learner)
    page = text_of(client.get("/"))
    assert '<th scope="col" class="nhsuk-table__header">Attendance</th>' in page
    row = page.split("PM-OCC-01", 1)[1].split("</tr>", 1)[0]
    assert "0%" in row
    navigation = page.split('aria-label="Menu"', 1)[1].split("</nav>", 1)[0]
    assert "Teaching" not in navigation


def test_the_admin_report_pages_through_courses_keeping_its_dates(
    app, client, login, admin, make_course, make_cohort, enrol, trainer
):
    app.config["ADMIN_PAGE_SIZE"] = 2
    for code in ("AAA", "BBB", "CCC"):
        cohort = make_cohort(make_course(code=code), trainers=[trainer], sessions=[span(days(-10))])
        enrol(f"Learner {code}", target=cohort, confirmed_at=days(-20))
    db.session.commit()
    login(admin)
    since = (NOW - timedelta(days=60)).date().isoformat()
    first = text_of(client.get(f"/reports/attendance?date_from={since}"))
    assert "AAA:" in first and "BBB:" in first and "CCC:" not in first
    assert "Showing 1 to 2 of 3" in first
    assert f"/reports/attendance?date_from={since}&amp;page=2" in first or (
        f"/reports/attendance?date_from={since}&page=2" in first
    )
    second = text_of(client.get(f"/reports/attendance?date_from={since}&page=2"))
    assert "CCC:" in second and "AAA:" not in second
