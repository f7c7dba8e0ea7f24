"""Assessments end to end in a real browser: a learner passes a quiz and sends an assignment;
their trainer marks it and closes the cohort, and the learner has completed.

The course, cohort, bank questions, quiz and assignment are made with the factories, and
the registers marked with `courses.attendance.mark_register`, all committed before the
browser acts, so the live server (a second app on the same database) sees them. The
learner and the trainer each log in through the real login form in a browser context of
their own, and move through the pages by their links, labels and buttons, as someone with
a keyboard or a screen reader would.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import select

from courses.assessments.models import Submission, SubmissionStatus
from courses.attendance import mark_register
from courses.models import AttendanceStatus, CohortStatus, Enrolment, EnrolmentStatus
from lms.core.extensions import db
from tests.browser.helpers import assert_accessible, keep_to_the_app, log_in_through_form
from tests.helpers import MONTH_AGO, days, span

PRESENT, ABSENT = AttendanceStatus.PRESENT, AttendanceStatus.ABSENT
QUIZ = "Project lifecycle check"
ASSIGNMENT = "Submit your project initiation document"
PID_FEEDBACK = "A clear PID: the scope and the benefits are measurable. Well done."


def banner(page: Page, text: str):
    """The success banner a redirect shows after an action (a role="alert" region)."""
    return page.get_by_role("alert").filter(has_text=text)


def question(page: Page, number: int):
    """A question on the attempt page: its fieldset, named by its legend."""
    return page.get_by_role("group", name=re.compile(rf"^Question {number}: "))


def outcome_row(page: Page, name: str):
    """A learner's row in the closing page's table."""
    return page.get_by_role("table").get_by_role("row").filter(has_text=name)


def statuses() -> dict[str, EnrolmentStatus]:
    """Each learner's enrolment status as the database holds it now (what the server wrote)."""
    db.session.rollback()  # a fresh transaction, so the server's commits are visible
    return {
        enrolment.learner.full_name: enrolment.status
        for enrolment in db.session.scalars(select(Enrolment))
    }


@pytest.fixture
def trainer_page(browser: Browser) -> Iterator[Page]:
    """The trainer's browser: a context of their own (their own cookies), only the app."""
    context = browser.new_context()
    page = context.new_page()
    keep_to_the_app(page)
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def pid_pdf(tmp_path: Path) -> Path:
    """A small real PDF, as a learner would save their PID from a word processor."""
    path = tmp_path / "PID - Ward 5 discharge lounge.pdf"
    canvas = Canvas(str(path), invariant=1)
    canvas.drawString(72, 760, "Project initiation document: Ward 5 discharge lounge")
    canvas.save()
    return path


@pytest.fixture
def cohort(course, make_cohort, trainer):
    """PM-OCC (80% attendance to complete), running, its two sessions held."""
    return make_cohort(
        course,
        status=CohortStatus.RUNNING,
        trainers=[trainer],
        sessions=[span(days(-9)), span(days(-2))],
    )


@pytest.fixture
def assessments(course, make_question, make_quiz, make_assignment):
    """A three-question quiz (one of each type, 70% to pass) and a PID assignment."""
    asked = [
        make_question(
            course,
            "Which document sets out a project's scope, objectives and business case?",
            [("Project initiation document", True), ("Highlight report", False)],
            feedback="The PID is agreed at the start and is what the project board signs off.",
        ),
        make_question(
            course,
            "Which of these belong in a RAID log?",
            [("Risks", True), ("Issues", True), ("Room bookings", False)],
        ),
        make_question(
            course,
            "A project board can decide to close a project early.",
            feedback="Closing early, when the business case no longer holds, is a success.",
        ),
    ]
    quiz = make_quiz(
        course,
        asked,
        title=QUIZ,
        instructions="Three questions on the project lifecycle.",
        pass_mark_percent=70,
        attempts_allowed=3,
    )
    assignment = make_assignment(
        course,
        title=ASSIGNMENT,
        instructions="Upload the PID for the project you are running, signed off by your sponsor.",
    )
    return quiz, assignment


