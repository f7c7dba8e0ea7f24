"""Assignments through the pages: submitting, downloading, marking
(courses/assessments/assignment_views.py)."""

from __future__ import annotations

import io
import re

import pytest

from courses.assessments.models import Submission, SubmissionFile, SubmissionStatus
from courses.models import CohortStatus, EnrolmentStatus
from lms.auth.models import Role
from lms.core.extensions import db
from tests.courses.assessments.test_uploads import PDF, office_file
from tests.helpers import NOW, count, days, events, field_error, sign_in, span, text_of

MB = 1024 * 1024
NOT_A_PDF = "The selected file is not a real PDF"


@pytest.fixture
def cohort(make_cohort, course, trainer):
    return make_cohort(
        course,
        status=CohortStatus.RUNNING,
        trainers=[trainer],
        sessions=[span(days(-7)), span(days(7))],
    )


@pytest.fixture
def place(make_enrolment, cohort, learner):
    return make_enrolment(cohort, learner)


@pytest.fixture
def assignment(make_assignment, course):
    return make_assignment(course, due_at=days(10))


@pytest.fixture
def as_user(app):
    """`as_user(user)`: a new client, logged in as the user."""

    def client_for(user):
        client = app.test_client()
        sign_in(client, user.get_id())
        return client

    return client_for


def post_submission(client, assignment, text="My PID", file=None):
    data = {"text": text}
    if file is not None:
        content, name = file
        data["file"] = (io.BytesIO(content), name)
    return client.post(
        f"/assessments/{assignment.id}/submissions",
        data=data,
        content_type="multipart/form-data",
    )


def submission_of(place) -> Submission:
    db.session.expire_all()
    return (
        db.session.query(Submission)
        .filter_by(enrolment_id=place.id)
        .order_by(Submission.number.desc())
        .first()
    )


# --- the learner's page and submitting ----------------------------------------------------


def test_the_learner_sees_the_brief_due_date_and_form(as_user, learner, place, assignment):
    page = text_of(as_user(learner).get(f"/assessments/{assignment.id}"))
    assert "Submit your project initiation document." in page
    assert "Due" in page and "No due date" not in page
    assert 'enctype="multipart/form-data"' in page
    assert "Send submission" in page
    assert "You have not sent a submission yet." in page


def test_an_author_without_a_place_sees_the_brief_only(as_user, admin, assignment):
    page = text_of(as_user(admin).get(f"/assessments/{assignment.id}"))
    assert "Submit your project initiation document." in page
    assert "Send submission" not in page


