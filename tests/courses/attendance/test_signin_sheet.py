"""The printable sign-in sheet: every expected learner's name, in UK time, trainers only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
from pypdf import PdfReader
from reportlab.pdfbase import pdfmetrics

from courses.attendance import expected_enrolments
from courses.attendance.signin_sheet import render_signin_sheet
from courses.models import Cohort, Course, EnrolmentStatus, Session
from lms.auth.models import Role, User
from lms.core.extensions import db
from lms.core.fonts import register_fonts
from lms.people.models import Department

STARTS = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)  # 10:00 in London (BST)
ENDS = STARTS + timedelta(hours=3)
BEFORE = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)


def page_count(pdf: bytes) -> int:
    return len(PdfReader(BytesIO(pdf)).pages)


# --- the PDF on its own (no database) ------------------------------------------------------


def unsaved_session(**fields) -> Session:
    course = Course(code="PMOCC", title="Project Management Core Concepts")
    cohort = Cohort(code="PMOCC-01", course=course, venue="Education Centre")
    fields.setdefault("title", "Day 1: Foundations")
    fields.setdefault("starts_at", STARTS)
    fields.setdefault("ends_at", ENDS)
    return Session(cohort=cohort, **fields)


def unsaved_learners(names: list[str]) -> list[User]:
    finance = Department(name="Finance")
    return [
        User(id=number, full_name=name, job_title="Project Support Officer", department=finance)
        for number, name in enumerate(names, start=1)
    ]


def test_the_font_can_print_the_names_we_see():
    fonts = register_fonts()
    for font_name in (fonts.regular, fonts.bold):
        glyphs = pdfmetrics.getFont(font_name).face.charToGlyph
        missing = [char for char in "ŁłŻżóćâëŵ" if ord(char) not in glyphs]
        files = f"{fonts.regular_file}, {fonts.bold_file}"
        assert missing == [], f"{font_name} ({files}) lacks {missing}"


def test_the_heading_names_course_cohort_session_and_uk_time():
    session = unsaved_session(location="Seminar Room B")
    trainers = [User(full_name="Amara Okafor"), User(full_name="Bryn Williams")]

    text = pdf_text(
        render_signin_sheet(session, unsaved_learners(["Siân Evans"]), trainers=trainers)
    )

    assert "Project Management Core Concepts" in text
    assert "PMOCC-01" in text
    assert "Day 1: Foundations" in text
    assert "Monday 1 June 2026, 10:00 to 13:00" in text  # 09:00 UTC is 10:00 in summer
    assert "Seminar Room B" in text
    assert "Amara Okafor, Bryn Williams" in text
    assert "Time in" in text and "Signature" in text
    assert "Return this sheet to the trainer, who keys it into the register" in text
    assert "Page 1 of 1" in text


def test_winter_sessions_are_shown_in_gmt_and_the_venue_stands_in_for_a_location():
    session = unsaved_session(
        starts_at=datetime(2026, 3, 3, 9, 30, tzinfo=UTC),
        ends_at=datetime(2026, 3, 3, 13, 0, tzinfo=UTC),
    )

    text = pdf_text(render_signin_sheet(session, [], trainers=[]))

    assert "Tuesday 3 March 2026, 09:30 to 13:00" in text
    assert "Education Centre" in text


def test_learners_are_listed_by_name_with_their_job_title():
    names = ["Zoë Ashworth", "Łukasz Żółć", "Siân Evans", "Aled Morgan"]

    text = pdf_text(render_signin_sheet(unsaved_session(), unsaved_learners(names), trainers=[]))

    positions = [text.index(name) for name in ["Aled Morgan", "Łukasz Żółć", "Siân Evans"]]
    assert positions == sorted(positions)
    assert text.index("Siân Evans") < text.index("Zoë Ashworth")
    assert "Project Support Officer, Finance" in " ".join(text.split())


@pytest.mark.parametrize(
    ("job_title", "department", "printed"),
    [
        ("Ward Manager, Ward 5 Surgery", "Ward 5 Surgery", "Ward Manager, Ward 5 Surgery"),
        ("Ward manager, ward 5 surgery", "Ward 5 Surgery", "Ward manager, ward 5 surgery"),
        ("Ward Manager", "Ward 5 Surgery", "Ward Manager, Ward 5 Surgery"),
        (None, "Ward 5 Surgery", "Ward 5 Surgery"),
        ("Ward Manager", None, "Ward Manager"),
    ],
)
def test_the_department_is_printed_once_even_when_the_job_title_names_it(
    job_title, department, printed
):
    learner = User(
        id=1,
        full_name="Megan Price",
        job_title=job_title,
        department=Department(name=department) if department else None,
    )

    text = " ".join(
        pdf_text(render_signin_sheet(unsaved_session(), [learner], trainers=[])).split()
    )

    assert printed in text
    assert "Surgery, Ward 5 Surgery" not in text and "surgery, Ward 5 Surgery" not in text


def test_names_are_escaped_not_read_as_markup():
    names = ["Pat <b>O'Neil</b> & Co"]

    text = pdf_text(render_signin_sheet(unsaved_session(), unsaved_learners(names), trainers=[]))

    assert "Pat <b>O'Neil</b> & Co" in text


def test_a_long_list_spans_pages_with_numbers_and_every_name():
    names = [f"Learner {number:03d}" for number in range(1, 71)]

    pdf = render_signin_sheet(unsaved_session(), unsaved_learners(names), trainers=[])

    pages = page_count(pdf)
    text = pdf_text(pdf)
    assert pages >= 2
    assert "Page 1 of" in text
    assert f"Page {pages} of {pages}" in text
    assert all(name in text for name in names)
    # the header row is repeated on every page
    assert text.count("Signature") == pages


def test_the_same_input_gives_the_same_bytes():
    session = unsaved_session()
    learners = unsaved_learners(["Łukasz Żółć", "Zoë Ashworth"])

    first = render_signin_sheet(session, learners, trainers=[])
    second = render_signin_sheet(session, learners, trainers=[])

    assert first.startswith(b"%PDF")
    assert first == second


# --- the view ------------------------------------------------------------------------------


@pytest.fixture
def course_session(make_course, make_cohort, make_user):
    """PMOCC-01's session at 10:00 UK time on 1 June 2026, with its trainer."""
    course = make_course(code="PMOCC", title="Project Management Core Concepts")
    cohort = make_cohort(course, code="PMOCC-01", sessions=[(STARTS, ENDS)], capacity=100)
    trainer = make_user("trainer@example.nhs.uk", full_name="Amara Okafor", roles=[Role.TRAINER])
    cohort.trainers.append(trainer)
    session = cohort.sessions[0]
    session.location = "Seminar Room B"
    db.session.commit()
    return session


