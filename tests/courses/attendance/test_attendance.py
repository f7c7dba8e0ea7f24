"""Registers, expected learners, rates, automatic absence and warnings: courses/attendance.py."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from courses import attendance
from courses.attendance import (
    NotExpected,
    RegisterClosed,
    attendance_rate,
    attendance_rates,
    expected_enrolments,
    mark_register,
    mark_unmarked_absent,
    send_attendance_warnings,
)
from courses.attendance import register as register_module
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
from lms.core.outbox import OutboxMessage
from tests.helpers import MONTH_AGO, NOW, count, days, span


@pytest.fixture
def other_trainer(make_user):
    return make_user("other@example.nhs.uk", full_name="Olu Bello", roles=[Role.TRAINER])


@pytest.fixture
def cohort(make_cohort, course, trainer):
    """Four sessions held (ten, eight, six and four days ago) and one in a week."""
    return make_cohort(
        course,
        status=CohortStatus.RUNNING,
        trainers=[trainer],
        sessions=[span(days(-10)), span(days(-8)), span(days(-6)), span(days(-4)), span(days(7))],
    )


@pytest.fixture
def enrol(make_enrolment, cohort):
    """A learner confirmed a month ago unless told otherwise."""

    def make(status=EnrolmentStatus.CONFIRMED, confirmed_at=MONTH_AGO, **fields):
        fields.setdefault("requested_at", MONTH_AGO - timedelta(days=1))
        return make_enrolment(cohort, status=status, confirmed_at=confirmed_at, **fields)

    return make


def records(session=None) -> list[AttendanceRecord]:
    query = select(AttendanceRecord).order_by(AttendanceRecord.id)
    if session is not None:
        query = query.where(AttendanceRecord.session_id == session.id)
    return list(db.session.scalars(query))


# --- who is expected ---------------------------------------------------------------------


def test_expected_learners_follow_when_they_were_confirmed_and_when_they_left(cohort, enrol):
    first, second, third, *_ = cohort.sessions
    throughout = enrol()
    finished = enrol(EnrolmentStatus.COMPLETED)
    late = enrol(confirmed_at=first.ends_at + timedelta(hours=1))  # enrolled after session 1
    left = enrol(EnrolmentStatus.WITHDRAWN, ended_at=second.ends_at + timedelta(hours=1))
    enrol(EnrolmentStatus.CANCELLED, confirmed_at=None, ended_at=days(-20))
    enrol(EnrolmentStatus.WAITLISTED, confirmed_at=None)
    enrol(EnrolmentStatus.PENDING_APPROVAL, confirmed_at=None)

    def ids(session):
        return {enrolment.id for enrolment in expected_enrolments(session)}

    assert ids(first) == {throughout.id, finished.id, left.id}
    assert ids(second) == {throughout.id, finished.id, left.id, late.id}
    assert ids(third) == {throughout.id, finished.id, late.id}
    assert attendance.is_expected(late, second) and not attendance.is_expected(late, first)
    assert attendance.is_expected(left, second) and not attendance.is_expected(left, third)


def test_the_register_is_in_name_order(cohort, enrol, make_user):
    enrol(learner=make_user(full_name="Zara Young"))
    enrol(learner=make_user(full_name="Adam Baker"))
    names = [e.learner.full_name for e in expected_enrolments(cohort.sessions[0])]
    assert names == ["Adam Baker", "Zara Young"]


# --- marking the register ----------------------------------------------------------------


def test_each_status_is_saved_with_its_note_method_and_marker(cohort, enrol, trainer):
    session = cohort.sessions[0]
    learners = {status: enrol() for status in AttendanceStatus}
    marks = {e.id: (status, f"note {status.value}") for status, e in learners.items()}
    assert mark_register(session, marks, by=trainer, now=NOW) == 5
    db.session.commit()
    saved = {record.enrolment_id: record for record in records(session)}
    for status, enrolment in learners.items():
        record = saved[enrolment.id]
        assert record.status == status and record.note == f"note {status.value}"
        assert record.method == AttendanceMethod.REGISTER
        assert record.marked_by_id == trainer.id and record.marked_at == NOW


def test_learners_left_out_of_the_marks_stay_unmarked(cohort, enrol, trainer):
    session = cohort.sessions[0]
    marked, unmarked = enrol(), enrol()
    mark_register(session, {marked.id: (AttendanceStatus.PRESENT, "")}, by=trainer, now=NOW)
    assert [r.enrolment_id for r in records(session)] == [marked.id]
    assert records(session)[0].note is None  # an empty note is stored as none
    assert unmarked.id not in {r.enrolment_id for r in records()}


def test_saving_twice_is_idempotent_one_record_per_session_and_learner(cohort, enrol, trainer):
    session = cohort.sessions[0]
    one, two = enrol(), enrol()
    marks = {
        one.id: (AttendanceStatus.PRESENT, None),
        two.id: (AttendanceStatus.LATE, "Train delayed"),
    }
    assert mark_register(session, marks, by=trainer, now=NOW) == 2
    db.session.commit()
    events = count(AuditEvent, AuditEvent.action.like("attendance.%"))
    assert mark_register(session, marks, by=trainer, now=NOW + timedelta(minutes=5)) == 0
    db.session.commit()
    assert len(records()) == 2
    assert count(AuditEvent, AuditEvent.action.like("attendance.%")) == events
    assert {r.marked_at for r in records()} == {NOW}


def test_an_edit_updates_the_record_and_audits_before_and_after(cohort, enrol, trainer, admin):
    session = cohort.sessions[0]
    one, two = enrol(), enrol()
    mark_register(
        session,
        {one.id: (AttendanceStatus.PRESENT, None), two.id: (AttendanceStatus.PRESENT, None)},
        by=trainer,
        now=NOW,
    )
    db.session.commit()
    first_id = records(session)[0].id
    later = NOW + timedelta(hours=1)
    changed = mark_register(
        session,
        {
            one.id: (AttendanceStatus.PRESENT, None),
            two.id: (AttendanceStatus.EXCUSED, "Clinic cover"),
        },
        by=admin,
        now=later,
    )
    db.session.commit()
    assert changed == 1
    saved = {r.enrolment_id: r for r in records(session)}
    assert len(saved) == 2 and records(session)[0].id == first_id
    assert (
        saved[two.id].status == AttendanceStatus.EXCUSED and saved[two.id].marked_by_id == admin.id
    )
    assert saved[one.id].marked_by_id == trainer.id  # untouched rows keep who marked them
    marked = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "attendance.marked")
    ).all()
    assert len(marked) == 2 and marked[0].before is None
    assert marked[0].after["status"] == "present" and marked[0].after["session_id"] == session.id
    edit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "attendance.changed"))
    assert edit.entity_type == "AttendanceRecord" and edit.entity_id == str(saved[two.id].id)
    assert edit.actor_id == admin.id
    assert edit.before == {"status": "present", "has_note": False}
    # that a note was written, never what it says (it may be about someone's health)
    assert edit.after == {"status": "excused", "has_note": True, "note_changed": True}
    assert "Clinic cover" not in str(edit.after)


def test_a_learner_not_expected_at_the_session_is_refused(cohort, enrol, trainer):
    first = cohort.sessions[0]
    on_time = enrol()
    late = enrol(confirmed_at=first.ends_at + timedelta(hours=1))
    with pytest.raises(NotExpected):
        mark_register(
            first,
            {
                on_time.id: (AttendanceStatus.PRESENT, None),
                late.id: (AttendanceStatus.ABSENT, None),
            },
            by=trainer,
            now=NOW,
        )
    db.session.rollback()
    assert records() == []


# --- never losing a mark: record versions ----------------------------------------------


def seen(*enrolments) -> dict:
    """What a register page loaded now would carry for these learners."""
    saved = {record.enrolment_id: record for record in records()}
    return {e.id: attendance.SeenRecord.of(saved.get(e.id)) for e in enrolments}


def test_every_change_to_a_record_gives_it_a_new_version(cohort, enrol, trainer):
    session = cohort.sessions[0]
    one = enrol()
    mark_register(session, {one.id: (AttendanceStatus.PRESENT, None)}, by=trainer, now=NOW)
    db.session.commit()
    assert records(session)[0].version == 1
    mark_register(session, {one.id: (AttendanceStatus.LATE, None)}, by=trainer, now=NOW)
    db.session.commit()
    assert records(session)[0].version == 2
    mark_register(session, {one.id: (AttendanceStatus.LATE, None)}, by=trainer, now=NOW)
    db.session.commit()
    assert records(session)[0].version == 2  # nothing changed, nothing written
    record = records(session)[0]
    record.note = "Changed through the ORM"
    db.session.commit()
    assert records(session)[0].version == 3


def test_a_save_from_before_someone_elses_change_is_refused_whole_naming_them(
    cohort, enrol, make_user, trainer, other_trainer
):
    session = cohort.sessions[0]
    cohort.trainers.append(other_trainer)
    ann = enrol(learner=make_user(full_name="Ann Lee"))
    bo = enrol(learner=make_user(full_name="Bo Chan"))
    cal = enrol(learner=make_user(full_name="Cal Dee"))
    mark_register(session, {ann.id: (AttendanceStatus.PRESENT, None)}, by=trainer, now=NOW)
    db.session.commit()
    what_i_saw = seen(ann, bo, cal)
    # Another trainer changes Ann's mark and marks Bo, after my page was loaded.
    mark_register(
        session,
        {ann.id: (AttendanceStatus.LATE, "Bus"), bo.id: (AttendanceStatus.ABSENT, None)},
        by=other_trainer,
        now=NOW,
    )
    db.session.commit()
    events = count(AuditEvent)
    with pytest.raises(attendance.RegisterChanged) as refused:
        mark_register(
            session,
            {
                ann.id: (AttendanceStatus.PRESENT, None),
                bo.id: (AttendanceStatus.EXCUSED, None),
                cal.id: (AttendanceStatus.PRESENT, None),
            },
            by=trainer,
            now=NOW,
            seen=what_i_saw,
        )
    db.session.rollback()
    error = refused.value
    assert error.enrolment_ids == {ann.id, bo.id}
    assert str(error).startswith(
        "Nothing has been saved, because the marks of Ann Lee and Bo Chan changed after you "
        "opened the register."
    )
    beside = {problem.field: problem.message for problem in error.problems}
    assert beside[f"status_{ann.id}"] == (
        "Ann Lee's mark changed after you opened the register. It is now late (marked by Olu Bello)"
    )
    assert beside[f"status_{bo.id}"].endswith("It is now absent (marked by Olu Bello)")
    assert f"status_{cal.id}" not in beside
    # Nothing of the refused save was written, not even Cal's unclashing row.
    saved = {r.enrolment_id: (r.status, r.note) for r in records(session)}
    assert saved == {
        ann.id: (AttendanceStatus.LATE, "Bus"),
        bo.id: (AttendanceStatus.ABSENT, None),
    }
    assert count(AuditEvent) == events
    # Having seen the new marks, the same save goes through.
    assert (
        mark_register(
            session,
            {ann.id: (AttendanceStatus.PRESENT, None), cal.id: (AttendanceStatus.PRESENT, None)},
            by=trainer,
            now=NOW,
            seen=seen(ann, cal),
        )
        == 2
    )


def test_a_record_changed_to_what_the_save_says_anyway_is_no_clash(cohort, enrol, trainer):
    session = cohort.sessions[0]
    one = enrol()
    what_i_saw = seen(one)
    mark_register(session, {one.id: (AttendanceStatus.PRESENT, None)}, by=trainer, now=NOW)
    db.session.commit()
    changed = mark_register(
        session, {one.id: (AttendanceStatus.PRESENT, None)}, by=trainer, now=NOW, seen=what_i_saw
    )
    assert changed == 0 and records(session)[0].version == 1


def test_a_record_removed_since_the_page_was_loaded_is_a_clash(cohort, enrol, trainer):
    """The page showed a record (say a check-in) that has since been undone and made
    again: same version number, another record, so it is not what the trainer saw."""
    session = cohort.sessions[0]
    one = enrol()
    mark_register(session, {one.id: (AttendanceStatus.PRESENT, None)}, by=trainer, now=NOW)
    db.session.commit()
    what_i_saw = seen(one)
    db.session.delete(records(session)[0])
    mark_register(session, {one.id: (AttendanceStatus.LATE, None)}, by=trainer, now=NOW)
    db.session.commit()
    assert records(session)[0].version == 1
    with pytest.raises(attendance.RegisterChanged):
        mark_register(
            session, {one.id: (AttendanceStatus.ABSENT, None)}, by=trainer, now=NOW, seen=what_i_saw
        )


def test_a_page_that_does_not_say_what_it_showed_is_refused(cohort, enrol, trainer):
    session = cohort.sessions[0]
    one, two = enrol(), enrol()
    with pytest.raises(attendance.RegisterOutOfDate):
        mark_register(
            session,
            {one.id: (AttendanceStatus.PRESENT, None), two.id: (AttendanceStatus.PRESENT, None)},
            by=trainer,
            now=NOW,
            seen={one.id: None},
        )
    db.session.rollback()
    assert records() == []


def test_a_change_made_while_the_save_runs_is_never_overwritten(
    cohort, enrol, trainer, other_trainer, monkeypatch
):
    """Someone else's change is committed, on another connection, between the service
    reading the records and writing them: the conditional upsert leaves that row alone
    and the whole save is refused."""
    session = cohort.sessions[0]
    one, two = enrol(), enrol()
    mark_register(session, {one.id: (AttendanceStatus.PRESENT, None)}, by=trainer, now=NOW)
    db.session.commit()
    read = register_module._current_marks

    def read_then_someone_else_saves(*args):
        found = read(*args)
        with db.engine.begin() as someone_else:
            someone_else.execute(
                update(AttendanceRecord)
                .where(AttendanceRecord.enrolment_id == one.id)
                .values(status=AttendanceStatus.EXCUSED, version=AttendanceRecord.version + 1)
            )
        return found

    monkeypatch.setattr(register_module, "_current_marks", read_then_someone_else_saves)
    with pytest.raises(attendance.RegisterChanged) as refused:
        mark_register(
            session,
            {one.id: (AttendanceStatus.ABSENT, None), two.id: (AttendanceStatus.ABSENT, None)},
            by=trainer,
            now=NOW,
        )
    assert refused.value.enrolment_ids == {one.id}
    assert "It is now excused" in refused.value.problems[1].message


def test_only_the_cohorts_trainers_and_admins_may_mark(cohort, enrol, other_trainer, admin):
    enrolment = enrol()
    with pytest.raises(RegisterClosed):
        mark_register(
            cohort.sessions[0],
            {enrolment.id: (AttendanceStatus.PRESENT, None)},
            by=other_trainer,
            now=NOW,
        )
    assert mark_register(
        cohort.sessions[0], {enrolment.id: (AttendanceStatus.PRESENT, None)}, by=admin, now=NOW
    )


def test_after_the_cohort_closes_only_an_admin_with_a_reason_may_change_it(
    cohort, enrol, trainer, admin
):
    session = cohort.sessions[0]
    enrolment = enrol(EnrolmentStatus.COMPLETED)
    mark_register(session, {enrolment.id: (AttendanceStatus.ABSENT, None)}, by=trainer, now=NOW)
    cohort.status = CohortStatus.CLOSED
    db.session.commit()
    with pytest.raises(RegisterClosed, match="Only the PMO team"):
        mark_register(
            session, {enrolment.id: (AttendanceStatus.PRESENT, None)}, by=trainer, now=NOW
        )
    with pytest.raises(RegisterClosed) as refused:
        mark_register(
            session,
            {enrolment.id: (AttendanceStatus.PRESENT, None)},
            by=admin,
            now=NOW,
            reason="  ",
        )
    assert refused.value.field == "reason"
    db.session.rollback()
    mark_register(
        session,
        {enrolment.id: (AttendanceStatus.PRESENT, None)},
        by=admin,
        now=NOW,
        reason="Sign-in sheet found",
    )
    db.session.commit()
    assert records(session)[0].status == AttendanceStatus.PRESENT
    edit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "attendance.changed"))
    assert edit.after == {"status": "present", "has_note": False, "reason": "Sign-in sheet found"}


def test_saving_a_register_costs_the_same_for_5_and_100_learners(
    make_course, make_cohort, make_enrolment, trainer, count_queries
):
    def measure(how_many: int) -> tuple[int, int]:
        cohort = make_cohort(make_course(), trainers=[trainer], sessions=[span(days(-1))])
        enrolments = [
            make_enrolment(cohort, confirmed_at=days(-5), requested_at=days(-5))
            for _ in range(how_many)
        ]
        session = cohort.sessions[0]
        ids = [e.id for e in enrolments]
        with count_queries() as first:
            mark_register(
                session, {i: (AttendanceStatus.PRESENT, None) for i in ids}, by=trainer, now=NOW
            )
            db.session.flush()
        db.session.commit()
        with count_queries() as edit:
            mark_register(
                session, {i: (AttendanceStatus.LATE, "Bus") for i in ids}, by=trainer, now=NOW
            )
            db.session.flush()
        db.session.commit()
        assert count(AttendanceRecord, AttendanceRecord.session_id == session.id) == how_many
        return first.count, edit.count

    few, many = measure(5), measure(100)
    assert few == many, (few, many)
    assert max(many) <= 12, many


# --- rates -------------------------------------------------------------------------------


def test_the_rate_counts_present_late_and_left_early_and_leaves_excused_out(cohort, enrol, trainer):
    s1, s2, s3, s4, future = cohort.sessions
    e = enrol()
    for session, status in (
        (s1, AttendanceStatus.PRESENT),
        (s2, AttendanceStatus.LATE),
        (s3, AttendanceStatus.LEFT_EARLY),
        (s4, AttendanceStatus.EXCUSED),
    ):
        mark_register(session, {e.id: (status, None)}, by=trainer, now=NOW)
    mark_register(
        future, {e.id: (AttendanceStatus.ABSENT, None)}, by=trainer, now=NOW
    )  # not held yet
    rate = attendance_rates([e.id], NOW)[e.id]
    assert (rate.held, rate.attended, rate.excused, rate.counted) == (4, 3, 1, 3)
    assert rate.percent == Decimal(100) and attendance_rate(e, NOW) == Decimal(100)


def test_absent_and_unmarked_held_sessions_count_against(cohort, enrol, trainer):
    s1, s2, s3, _, _ = cohort.sessions
    e = enrol()
    mark_register(s1, {e.id: (AttendanceStatus.PRESENT, None)}, by=trainer, now=NOW)
    mark_register(s2, {e.id: (AttendanceStatus.ABSENT, None)}, by=trainer, now=NOW)
    mark_register(s3, {e.id: (AttendanceStatus.PRESENT, None)}, by=trainer, now=NOW)
    # s4 held but never marked
    rate = attendance_rates([e.id], NOW)[e.id]
    assert (rate.attended, rate.counted, rate.unmarked, rate.not_attended) == (2, 4, 1, 2)
    assert rate.percent == Decimal(50) and rate.label == "50%" and rate.below(80)


def test_future_and_cancelled_sessions_and_sessions_before_enrolling_do_not_count(
    cohort, enrol, trainer
):
    _, s2, s3, s4, _ = cohort.sessions
    s2.cancelled = True
    late = enrol(confirmed_at=s3.ends_at)  # expected only at s4 and the future session
    on_time = enrol()
    db.session.commit()
    mark_register(
        s4,
        {late.id: (AttendanceStatus.PRESENT, None), on_time.id: (AttendanceStatus.LATE, None)},
        by=trainer,
        now=NOW,
    )
    rates = attendance_rates([late.id, on_time.id], NOW)
    assert (rates[late.id].held, rates[late.id].percent) == (1, Decimal(100))
    assert rates[on_time.id].held == 3  # s1, s3, s4: the cancelled s2 is not held
    assert rates[on_time.id].percent == Decimal(100) / 3
    assert rates[on_time.id].label == "33%"  # rounded down, never up


def test_a_rate_is_none_until_a_session_counts(cohort, enrol, trainer):
    s1, s2, s3, s4, _ = cohort.sessions
    newcomer = enrol(confirmed_at=days(-1))
    all_excused = enrol()
    for session in (s1, s2, s3, s4):
        mark_register(
            session, {all_excused.id: (AttendanceStatus.EXCUSED, None)}, by=trainer, now=NOW
        )
    rates = attendance_rates([newcomer.id, all_excused.id, 999_999], NOW)
    assert rates[newcomer.id].percent is None and rates[newcomer.id].label == "No sessions held yet"
    assert rates[all_excused.id].percent is None
    assert rates[all_excused.id].label == "All sessions excused"
    assert rates[999_999].percent is None
    assert attendance_rates([], NOW) == {}


def test_rates_for_many_enrolments_are_one_query(cohort, enrol, count_queries):
    ids = [enrol().id for _ in range(30)]
    with count_queries() as counter:
        rates = attendance_rates(ids, NOW)
    assert counter.count == 1 and len(rates) == 30
    assert all(rate.held == 4 and rate.percent == 0 for rate in rates.values())


def test_a_withdrawn_learner_is_rated_on_the_sessions_before_they_left(cohort, enrol, trainer):
    s1, s2, *_ = cohort.sessions
    left = enrol(EnrolmentStatus.WITHDRAWN, ended_at=s2.ends_at)
    mark_register(s1, {left.id: (AttendanceStatus.PRESENT, None)}, by=trainer, now=NOW)
    mark_register(s2, {left.id: (AttendanceStatus.ABSENT, None)}, by=trainer, now=NOW)
    rate = attendance_rates([left.id], NOW)[left.id]
    assert (rate.held, rate.attended) == (2, 1)


# --- marked absent automatically -----------------------------------------------------------


def test_tick_marks_the_unmarked_absent_only_after_the_configured_hours(
    app, make_course, make_cohort, make_enrolment, trainer
):
    cohort = make_cohort(
        make_course(),
        trainers=[trainer],
        sessions=[span(NOW - timedelta(hours=30), 3), span(NOW - timedelta(hours=20), 3)],
    )
    older, recent = cohort.sessions
    enrolment = make_enrolment(cohort, confirmed_at=days(-5), requested_at=days(-5))
    assert mark_unmarked_absent(NOW) == 1  # older ended 27 hours ago; recent only 17
    db.session.commit()
    (record,) = records()
    assert (record.session_id, record.enrolment_id) == (older.id, enrolment.id)
    assert record.status == AttendanceStatus.ABSENT and record.method == AttendanceMethod.AUTOMATIC
    assert record.marked_by_id is None and record.marked_at == NOW
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "attendance.marked_absent_automatically")
    )
    assert event.entity_id == str(record.id) and event.actor_label == "system"
    app.config["AUTO_ABSENT_AFTER_HOURS"] = 12
    assert mark_unmarked_absent(NOW) == 1
    assert {r.session_id for r in records()} == {older.id, recent.id}


def test_tick_never_overrides_a_record_or_marks_a_later_enrolment_and_is_idempotent(
    cohort, enrol, trainer
):
    s1, s2, s3, s4, _ = cohort.sessions
    excused = enrol()
    present = enrol()
    late = enrol(confirmed_at=s3.ends_at)
    left = enrol(EnrolmentStatus.WITHDRAWN, ended_at=s1.ends_at)
    enrol(EnrolmentStatus.WAITLISTED, confirmed_at=None)
    s2.cancelled = True
    db.session.commit()
    for session in (s1, s3, s4):
        mark_register(
            session,
            {
                excused.id: (AttendanceStatus.EXCUSED, None),
                present.id: (AttendanceStatus.PRESENT, None),
            },
            by=trainer,
            now=NOW,
        )
    db.session.commit()
    # late: s4 only; left: s1 only. Nothing for the cancelled s2 or the future session.
    assert mark_unmarked_absent(NOW) == 2
    db.session.commit()
    automatic = {
        (r.enrolment_id, r.session_id) for r in records() if r.method == AttendanceMethod.AUTOMATIC
    }
    assert automatic == {(late.id, s4.id), (left.id, s1.id)}
    assert {r.status for r in records() if r.enrolment_id == excused.id} == {
        AttendanceStatus.EXCUSED
    }
    assert mark_unmarked_absent(NOW) == 0
    assert mark_unmarked_absent(NOW + timedelta(days=30)) == 3  # the future session, later on


# --- warnings ----------------------------------------------------------------------------


def _warnings():
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.subject.contains("attendance is below"))
            .order_by(OutboxMessage.recipient)
        )
    )


def test_a_learner_below_the_minimum_and_their_trainers_are_told_once(
    cohort, enrol, trainer, other_trainer, make_user
):
    cohort.trainers.append(other_trainer)
    db.session.commit()
    s1, s2, *_ = cohort.sessions
    struggling = enrol(learner=make_user("sam@example.nhs.uk", full_name="Sam Patel"))
    fine = enrol()
    marks = {
        struggling.id: (AttendanceStatus.ABSENT, None),
        fine.id: (AttendanceStatus.PRESENT, None),
    }
    mark_register(s1, marks, by=trainer, now=NOW)  # warns from the register
    db.session.commit()
    mail = _warnings()
    assert [m.recipient for m in mail] == [
        "other@example.nhs.uk",
        "sam@example.nhs.uk",
        "trainer@example.nhs.uk",
    ]
    to_learner = mail[1]
    assert to_learner.subject == "Your attendance is below 80%: Project management"
    assert (
        "0%" in to_learner.body_text
        and "at 0 of the 4 sessions held (3 not marked yet)" in to_learner.body_text
    )
    assert "Sam Patel's attendance" in mail[0].body_text
    assert f"/teach/cohorts/{cohort.id}/attendance" in mail[0].body_text
    db.session.refresh(struggling)
    assert struggling.attendance_warning_sent_at == NOW
    mark_register(s2, marks, by=trainer, now=NOW)
    assert send_attendance_warnings(None, NOW) == 0
    db.session.commit()
    assert len(_warnings()) == 3


def test_no_warning_without_sessions_to_come_or_before_the_register_says_so(
    make_course, make_cohort, enrol, cohort, make_enrolment, trainer
):
    finished = make_cohort(
        make_course(min_attendance_percent=80),
        trainers=[trainer],
        sessions=[span(days(-3))],
        status=CohortStatus.RUNNING,
    )
    absent = make_enrolment(finished, confirmed_at=days(-9), requested_at=days(-9))
    mark_register(
        finished.sessions[0], {absent.id: (AttendanceStatus.ABSENT, None)}, by=trainer, now=NOW
    )
    enrol()  # on the running cohort, held sessions not marked yet
    assert send_attendance_warnings(None, NOW) == 0
    assert _warnings() == []


def test_tick_runs_the_attendance_jobs(app, cohort, enrol):
    enrol()
    result = app.test_cli_runner().invoke(args=["lms", "tick"])
    assert result.exit_code == 0, result.output
    assert "Marked 4 unmarked learner(s) absent." in result.output
    assert "Queued 1 attendance warning(s)." in result.output
    assert "reminder(s)" in result.output
    again = app.test_cli_runner().invoke(args=["lms", "tick"])
    assert "Marked 0 unmarked" in again.output and "Queued 0 attendance" in again.output