def test_a_learner_submits_text_and_a_pdf(as_user, learner, place, assignment):
    client = as_user(learner)
    response = post_submission(client, assignment, "Here it is", (PDF, "PID.pdf"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/assessments/{assignment.id}")
    submission = submission_of(place)
    assert submission.text == "Here it is"
    assert submission.file.filename == "PID.pdf"
    assert submission.file.media_type == "application/pdf"
    page = text_of(client.get(f"/assessments/{assignment.id}"))
    assert "Your submission has been sent" in page
    assert "Waiting to be marked" in page
    assert f"/submissions/{submission.id}/file" in page
    assert "Send submission" not in page  # waiting: no second submission
    assert "You have already submitted this assignment" in page


def test_a_docx_is_taken(as_user, learner, place, assignment):
    response = post_submission(as_user(learner), assignment, "", (office_file(), "PID.docx"))
    assert response.status_code == 302
    assert submission_of(place).file.media_type.endswith("wordprocessingml.document")


def test_a_pdf_name_on_other_content_is_refused_beside_the_file(
    as_user, learner, place, assignment
):
    response = post_submission(as_user(learner), assignment, "Text", (b"MZ not a pdf", "PID.pdf"))
    assert response.status_code == 422
    page = text_of(response)
    assert field_error(page, "file") == NOT_A_PDF
    assert "There is a problem" in page
    assert count(Submission) == 0 and count(SubmissionFile) == 0


def test_an_oversize_file_is_refused_beside_the_file(as_user, learner, place, assignment):
    big = PDF + b"0" * (10 * MB + 1 - len(PDF))
    response = post_submission(as_user(learner), assignment, "Text", (big, "PID.pdf"))
    assert response.status_code == 422
    assert field_error(text_of(response), "file") == "The selected file must be smaller than 10 MB"
    assert count(Submission) == 0


def test_a_body_larger_than_any_form_gets_a_plain_page(as_user, learner, place, assignment):
    huge = b"0" * (12 * MB)
    response = post_submission(as_user(learner), assignment, "Text", (huge, "PID.pdf"))
    assert response.status_code == 413
    assert "The file or form you sent is too large" in text_of(response)
    assert count(Submission) == 0


def test_a_path_traversal_name_is_refused_beside_the_file(as_user, learner, place, assignment):
    response = post_submission(as_user(learner), assignment, "Text", (PDF, "../../etc/passwd.pdf"))
    assert response.status_code == 422
    assert field_error(text_of(response), "file") == (
        "The selected file's name must not contain '..' folder parts. "
        "Rename the file and upload it again"
    )
    assert count(Submission) == 0


def test_a_folder_in_the_name_is_dropped_for_storing_and_downloading(
    as_user, learner, place, assignment
):
    client = as_user(learner)
    assert post_submission(client, assignment, "", (PDF, "/etc/passwd.pdf")).status_code == 302
    submission = submission_of(place)
    assert submission.file.filename == "passwd.pdf"
    download = client.get(f"/submissions/{submission.id}/file")
    assert download.headers["Content-Disposition"] == 'attachment; filename="passwd.pdf"'


def test_nothing_sent_is_refused_beside_the_text(as_user, learner, place, assignment):
    response = post_submission(as_user(learner), assignment, "  ")
    assert response.status_code == 422
    assert field_error(text_of(response), "text") == (
        "Enter your submission or choose a file to upload"
    )
    assert count(Submission) == 0


def test_a_file_gone_from_the_folder_is_not_found_not_an_error(
    app, as_user, learner, place, assignment, tmp_path
):
    app.config["UPLOAD_FOLDER"] = str(tmp_path)
    client = as_user(learner)
    assert post_submission(client, assignment, "", (PDF, "PID.pdf")).status_code == 302
    for kept in tmp_path.iterdir():
        kept.unlink()
    assert client.get(f"/submissions/{submission_of(place).id}/file").status_code == 404


def test_a_refused_submission_leaves_no_file_in_the_folder(
    app, as_user, learner, place, assignment, tmp_path
):
    app.config["UPLOAD_FOLDER"] = str(tmp_path)
    client = as_user(learner)
    assert post_submission(client, assignment, "", (PDF, "PID.pdf")).status_code == 302
    [kept] = list(tmp_path.iterdir())
    response = post_submission(client, assignment, "again", (PDF, "PID.pdf"))  # waiting: refused
    assert response.status_code == 422
    assert "You have already submitted this assignment" in text_of(response)
    assert list(tmp_path.iterdir()) == [kept]
    assert count(Submission) == 1
    assert client.get(f"/submissions/{submission_of(place).id}/file").data == PDF


def test_someone_without_a_place_cannot_submit(as_user, make_user, assignment):
    response = post_submission(as_user(make_user()), assignment, "Text")
    assert response.status_code == 404
    assert count(Submission) == 0


def test_a_waitlisted_learner_cannot_submit(as_user, make_enrolment, cohort, assignment):
    waiting = make_enrolment(cohort, status=EnrolmentStatus.WAITLISTED)
    assert post_submission(as_user(waiting.learner), assignment).status_code == 404


def test_a_referred_learner_resubmits_a_passed_one_cannot(
    as_user, learner, trainer, place, assignment
):
    client, marker = as_user(learner), as_user(trainer)
    post_submission(client, assignment, "First go")
    first = submission_of(place)
    marker.post(
        f"/teach/submissions/{first.id}", data={"outcome": "referred", "feedback": "Add risks."}
    )
    page = text_of(client.get(f"/assessments/{assignment.id}"))
    assert "Resubmit your work" in page and "Add risks." in page and "Resubmit by" in page
    assert post_submission(client, assignment, "Second go").status_code == 302
    second = submission_of(place)
    assert second.number == 2 and second.late is False
    marker.post(f"/teach/submissions/{second.id}", data={"outcome": "passed", "feedback": "Good."})
    page = text_of(client.get(f"/assessments/{assignment.id}"))
    assert "Send submission" not in page and "You have already passed this assignment" in page
    response = post_submission(client, assignment, "Third go")
    assert response.status_code == 422
    assert "You have already passed this assignment" in text_of(response)
    assert count(Submission) == 2


def test_a_late_submission_is_flagged(as_user, learner, place, make_assignment, course, trainer):
    overdue = make_assignment(course, title="Overdue", due_at=days(-1))
    post_submission(as_user(learner), overdue, "Sorry it is late")
    assert submission_of(place).late is True
    page = text_of(as_user(trainer).get(f"/teach/submissions/{submission_of(place).id}"))
    assert "late" in page


# --- downloading ---------------------------------------------------------------------------


@pytest.fixture
def sent_file(as_user, learner, place, assignment):
    post_submission(as_user(learner), assignment, "", (PDF, "PID.pdf"))
    return submission_of(place)


def test_the_learner_the_cohorts_trainer_and_an_admin_may_download(
    as_user, learner, trainer, admin, sent_file
):
    for person in (learner, trainer, admin):
        response = as_user(person).get(f"/submissions/{sent_file.id}/file")
        assert response.status_code == 200, person.email
        assert response.data == PDF
        assert response.mimetype == "application/pdf"
        assert response.headers["Content-Disposition"] == 'attachment; filename="PID.pdf"'
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_another_learner_and_another_cohorts_trainer_get_404(
    as_user, make_user, make_cohort, make_enrolment, course, cohort, sent_file
):
    classmate = make_enrolment(cohort).learner
    other_trainer = make_user(roles=[Role.TRAINER])
    make_cohort(course, trainers=[other_trainer])
    for person in (classmate, other_trainer, make_user()):
        assert as_user(person).get(f"/submissions/{sent_file.id}/file").status_code == 404
    assert as_user(classmate).get("/submissions/999999/file").status_code == 404


def test_a_submission_without_a_file_has_nothing_to_download(as_user, learner, place, assignment):
    client = as_user(learner)
    post_submission(client, assignment, "Text only")
    assert client.get(f"/submissions/{submission_of(place).id}/file").status_code == 404


# --- marking -------------------------------------------------------------------------------


def marking_url(cohort, assignment) -> str:
    return f"/teach/cohorts/{cohort.id}/assessments/{assignment.id}/marking"


def test_the_marking_list_shows_each_learner_and_the_counts(
    as_user, learner, trainer, place, make_enrolment, cohort, assignment, make_user
):
    post_submission(as_user(learner), assignment, "", (PDF, "PID.pdf"))
    make_enrolment(cohort, make_user(full_name="Bill Bloggs"))
    page = text_of(as_user(trainer).get(marking_url(cohort, assignment)))
    assert "Zoë Ashworth" in page and "Bill Bloggs" in page
    assert re.search(r"Waiting to be marked\s*</dt>\s*<dd[^>]*>\s*1", page)
    assert re.search(r"Not submitted\s*</dt>\s*<dd[^>]*>\s*1", page)
    assert f"/teach/submissions/{submission_of(place).id}" in page


def test_teaching_links_each_assignment_to_mark_with_the_submissions_waiting(
    as_user, learner, trainer, place, cohort, assignment
):
    client = as_user(trainer)
    assert "0 submissions waiting" in text_of(client.get("/teach/"))
    post_submission(as_user(learner), assignment, "My PID")
    page = text_of(client.get("/teach/"))
    assert f'href="{marking_url(cohort, assignment)}"' in page
    assert "1 submission waiting" in page


def test_the_marking_list_is_for_the_cohorts_trainers_and_its_own_assignments(
    as_user,
    trainer,
    admin,
    make_user,
    make_cohort,
    course,
    cohort,
    assignment,
    make_assignment,
    make_quiz,
    make_course,
):
    assert as_user(admin).get(marking_url(cohort, assignment)).status_code == 200
    other_trainer = make_user(roles=[Role.TRAINER])
    make_cohort(course, trainers=[other_trainer])
    assert as_user(other_trainer).get(marking_url(cohort, assignment)).status_code == 404
    client = as_user(trainer)
    elsewhere = make_assignment(make_course())
    assert client.get(marking_url(cohort, elsewhere)).status_code == 404
    quiz = make_quiz(course)
    assert client.get(marking_url(cohort, quiz)).status_code == 404


def test_marking_pass_then_changing_it_is_audited(as_user, learner, trainer, place, assignment):
    post_submission(as_user(learner), assignment, "My PID")
    submission = submission_of(place)
    marker = as_user(trainer)
    page = text_of(marker.get(f"/teach/submissions/{submission.id}"))
    assert "My PID" in page and "Mark this submission" in page
    response = marker.post(
        f"/teach/submissions/{submission.id}", data={"outcome": "passed", "feedback": "Clear."}
    )
    assert response.status_code == 302
    assert submission_of(place).status == SubmissionStatus.PASSED
    [marked] = events("submission.marked")
    assert marked.after["status"] == "passed" and marked.actor_id == trainer.id
    page = text_of(marker.get(f"/teach/submissions/{submission.id}"))
    assert "Change the mark" in page
    marker.post(
        f"/teach/submissions/{submission.id}",
        data={"outcome": "referred", "feedback": "Missing the risk log."},
    )
    assert submission_of(place).status == SubmissionStatus.REFERRED
    [changed] = events("submission.mark_changed")
    assert changed.before["status"] == "passed" and changed.after["status"] == "referred"
    assert changed.before["feedback"] == "Clear."
    assert changed.after["feedback"] == "Missing the risk log."


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"outcome": "passed", "feedback": "  "},
            "feedback",
            "Enter your feedback for the learner",
        ),
        ({"feedback": "Fine"}, "outcome", "Choose pass or refer"),
        ({"outcome": "submitted", "feedback": "Fine"}, "outcome", "Choose pass or refer"),
    ],
)
def test_a_mark_without_outcome_or_feedback_is_refused(
    as_user, learner, trainer, place, assignment, data, field, message
):
    post_submission(as_user(learner), assignment, "My PID")
    submission = submission_of(place)
    response = as_user(trainer).post(f"/teach/submissions/{submission.id}", data=data)
    assert response.status_code == 422
    assert field_error(text_of(response), field) == message
    assert submission_of(place).status == SubmissionStatus.SUBMITTED
    assert events("submission.marked") == []