def confirmed(make_enrolment, cohort, learner, *, at=BEFORE, status=EnrolmentStatus.CONFIRMED):
    return make_enrolment(cohort, learner, status, requested_at=at, confirmed_at=at)


def test_the_trainer_downloads_a_sheet_of_exactly_the_expected_learners(
    course_session, make_user, make_enrolment, learner, client, login
):
    cohort = course_session.cohort
    lukasz = make_user(full_name="Łukasz Żółć", job_title="Project Manager")
    sian = make_user(full_name="Siân Evans")
    completed = make_user(full_name="Ceri Completed")
    waitlisted = make_user(full_name="Wendy Waitlisted")
    late = make_user(full_name="Larry Lateenrol")
    withdrawn = make_user(full_name="Walter Withdrawn")
    confirmed(make_enrolment, cohort, lukasz)
    confirmed(make_enrolment, cohort, sian)
    confirmed(make_enrolment, cohort, learner)  # Zoë Ashworth
    confirmed(make_enrolment, cohort, completed, status=EnrolmentStatus.COMPLETED)
    confirmed(make_enrolment, cohort, late, at=STARTS + timedelta(hours=1))
    make_enrolment(cohort, waitlisted, EnrolmentStatus.WAITLISTED, requested_at=BEFORE)
    make_enrolment(
        cohort, withdrawn, EnrolmentStatus.WITHDRAWN, requested_at=BEFORE, confirmed_at=BEFORE
    )
    login("trainer@example.nhs.uk")

    response = client.get(f"/teach/sessions/{course_session.id}/sign-in-sheet.pdf")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="sign-in-PMOCC-01-2026-06-01.pdf"'
    )
    assert response.data.startswith(b"%PDF")
    text = pdf_text(response.data)
    for name in ["Łukasz Żółć", "Zoë Ashworth", "Siân Evans", "Ceri Completed"]:
        assert name in text
    for name in ["Wendy Waitlisted", "Larry Lateenrol", "Walter Withdrawn"]:
        assert name not in text
    assert "Project Manager" in text
    assert "PMOCC-01" in text and "Session 1" in text
    assert "Monday 1 June 2026, 10:00 to 13:00" in text
    assert "Amara Okafor" in text and "Seminar Room B" in text


def test_expected_enrolments_leaves_out_later_and_unconfirmed_enrolments(
    course_session, make_user, make_enrolment
):
    cohort = course_session.cohort
    on_time = confirmed(make_enrolment, cohort, make_user())
    at_start = confirmed(make_enrolment, cohort, make_user(), at=STARTS)
    confirmed(make_enrolment, cohort, make_user(), at=STARTS + timedelta(seconds=1))
    make_enrolment(cohort, make_user(), EnrolmentStatus.PENDING_APPROVAL, requested_at=BEFORE)

    found = {enrolment.id for enrolment in expected_enrolments(course_session)}

    assert found == {on_time.id, at_start.id}


def test_an_admin_may_download_any_sheet(course_session, admin, client, login):
    login(admin)

    response = client.get(f"/teach/sessions/{course_session.id}/sign-in-sheet.pdf")

    assert response.status_code == 200
    assert response.data.startswith(b"%PDF")


def test_a_trainer_of_another_cohort_gets_404(
    course_session, make_course, make_cohort, make_user, client, login
):
    other_trainer = make_user("other@example.nhs.uk", roles=[Role.TRAINER])
    other = make_cohort(make_course(), sessions=[(STARTS, ENDS)])
    other.trainers.append(other_trainer)
    db.session.commit()
    login("other@example.nhs.uk")

    response = client.get(f"/teach/sessions/{course_session.id}/sign-in-sheet.pdf")

    assert response.status_code == 404


def test_a_learner_on_the_cohort_gets_404(course_session, make_enrolment, learner, client, login):
    confirmed(make_enrolment, course_session.cohort, learner)
    login(learner)

    response = client.get(f"/teach/sessions/{course_session.id}/sign-in-sheet.pdf")

    assert response.status_code == 404


def test_an_unknown_session_is_404(course_session, client, login):
    login("trainer@example.nhs.uk")

    response = client.get(f"/teach/sessions/{course_session.id + 999}/sign-in-sheet.pdf")

    assert response.status_code == 404


def test_logging_in_is_required(course_session, client):
    response = client.get(f"/teach/sessions/{course_session.id}/sign-in-sheet.pdf")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
