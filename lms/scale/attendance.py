"""Registers for every session held: about 85% attended, the rest absent or excused;
most marked by a trainer, some by self check-in, a few absent automatically. One audit
event per record, as the register writes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from courses.attendance.expected import LEFT, STAYED
from courses.models import AttendanceMethod, AttendanceStatus
from courses.models import AttendanceRecord as Record
from lms.audit.audit import AuditEvent
from lms.scale.history import audit_row
from lms.scale.world import EnrolmentRow, SessionRow, World
from lms.scale.writer import CHUNK

STATUSES = tuple(AttendanceStatus)
# present, late, left early, absent, excused
USUAL = (75, 6, 4, 10, 5)
STRUGGLING = (40, 5, 5, 40, 10)  # learners who went on not to complete
ACTIONS = {
    AttendanceMethod.REGISTER: "attendance.marked",
    AttendanceMethod.SELF_CHECK_IN: "attendance.self_check_in",
    AttendanceMethod.AUTOMATIC: "attendance.marked_absent_automatically",
}


def seed(world: World) -> None:
    """Streams the records in chunks, so memory stays flat at any factor."""
    chunk: list[dict] = []
    for record in _records(world):
        chunk.append(record)
        if len(chunk) == CHUNK:
            _write(world, chunk)
            chunk = []
    _write(world, chunk)


def _records(world: World) -> Iterator[dict]:
    by_cohort: dict[int, list[EnrolmentRow]] = {}
    for enrolment in world.enrolments:
        by_cohort.setdefault(enrolment.cohort.id, []).append(enrolment)
    for cohort in world.cohorts:
        for session in cohort.sessions:
            if session.cancelled or session.starts_at >= world.now:
                continue
            for enrolment in by_cohort.get(cohort.id, ()):
                if _expected(enrolment, session):
                    yield _record(world, session, enrolment)


def _write(world: World, records: list[dict]) -> None:
    for id_, record in zip(world.writer.ids(Record.__table__, len(records)), records, strict=True):
        record["id"] = id_
    world.writer.insert(Record.__table__, records)
    world.writer.insert(AuditEvent.__table__, [_event(world, record) for record in records])


def _expected(enrolment: EnrolmentRow, session: SessionRow) -> bool:
    """`courses.attendance.expected.is_expected`, on the seeding rows."""
    if enrolment.confirmed_at is None or enrolment.confirmed_at > session.starts_at:
        return False
    if enrolment.status in STAYED:
        return True
    return enrolment.status in LEFT and enrolment.ended_at > session.starts_at


def _record(world: World, session: SessionRow, enrolment: EnrolmentRow) -> dict:
    rng = world.rng
    weights = STRUGGLING if enrolment.status == "not_completed" else USUAL
    status = rng.choices(STATUSES, weights=weights)[0]
    method = rng.choices(tuple(AttendanceMethod), weights=(80, 15, 5))[0]
    if method == AttendanceMethod.SELF_CHECK_IN and not status.attended:
        method = AttendanceMethod.REGISTER
    if method == AttendanceMethod.AUTOMATIC:
        status = AttendanceStatus.ABSENT
    marked_by = {
        AttendanceMethod.REGISTER: enrolment.cohort.trainer_ids[0],
        AttendanceMethod.SELF_CHECK_IN: enrolment.learner_id,
        AttendanceMethod.AUTOMATIC: None,
    }[method]
    return {
        "session_id": session.id,
        "enrolment_id": enrolment.id,
        "status": status,
        "note": "Emailed to say they were unwell" if status == AttendanceStatus.EXCUSED else None,
        "method": method,
        "marked_by_id": marked_by,
        "marked_at": session.ends_at + timedelta(minutes=rng.randint(0, 120)),
    }


def _event(world: World, record: dict) -> dict:
    after = {
        "session_id": record["session_id"],
        "enrolment_id": record["enrolment_id"],
        "status": str(record["status"]),
        "note": record["note"],
    }
    action = ACTIONS[record["method"]]
    when, actor = record["marked_at"], record["marked_by_id"]
    return audit_row(world, when, actor, action, "AttendanceRecord", record["id"], after=after)