def test_an_earlier_submission_cannot_be_marked(as_user, learner, trainer, place, assignment):
    client, marker = as_user(learner), as_user(trainer)
    post_submission(client, assignment, "First")
    first = submission_of(place)
    marker.post(f"/teach/submissions/{first.id}", data={"outcome": "referred", "feedback": "Redo"})
    post_submission(client, assignment, "Second")
    page = text_of(marker.get(f"/teach/submissions/{first.id}"))
    assert "has sent a later submission" in page and "Save the mark" not in page
    response = marker.post(
        f"/teach/submissions/{first.id}", data={"outcome": "passed", "feedback": "Fine"}
    )
    assert response.status_code == 422
    assert "mark that one instead" in text_of(response)
    assert submission_of(place).status == SubmissionStatus.SUBMITTED


def test_only_the_cohorts_trainers_and_admins_may_mark(
    as_user, learner, admin, make_user, make_cohort, course, place, assignment
):
    post_submission(as_user(learner), assignment, "My PID")
    submission = submission_of(place)
    other_trainer = make_user(roles=[Role.TRAINER])
    make_cohort(course, trainers=[other_trainer])
    for person in (learner, other_trainer):
        client = as_user(person)
        assert client.get(f"/teach/submissions/{submission.id}").status_code == 404
        response = client.post(
            f"/teach/submissions/{submission.id}", data={"outcome": "passed", "feedback": "x"}
        )
        assert response.status_code == 404
    assert submission_of(place).status == SubmissionStatus.SUBMITTED
    assert as_user(admin).get(f"/teach/submissions/{submission.id}").status_code == 200


