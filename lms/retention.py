"""The retention schedule (UK GDPR storage limitation): personal data kept only as long
as it is needed, then removed or blanked by `flask lms tick`.

| what                              | kept for (setting, default)                        | then    |
| --------------------------------- | -------------------------------------------------- | ------- |
| sent mail                         | RETENTION_SENT_MAIL_DAYS (30) after it was sent    | deleted |
| mail that failed for good         | RETENTION_FAILED_MAIL_DAYS (90) after its last try | deleted |
| used or expired password links    | RETENTION_PASSWORD_TOKEN_DAYS (30) after use or    | deleted |
|                                   | expiry; each person's latest invitation is kept    |         |
| IP addresses in the audit log     | RETENTION_AUDIT_IP_DAYS (90); recorded on security | blanked |
|                                   | events only (`lms.audit.audit.is_security_action`) |         |
| register notes                    | RETENTION_REGISTER_NOTE_DAYS (365) after the       | blanked |
|                                   | session ended; the attendance mark itself is kept  |         |
| where self check-ins came from    | RETENTION_CHECK_IN_SOURCE_DAYS (30) after the      | blanked |
| (digests of device and address)   | session ended                                      |         |
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, delete, exists, func, or_, select, update
from sqlalchemy.orm import aliased

from courses.models import AttendanceRecord, Session
from lms.audit import audit
from lms.auth.accounts import INVITATION
from lms.auth.models import PasswordToken
from lms.core import outbox
from lms.core.extensions import db


def apply_retention(now: datetime) -> dict[str, int]:
    """Removes or blanks whatever has outlived its period; returns how many of each kind.

    Idempotent. Each kind is looked for with a read first, so a run with nothing to do
    writes nothing (and never holds SQLite's write lock); each touches at most
    RETENTION_BATCH_SIZE rows a run (the outbox's purge aside), so a backlog is worked
    off over the next runs instead of making one run long. One audit event, with the
    counts, says when anything was done. The caller commits.
    """
    config = current_app.config

    def days_ago(setting: str) -> datetime:
        return now - timedelta(days=config[setting])

    limit = config["RETENTION_BATCH_SIZE"]
    # Keys that name no secret: the audit log drops any key with "password" in it.
    counts = {
        "mail": outbox.purge_finished(
            sent_before=days_ago("RETENTION_SENT_MAIL_DAYS"),
            failed_before=days_ago("RETENTION_FAILED_MAIL_DAYS"),
        ),
        "spent_links": remove_spent_password_tokens(
            days_ago("RETENTION_PASSWORD_TOKEN_DAYS"), limit=limit
        ),
        "audit_ip_addresses": audit.blank_ip_addresses(
            occurred_before=days_ago("RETENTION_AUDIT_IP_DAYS"), limit=limit
        ),
        "register_notes": blank_register_notes(
            days_ago("RETENTION_REGISTER_NOTE_DAYS"), limit=limit
        ),
        "check_in_sources": blank_check_in_sources(
            days_ago("RETENTION_CHECK_IN_SOURCE_DAYS"), limit=limit
        ),
    }
    if any(counts.values()):
        audit.record(None, "retention.applied", None, None, counts, entity_type="System")
    return counts


def remove_spent_password_tokens(spent_before: datetime, *, limit: int) -> int:
    """Deletes up to `limit` password links used, or expired unused, before the given
    time; returns how many. Each person's latest invitation is kept whatever its age:
    the people pages show its state, and "not yet invited" means having none."""
    token, later = PasswordToken, aliased(PasswordToken)
    spent = or_(
        token.used_at < spent_before,
        and_(token.used_at.is_(None), token.expires_at < spent_before),
    )
    superseded = exists().where(
        later.user_id == token.user_id,
        later.purpose == INVITATION,
        or_(
            later.created_at > token.created_at,
            and_(later.created_at == token.created_at, later.id > token.id),
        ),
    )
    # Only people invited more than once have an invitation to remove: finding them
    # first spares a look for a later invitation for each of a trust's people.
    invited = aliased(PasswordToken)
    reinvited = (
        select(invited.user_id)
        .where(invited.purpose == INVITATION)
        .group_by(invited.user_id)
        .having(func.count() > 1)
    )
    ids = db.session.scalars(
        select(token.id).where(token.purpose != INVITATION, spent).limit(limit)
    ).all()
    ids += db.session.scalars(
        select(token.id)
        .where(token.purpose == INVITATION, token.user_id.in_(reinvited), spent, superseded)
        .limit(limit - len(ids))
    ).all()
    if not ids:
        return 0
    removed = db.session.execute(
        delete(PasswordToken)
        .where(PasswordToken.id.in_(ids))
        .execution_options(synchronize_session=False)
    )
    return removed.rowcount


def blank_register_notes(ended_before: datetime, *, limit: int) -> int:
    """Blanks the notes of up to `limit` attendance records of sessions that ended before
    the given time; returns how many. Each record's version moves on, as any change does,
    so a register page loaded before cannot write the note back."""
    return _blank_attendance_records(
        AttendanceRecord.note.is_not(None),
        {"note": None, "version": AttendanceRecord.version + 1},
        ended_before,
        limit,
    )


def blank_check_in_sources(ended_before: datetime, *, limit: int) -> int:
    """Blanks where up to `limit` self check-ins came from (the digests of their device
    and address, kept to spot a relayed code) for sessions that ended before the given
    time; returns how many. Not a change of attendance: the version stays."""
    return _blank_attendance_records(
        or_(
            AttendanceRecord.check_in_device.is_not(None),
            AttendanceRecord.check_in_address.is_not(None),
        ),
        {"check_in_device": None, "check_in_address": None},
        ended_before,
        limit,
    )


def _blank_attendance_records(holding, values: dict, ended_before: datetime, limit: int) -> int:
    """Sets `values` on up to `limit` records `holding` something, of sessions that ended
    before the given time (found with a read first, so a run with none writes nothing)."""
    ids = db.session.scalars(
        select(AttendanceRecord.id)
        .join(Session, Session.id == AttendanceRecord.session_id)
        .where(holding, Session.ends_at < ended_before)
        .limit(limit)
    ).all()
    if not ids:
        return 0
    blanked = db.session.execute(
        update(AttendanceRecord)
        .where(AttendanceRecord.id.in_(ids))
        .values(values)
        .execution_options(synchronize_session=False)
    )
    return blanked.rowcount
