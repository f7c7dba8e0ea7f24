"""Closing and reopening a cohort: courses/cohorts/closing.py and its pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import inspect, select, update

from courses import signals
from courses.assessments.models import SubmissionStatus
from courses.cohorts.closing import ClosingError, close_cohort, closing_preview, reopen_cohort
from courses.models import AttendanceRecord, AttendanceStatus, CohortStatus, Enrolment
from courses.models import EnrolmentStatus as S
from lms.auth.models import Role
from lms.core.extensions import db
from tests.courses.test_completion import A, E, P, attempt, mark, submission
from tests.helpers import MONTH_AGO, NOW, days, events, field_error, span, text_of


@pytest.fixture
def cohort(make_cohort, course, trainer):
    """PM-OCC (80% needed): five sessions held, the last two days ago."""
    return make_cohort(
        course,
        status=CohortStatus.RUNNING,
        trainers=[trainer],
        sessions=[span(days(-10 + 2 * n)) for n in range(5)],
    )


@pytest.fixture
def enrol(make_enrolment, make_user, cohort):
    def make(name: str | None = None, **fields):
        fields.setdefault("requested_at", MONTH_AGO - timedelta(days=1))
        learner = make_user(full_name=name) if name else None
        return make_enrolment(cohort, learner, confirmed_at=MONTH_AGO, **fields)

    return make


@pytest.fixture
def received():
    """What the cohort signals announced, as (signal name, enrolment or cohort id, extra)."""
    heard: list[tuple[str, int, dict]] = []
    receivers = []
    for signal in (
        signals.enrolment_completed,
        signals.enrolment_completion_withdrawn,
        signals.cohort_closed,
    ):

        def receiver(sender, _name=signal.name, **extra):
            heard.append((_name, inspect(sender).identity[0], extra))

        signal.connect(receiver)
        receivers.append((signal, receiver))
    yield heard
    for signal, receiver in receivers:
        signal.disconnect(receiver)


def statuses(*enrolments) -> list[S]:
    db.session.expire_all()
    return [db.session.get(Enrolment, e.id).status for e in enrolments]


# --- closing -----------------------------------------------------------------------------------


def test_closing_decides_every_confirmed_place_and_announces_completions_after_commit(
    cohort, enrol, make_quiz, course, trainer, received, make_enrolment
):
    quiz = make_quiz(course)
    done = enrol("Ada Done")
    mark(done, [P] * 5)
    attempt(quiz, done, 90)
    short = enrol("Ben Short")
    mark(short, [P, P, P, A, A])
    attempt(quiz, short, 95)
    failed = enrol("Cy Failed")
    mark(failed, [P] * 5)
    attempt(quiz, failed, 40)
    waiting = make_enrolment(cohort, status=S.WAITLISTED)

    report = close_cohort(cohort, by=trainer, now=NOW)
    assert received == []  # nothing is announced before the commit
    db.session.commit()

    assert [e.learner.full_name for e, _ in report.completed] == ["Ada Done"]
    assert [e.learner.full_name for e, _ in report.not_completed] == ["Ben Short", "Cy Failed"]
    assert statuses(done, short, failed, waiting) == [
        S.COMPLETED,
        S.NOT_COMPLETED,
        S.NOT_COMPLETED,
        S.WAITLISTED,
    ]
    assert db.session.get(Enrolment, done.id).ended_at == NOW
    assert (cohort.status, cohort.closed_at) == (CohortStatus.CLOSED, NOW)
    assert received == [
        ("enrolment-completed", done.id, {}),
        ("cohort-closed", cohort.id, {}),
    ]
    [completed] = events("enrolment.completed")
    assert completed.after == {
        "status": "completed",
        "reasons": ["Attendance 100% (80% needed)", "Quiz 'PM basics' passed"],
    }
    assert completed.actor_label == trainer.email
    not_completed = events("enrolment.not_completed")
    assert [e.after["reasons"] for e in not_completed] == [
        ["Attendance 60% — 80% needed", "Quiz 'PM basics' passed"],
        ["Attendance 100% (80% needed)", "Quiz 'PM basics' not passed yet (best 40%, 80% needed)"],
    ]
    [closed] = events("cohort.closed")
    assert closed.after == {
        "status": "closed",
        "completed": 1,
        "not_completed": 2,
        "changed": 3,
    }


def test_nothing_is_announced_when_closing_rolls_back(cohort, enrol, trainer, received):
    mark(enrol(), [P] * 5)
    close_cohort(cohort, by=trainer, now=NOW)
    db.session.rollback()
    db.session.commit()
    assert received == []
    assert statuses(*db.session.scalars(select(Enrolment))) == [S.CONFIRMED]


def test_closing_twice_changes_and_announces_nothing_more(cohort, enrol, trainer, received):
    learners = [enrol() for _ in range(3)]
    for enrolment in learners:
        mark(enrolment, [P] * 5)
    close_cohort(cohort, by=trainer, now=NOW)
    db.session.commit()
    again = close_cohort(cohort, by=trainer, now=NOW + timedelta(hours=1))
    db.session.commit()

    assert again.already_closed
    completed = [sender for name, sender, _ in received if name == "enrolment-completed"]
    assert sorted(completed) == sorted(e.id for e in learners)
    assert [name for name, *_ in received].count("cohort-closed") == 1
    assert len(events("cohort.closed")) == 1
    assert cohort.closed_at == NOW


@pytest.mark.parametrize(
    ("status", "sessions", "message"),
    [
        (
            CohortStatus.RUNNING,
            [span(days(-3)), span(days(2))],
            "You can close this cohort after its last session ends on ",
        ),
        (CohortStatus.RUNNING, [], "This cohort has no sessions, so there is nothing to close yet"),
        (CohortStatus.PLANNED, [span(days(-3))], "A planned cohort cannot be closed"),
        (CohortStatus.CANCELLED, [span(days(-3))], "A cancelled cohort cannot be closed"),
    ],
)
def test_closing_is_refused_before_the_last_session_ends(
    make_cohort, make_enrolment, course, admin, status, sessions, message
):
    cohort = make_cohort(course, status=status, sessions=sessions)
    enrolment = make_enrolment(cohort, confirmed_at=MONTH_AGO)
    with pytest.raises(ClosingError, match=message):
        close_cohort(cohort, by=admin, now=NOW)
    db.session.rollback()
    assert statuses(enrolment) == [S.CONFIRMED]
    assert events("cohort.closed") == []


def test_a_cancelled_session_after_the_last_held_one_does_not_hold_closing_up(
    make_cohort, course, admin
):
    cohort = make_cohort(
        course, status=CohortStatus.RUNNING, sessions=[span(days(-3)), span(days(3))]
    )
    cohort.sessions[1].cancelled = True
    db.session.commit()
    close_cohort(cohort, by=admin, now=NOW)
    assert cohort.status == CohortStatus.CLOSED


def _world_of(n: int, make_cohort, course, trainer, make_user, quiz, assignment):
    cohort = make_cohort(
        course,
        status=CohortStatus.RUNNING,
        capacity=200,
        trainers=[trainer],
        sessions=[span(days(-10 + 2 * k)) for k in range(5)],
    )
    for number in range(n):
        enrolment = Enrolment(
            cohort=cohort,
            learner=make_user(),
            status=S.CONFIRMED,
            requested_at=MONTH_AGO,
            confirmed_at=MONTH_AGO,
        )
        db.session.add(enrolment)
        mark(enrolment, [P, P, P, P, A if number % 3 else P], commit=False)
        attempt(quiz, enrolment, 90 if number % 2 else 50, commit=False)
        submission(assignment, enrolment, SubmissionStatus.PASSED, commit=False)
    db.session.commit()
    return cohort


def test_closing_100_learners_costs_no_more_statements_than_10(
    make_cohort, course, trainer, make_user, make_quiz, make_assignment, count_queries, received
):
    quiz = make_quiz(course)
    assignment = make_assignment(course)

    def statements(n: int) -> int:
        cohort = _world_of(n, make_cohort, course, trainer, make_user, quiz, assignment)
        db.session.expire_all()
        with count_queries() as counter:
            report = close_cohort(cohort, by=trainer, now=NOW)
            db.session.flush()
        db.session.commit()  # the signals' receivers run now, outside the count
        assert len(report.completed) + len(report.not_completed) == n
        return counter.count

    ten, hundred = statements(10), statements(100)
    assert hundred <= ten  # a fixed number, whatever the size of the cohort
    assert hundred <= 25
    completed = [sender for name, sender, _ in received if name == "enrolment-completed"]
    assert len(completed) == len(set(completed)) == 55  # the odd-numbered learners


def test_reopening_and_closing_again_decides_afresh(
    cohort, enrol, make_quiz, course, trainer, admin, received
):
    quiz = make_quiz(course)
    kept, withdrawn, late = enrol("Ada Kept"), enrol("Ben Withdrawn"), enrol("Cy Late")
    for enrolment in (kept, withdrawn, late):
        mark(enrolment, [P] * 5)
    attempt(quiz, kept, 100)
    attempt(quiz, withdrawn, 100)
    close_cohort(cohort, by=trainer, now=NOW)
    db.session.commit()
    assert statuses(kept, withdrawn, late) == [S.COMPLETED, S.COMPLETED, S.NOT_COMPLETED]

    reopen_cohort(cohort, "Registers for sessions 4 and 5 were wrong", by=admin)
    db.session.commit()
    assert (cohort.status, cohort.closed_at) == (CohortStatus.RUNNING, None)
    [reopened] = events("cohort.reopened")
    assert reopened.after == {
        "status": "running",
        "reason": "Registers for sessions 4 and 5 were wrong",
    }
    # Statuses stay until the cohort closes again.
    assert statuses(kept, withdrawn, late) == [S.COMPLETED, S.COMPLETED, S.NOT_COMPLETED]

    db.session.execute(
        update(AttendanceRecord)
        .where(
            AttendanceRecord.enrolment_id == withdrawn.id,
            AttendanceRecord.session_id.in_([s.id for s in cohort.sessions[3:]]),
        )
        .values(status=AttendanceStatus.ABSENT)
    )
    attempt(quiz, late, 85)
    received.clear()
    close_cohort(cohort, by=trainer, now=NOW + timedelta(days=1))
    db.session.commit()

    assert statuses(kept, withdrawn, late) == [S.COMPLETED, S.NOT_COMPLETED, S.COMPLETED]
    assert received == [
        ("enrolment-completion-withdrawn", withdrawn.id, {"reason": "completion withdrawn"}),
        ("enrolment-completed", late.id, {}),
        ("cohort-closed", cohort.id, {}),
    ]
    assert [e.entity_id for e in events("enrolment.completed")][-1] == str(late.id)
    assert db.session.get(Enrolment, kept.id).ended_at == NOW  # unchanged, untouched


def test_excused_sessions_leave_the_count_when_closing(cohort, enrol, trainer):
    excused = enrol()
    mark(excused, [P, P, P, E, E])
    close_cohort(cohort, by=trainer, now=NOW)
    assert excused.status == S.COMPLETED


@pytest.mark.parametrize(
    ("who", "reason", "message", "field"),
    [
        ("trainer", "Wrong register", "Only the PMO team can reopen a closed cohort", None),
        ("admin", "   ", "Enter the reason for reopening the cohort", "reason"),
        ("admin", "x" * 501, "The reason must be 500 characters or fewer", "reason"),
    ],
)
def test_reopening_is_refused_without_an_admin_and_a_reason(
    cohort, trainer, admin, who, reason, message, field
):
    close_cohort(cohort, by=admin, now=NOW)
    db.session.commit()
    with pytest.raises(ClosingError, match=message) as refused:
        reopen_cohort(cohort, reason, by={"trainer": trainer, "admin": admin}[who])
    assert refused.value.field == field
    db.session.rollback()
    assert cohort.status == CohortStatus.CLOSED


def test_only_a_closed_cohort_is_reopened(cohort, admin):
    with pytest.raises(ClosingError, match="Only a closed cohort can be reopened"):
        reopen_cohort(cohort, "Why not", by=admin)


def test_a_closed_cohort_cannot_be_closed_by_a_plain_status_change(client, as_admin, cohort):
    page = text_of(client.get(f"/admin/cohorts/{cohort.id}"))
    assert 'value="closed"' not in page
    assert f'href="/teach/cohorts/{cohort.id}/close"' in page
    response = client.post(f"/admin/cohorts/{cohort.id}/status", data={"status": "closed"})
    assert response.status_code == 422
    db.session.expire_all()
    assert cohort.status == CohortStatus.RUNNING


# --- the pages ---------------------------------------------------------------------------------


def test_the_trainer_sees_who_will_complete_then_closes_and_sees_who_did(
    client, login, trainer, cohort, enrol, make_quiz, course
):
    quiz = make_quiz(course)
    done = enrol("Ada Done")
    mark(done, [P] * 5)
    attempt(quiz, done, 90)
    short = enrol("Ben Short")
    mark(short, [P, P, P, A, None])
    login(trainer)

    page = text_of(client.get(f"/teach/cohorts/{cohort.id}/close"))
    assert "If you close the cohort now, 1 learner will complete and 1 will not." in page
    assert "Attendance 60% — 80% needed" in page
    assert "Quiz 'PM basics' not attempted" in page
    assert "Some registers are not complete" in page
    assert "1 learner not marked" in page
    assert "Close the cohort and record completions" in page

    response = client.post(f"/teach/cohorts/{cohort.id}/close")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/teach/cohorts/{cohort.id}/close"
    page = text_of(client.get(response.headers["Location"]))
    assert "The cohort is closed. 1 learner completed and 1 did not." in page
    assert "Who completed: cohort" in page
    assert "Close the cohort and record completions" not in page
    assert "Reopen the cohort" not in page  # trainers do not reopen
    assert statuses(done, short) == [S.COMPLETED, S.NOT_COMPLETED]

    response = client.post(f"/teach/cohorts/{cohort.id}/close", follow_redirects=True)
    assert "This cohort was already closed. Nothing has changed." in text_of(response)


def test_closing_too_early_is_refused_on_the_page(client, login, trainer, make_cohort, course):
    cohort = make_cohort(
        course, status=CohortStatus.RUNNING, trainers=[trainer], sessions=[span(days(3))]
    )
    login(trainer)
    page = text_of(client.get(f"/teach/cohorts/{cohort.id}/close"))
    assert "You can close this cohort after its last session ends on" in page
    assert "Close the cohort and record completions" not in page
    response = client.post(f"/teach/cohorts/{cohort.id}/close")
    assert response.status_code == 422
    assert "You can close this cohort after its last session ends on" in text_of(response)
    db.session.expire_all()
    assert cohort.status == CohortStatus.RUNNING


def test_a_trainer_of_another_cohort_gets_404(client, login, make_user, cohort):
    other = make_user(roles=[Role.TRAINER])
    login(other)
    assert client.get(f"/teach/cohorts/{cohort.id}/close").status_code == 404
    assert client.post(f"/teach/cohorts/{cohort.id}/close").status_code == 404
    db.session.expire_all()
    assert cohort.status == CohortStatus.RUNNING


def test_an_admin_reopens_with_a_reason_and_a_trainer_cannot(
    client, login, admin, trainer, cohort, enrol
):
    mark(enrol(), [P] * 5)
    close_cohort(cohort, by=admin, now=NOW)
    db.session.commit()

    login(trainer)
    assert (
        client.post(f"/admin/cohorts/{cohort.id}/reopen", data={"reason": "x"}).status_code == 403
    )

    client.post("/logout")
    login(admin)
    page = text_of(client.get(f"/teach/cohorts/{cohort.id}/close"))
    assert "Reopen the cohort" in page
    response = client.post(f"/admin/cohorts/{cohort.id}/reopen", data={"reason": ""})
    assert response.status_code == 422
    assert field_error(text_of(response), "reason") == "Enter the reason for reopening the cohort"

    response = client.post(
        f"/admin/cohorts/{cohort.id}/reopen", data={"reason": "A register was wrong"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert cohort.status == CohortStatus.RUNNING
    assert events("cohort.reopened")[0].after["reason"] == "A register was wrong"
    assert client.post("/admin/cohorts/999999/reopen", data={"reason": "x"}).status_code == 404


def test_the_preview_lists_learners_by_name_with_their_reasons(cohort, enrol):
    enrol("Zed Last")
    enrol("Amy First")
    preview = closing_preview(cohort, NOW)
    assert [e.learner.full_name for e, _ in preview] == ["Amy First", "Zed Last"]
    assert preview[0][1].left_words == "Attendance 0% — 80% needed"