# --- statement counts -----------------------------------------------------------------------


def test_the_marking_list_costs_the_same_for_5_and_100_learners(
    as_user, trainer, make_cohort, make_enrolment, course, assignment, count_queries
):
    client = as_user(trainer)

    def measure(learners: int) -> int:
        cohort = make_cohort(course, trainers=[trainer], sessions=[span(days(-7))])
        for number in range(learners):
            place = make_enrolment(cohort)
            if number % 2:
                db.session.add(
                    Submission(
                        assessment_id=assignment.id,
                        enrolment_id=place.id,
                        number=1,
                        text="Mine",
                        submitted_at=NOW,
                        late=bool(number % 3),
                        file=SubmissionFile(
                            filename="x.pdf",
                            media_type="application/pdf",
                            size=3,
                            sha256="0" * 64,
                            content=b"%PDF-",
                        ),
                    )
                )
        db.session.commit()
        client.get(marking_url(cohort, assignment))  # warm-up
        with count_queries() as counter:
            assert client.get(marking_url(cohort, assignment)).status_code == 200
        return counter.count

    assert measure(5) == measure(100)


def test_the_submission_page_costs_the_same_for_1_and_5_earlier_submissions(
    as_user, trainer, make_enrolment, cohort, assignment, count_queries
):
    client = as_user(trainer)

    def measure(earlier: int) -> int:
        place = make_enrolment(cohort)
        for number in range(1, earlier + 2):
            db.session.add(
                Submission(
                    assessment_id=assignment.id,
                    enrolment_id=place.id,
                    number=number,
                    text=f"Go {number}",
                    submitted_at=NOW,
                    status=(
                        SubmissionStatus.REFERRED
                        if number <= earlier
                        else SubmissionStatus.SUBMITTED
                    ),
                    feedback="Redo" if number <= earlier else None,
                    marked_by_id=trainer.id if number <= earlier else None,
                    marked_at=NOW if number <= earlier else None,
                    file=SubmissionFile(
                        filename=f"go{number}.pdf",
                        media_type="application/pdf",
                        size=5,
                        sha256="0" * 64,
                        content=b"%PDF-",
                    ),
                )
            )
        db.session.commit()
        latest = submission_of(place)
        client.get(f"/teach/submissions/{latest.id}")  # warm-up
        with count_queries() as counter:
            page = client.get(f"/teach/submissions/{latest.id}")
            assert page.status_code == 200
        assert text_of(page).count("Earlier submissions") == 1
        return counter.count

    assert measure(1) == measure(5)


def test_the_learners_page_costs_the_same_for_1_and_5_submissions(
    as_user, trainer, make_enrolment, cohort, make_assignment, course, count_queries
):
    def measure(sent: int) -> int:
        assignment = make_assignment(course, title=f"Brief {sent}")
        place = make_enrolment(cohort)
        for number in range(1, sent + 1):
            db.session.add(
                Submission(
                    assessment_id=assignment.id,
                    enrolment_id=place.id,
                    number=number,
                    submitted_at=NOW,
                    status=SubmissionStatus.REFERRED,
                    feedback="Redo",
                    marked_by_id=trainer.id,
                    marked_at=NOW,
                    resubmit_by=days(5),
                    file=SubmissionFile(
                        filename=f"go{number}.pdf",
                        media_type="application/pdf",
                        size=5,
                        sha256="0" * 64,
                        content=b"%PDF-",
                    ),
                )
            )
        db.session.commit()
        client = as_user(place.learner)
        client.get(f"/assessments/{assignment.id}")  # warm-up
        with count_queries() as counter:
            assert client.get(f"/assessments/{assignment.id}").status_code == 200
        return counter.count

    assert measure(1) == measure(5)
