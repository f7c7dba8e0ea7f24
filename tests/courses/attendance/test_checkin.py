"""Self check-in (courses/checkin.py): rotating codes, the window, who may check in, and how.

Every test passes its own `now`, so the clock is frozen: the session starts at 09:00 UTC
on a fixed day, a whole number of rotations after the epoch.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from courses.attendance import AttendanceError, RegisterClosed, checkin, mark_register
from courses.attendance.checkin import (
    CheckInClosed,
    CheckInNotOpenYet,
    CheckInRules,
    CheckInSource,
    CodeNotRecognised,
    EnrolledAfterSession,
    NoConfirmedPlace,
)
from courses.models import (
    AttendanceMethod,
    AttendanceRecord,
    AttendanceStatus,
    CohortStatus,
    DeliveryMode,
    EnrolmentStatus,
    Session,
)
from lms.audit.audit import AuditEvent
from lms.auth.models import Role
from lms.core.extensions import db
from tests.helpers import PASSWORD, log_in

START = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
ROTATION = timedelta(seconds=30)
WEEK_BEFORE = START - timedelta(days=7)


@pytest.fixture
def session(make_course, make_cohort):
    """A three-hour session starting at START, with check-in opened."""
    course = make_course(title="Project foundations")
    cohort = make_cohort(course, sessions=[(START, START + timedelta(hours=3))])
    found = cohort.sessions[0]
    checkin.open_check_in(found)
    db.session.commit()
    return found


@pytest.fixture
def enrolment(session, make_enrolment, learner):
    return make_enrolment(session.cohort, learner, requested_at=WEEK_BEFORE)


def records():
    return db.session.scalars(select(AttendanceRecord)).all()


def audit_count(action="attendance.self_check_in") -> int:
    return db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == action))


# --- codes -------------------------------------------------------------------------------


def test_open_check_in_makes_a_secret_once(session):
    secret = session.check_in_secret
    assert len(secret) == 64
    checkin.open_check_in(session)
    assert session.check_in_secret == secret


def test_codes_are_short_unambiguous_and_rotate(session):
    code = checkin.code_at(session, START)
    assert len(code) == 6
    assert set(code) <= set(checkin.ALPHABET)
    assert not set("01IO") & set(checkin.ALPHABET)
    assert checkin.code_at(session, START + timedelta(seconds=29)) == code
    assert checkin.code_at(session, START + ROTATION) != code
    assert checkin.valid_codes(session, START + ROTATION) == (
        checkin.code_at(session, START + ROTATION),
        code,
    )


def test_the_rotation_period_comes_from_the_rules(session):
    minute = CheckInRules(rotation_seconds=60)
    code = checkin.code_at(session, START, minute.rotation_seconds)
    assert checkin.code_at(session, START + ROTATION, minute.rotation_seconds) == code


def test_sessions_have_different_codes(session, make_cohort):
    other = make_cohort(session.cohort.course, sessions=[(START, START + timedelta(hours=1))])
    checkin.open_check_in(other.sessions[0])
    assert checkin.code_at(other.sessions[0], START) != checkin.code_at(session, START)


# --- checking in -------------------------------------------------------------------------


def test_a_valid_code_marks_the_learner_present(session, enrolment, learner):
    now = START - timedelta(minutes=5)
    record = checkin.check_in(checkin.code_at(session, now), learner, now)
    db.session.commit()
    assert record.session_id == session.id and record.enrolment_id == enrolment.id
    assert record.status == AttendanceStatus.PRESENT
    assert record.method == AttendanceMethod.SELF_CHECK_IN
    assert record.marked_by_id == learner.id and record.marked_at == now
    event = db.session.scalar(select(AuditEvent))
    assert event.action == "attendance.self_check_in" and event.actor_id == learner.id
    assert event.after == {"status": "present", "method": "self_check_in"}


def test_typed_codes_ignore_case_and_spaces(session, enrolment, learner):
    code = checkin.code_at(session, START)
    typed = f" {code[:3].lower()} {code[3:]} "
    assert checkin.check_in(typed, learner, START).status == AttendanceStatus.PRESENT


def test_the_previous_code_works_for_one_more_rotation(session, enrolment, learner):
    shown = checkin.code_at(session, START)
    slow_phone = START + ROTATION + timedelta(seconds=29)
    assert checkin.check_in(shown, learner, slow_phone).status == AttendanceStatus.PRESENT


def test_a_code_two_rotations_old_is_refused(session, enrolment, learner):
    shown = checkin.code_at(session, START)
    with pytest.raises(CodeNotRecognised, match="not right or has expired"):
        checkin.check_in(shown, learner, START + 2 * ROTATION)
    assert records() == []


@pytest.mark.parametrize("typed", ["", "ABC", "ZZZZZZ", "ABCDEFGH"])
def test_a_wrong_code_is_refused(session, enrolment, learner, typed):
    with pytest.raises(CodeNotRecognised) as refusal:
        checkin.check_in(typed, learner, START)
    assert refusal.value.field == "code"


def test_a_code_from_another_cohorts_session_is_refused(session, enrolment, learner, make_cohort):
    other = make_cohort(session.cohort.course, sessions=[(START, START + timedelta(hours=1))])
    checkin.open_check_in(other.sessions[0])
    with pytest.raises(NoConfirmedPlace):
        checkin.check_in(checkin.code_at(other.sessions[0], START), learner, START)
    assert records() == []


def test_a_code_from_a_later_session_of_the_same_cohort_is_refused(session, enrolment, learner):
    afternoon = Session(
        cohort=session.cohort,
        title="Afternoon",
        starts_at=START + timedelta(hours=4),
        ends_at=START + timedelta(hours=6),
    )
    db.session.add(afternoon)
    checkin.open_check_in(afternoon)
    with pytest.raises(CheckInNotOpenYet):
        checkin.check_in(checkin.code_at(afternoon, START), learner, START)


def test_a_cancelled_session_takes_no_check_ins(session, enrolment, learner):
    session.cancelled = True
    db.session.commit()
    with pytest.raises(CodeNotRecognised):
        checkin.check_in(checkin.code_at(session, START), learner, START)


def test_a_session_whose_check_in_was_never_opened_matches_no_code(
    session, enrolment, learner, make_cohort, make_enrolment
):
    unopened = make_cohort(session.cohort.course, sessions=[(START, START + timedelta(hours=1))])
    make_enrolment(unopened, learner, requested_at=WEEK_BEFORE)
    assert checkin.valid_codes(unopened.sessions[0], START) == ()
    with pytest.raises(CodeNotRecognised):
        checkin.check_in(checkin.code_at(session, START)[::-1], learner, START)


def test_before_the_window_opens_is_refused(session, enrolment, learner):
    now = START - timedelta(minutes=15, seconds=1)
    with pytest.raises(
        CheckInNotOpenYet, match="Check-in for this session opens 15 minutes before it starts"
    ):
        checkin.check_in(checkin.code_at(session, now), learner, now)


def test_the_window_opens_15_minutes_before_the_start(session, enrolment, learner):
    now = START - timedelta(minutes=15)
    assert checkin.check_in(checkin.code_at(session, now), learner, now).status == "present"


@pytest.mark.parametrize(
    ("after_start", "status"),
    [
        (timedelta(0), AttendanceStatus.PRESENT),
        (timedelta(minutes=10), AttendanceStatus.PRESENT),
        (timedelta(minutes=10, seconds=1), AttendanceStatus.LATE),
        (timedelta(minutes=30), AttendanceStatus.LATE),
    ],
)
def test_on_time_is_present_and_after_the_grace_period_is_late(
    session, enrolment, learner, after_start, status
):
    now = START + after_start
    assert checkin.check_in(checkin.code_at(session, now), learner, now).status == status


def test_after_the_window_closes_is_refused(session, enrolment, learner):
    now = START + timedelta(minutes=30, seconds=1)
    with pytest.raises(CheckInClosed, match="Check-in for this session has closed"):
        checkin.check_in(checkin.code_at(session, now), learner, now)
    assert records() == []


def test_the_window_and_grace_period_follow_the_rules(session, enrolment, learner):
    rules = CheckInRules(
        opens_before=timedelta(minutes=5),
        closes_after=timedelta(minutes=60),
        late_after=timedelta(minutes=2),
    )
    early = START - timedelta(minutes=6)
    with pytest.raises(CheckInNotOpenYet, match="opens 5 minutes before"):
        checkin.check_in(checkin.code_at(session, early), learner, early, rules)
    now = START + timedelta(minutes=45)
    assert checkin.check_in(checkin.code_at(session, now), learner, now, rules).status == "late"


def test_rules_come_from_the_configuration(app, make_app, monkeypatch):
    rules = CheckInRules.from_config(app.config)
    assert rules == CheckInRules()  # the defaults in lms/config.py match the service's
    monkeypatch.setenv("LMS_CHECK_IN_ROTATION_SECONDS", "45")
    monkeypatch.setenv("LMS_CHECK_IN_OPENS_MINUTES_BEFORE", "20")
    monkeypatch.setenv("LMS_CHECK_IN_CLOSES_MINUTES_AFTER", "50")
    monkeypatch.setenv("LMS_CHECK_IN_LATE_AFTER_MINUTES", "7")
    configured = CheckInRules.from_config(make_app().config)
    assert configured.rotation_seconds == 45
    assert configured.opens_before == timedelta(minutes=20)
    assert configured.closes_after == timedelta(minutes=50)
    assert configured.late_after == timedelta(minutes=7)


@pytest.mark.parametrize(
    "status", [EnrolmentStatus.WAITLISTED, EnrolmentStatus.PENDING_APPROVAL, "cancelled"]
)
def test_a_learner_without_a_confirmed_place_is_refused(session, make_enrolment, learner, status):
    make_enrolment(session.cohort, learner, status=EnrolmentStatus(status))
    with pytest.raises(NoConfirmedPlace, match="You do not have a confirmed place on this course"):
        checkin.check_in(checkin.code_at(session, START), learner, START)


def test_a_learner_not_on_the_cohort_is_refused(session, make_user):
    stranger = make_user()
    with pytest.raises(NoConfirmedPlace):
        checkin.check_in(checkin.code_at(session, START), stranger, START)


def test_a_learner_who_enrolled_after_the_session_started_is_refused(
    session, make_enrolment, learner
):
    make_enrolment(session.cohort, learner, requested_at=START + timedelta(minutes=5))
    now = START + timedelta(minutes=20)
    with pytest.raises(EnrolledAfterSession):
        checkin.check_in(checkin.code_at(session, now), learner, now)
    assert records() == []


def _register_mark(enrolment, status, method=AttendanceMethod.REGISTER, by=None):
    record = AttendanceRecord(
        session_id=enrolment.cohort.sessions[0].id,
        enrolment_id=enrolment.id,
        status=status,
        method=method,
        marked_by_id=by.id if by else None,
        marked_at=START,
    )
    db.session.add(record)
    db.session.commit()
    return record


@pytest.mark.parametrize(
    "mark", [AttendanceStatus.PRESENT, AttendanceStatus.EXCUSED, AttendanceStatus.ABSENT]
)
def test_a_trainers_mark_is_never_changed(session, enrolment, learner, admin, mark):
    _register_mark(enrolment, mark, by=admin)
    now = START + timedelta(minutes=20)  # late, which would be a downgrade from present
    record = checkin.check_in(checkin.code_at(session, now), learner, now)
    db.session.commit()
    assert record.status == mark and record.method == AttendanceMethod.REGISTER
    assert record.marked_by_id == admin.id
    assert len(records()) == 1 and audit_count() == 0


def test_an_automatic_absence_is_replaced_by_a_check_in(session, enrolment, learner):
    _register_mark(enrolment, AttendanceStatus.ABSENT, method=AttendanceMethod.AUTOMATIC)
    now = START + timedelta(minutes=5)
    record = checkin.check_in(checkin.code_at(session, now), learner, now)
    db.session.commit()
    assert record.status == AttendanceStatus.PRESENT
    assert record.method == AttendanceMethod.SELF_CHECK_IN
    event = db.session.scalar(select(AuditEvent))
    assert event.before == {"status": "absent", "method": "automatic"}
    assert event.after == {"status": "present", "method": "self_check_in"}


def test_checking_in_twice_changes_nothing(session, enrolment, learner):
    first = checkin.check_in(checkin.code_at(session, START), learner, START)
    db.session.commit()
    later = START + timedelta(minutes=20)
    second = checkin.check_in(checkin.code_at(session, later), learner, later)
    db.session.commit()
    assert second.id == first.id
    assert second.status == AttendanceStatus.PRESENT and second.marked_at == START
    assert len(records()) == 1 and audit_count() == 1


def test_candidate_sessions_are_one_indexed_range_query(session, enrolment, learner, count_queries):
    """Finding the session reads only the sessions near now, in one statement."""
    code = checkin.code_at(session, START)
    with count_queries() as counter:
        checkin.find_session(code, START)
    session_queries = [s for s in counter.statements if "FROM cohort_session" in s]
    assert len(session_queries) == 1
    assert "cohort_session.starts_at BETWEEN" in session_queries[0]


def test_replacing_an_automatic_absence_gives_the_record_a_new_version(session, enrolment, learner):
    record = _register_mark(enrolment, AttendanceStatus.ABSENT, method=AttendanceMethod.AUTOMATIC)
    assert record.version == 1
    now = START + timedelta(minutes=5)
    assert checkin.check_in(checkin.code_at(session, now), learner, now).version == 2


# --- where a check-in came from ----------------------------------------------------------

KEY = "test-secret-key-" + "x" * 32


def source(device_id: str | None, address: str | None = "10.1.2.3") -> CheckInSource:
    return CheckInSource.of(device_id=device_id, address=address, key=KEY)


@pytest.fixture
def enrol_named(session, make_enrolment, make_user):
    def make(name: str):
        return make_enrolment(
            session.cohort, make_user(full_name=name), requested_at=WEEK_BEFORE
        ).learner

    return make


def check_in_from(learner, where: CheckInSource, minutes: int = 0):
    now = START + timedelta(minutes=minutes)
    session = db.session.scalar(select(Session))
    record = checkin.check_in(checkin.code_at(session, now), learner, now, source=where)
    db.session.commit()
    return record


def test_a_check_in_keeps_keyed_digests_of_its_device_and_address(session, enrolment, learner):
    record = check_in_from(learner, source("a-device-id", "10.1.2.3"))
    assert len(record.check_in_device) == 64 and len(record.check_in_address) == 64
    assert record.check_in_device == source("a-device-id").device
    assert record.check_in_address == source("another-device", "10.1.2.3").address
    assert record.check_in_device != source("another-device").device
    # Not the plain hash of the address, which anyone could find from the 2^32 there are.
    assert record.check_in_address != hashlib.sha256(b"10.1.2.3").hexdigest()
    values = str([tuple(row) for row in db.session.execute(select(AttendanceRecord.__table__))])
    assert "10.1.2.3" not in values and "a-device-id" not in values
    assert CheckInSource.of(device_id="", address=None, key=KEY) == CheckInSource()


def test_learners_checked_in_on_one_device_are_flagged_and_others_are_not(session, enrol_named):
    zoe, bo, cal, dee = (enrol_named(n) for n in ("Zoë Ashworth", "Bo Chan", "Cal Dee", "Dee Fox"))
    check_in_from(zoe, source("zoes-phone"), minutes=1)
    check_in_from(bo, source("zoes-phone"), minutes=2)
    check_in_from(cal, source("cals-phone"), minutes=3)
    check_in_from(dee, source(None), minutes=4)  # a browser that kept no cookie
    listed = {learner.name: learner for learner in checkin.checked_in(session)}
    assert [learner.name for learner in checkin.checked_in(session)] == [
        "Zoë Ashworth",
        "Bo Chan",
        "Cal Dee",
        "Dee Fox",
    ]
    assert listed["Zoë Ashworth"].same_device == ("Bo Chan",)
    assert listed["Bo Chan"].same_device == ("Zoë Ashworth",)
    assert listed["Cal Dee"].same_device == () and listed["Dee Fox"].same_device == ()
    # All four share the room's network address: that alone flags nobody.
    assert all(learner.same_address == () for learner in listed.values())


def test_a_shared_address_is_noted_only_where_the_rest_of_the_room_is_elsewhere(
    session, enrol_named
):
    names = ["Ann Lee", "Bo Chan", "Cal Dee", "Dee Fox", "Eve Hart"]
    ann, bo, cal, dee, eve = (enrol_named(name) for name in names)
    for minute, person in enumerate((ann, bo, cal)):  # three on the trust's Wi-Fi
        check_in_from(person, source(f"phone-{minute}", "10.0.0.1"), minutes=minute)
    check_in_from(dee, source("dees-phone", "81.2.69.160"), minutes=4)  # two at one home
    check_in_from(eve, source("eves-phone", "81.2.69.160"), minutes=5)
    listed = {learner.name: learner for learner in checkin.checked_in(session)}
    assert listed["Dee Fox"].same_address == ("Eve Hart",)
    assert listed["Eve Hart"].same_address == ("Dee Fox",)
    assert all(listed[name].same_address == () for name in ("Ann Lee", "Bo Chan", "Cal Dee"))
    assert all(learner.same_device == () for learner in listed.values())


def test_a_shared_device_is_not_noted_again_as_a_shared_address(session, enrol_named):
    ann, bo, cal, dee, eve = (enrol_named(n) for n in ("A", "B", "C", "D", "E"))
    for minute, person in enumerate((ann, bo, cal)):
        check_in_from(person, source(f"phone-{minute}", "10.0.0.1"), minutes=minute)
    check_in_from(dee, source("one-phone", "81.2.69.160"), minutes=4)
    check_in_from(eve, source("one-phone", "81.2.69.160"), minutes=5)
    listed = {learner.name: learner for learner in checkin.checked_in(session)}
    assert listed["D"].same_device == ("E",) and listed["D"].same_address == ()


def held_in(session, *, mode=DeliveryMode.IN_PERSON, venue=None, location=None) -> None:
    session.cohort.course.delivery_mode = mode
    session.cohort.venue = venue
    session.location = location
    db.session.commit()


def different_networks(session) -> dict[str, bool]:
    return {learner.name: learner.different_network for learner in checkin.checked_in(session)}


def test_in_a_room_a_check_in_from_another_network_than_most_is_noted(session, enrol_named):
    held_in(session, venue="Education Centre, Room 2")
    ann, bo, cal, dee = (enrol_named(n) for n in ("Ann Lee", "Bo Chan", "Cal Dee", "Dee Fox"))
    for minute, person in enumerate((ann, bo, cal)):  # three on the trust's Wi-Fi
        check_in_from(person, source(f"phone-{minute}", "10.0.0.1"), minutes=minute)
    check_in_from(dee, source("dees-phone", "81.2.69.160"), minutes=4)  # at home, or 4G
    assert different_networks(session) == {
        "Ann Lee": False,
        "Bo Chan": False,
        "Cal Dee": False,
        "Dee Fox": True,
    }
    # The other flags are as they were: a lone address and a device of one's own.
    assert all(learner.same_device == () for learner in checkin.checked_in(session))
    assert all(learner.same_address == () for learner in checkin.checked_in(session))


def test_a_sessions_own_location_makes_it_a_room(session, enrol_named):
    held_in(session, mode=DeliveryMode.BLENDED, location="Seminar room 4")
    ann, bo, cal, dee = (enrol_named(n) for n in ("A", "B", "C", "D"))
    for minute, person in enumerate((ann, bo, cal)):
        check_in_from(person, source(f"phone-{minute}", "10.0.0.1"), minutes=minute)
    check_in_from(dee, source("phone-d", None), minutes=4)  # no address: no sign either way
    assert checkin.held_in_a_room(session)
    assert not any(different_networks(session).values())


def test_too_few_check_ins_or_no_clear_majority_notes_nobody(session, enrol_named):
    held_in(session, venue="Education Centre, Room 2")
    ann, bo, cal, dee = (enrol_named(n) for n in ("Ann Lee", "Bo Chan", "Cal Dee", "Dee Fox"))
    check_in_from(ann, source("phone-a", "10.0.0.1"), minutes=0)
    check_in_from(bo, source("phone-b", "81.2.69.160"), minutes=1)
    assert different_networks(session) == {"Ann Lee": False, "Bo Chan": False}  # only two
    check_in_from(cal, source("phone-c", "10.0.0.1"), minutes=2)
    check_in_from(dee, source("phone-d", "81.2.69.160"), minutes=3)
    assert not any(different_networks(session).values())  # two and two: neither is most


@pytest.mark.parametrize(
    "where",
    [
        {"mode": DeliveryMode.ONLINE},
        {"mode": DeliveryMode.ONLINE, "venue": "Education Centre, Room 2"},
        {"mode": DeliveryMode.ONLINE, "location": "Seminar room 4"},
        {"mode": DeliveryMode.BLENDED},  # a blended course's session with no place
        {"mode": DeliveryMode.IN_PERSON},  # nowhere recorded: not known to be a room
    ],
)
def test_a_session_not_held_in_a_room_never_notes_a_different_network(session, enrol_named, where):
    held_in(session, **where)
    ann, bo, cal, dee = (enrol_named(n) for n in ("Ann Lee", "Bo Chan", "Cal Dee", "Dee Fox"))
    for minute, person in enumerate((ann, bo, cal)):
        check_in_from(person, source(f"phone-{minute}", "10.0.0.1"), minutes=minute)
    check_in_from(dee, source("dees-phone", "81.2.69.160"), minutes=4)
    assert not checkin.held_in_a_room(session)
    assert not any(different_networks(session).values())


# --- undoing a check-in ------------------------------------------------------------------


@pytest.fixture
def running(session):
    session.cohort.status = CohortStatus.RUNNING
    db.session.commit()
    return session


def test_undoing_a_check_in_removes_it_and_audits_before_and_after(
    running, enrolment, learner, trainer
):
    running.cohort.trainers.append(trainer)
    record = check_in_from(learner, source("a-phone"))
    undone = checkin.undo_check_in(running, record.id, by=trainer)
    db.session.commit()
    assert undone.enrolment.learner.full_name == "Zoë Ashworth"
    assert records() == [] and checkin.checked_in(running) == []
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "attendance.check_in_undone")
    )
    assert event.actor_id == trainer.id and event.entity_id == str(record.id)
    assert event.before == {
        "session_id": running.id,
        "enrolment_id": enrolment.id,
        "status": "present",
        "method": "self_check_in",
        "marked_at": START.isoformat(),
    }
    assert event.after == {"status": None}
    # If they really are in the room, they can check in again.
    later = START + timedelta(minutes=3)
    again = checkin.check_in(checkin.code_at(running, later), learner, later)
    assert again.id != record.id


def test_a_check_in_the_register_changed_since_is_not_undone(running, enrolment, learner, trainer):
    running.cohort.trainers.append(trainer)
    record = check_in_from(learner, source("a-phone"))
    mark_register(running, {enrolment.id: (AttendanceStatus.EXCUSED, None)}, by=trainer, now=START)
    db.session.commit()
    with pytest.raises(checkin.CheckInNotUndone, match="changed on the register"):
        checkin.undo_check_in(running, record.id, by=trainer)
    db.session.rollback()
    assert records()[0].status == AttendanceStatus.EXCUSED


def test_undo_refuses_a_record_of_another_session_or_one_already_undone(
    running, enrolment, learner, trainer, make_cohort
):
    running.cohort.trainers.append(trainer)
    other = make_cohort(
        running.cohort.course, trainers=[trainer], sessions=[(START, START + timedelta(hours=1))]
    )
    record = check_in_from(learner, source("a-phone"))
    with pytest.raises(checkin.CheckInNotUndone, match="already been undone"):
        checkin.undo_check_in(other.sessions[0], record.id, by=trainer)
    assert len(records()) == 1
    checkin.undo_check_in(running, record.id, by=trainer)
    with pytest.raises(checkin.CheckInNotUndone, match="already been undone"):
        checkin.undo_check_in(running, record.id, by=trainer)


def test_only_those_who_may_mark_the_register_may_undo(
    running, enrolment, learner, trainer, make_user, admin
):
    record = check_in_from(learner, source("a-phone"))
    stranger = make_user(roles=[Role.TRAINER])
    for person in (stranger, learner):
        with pytest.raises(RegisterClosed, match="Only the cohort's trainers"):
            checkin.undo_check_in(running, record.id, by=person)
    running.cohort.status = CohortStatus.CLOSED
    with pytest.raises(AttendanceError, match="closed"):
        checkin.undo_check_in(running, record.id, by=admin)
    assert len(records()) == 1


# --- rate limiting -----------------------------------------------------------------------


def test_the_eleventh_attempt_in_a_minute_is_refused(client, learner):
    log_in(client, learner.email, PASSWORD)
    for attempt in range(10):
        response = client.post("/check-in", data={"code": "WRONG2"})
        assert response.status_code == 422, attempt
    response = client.post("/check-in", data={"code": "WRONG2"})
    assert response.status_code == 429
    assert "You have tried too many codes" in response.get_data(as_text=True)
    assert client.get("/check-in").status_code == 200  # looking at the form is not an attempt


def test_the_limit_is_per_person(client, learner, make_user):
    log_in(client, learner.email, PASSWORD)
    for _ in range(11):
        client.post("/check-in", data={"code": "WRONG2"})
    client.post("/logout")
    log_in(client, make_user().email, PASSWORD)
    assert client.post("/check-in", data={"code": "WRONG2"}).status_code == 422