def test_learner_passes_the_quiz_and_the_assignment_and_completes_when_the_trainer_closes(
    page,
    live_server,
    log_in,
    learner,
    trainer,
    make_user,
    make_enrolment,
    cohort,
    assessments,
    trainer_page,
    pid_pdf,
    console_messages,
):
    course = cohort.course
    zoe = make_enrolment(cohort, learner, confirmed_at=MONTH_AGO, requested_at=MONTH_AGO)
    ben = make_enrolment(
        cohort,
        make_user(full_name="Ben Short"),
        confirmed_at=MONTH_AGO,
        requested_at=MONTH_AGO,
    )
    for session, ben_came in zip(cohort.sessions, (PRESENT, ABSENT), strict=True):
        marks = {zoe.id: (PRESENT, None), ben.id: (ben_came, None)}
        mark_register(session, marks, by=trainer, now=session.ends_at)
    db.session.commit()

    # --- the learner: from home to their cohort, where the course's assessments are listed.
    log_in(learner)
    enrolments = page.get_by_role("table", name="My enrolments")
    enrolments.get_by_role("link", name=course.title).click()
    page.wait_for_url(f"{live_server}/cohorts/{cohort.id}")
    expect(page.get_by_role("heading", name="Your progress")).to_be_visible()
    progress = page.get_by_role("table", name="The course's assessments and how you stand in each")
    progress.get_by_role("link", name=QUIZ).click()

    # The quiz page: its rules, then an attempt.
    expect(page.get_by_role("heading", level=1)).to_have_text(QUIZ)
    expect(page.get_by_text("70%", exact=True)).to_be_visible()
    expect(page.get_by_text("0 of 3", exact=True)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Start attempt").click()
    page.wait_for_url(re.compile(r"/attempts/\d+$"))
    expect(page.get_by_text("There are 3 questions.")).to_be_visible()
    assert_accessible(page)

    # Single choice, multiple choice, true or false; each saved in the background.
    question(page, 1).get_by_label("Project initiation document").check()
    question(page, 2).get_by_label("Risks").check()
    question(page, 2).get_by_label("Issues").check()
    question(page, 3).get_by_label("True").check()
    expect(
        page.get_by_text(re.compile(r"^Your answers were saved at \d\d:\d\d\.$"))
    ).to_be_visible()
    page.get_by_role("button", name="Submit answers").click()

    # The result: the score, passed, and the feedback on each question.
    expect(banner(page, "Your answers have been submitted and marked.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{QUIZ}: your result")
    expect(page.get_by_text("100% (3 of 3 marks)")).to_be_visible()
    expect(page.get_by_text("Passed", exact=True)).to_be_visible()
    expect(page.get_by_text("The PID is agreed at the start")).to_be_visible()
    expect(page.get_by_text("Closing early, when the business case")).to_be_visible()
    assert_accessible(page)

    # --- the assignment: text and the PID as a PDF.
    page.goto(f"{live_server}/cohorts/{cohort.id}")
    expect(progress.get_by_role("row").filter(has_text=QUIZ)).to_contain_text("Passed")
    progress.get_by_role("link", name=ASSIGNMENT).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(ASSIGNMENT)
    expect(page.get_by_text("Upload the PID for the project you are running")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Your submission").fill(
        "My PID for the Ward 5 discharge lounge is attached. Our sponsor signed it off."
    )
    # The design system turns the file input into a button that opens the file chooser.
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name=re.compile(r"^Upload a file \(optional\)")).click()
    chooser.value.set_files(pid_pdf)
    expect(page.get_by_text(pid_pdf.name)).to_be_visible()
    page.get_by_role("button", name="Send submission").click()
    expect(
        banner(page, "Your submission has been sent. Your trainer will mark it.")
    ).to_be_visible()
    sent = page.get_by_role("heading", name="Submission 1").locator("xpath=..")
    expect(sent).to_contain_text("Waiting to be marked")
    expect(
        sent.get_by_role("link", name=re.compile(r"^PID_-_Ward_5_discharge_lounge\.pdf"))
    ).to_be_visible()

    # --- the trainer: from Teaching to the gradebook, the marking list and the submission.
    log_in_through_form(trainer_page, live_server, trainer)
    trainer_page.get_by_role("navigation", name="Menu").get_by_role("link", name="Teaching").click()
    trainer_page.get_by_role("link", name=f"Gradebook for cohort {cohort.code}").click()
    expect(trainer_page.get_by_role("heading", level=1)).to_have_text(
        f"Gradebook: cohort {cohort.code}"
    )
    # (Chromium names the link "... document : mark submissions": the hidden span is a box.)
    marking = re.compile(rf"^{ASSIGNMENT}\s*: mark submissions$")
    trainer_page.get_by_role("link", name=marking).click()
    expect(trainer_page.get_by_role("heading", level=1)).to_have_text(f"Marking: {ASSIGNMENT}")
    waiting = trainer_page.get_by_role("term").filter(has_text="Waiting to be marked")
    expect(waiting.locator("xpath=following-sibling::dd[1]")).to_have_text("1")
    assert_accessible(trainer_page)
    trainer_page.get_by_role("link", name=f"Mark for {learner.full_name}").click()
    expect(trainer_page.get_by_role("heading", level=1)).to_have_text(
        f"{learner.full_name}: submission 1"
    )
    expect(trainer_page.get_by_text("Our sponsor signed it off.")).to_be_visible()
    with trainer_page.expect_download() as download:
        trainer_page.get_by_role("link", name=re.compile(r"^PID_-_Ward_5")).click()
    assert Path(download.value.path()).read_bytes() == pid_pdf.read_bytes()
    assert_accessible(trainer_page)
    trainer_page.get_by_role("group", name="Outcome").get_by_label("Pass").check()
    trainer_page.get_by_label("Feedback for the learner").fill(PID_FEEDBACK)
    trainer_page.get_by_role("button", name="Save the mark").click()
    expect(banner(trainer_page, "The mark has been saved.")).to_be_visible()
    expect(trainer_page.get_by_role("heading", name="Change the mark")).to_be_visible()

    # The learner sees the mark and the feedback.
    page.reload()
    expect(sent).to_contain_text("Passed")
    expect(sent).to_contain_text(PID_FEEDBACK)

    # --- closing: the preview says who will complete and why the others will not.
    trainer_page.get_by_role("navigation", name="Menu").get_by_role("link", name="Teaching").click()
    trainer_page.get_by_role("link", name=f"Close cohort {cohort.code}").click()
    expect(trainer_page.get_by_role("heading", level=1)).to_have_text(f"Close cohort {cohort.code}")
    expect(
        trainer_page.get_by_text(
            "If you close the cohort now, 1 learner will complete and 1 will not."
        )
    ).to_be_visible()
    expect(outcome_row(trainer_page, learner.full_name)).to_contain_text("Completed")
    not_completing = outcome_row(trainer_page, "Ben Short")
    expect(not_completing).to_contain_text("Not completed")
    expect(not_completing).to_contain_text("Attendance 50% — 80% needed")
    expect(not_completing).to_contain_text(f"Quiz '{QUIZ}' not attempted")
    expect(not_completing).to_contain_text(f"'{ASSIGNMENT}' not submitted")
    assert_accessible(trainer_page)
    assert statuses() == {
        learner.full_name: EnrolmentStatus.CONFIRMED,
        "Ben Short": EnrolmentStatus.CONFIRMED,
    }

    trainer_page.get_by_role("button", name="Close the cohort and record completions").click()
    expect(
        banner(trainer_page, "The cohort is closed. 1 learner completed and 1 did not.")
    ).to_be_visible()
    expect(trainer_page.get_by_role("heading", level=1)).to_have_text(
        f"Who completed: cohort {cohort.code}"
    )
    expect(outcome_row(trainer_page, learner.full_name)).to_contain_text("Completed")
    expect(outcome_row(trainer_page, learner.full_name)).to_contain_text(f"Quiz '{QUIZ}' passed")
    expect(outcome_row(trainer_page, "Ben Short")).to_contain_text("Not completed")
    expect(trainer_page.get_by_role("button", name=re.compile("Close the cohort"))).to_have_count(0)
    assert statuses() == {
        learner.full_name: EnrolmentStatus.COMPLETED,
        "Ben Short": EnrolmentStatus.NOT_COMPLETED,
    }
    marked = db.session.scalar(select(Submission))
    assert (marked.status, marked.marked_by_id) == (SubmissionStatus.PASSED, trainer.id)

    # The learner's cohort page now says they completed.
    page.goto(f"{live_server}/cohorts/{cohort.id}")
    expect(page.get_by_text("You completed this course.")).to_be_visible()

    errors = [
        message.text for message in console_messages if message.type in ("error", "pageerror")
    ]
    assert not [text for text in errors if "font" not in text.lower()], errors
