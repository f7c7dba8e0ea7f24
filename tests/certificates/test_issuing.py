"""Issuing, revoking and re-issuing certificates: certificates/issuing.py and receivers.py."""

from __future__ import annotations

import hashlib
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from certificates import CertificateRefused, codes, issue, issuing, pdf_bytes, reissue, revoke
from certificates.models import (
    Certificate,
    CertificateFile,
    CertificateStatus,
    RevocationReason,
    Standing,
)
from courses.cohorts.closing import close_cohort, reopen_cohort
from courses.models import AttendanceRecord, AttendanceStatus, CohortStatus, EnrolmentStatus
from lms.core import outbox
from lms.core.extensions import db
from lms.core.outbox import OutboxMessage
from tests.helpers import MONTH_AGO, NOW, days, events, links_in, span

# --- codes and numbers -----------------------------------------------------------------------


def test_codes_carry_140_random_bits_in_an_unambiguous_alphabet():
    made = {codes.new_code() for _ in range(10_000)}
    assert len(made) == 10_000
    for code in list(made)[:500]:
        assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{28}", code)
    assert codes.CODE_BITS >= 128


def test_a_code_is_read_back_however_it_is_typed():
    code = codes.new_code()
    typed = codes.grouped(code).lower()
    assert codes.normalise(typed) == code
    assert codes.normalise(f"  {code[:10]} {code[10:]} ") == code
    # O, I and L are read as the digits they look like.
    assert codes.normalise("O" * 27 + "I") == "0" * 27 + "1"
    assert codes.normalise("L" * 28) == "1" * 28
    assert codes.normalise(code[:-1]) is None
    assert codes.normalise(code + "0") is None
    assert codes.normalise("U" * 28) is None
    assert codes.normalise("") is None


def test_numbers_read_prefix_year_serial():
    assert codes.certificate_number("PMO", 2026, 42) == "PMO-2026-00042"
    assert codes.certificate_number("PMO", 2026, 123456) == "PMO-2026-123456"


def test_10000_serials_in_a_year_run_without_a_gap_or_a_duplicate(app):
    serials = [issuing._next_serial(2031) for _ in range(10_000)]
    assert serials == list(range(1, 10_001))
    numbers = {codes.certificate_number("PMO", 2031, serial) for serial in serials}
    assert len(numbers) == 10_000
    assert issuing._next_serial(2032) == 1  # each year starts again


