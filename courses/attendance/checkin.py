"""Self check-in: rotating codes derived from a per-session secret, and checking in with one.

A code is HMAC-SHA256(session secret, window index) shown as six characters, where the
window index is the Unix time divided by the rotation period. Nothing is stored per
rotation: the trainer's screen and the check-in service derive the same code from the
secret and the clock. The previous window's code stays valid, so a slow phone is not
refused when the code turns over while the learner is typing.

Timing always comes from the `now` argument, and the settings from `CheckInRules`, so
the services run (and are tested) without a request or a real clock.

A code read off the screen can be passed on by message to someone who is not in the
room. So each self check-in records where it came from (`CheckInSource`: the device and
the network address, as keyed digests), the trainer's screen flags check-ins made on one
device for several learners and, in a session held in a room, notes check-ins from a
network other than the one most of the room used (`checked_in`), and the trainer can undo
one (`undo_check_in`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import joinedload, selectinload

from courses.attendance.expected import expected_query, is_expected
from courses.attendance.register import AttendanceError, check_may_mark
from courses.models import (
    AttendanceMethod,
    AttendanceRecord,
    AttendanceStatus,
    Cohort,
    CohortStatus,
    DeliveryMode,
    Enrolment,
    EnrolmentStatus,
    Session,
)
from lms.audit import audit
from lms.auth.models import User
from lms.core.db import insert_on_conflict
from lms.core.domain import DomainError
from lms.core.extensions import db

# No 0/O, 1/I: the code is read off a screen across a room and typed on a phone.
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # 32 symbols, so 5 unbiased bits each
CODE_LENGTH = 6

# Cohort statuses in which learners may check in (a cohort may still be open for
# enrolment while its first sessions run).
TAKING_CHECK_INS = (CohortStatus.OPEN, CohortStatus.RUNNING)

# How far outside the check-in window a code is still recognised, only so that a learner
# who is too early or too late is told so rather than told the code is wrong. Keeps the
# candidate sessions to an indexed range of start times (those within half a day).
RECOGNISED_MARGIN = timedelta(hours=12)


class CheckInError(DomainError):
    field = "code"


class CodeNotRecognised(CheckInError):
    def __init__(self):
        super().__init__("That code is not right or has expired. Check the screen and try again")


class CheckInNotOpenYet(CheckInError):
    def __init__(self, opens_before: timedelta):
        minutes = int(opens_before.total_seconds() // 60)
        super().__init__(f"Check-in for this session opens {minutes} minutes before it starts")


class CheckInClosed(CheckInError):
    def __init__(self):
        super().__init__(
            "Check-in for this session has closed. Ask your trainer to mark you on the register"
        )


class CohortNotRunning(CheckInError):
    def __init__(self):
        super().__init__("This course is not running now, so check-in is closed")


class NoConfirmedPlace(CheckInError):
    def __init__(self):
        super().__init__("You do not have a confirmed place on this course")


class EnrolledAfterSession(CheckInError):
    def __init__(self):
        super().__init__(
            "You joined this course after this session started, so you do not need to check "
            "in to it"
        )


@dataclass(frozen=True)
class CheckInRules:
    """The settings check-in follows; the defaults are those of lms/config.py."""

    rotation_seconds: int = 30
    opens_before: timedelta = timedelta(minutes=15)
    closes_after: timedelta = timedelta(minutes=30)
    late_after: timedelta = timedelta(minutes=10)

    @classmethod
    def from_config(cls, config: Mapping) -> CheckInRules:
        return cls(
            rotation_seconds=int(config["CHECK_IN_ROTATION_SECONDS"]),
            opens_before=timedelta(minutes=int(config["CHECK_IN_OPENS_MINUTES_BEFORE"])),
            closes_after=timedelta(minutes=int(config["CHECK_IN_CLOSES_MINUTES_AFTER"])),
            late_after=timedelta(minutes=int(config["CHECK_IN_LATE_AFTER_MINUTES"])),
        )


DEFAULT_RULES = CheckInRules()


@dataclass(frozen=True)
class CheckInSource:
    """Where a check-in came from: the device (its browser's device cookie) and the network
    address, each as a keyed digest. Equal digests mean the same device or address, while
    a copy of the database gives neither back (an address alone could be guessed from its
    plain hash: there are only 2^32 IPv4 addresses)."""

    device: str | None = None
    address: str | None = None

    @classmethod
    def of(cls, *, device_id: str | None, address: str | None, key: str | bytes) -> CheckInSource:
        """The source of a check-in from this device id and address, under `key` (the
        application's SECRET_KEY)."""
        return cls(_keyed_digest(key, "device", device_id), _keyed_digest(key, "address", address))


def _keyed_digest(key: str | bytes, purpose: str, value: str | None) -> str | None:
    if not value:
        return None
    key = key.encode() if isinstance(key, str) else key
    message = f"check-in-{purpose}:{value}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


# --- codes -------------------------------------------------------------------------------


def open_check_in(session: Session) -> Session:
    """Gives the session its check-in secret if it has none; never replaces one.

    A conditional UPDATE, so two trainers opening the screen at once agree on one secret.
    """
    if session.check_in_secret is None:
        if session.id is None:
            db.session.flush()
        db.session.execute(
            update(Session)
            .where(Session.id == session.id, Session.check_in_secret.is_(None))
            .values(check_in_secret=secrets.token_hex(32))
            .execution_options(synchronize_session=False)
        )
        db.session.refresh(session, ["check_in_secret"])
    return session


def window_index(moment: datetime, rotation_seconds: int = DEFAULT_RULES.rotation_seconds) -> int:
    return int(moment.timestamp()) // rotation_seconds


def seconds_left(moment: datetime, rotation_seconds: int = DEFAULT_RULES.rotation_seconds) -> int:
    """Seconds until the code shown at `moment` is replaced by the next one."""
    return rotation_seconds - int(moment.timestamp()) % rotation_seconds


def _code_for_window(secret: str, index: int) -> str:
    digest = hmac.new(secret.encode(), str(index).encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest[:8], "big")
    characters = []
    for _ in range(CODE_LENGTH):
        number, position = divmod(number, len(ALPHABET))
        characters.append(ALPHABET[position])
    return "".join(characters)


def code_at(
    session: Session, moment: datetime, rotation_seconds: int = DEFAULT_RULES.rotation_seconds
) -> str:
    """The code the trainer's screen shows at `moment` (the session must be open)."""
    if session.check_in_secret is None:
        raise ValueError("check-in has not been opened for this session")
    return _code_for_window(session.check_in_secret, window_index(moment, rotation_seconds))


def valid_codes(
    session: Session, now: datetime, rotation_seconds: int = DEFAULT_RULES.rotation_seconds
) -> tuple[str, ...]:
    """The current code and the previous one: both are accepted at `now`."""
    if session.check_in_secret is None:
        return ()
    index = window_index(now, rotation_seconds)
    return (
        _code_for_window(session.check_in_secret, index),
        _code_for_window(session.check_in_secret, index - 1),
    )


def normalise(code: str) -> str:
    """What the learner typed, as a code: capitals, without spaces or dashes."""
    return "".join(code.split()).replace("-", "").upper()


def _matches(session: Session, code: str, now: datetime, rotation_seconds: int) -> bool:
    # Compare against every valid code, without stopping early, in constant time.
    found = False
    for candidate in valid_codes(session, now, rotation_seconds):
        found |= hmac.compare_digest(candidate.encode(), code.encode())
    return found


def find_session(code: str, now: datetime, rules: CheckInRules = DEFAULT_RULES) -> Session:
    """The session whose current or previous code is `code`, among those near their window.

    Only sessions that are not cancelled, have had check-in opened and start within an
    indexed range around now are candidates; their codes are compared in Python.
    """
    code = normalise(code)
    if len(code) != CODE_LENGTH:
        raise CodeNotRecognised()
    earliest = now - rules.closes_after - RECOGNISED_MARGIN
    latest = now + rules.opens_before + RECOGNISED_MARGIN
    candidates = db.session.scalars(
        select(Session)
        .where(
            Session.starts_at.between(earliest, latest),
            Session.cancelled.is_(False),
            Session.check_in_secret.is_not(None),
        )
        .options(selectinload(Session.cohort).selectinload(Cohort.course))
        .order_by(Session.starts_at)
    ).all()
    matching = [s for s in candidates if _matches(s, code, now, rules.rotation_seconds)]
    if not matching:
        raise CodeNotRecognised()
    # A code that two sessions share by chance: the one whose window is open wins.
    return min(matching, key=lambda session: not is_open(session, now, rules))


def is_open(session: Session, now: datetime, rules: CheckInRules = DEFAULT_RULES) -> bool:
    """Whether `now` falls in the session's check-in window (whoever is asking)."""
    return opens_at(session, rules) <= now <= closes_at(session, rules)


def opens_at(session: Session, rules: CheckInRules = DEFAULT_RULES) -> datetime:
    return session.starts_at - rules.opens_before


def closes_at(session: Session, rules: CheckInRules = DEFAULT_RULES) -> datetime:
    return session.starts_at + rules.closes_after


def is_accepting(session: Session, now: datetime, rules: CheckInRules = DEFAULT_RULES) -> bool:
    """Whether a code for the session would be taken now: its trainer has started self
    check-in, neither it nor its cohort is called off, and its window is open.

    `check_in` refuses on each of these in turn; the session's cohort must be loaded.
    """
    return (
        session.check_in_secret is not None
        and not session.cancelled
        and session.cohort.status in TAKING_CHECK_INS
        and is_open(session, now, rules)
    )


def may_check_in(
    session: Session, enrolment: Enrolment, now: datetime, rules: CheckInRules = DEFAULT_RULES
) -> bool:
    """Whether the enrolment's learner can check in to the session now, as `check_in`
    decides: the session is accepting codes and the register expects them at it."""
    return (
        enrolment.cohort_id == session.cohort_id
        and enrolment.status == EnrolmentStatus.CONFIRMED
        and is_expected(enrolment, session)
        and is_accepting(session, now, rules)
    )


# --- checking in -------------------------------------------------------------------------


def _check_window(session: Session, now: datetime, rules: CheckInRules) -> None:
    if now < opens_at(session, rules):
        raise CheckInNotOpenYet(rules.opens_before)
    if now > closes_at(session, rules):
        raise CheckInClosed()


def _expected_enrolment(session: Session, learner: User) -> Enrolment:
    enrolment = db.session.scalar(
        select(Enrolment).where(
            Enrolment.cohort_id == session.cohort_id, Enrolment.learner_id == learner.id
        )
    )
    if enrolment is None or enrolment.status != EnrolmentStatus.CONFIRMED:
        raise NoConfirmedPlace()
    # Someone who joined after the session started is not expected at it (the register
    # never marks them absent for it either), so it does not count for them.
    if not is_expected(enrolment, session):
        raise EnrolledAfterSession()
    return enrolment


def _snapshot(record: AttendanceRecord) -> dict:
    return {"status": record.status, "method": record.method}


def check_in(
    code: str,
    learner: User,
    now: datetime,
    rules: CheckInRules = DEFAULT_RULES,
    source: CheckInSource | None = None,
) -> AttendanceRecord:
    """Marks the learner present (or late, after the grace period) at the session the code
    belongs to, if its check-in window is open and they hold a confirmed place.

    Never overrides the trainer's register: an existing record is only changed when it
    is an absence marked automatically. Checking in twice changes nothing. The record
    keeps the check-in's `source`, so the trainer's screen can flag a shared device.
    """
    source = source or CheckInSource()
    session = find_session(code, now, rules)
    if session.cohort.status not in TAKING_CHECK_INS:
        raise CohortNotRunning()
    _check_window(session, now, rules)
    enrolment = _expected_enrolment(session, learner)
    status = (
        AttendanceStatus.LATE
        if now > session.starts_at + rules.late_after
        else AttendanceStatus.PRESENT
    )
    if _insert_once(session, enrolment, status, learner, now, source):
        record = _existing(session, enrolment)
        audit.record(learner, "attendance.self_check_in", record, None, _snapshot(record))
        return record
    record = _existing(session, enrolment)
    # Only an automatic absence gives way, claimed by a conditional UPDATE, so a trainer
    # saving the register at the same moment always wins.
    replaced = db.session.execute(
        update(AttendanceRecord)
        .where(
            AttendanceRecord.id == record.id,
            AttendanceRecord.method == AttendanceMethod.AUTOMATIC,
            AttendanceRecord.status == AttendanceStatus.ABSENT,
        )
        .values(
            status=status,
            method=AttendanceMethod.SELF_CHECK_IN,
            marked_by_id=learner.id,
            marked_at=now,
            check_in_device=source.device,
            check_in_address=source.address,
            version=AttendanceRecord.version + 1,
        )
        .returning(AttendanceRecord.id)
        .execution_options(synchronize_session=False)
    ).first()
    if replaced is not None:
        before = _snapshot(record)
        db.session.refresh(record)
        audit.record(learner, "attendance.self_check_in", record, before, _snapshot(record))
    return record


def _insert_once(
    session: Session,
    enrolment: Enrolment,
    status: AttendanceStatus,
    learner: User,
    now: datetime,
    source: CheckInSource,
) -> bool:
    """Inserts the record unless one exists; True if this call inserted it.

    INSERT ... ON CONFLICT DO NOTHING, so a double tap (two requests at once) or a
    register saved at the same moment never fails on the one-record-per-learner rule.
    """
    statement = (
        insert_on_conflict(db.session, AttendanceRecord)
        .values(
            session_id=session.id,
            enrolment_id=enrolment.id,
            status=status,
            method=AttendanceMethod.SELF_CHECK_IN,
            marked_by_id=learner.id,
            marked_at=now,
            check_in_device=source.device,
            check_in_address=source.address,
        )
        .on_conflict_do_nothing(index_elements=["session_id", "enrolment_id"])
        .returning(AttendanceRecord.id)  # no row back when the record already existed
    )
    return db.session.scalar(statement) is not None


def _existing(session: Session, enrolment: Enrolment) -> AttendanceRecord | None:
    return db.session.scalar(
        select(AttendanceRecord).where(
            AttendanceRecord.session_id == session.id,
            AttendanceRecord.enrolment_id == enrolment.id,
        )
    )


# --- the trainer's screen ----------------------------------------------------------------

# In a room, most check-ins come through one network (the trust's Wi-Fi). Once at least
# this many learners have checked in, an address more than half of them share is taken to
# be the room's, and check-ins from other addresses are noted.
ROOM_NETWORK_MIN_CHECK_INS = 3


@dataclass(frozen=True)
class CheckedIn:
    """A learner who checked themselves in, as the trainer's screen lists them.

    `same_device` names the other learners checked in on the same device: a strong sign
    that one person checked in for another. `same_address` names others on the same
    network address, only where that address is not the one most of the room shares
    (a trust's Wi-Fi puts everyone behind one address) and not already named by device.
    `different_network` is set, only in a session held in a room, for a check-in from
    another address than the one most of the room used: someone told the code by message
    checks in from there, but so does a phone on mobile data, so it is a weak sign.
    """

    record_id: int
    name: str
    marked_at: datetime
    same_device: tuple[str, ...] = ()
    same_address: tuple[str, ...] = ()
    different_network: bool = False


def held_in_a_room(session: Session) -> bool:
    """Whether the session meets in a room: its course is not delivered online and the
    session or its cohort names a place (a session without its own location is held at
    the cohort's venue, and one with neither is shown as online). The session's cohort
    and course must be loaded, or they are read here."""
    cohort = session.cohort
    return cohort.course.delivery_mode != DeliveryMode.ONLINE and bool(
        session.location or cohort.venue
    )


def checked_in(session: Session) -> list[CheckedIn]:
    """Who has checked themselves in to the session, in the order they did, each with the
    others who checked in from their device or (where telling) their address, and whether
    they checked in away from the room's network (`CheckedIn`). One query."""
    rows = db.session.execute(
        select(
            AttendanceRecord.id,
            User.full_name,
            AttendanceRecord.marked_at,
            AttendanceRecord.check_in_device,
            AttendanceRecord.check_in_address,
        )
        .join(Enrolment, Enrolment.learner_id == User.id)
        .join(AttendanceRecord, AttendanceRecord.enrolment_id == Enrolment.id)
        .where(
            AttendanceRecord.session_id == session.id,
            AttendanceRecord.method == AttendanceMethod.SELF_CHECK_IN,
        )
        .order_by(AttendanceRecord.marked_at, User.full_name)
    ).all()
    by_device, by_address = defaultdict(list), defaultdict(list)
    for row in rows:
        if row.check_in_device:
            by_device[row.check_in_device].append(row.full_name)
        if row.check_in_address:
            by_address[row.check_in_address].append(row.full_name)
    room_address = _room_address(by_address, len(rows)) if held_in_a_room(session) else None
    result = []
    for record_id, name, marked_at, device, address in rows:
        same_device = _others(by_device.get(device, ()), name)
        same_address = ()
        # An address most check-ins share is the room's own network: no sign of anything.
        if address and 2 * len(by_address[address]) < len(rows):
            same_address = tuple(
                other for other in _others(by_address[address], name) if other not in same_device
            )
        # No address recorded is no sign either way.
        elsewhere = room_address is not None and address is not None and address != room_address
        result.append(CheckedIn(record_id, name, marked_at, same_device, same_address, elsewhere))
    return result


def _room_address(by_address: Mapping[str, list[str]], total: int) -> str | None:
    """The address more than half of the `total` check-ins came from, once there are
    enough of them to tell (ROOM_NETWORK_MIN_CHECK_INS); None if no address has most."""
    if total < ROOM_NETWORK_MIN_CHECK_INS:
        return None
    for address, names in by_address.items():
        if 2 * len(names) > total:
            return address
    return None


def _others(names, name: str) -> tuple[str, ...]:
    """The names but one occurrence of `name` (two learners may share a name)."""
    others = list(names)
    if name in others:
        others.remove(name)
    return tuple(others)


class CheckInNotUndone(AttendanceError):
    pass


def undo_check_in(session: Session, record_id: int, *, by: User) -> AttendanceRecord:
    """Removes a self check-in, so the learner is not marked at the session again (and may
    check in again if they are in the room); returns the removed record, learner loaded.

    For a trainer who doubts a check-in (a code passed on to someone not there). Whoever
    may change the register may undo (register.check_may_mark). Only a record still as the
    learner's check-in made it is removed: one the register changed since stays as it is.
    Audited as attendance.check_in_undone with the record before and unmarked after.
    """
    check_may_mark(session, by)
    record = db.session.scalar(
        select(AttendanceRecord)
        .where(AttendanceRecord.id == record_id, AttendanceRecord.session_id == session.id)
        .options(joinedload(AttendanceRecord.enrolment).joinedload(Enrolment.learner))
    )
    if record is None:
        raise CheckInNotUndone("That check-in has already been undone")
    name = record.enrolment.learner.full_name
    if record.method != AttendanceMethod.SELF_CHECK_IN:
        raise CheckInNotUndone(
            f"{name}'s attendance was changed on the register after they checked in, so "
            "their check-in cannot be undone here. Change it on the register"
        )
    removed = db.session.execute(
        delete(AttendanceRecord)
        .where(
            AttendanceRecord.id == record.id,
            AttendanceRecord.version == record.version,
        )
        .returning(AttendanceRecord.id)
        .execution_options(synchronize_session=False)
    ).first()
    if removed is None:  # changed by someone else since it was read
        raise CheckInNotUndone(
            f"{name}'s attendance changed just now, so their check-in was not undone. "
            "Check the register"
        )
    before = {
        "session_id": record.session_id,
        "enrolment_id": record.enrolment_id,
        "status": record.status,
        "method": record.method,
        "marked_at": record.marked_at,
    }
    audit.record(by, "attendance.check_in_undone", record, before, {"status": None})
    db.session.expunge(record)
    return record


def expected_count(session: Session) -> int:
    """How many learners the register expects at the session (attendance.expected_query)."""
    expected = expected_query(session).order_by(None).subquery()
    return db.session.scalar(select(func.count()).select_from(expected))
