"""Sending and marking assignment submissions (courses/assessments/submissions.py)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from werkzeug.datastructures import FileStorage

from courses.assessments import submissions
from courses.assessments.models import Submission, SubmissionFile, SubmissionStatus
from courses.assessments.submissions import (
    AlreadyPassed,
    AlreadySubmitted,
    AssignmentNotAvailable,
    AssignmentNotOpen,
    CohortClosed,
    NotConfirmed,
    NothingSubmitted,
    NotLatest,
    SubmissionError,
    mark_submission,
    resubmit_deadline,
    submit,
)
from courses.assessments.uploads import check_upload
from courses.cohorts.closing import close_cohort, reopen_cohort
from courses.models import EnrolmentStatus
from lms.core.extensions import db
from tests.helpers import NOW, count, days, events, span

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def cohort(course, make_cohort, trainer):
    """A cohort whose two sessions are over, taught by the trainer."""
    cohort = make_cohort(course, sessions=[span(days(-10)), span(days(-3))])
    cohort.trainers = [trainer]
    db.session.commit()
    return cohort


@pytest.fixture
def place(cohort, make_enrolment, learner):
    return make_enrolment(cohort, learner)


@pytest.fixture
def assignment(course, make_assignment):
    return make_assignment(course)


def pdf(name: str = "PID.pdf"):
    return check_upload(FileStorage(stream=io.BytesIO(PDF), filename=name))


def send(assignment, place, text="My PID", upload=None, *, now=NOW):
    submission = submit(assignment, place, text, upload, now=now, by=place.learner)
    db.session.commit()
    return submission


def mark(submission, outcome, feedback="Well argued.", *, now=NOW, by):
    mark_submission(submission, outcome, feedback, now=now, by=by)
    db.session.commit()
    return submission


# --- sending -------------------------------------------------------------------------------


def test_a_confirmed_learner_submits_text_and_a_file(assignment, place, learner):
    submission = send(assignment, place, "My project initiation document", pdf("x/PID.pdf"))
    assert submission.number == 1
    assert submission.status == SubmissionStatus.SUBMITTED
    assert submission.late is False
    assert submission.file.filename == "PID.pdf"
    assert submission.file.content == PDF
    [created] = events("submission.created")
    assert created.actor_id == learner.id
    assert created.after["file"]["filename"] == "PID.pdf"
    assert created.after["late"] is False


def test_a_file_alone_or_text_alone_is_enough(assignment, place):
    assert send(assignment, place, "", pdf()).text == ""


def test_nothing_sent_is_refused_beside_the_text(assignment, place):
    with pytest.raises(NothingSubmitted) as refused:
        submit(assignment, place, "   ", None, now=NOW, by=place.learner)
    assert refused.value.field == "text"
    assert str(refused.value) == "Enter your submission or choose a file to upload"


@pytest.mark.parametrize(
    "status", [EnrolmentStatus.WAITLISTED, EnrolmentStatus.CANCELLED, EnrolmentStatus.COMPLETED]
)
def test_only_a_confirmed_place_may_submit(assignment, cohort, make_enrolment, status):
    other = make_enrolment(cohort, status=status)
    with pytest.raises(NotConfirmed):
        submit(assignment, other, "text", None, now=NOW, by=other.learner)


def test_an_archived_assignment_refuses(assignment, place):
    assignment.archived = True
    db.session.commit()
    with pytest.raises(AssignmentNotAvailable):
        submit(assignment, place, "text", None, now=NOW, by=place.learner)


def test_an_assignment_of_another_course_refuses(make_course, make_assignment, place):
    elsewhere = make_assignment(make_course())
    with pytest.raises(AssignmentNotAvailable):
        submit(elsewhere, place, "text", None, now=NOW, by=place.learner)


def test_not_open_yet_refuses(course, make_assignment, place):
    later = make_assignment(course, opens_at=days(2))
    with pytest.raises(AssignmentNotOpen, match="not open yet"):
        submit(later, place, "text", None, now=NOW, by=place.learner)
    after_session_5 = make_assignment(course, title="Later", opens_after_session=5)
    with pytest.raises(AssignmentNotOpen, match="Opens after session 5"):
        submit(after_session_5, place, "text", None, now=NOW, by=place.learner)


def test_a_second_submission_while_one_waits_is_refused(assignment, place):
    send(assignment, place)
    with pytest.raises(AlreadySubmitted):
        submit(assignment, place, "again", None, now=NOW, by=place.learner)


def test_late_when_sent_after_the_due_date(course, make_assignment, place):
    due = make_assignment(course, due_at=days(-1))
    assert send(due, place, now=NOW).late is True
    on_time = make_assignment(course, title="On time", due_at=days(1))
    assert send(on_time, place, now=NOW).late is False


def test_late_by_the_days_after_the_last_session(course, make_assignment, place):
    # Due at the end of the UK day a day after the last session (3 days ago) ended: by
    # yesterday's end at the latest, whatever the time of day the run starts.
    due = make_assignment(course, due_days_after_last_session=1)
    assert send(due, place).late is True


# --- marking -------------------------------------------------------------------------------


def test_marking_passed_is_audited_and_ends_submitting(assignment, place, trainer):
    submission = mark(send(assignment, place), SubmissionStatus.PASSED, by=trainer)
    assert submission.status == SubmissionStatus.PASSED
    assert submission.marked_by_id == trainer.id and submission.marked_at == NOW
    assert submission.resubmit_by is None
    [marked] = events("submission.marked")
    assert marked.actor_id == trainer.id
    assert marked.before["status"] == "submitted"
    assert marked.after == {"status": "passed", "feedback": "Well argued.", "resubmit_by": None}
    with pytest.raises(AlreadyPassed):
        submit(assignment, place, "again", None, now=NOW, by=place.learner)


def test_a_referred_learner_resubmits_on_time_or_late(assignment, place, trainer, app):
    first = mark(send(assignment, place), "referred", "Add a risk log.", by=trainer)
    assert first.resubmit_by == resubmit_deadline(NOW, app.config["ASSIGNMENT_RESUBMIT_DAYS"])
    [marked] = events("submission.marked")
    assert marked.after["status"] == "referred" and marked.after["resubmit_by"]

    second = send(assignment, place, "With a risk log", now=first.resubmit_by)
    assert (second.number, second.late) == (2, False)
    mark(
        second,
        "referred",
        "Still no owner for each risk.",
        now=NOW + timedelta(days=20),
        by=trainer,
    )
    third = send(assignment, place, "Owners added", now=second.resubmit_by + timedelta(seconds=1))
    assert (third.number, third.late) == (3, True)


def test_the_resubmission_date_is_the_end_of_the_uk_day():
    # 14 days after 23:30 UTC on 10 June (00:30 on the 11th, UK summer time).
    when = resubmit_deadline(datetime(2027, 6, 10, 23, 30, tzinfo=UTC), 14)
    assert when == datetime(2027, 6, 25, 22, 59, 59, tzinfo=UTC)
    winter = resubmit_deadline(datetime(2027, 1, 10, 12, 0, tzinfo=UTC), 14)
    assert winter == datetime(2027, 1, 24, 23, 59, 59, tzinfo=UTC)


def test_a_change_of_mark_is_audited_with_before_and_after(assignment, place, trainer, admin):
    submission = mark(send(assignment, place), "referred", "Add a risk log.", by=trainer)
    resubmit_by = submission.resubmit_by
    mark(submission, "passed", "On reflection the log is in the appendix.", by=admin)
    assert submission.status == SubmissionStatus.PASSED and submission.resubmit_by is None
    assert submission.marked_by_id == admin.id
    [changed] = events("submission.mark_changed")
    assert changed.actor_id == admin.id
    assert changed.before["status"] == "referred"
    assert changed.before["feedback"] == "Add a risk log."
    assert changed.before["resubmit_by"] == resubmit_by.isoformat()
    assert changed.after["status"] == "passed"
    assert changed.after["feedback"] == "On reflection the log is in the appendix."


def test_the_same_mark_again_changes_and_records_nothing(assignment, place, trainer):
    submission = mark(send(assignment, place), "passed", by=trainer)
    mark(submission, "passed", by=trainer)
    assert len(events("submission.marked")) == 1
    assert events("submission.mark_changed") == []


def test_a_referral_kept_keeps_its_date(assignment, place, trainer):
    submission = mark(send(assignment, place), "referred", "Add a risk log.", by=trainer)
    first_date = submission.resubmit_by
    mark(
        submission,
        "referred",
        "Add a risk log and owners.",
        now=NOW + timedelta(days=5),
        by=trainer,
    )
    assert submission.resubmit_by == first_date


@pytest.mark.parametrize(
    ("outcome", "feedback", "field", "message"),
    [
        ("passed", "  ", "feedback", "Enter your feedback for the learner"),
        ("submitted", "Fine", "outcome", "Choose pass or refer"),
        ("excellent", "Fine", "outcome", "Choose pass or refer"),
    ],
)
def test_a_mark_needs_an_outcome_and_feedback(
    assignment, place, trainer, outcome, feedback, field, message
):
    submission = send(assignment, place)
    with pytest.raises(SubmissionError) as refused:
        mark_submission(submission, outcome, feedback, now=NOW, by=trainer)
    assert (refused.value.field, str(refused.value)) == (field, message)


def test_only_the_latest_submission_can_be_marked(assignment, place, trainer):
    first = mark(send(assignment, place), "referred", "Add a risk log.", by=trainer)
    send(assignment, place, "Second go")
    with pytest.raises(NotLatest):
        mark_submission(first, "passed", "Fine", now=NOW, by=trainer)


def test_marks_are_final_once_the_cohort_closes_and_open_again_when_it_reopens(
    assignment, place, cohort, trainer, admin
):
    submission = mark(send(assignment, place), "passed", by=trainer)
    close_cohort(cohort, by=trainer, now=NOW)
    db.session.commit()
    with pytest.raises(CohortClosed) as refused:
        mark_submission(submission, "referred", "Add a risk log.", now=NOW, by=trainer)
    assert refused.value.field == "outcome"
    db.session.rollback()
    assert db.session.get(Submission, submission.id).status == SubmissionStatus.PASSED

    reopen_cohort(cohort, "The PID was marked against the wrong brief", by=admin)
    db.session.commit()
    assert mark(submission, "referred", "Add a risk log.", by=trainer).status == (
        SubmissionStatus.REFERRED
    )


# --- nothing half-saved ---------------------------------------------------------------------


def test_a_refused_submission_saves_nothing(assignment, place, app, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path)
    send(assignment, place)
    with pytest.raises(AlreadySubmitted):
        submit(assignment, place, "again", pdf(), now=NOW, by=place.learner)
    db.session.rollback()
    assert count(Submission) == 1
    assert count(SubmissionFile) == 0
    assert list(tmp_path.iterdir()) == []
    assert len(events("submission.created")) == 1


# --- the marking list's reads ----------------------------------------------------------------


def test_marking_counts_and_latest_submissions(assignment, cohort, make_enrolment, trainer):
    places = [make_enrolment(cohort) for _ in range(5)]
    make_enrolment(cohort, status=EnrolmentStatus.CANCELLED)  # not listed
    waiting = send(assignment, places[0])
    passed = mark(send(assignment, places[1]), "passed", by=trainer)
    referred = mark(send(assignment, places[2]), "referred", "Redo", by=trainer)
    resent = send(assignment, places[3])
    mark(resent, "referred", "Redo", by=trainer)
    resent_again = send(assignment, places[3], "Second")
    counts = submissions.marking_counts(cohort, assignment)
    assert (counts.learners, counts.waiting, counts.passed, counts.referred) == (5, 2, 1, 1)
    assert counts.not_submitted == 1
    latest = submissions.latest_submissions(assignment, [p.id for p in places])
    assert latest[places[0].id].submission.id == waiting.id
    assert latest[places[1].id].submission.id == passed.id
    assert latest[places[2].id].submission.id == referred.id
    assert (latest[places[3].id].submission.id, latest[places[3].id].count) == (resent_again.id, 2)
    assert places[4].id not in latest