def test_expiry_adds_the_validity_months_and_keeps_to_the_month():
    assert issuing.expiry_date(date(2026, 12, 6), 36) == date(2029, 12, 6)
    assert issuing.expiry_date(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert issuing.expiry_date(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert issuing.expiry_date(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert issuing.expiry_date(date(2026, 12, 6), None) is None


# --- issuing ---------------------------------------------------------------------------------


def test_a_certificate_keeps_what_was_true_on_the_day_of_issue(make_certificate, learner, trainer):
    certificate = make_certificate(learner)
    assert re.fullmatch(rf"PMO-{certificate.issued_on.year}-\d{{5}}", certificate.number)
    assert certificate.learner_name == "Zoë Ashworth"
    assert certificate.course_title == "Occasional project managers"
    assert certificate.cpd_hours == Decimal("7.50")
    assert (certificate.accreditation_body, certificate.accreditation_reference) == (
        "APM",
        "APM-CPD-0042",
    )
    assert certificate.trainer_names == [trainer.full_name]
    assert len(certificate.session_dates) == 2
    assert certificate.expires_on == issuing.expiry_date(certificate.issued_on, 36)
    assert certificate.status == CertificateStatus.VALID
    content = pdf_bytes(certificate)
    assert content.startswith(b"%PDF-")
    assert certificate.pdf_sha256 == hashlib.sha256(content).hexdigest()

    learner.full_name = "Zoë Ashworth-Jones"
    certificate.course.title = "Renamed"
    db.session.commit()
    db.session.expire_all()
    again = db.session.get(Certificate, certificate.id)
    assert (again.learner_name, again.course_title) == (
        "Zoë Ashworth",
        "Occasional project managers",
    )


def test_only_attended_days_are_printed(make_completed, certified_course):
    enrolment = make_completed(certified_course)
    first = enrolment.cohort.sessions[0]
    record = db.session.scalar(
        select(AttendanceRecord).where(AttendanceRecord.session_id == first.id)
    )
    record.status = AttendanceStatus.EXCUSED
    db.session.commit()
    certificate = issue(enrolment)
    assert len(certificate.session_dates) == 1


def test_issuing_again_returns_the_same_certificate(make_completed, certified_course):
    enrolment = make_completed(certified_course)
    first = issue(enrolment)
    db.session.commit()
    again = issue(enrolment)
    db.session.commit()
    assert again.id == first.id
    assert db.session.scalar(select(func.count(Certificate.id))) == 1
    assert len(events("certificate.issued")) == 1


def test_serials_follow_on_and_restart_each_year(make_certificate):
    first = make_certificate(now=NOW.replace(year=2030, month=6))
    second = make_certificate(now=NOW.replace(year=2030, month=7))
    next_year = make_certificate(now=NOW.replace(year=2031, month=6))
    assert (first.number, second.number, next_year.number) == (
        "PMO-2030-00001",
        "PMO-2030-00002",
        "PMO-2031-00001",
    )


def test_the_prefix_is_a_setting(app, make_certificate):
    app.config["CERTIFICATE_PREFIX"] = "UHX"
    assert make_certificate().number.startswith("UHX-")


def test_an_enrolment_not_completed_gets_no_certificate(make_completed, certified_course):
    enrolment = make_completed(certified_course)
    enrolment.status = EnrolmentStatus.NOT_COMPLETED
    db.session.commit()
    with pytest.raises(CertificateRefused):
        issue(enrolment)


def test_unique_constraints_hold_in_the_database(make_certificate):
    certificate = make_certificate()
    columns = {
        column.key: getattr(certificate, column.key)
        for column in Certificate.__table__.columns
        if column.key != "id"
    }
    for clash in ("generation", "number", "verification_code", "serial"):
        row = dict(columns)
        row.update(
            number=f"X-{clash}",
            verification_code=codes.new_code(),
            serial=certificate.serial + 1,
            generation=certificate.generation + 1,
        )
        row[clash] = columns[clash]
        with pytest.raises(IntegrityError), db.session.begin_nested():
            db.session.execute(Certificate.__table__.insert().values(**row))


def test_closing_a_cohort_issues_certificates_at_once_and_tells_each_learner(
    make_cohort, make_enrolment, make_user, certified_course, trainer, smtp
):
    cohort = make_cohort(
        certified_course,
        status=CohortStatus.RUNNING,
        trainers=[trainer],
        sessions=[span(days(-4))],
    )
    learners = [make_user(full_name=name) for name in ("Siân Ffion ap Gwyn", "Antonín Dvořák")]
    enrolments = [
        make_enrolment(cohort, learner, confirmed_at=MONTH_AGO, requested_at=MONTH_AGO)
        for learner in learners
    ]
    absent = make_enrolment(cohort, confirmed_at=MONTH_AGO, requested_at=MONTH_AGO)
    for enrolment, status in zip(
        [*enrolments, absent], ["present", "present", "absent"], strict=True
    ):
        db.session.add(
            AttendanceRecord(
                session=cohort.sessions[0],
                enrolment=enrolment,
                status=AttendanceStatus(status),
                method="register",
                marked_at=NOW,
            )
        )
    db.session.commit()

    close_cohort(cohort, by=trainer, now=NOW)
    db.session.commit()  # the receivers run now

    issued = db.session.scalars(select(Certificate).order_by(Certificate.learner_name)).all()
    assert [c.learner_name for c in issued] == ["Antonín Dvořák", "Siân Ffion ap Gwyn"]
    assert len(events("certificate.issued")) == 2
    outbox.deliver_all_due()
    mail = [message for message in smtp if message["Subject"].startswith("Your certificate")]
    assert sorted(message["To"] for message in mail) == sorted(person.email for person in learners)
    links = links_in(mail[0])
    assert any(link.endswith("/certificates/") for link in links), links
    code = issued[0].display_code if mail[0]["To"] == learners[1].email else issued[1].display_code
    assert any(link.endswith(f"/verify/{code}") for link in links), links


def test_a_withdrawn_completion_revokes_and_a_new_one_issues_again(
    make_cohort, make_enrolment, certified_course, trainer, admin
):
    cohort = make_cohort(
        certified_course, status=CohortStatus.RUNNING, trainers=[trainer], sessions=[span(days(-4))]
    )
    enrolment = make_enrolment(cohort, confirmed_at=MONTH_AGO, requested_at=MONTH_AGO)
    record = AttendanceRecord(
        session=cohort.sessions[0],
        enrolment=enrolment,
        status=AttendanceStatus.PRESENT,
        method="register",
        marked_at=NOW,
    )
    db.session.add(record)
    db.session.commit()
    close_cohort(cohort, by=trainer, now=NOW)
    db.session.commit()
    first = issuing.current_certificate(enrolment.id)
    assert first.status == CertificateStatus.VALID

    reopen_cohort(cohort, "The register was wrong", by=admin)
    record.status = AttendanceStatus.ABSENT
    db.session.commit()
    close_cohort(cohort, by=admin, now=NOW)
    db.session.commit()
    db.session.expire_all()
    first = db.session.get(Certificate, first.id)
    assert first.status == CertificateStatus.REVOKED
    assert first.revocation_reason == RevocationReason.COMPLETION_WITHDRAWN

    reopen_cohort(cohort, "It was right after all", by=admin)
    db.session.get(AttendanceRecord, record.id).status = AttendanceStatus.PRESENT
    db.session.commit()
    close_cohort(cohort, by=admin, now=NOW)
    db.session.commit()
    db.session.expire_all()
    second = issuing.current_certificate(enrolment.id)
    assert second.id != first.id and second.generation == 2
    assert second.status == CertificateStatus.VALID
    first = db.session.get(Certificate, first.id)
    assert first.status == CertificateStatus.REVOKED  # it stays revoked
    assert first.superseded_by_id == second.id


# --- revoking and re-issuing -----------------------------------------------------------------


def test_an_admin_revokes_with_a_reason_and_the_holder_is_told(make_certificate, admin, learner):
    certificate = make_certificate(learner)
    revoke(certificate, RevocationReason.ISSUED_IN_ERROR, "Enrolled on the wrong cohort", by=admin)
    db.session.commit()
    assert certificate.status == CertificateStatus.REVOKED
    assert certificate.standing(NOW.date(), 60) == Standing.REVOKED
    (event,) = events("certificate.revoked")
    assert event.actor_id == admin.id
    assert event.after["reason"] == "issued_in_error"
    told = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.subject.like("%has been revoked"))
    )
    assert told.recipient == learner.email
    assert "Issued in error" in told.body_text
    assert "wrong cohort" not in told.body_text  # the note is for the PMO

    with pytest.raises(CertificateRefused, match="Only a current certificate"):
        revoke(certificate, RevocationReason.OTHER, "Again", by=admin)


def test_revoking_needs_an_admin_and_a_note(make_certificate, learner, trainer, admin):
    certificate = make_certificate(learner)
    with pytest.raises(CertificateRefused, match="Only the PMO team"):
        revoke(certificate, RevocationReason.OTHER, "No", by=trainer)
    with pytest.raises(CertificateRefused) as refused:
        revoke(certificate, RevocationReason.OTHER, "   ", by=admin)
    assert refused.value.field == "note"
    assert certificate.status == CertificateStatus.VALID


def test_reissuing_makes_a_new_certificate_and_supersedes_the_old(make_certificate, learner, admin):
    old = make_certificate(learner)
    learner.full_name = "Zoë Ashworth-Jones"
    db.session.commit()
    new = reissue(old, "Changed her name", by=admin)
    db.session.commit()
    assert new.number != old.number and new.verification_code != old.verification_code
    assert new.learner_name == "Zoë Ashworth-Jones"
    assert new.generation == old.generation + 1
    assert old.status == CertificateStatus.SUPERSEDED
    assert old.superseded_by_id == new.id
    assert old.standing(NOW.date(), 60) == Standing.SUPERSEDED
    assert pdf_bytes(old) != pdf_bytes(new)
    # the same completion: its facts and expiry are kept, only the name is today's
    for fact in issuing.COMPLETION_FACTS:
        assert getattr(new, fact) == getattr(old, fact), fact
    assert {e.action for e in events()} >= {"certificate.reissued", "certificate.issued"}
    with pytest.raises(CertificateRefused):
        reissue(old, "Again", by=admin)


def test_a_reissue_never_extends_a_certificate(make_certificate, learner, admin):
    old = make_certificate(learner, now=NOW - timedelta(days=400))
    old.course.certificate_validity_months = 120
    old.course.title = "Renamed since"
    db.session.commit()
    new = reissue(old, "Typo in the name", by=admin)
    assert new.expires_on == old.expires_on
    assert new.course_title == "Occasional project managers"
    assert new.issued_on == NOW.date() or new.issued_on > old.issued_on


def test_expiry_and_expiring_soon_follow_the_date(make_certificate):
    certificate = make_certificate()
    expires = certificate.expires_on
    assert certificate.standing(expires - timedelta(days=61), 60) == Standing.VALID
    assert certificate.standing(expires - timedelta(days=60), 60) == Standing.EXPIRING_SOON
    assert certificate.standing(expires, 60) == Standing.EXPIRING_SOON
    assert certificate.standing(expires + timedelta(days=1), 60) == Standing.EXPIRED


def test_the_issued_bytes_are_served_even_after_the_layout_changes(make_certificate, monkeypatch):
    certificate = make_certificate()
    issued = pdf_bytes(certificate)
    # A later layout draws certificates differently; this one keeps its bytes.
    monkeypatch.setattr(issuing, "render_certificate", lambda page: b"%PDF-1.4 new layout")
    monkeypatch.setattr(issuing, "LAYOUT", "2099-01")
    db.session.expire_all()
    kept = db.session.get(Certificate, certificate.id)
    assert pdf_bytes(kept) == issued
    assert hashlib.sha256(pdf_bytes(kept)).hexdigest() == kept.pdf_sha256
    assert kept.layout != "2099-01"
    assert db.session.scalar(select(func.count()).select_from(CertificateFile)) == 1


def test_tick_issues_what_a_failed_issue_left_out(
    runner, make_completed, certified_course, monkeypatch
):
    enrolment = make_completed(certified_course)
    old = make_completed(certified_course)
    old.ended_at = NOW - timedelta(days=31)  # before the retry looks
    db.session.commit()
    failing = make_completed(certified_course)

    real_render = issuing.render_certificate

    def fails_for_one(page):
        if page.learner_name == failing.learner.full_name:
            raise OSError("the logo file is gone")
        return real_render(page)

    monkeypatch.setattr(issuing, "render_certificate", fails_for_one)
    result = runner.invoke(args=["lms", "tick"])
    assert "Issued 1 certificate(s) that a completion was still waiting for." in result.output
    db.session.expire_all()
    assert issuing.current_certificate(enrolment.id) is not None
    assert issuing.current_certificate(old.id) is None
    assert issuing.current_certificate(failing.id) is None  # left for the next tick
    again = runner.invoke(args=["lms", "tick"])
    assert "Issued 0 certificate(s)" in again.output
