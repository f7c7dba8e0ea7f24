"""Certificates: one for each of the newest completions of closed cohorts (60,000 at factor
1, or every completion if there are fewer), issued by the system on the day the cohort
closed (`cohorts.closed_at`), with the snapshot `certificates.issuing` takes: the
learner's name, the course's code, title, CPD hours and accreditation, the cohort, the
days of its held sessions (the app's own fallback when the register says nothing) and
its trainers. Numbers run without gaps per year in order of issue, with each year's
last serial in `certificate_serial`; verification codes are 140 bits in
`certificates.codes`' alphabet, drawn from the seed's random generator (not `secrets`),
so the same seed gives the same codes. Expiry follows the course's validity months.

Most are valid; those on courses with a validity have expired or expire soon as their
dates say, and their holders were told (`expiry_notice_sent_at`, and the mail) where
`flask lms tick` would already have told them, so its first run after seeding does not
tell a thousand holders at once. About one in a hundred was revoked by an admin (a
reason and a note), and about one in a hundred re-issued: a second generation for the
same enrolment, the first superseded by it. Each issue, re-issue, revocation and notice
has its audit event or its mail, as the app writes them, long since sent.

The PDFs are NOT all real. Drawing 60,000 with ReportLab would take about ten minutes
and 2.7 GB, so only the certificates the demo accounts' pages show are rendered by
`certificates.render`, exactly as issuing renders them: the demo learner's, and every
certificate of the demo trainer's most recently closed cohort with certificates (the
one whose ZIP the benchmark downloads). Every other certificate stores a stand-in: a
valid one-page PDF of a few hundred bytes that names its number and says it is a
stand-in, made by formatting a template. `pdf_sha256` is always the digest of the bytes
stored, so the public tamper check agrees with every download.

The demo learner has a certificate for each of their completions: the most recent one
re-issued (their list shows it superseded beside its replacement), the one before it
revoked, any older ones as their dates say.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import select

from certificates import codes
from certificates.issuing import expiry_date, page_for
from certificates.models import (
    Certificate,
    CertificateFile,
    CertificateSerial,
    CertificateStatus,
    RevocationReason,
)
from certificates.render import LAYOUT, render_certificate
from courses.models import CohortStatus, Course
from courses.models import EnrolmentStatus as Status
from lms.audit.audit import AuditEvent
from lms.auth.models import User
from lms.core.outbox import SENT, OutboxMessage
from lms.core.timezones import start_of_local_day, to_local
from lms.scale.assessments import Batches
from lms.scale.cohorts import closed_at as cohort_closed_at
from lms.scale.history import audit_row
from lms.scale.world import LEARNER, TRAINER, CohortRow, EnrolmentRow, World
from lms.web.urls import external_url

CERTIFICATES = 60_000  # at factor 1
REISSUED = 0.01
REVOKED = 0.01
# (reason, weight, the admin's note); the accreditation's withdrawal only where there is one
REVOCATIONS = (
    (
        RevocationReason.ISSUED_IN_ERROR,
        5,
        "Issued in error: the register was corrected after the cohort closed",
    ),
    (
        RevocationReason.MISCONDUCT,
        1,
        "The assignment was found not to be the learner's own work (case upheld)",
    ),
    (
        RevocationReason.ACCREDITATION_WITHDRAWN,
        2,
        "The accrediting body withdrew its accreditation of this cohort's run",
    ),
    (RevocationReason.OTHER, 2, "Revoked at the request of the learner's professional body"),
)
REISSUE_NOTES = (
    "The learner's name was corrected",
    "The dates attended were corrected after the register was amended",
    "Re-issued at the learner's request after a change of name",
)


# --- the stand-in PDF -----------------------------------------------------------------------

_STAND_IN_TEXT = (
    "BT /F1 22 Tf 60 480 Td (Certificate {number}) Tj ET\n"
    "BT /F1 11 Tf 60 450 Td (A stand-in made by flask lms seed-scale: only the certificates "
    "the demo accounts see are drawn in full.) Tj ET"
)
_STAND_IN_OBJECTS = (
    b"<< /Type /Catalog /Pages 2 0 R >>",
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 841.89 595.28] "
    b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
    b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
)


def _fixed_part() -> tuple[bytes, list[int]]:
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(_STAND_IN_OBJECTS, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    return bytes(out), offsets


_HEAD, _HEAD_OFFSETS = _fixed_part()
_XREF_HEAD = b"".join(b"%010d 00000 n \n" % offset for offset in _HEAD_OFFSETS)


def stand_in_pdf(number: str) -> bytes:
    """A valid one-page PDF naming the certificate's number (ASCII only: a number is
    letters, digits and hyphens), with its cross-reference table worked out here."""
    text = _STAND_IN_TEXT.format(number=number).encode("ascii")
    stream = b"5 0 obj\n<< /Length %d >>\nstream\n%s\nendstream\nendobj\n" % (len(text), text)
    xref = len(_HEAD) + len(stream)
    return b"".join(
        (
            _HEAD,
            stream,
            b"xref\n0 6\n0000000000 65535 f \n",
            _XREF_HEAD,
            b"%010d 00000 n \n" % len(_HEAD),
            b"trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref,
        )
    )


# --- the plan -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CourseFacts:
    code: str
    title: str
    cpd_hours: Decimal
    accreditation_body: str | None
    accreditation_reference: str | None
    validity_months: int | None


@dataclass
class Issue:
    """One certificate to write: the enrolment's `generation`, and what became of it."""

    enrolment: EnrolmentRow
    generation: int
    issued_at: datetime
    real_pdf: bool
    id: int = 0
    serial_year: int = 0
    serial: int = 0
    number: str = ""
    code: str = ""
    replaces: Issue | None = None
    superseded_by: Issue | None = None
    changed_by: int | None = None  # the admin who re-issued or revoked it
    changed_at: datetime | None = None
    note: str | None = None
    reason: RevocationReason | None = None


def seed(world: World) -> None:
    courses, names = _facts(world)
    completions = _completions(world)
    zip_cohort = _zip_cohort(world, completions)
    issues = _plan(world, completions, zip_cohort, courses)
    _number(world, issues)
    Writing(world, courses, names).write(issues)


def _facts(world: World) -> tuple[dict[int, CourseFacts], dict[int, str]]:
    """What certificates print about courses and people, read back from the rows the
    catalogue and people steps wrote (their rows in `world` keep only what others need)."""
    course = Course.__table__
    connection = world.writer.connection
    courses = {
        row.id: CourseFacts(*row[1:])
        for row in connection.execute(
            select(
                course.c.id,
                course.c.code,
                course.c.title,
                course.c.cpd_hours,
                course.c.accreditation_body,
                course.c.accreditation_reference,
                course.c.certificate_validity_months,
            )
        )
    }
    user = User.__table__
    names = dict(connection.execute(select(user.c.id, user.c.full_name)).all())
    return courses, names


def _completions(world: World) -> list[tuple[EnrolmentRow, datetime]]:
    """The completions that have certificates, with when their cohort closed, oldest
    first: the newest CERTIFICATES x factor (those before had paper ones), and the demo
    learner's whenever they were."""
    demo = world.demo[LEARNER]
    closed = {
        cohort.id: cohort_closed_at(cohort)
        for cohort in world.cohorts
        if cohort.status == CohortStatus.CLOSED
    }
    completed = sorted(
        (
            (closed[enrolment.cohort.id], enrolment.id, enrolment)
            for enrolment in world.enrolments
            if enrolment.status == Status.COMPLETED and enrolment.cohort.id in closed
        ),
        key=lambda each: each[:2],
    )
    wanted = min(round(CERTIFICATES * world.plan.factor), len(completed))
    kept = completed[len(completed) - wanted :]
    kept += [each for each in completed[: len(completed) - wanted] if each[2].learner_id == demo]
    kept.sort(key=lambda each: each[:2])
    return [(enrolment, when) for when, _, enrolment in kept]


def _zip_cohort(world: World, completions) -> CohortRow | None:
    """The demo trainer's most recently closed cohort with certificates (the latest
    `closed_at`, then the highest id), as `benchmarks.inprocess` finds it again."""
    trainer = world.demo[TRAINER]
    theirs = [
        (when, enrolment.cohort.id, enrolment.cohort)
        for enrolment, when in completions
        if trainer in enrolment.cohort.trainer_ids
    ]
    return max(theirs, key=lambda each: each[:2])[2] if theirs else None


def _plan(world: World, completions, zip_cohort, courses) -> list[Issue]:
    """Every certificate, with the re-issues and revocations that happened since. The
    demo learner's latest was re-issued and the one before revoked, so their list shows
    every standing their dates allow."""
    rng = world.rng
    demo = world.demo[LEARNER]
    theirs = [enrolment.id for enrolment, _ in completions if enrolment.learner_id == demo]
    demo_rolls = dict(zip(reversed(theirs), (0.0, REISSUED), strict=False))
    issues = []
    seconds: dict[int, int] = {}  # a cohort's certificates are issued one after another
    for enrolment, closed in completions:
        cohort = enrolment.cohort
        seconds[cohort.id] = seconds.get(cohort.id, 0) + 1
        real = enrolment.learner_id == demo or cohort is zip_cohort
        first = Issue(enrolment, 1, closed + timedelta(seconds=seconds[cohort.id]), real)
        issues.append(first)
        roll = rng.random()
        if enrolment.learner_id == demo:
            roll = demo_rolls.get(enrolment.id, 1.0)
        changed_at = _later(world, first.issued_at) if roll < REISSUED + REVOKED else None
        if changed_at is None:
            continue
        if roll < REISSUED:
            first.changed_by, first.changed_at = rng.choice(world.admin_ids), changed_at
            first.note = rng.choice(REISSUE_NOTES)
            second = Issue(enrolment, 2, changed_at, real, replaces=first)
            first.superseded_by = second
            issues.append(second)
        elif roll < REISSUED + REVOKED:
            accredited = courses[cohort.course.id].accreditation_body is not None
            choices = [
                each
                for each in REVOCATIONS
                if accredited or each[0] != RevocationReason.ACCREDITATION_WITHDRAWN
            ]
            reason, _, note = rng.choices(choices, weights=[each[1] for each in choices])[0]
            first.changed_by, first.changed_at = rng.choice(world.admin_ids), changed_at
            first.reason, first.note = reason, note
    return issues


def _later(world: World, issued_at: datetime) -> datetime | None:
    """A moment in office hours on a day after the issue and before today; None if the
    certificate is too new for anything to have happened to it."""
    span = world.now - issued_at - timedelta(days=2)
    if span < timedelta(days=1):
        return None
    day = to_local(issued_at + timedelta(days=1) + span * world.rng.random()).date()
    return start_of_local_day(day) + timedelta(hours=world.rng.uniform(9, 17))


def _number(world: World, issues: list[Issue]) -> None:
    """Ids, numbers and codes in order of issue: serials per year without gaps, as
    `issuing._next_serial` gives them; each year's last serial in `certificate_serial`."""
    issues.sort(key=lambda issue: (issue.issued_at, issue.enrolment.id, issue.generation))
    prefix = current_app.config["CERTIFICATE_PREFIX"]
    serials: dict[int, int] = {}
    ids = world.writer.ids(Certificate.__table__, len(issues))
    for id_, issue in zip(ids, issues, strict=True):
        year = to_local(issue.issued_at).year
        serials[year] = serials.get(year, 0) + 1
        issue.id, issue.serial_year, issue.serial = id_, year, serials[year]
        issue.number = codes.certificate_number(prefix, year, issue.serial)
        issue.code = _code(world)
    world.writer.insert(
        CertificateSerial.__table__,
        [{"year": year, "last": last} for year, last in sorted(serials.items())],
    )


def _code(world: World) -> str:
    """`codes.new_code`, from the seed's random generator: the same seed, the same codes."""
    number = world.rng.getrandbits(codes.CODE_BITS)
    characters = []
    for _ in range(codes.CODE_LENGTH):
        number, digit = divmod(number, 32)
        characters.append(codes.ALPHABET[digit])
    return "".join(characters)


# --- the rows -------------------------------------------------------------------------------


class Writing:
    """Certificates, their files, audit events and mail, in chunks. A superseded
    certificate points at the one that replaced it, so the current ones go in first."""

    def __init__(self, world: World, courses: dict[int, CourseFacts], names: dict[int, str]):
        self.world = world
        self.courses = courses
        self.names = names
        config = current_app.config
        self.notice_days = timedelta(days=config["CERTIFICATE_EXPIRY_NOTICE_DAYS"])
        self.today_began = start_of_local_day(world.today)
        self.certificates_link = external_url("certificates.index")
        self.verify_link = external_url("verification.certificate", code="-").removesuffix("-")
        self._days: dict[int, list[str]] = {}
        self.batches = Batches(
            world,
            Certificate.__table__,
            CertificateFile.__table__,
            AuditEvent.__table__,
            OutboxMessage.__table__,
        )

    def write(self, issues: list[Issue]) -> None:
        for issue in issues:
            if issue.superseded_by is None:
                self._add(issue)
        for issue in issues:
            if issue.superseded_by is not None:
                self._add(issue)
        self.batches.flush()

    def _add(self, issue: Issue) -> None:
        row = self._row(issue)
        if issue.real_pdf:
            content = render_certificate(page_for(Certificate(**row)))
        else:
            content = stand_in_pdf(issue.number)
        row["pdf_sha256"] = hashlib.sha256(content).hexdigest()
        self.batches.add(Certificate.__table__, row)
        self.batches.add(
            CertificateFile.__table__, {"certificate_id": issue.id, "content": content}
        )
        for event in self._events(issue, row):
            self.batches.add(AuditEvent.__table__, event)
        for mail in self._mail(issue, row):
            self.batches.add(OutboxMessage.__table__, mail)

    def _row(self, issue: Issue) -> dict:
        enrolment, cohort = issue.enrolment, issue.enrolment.cohort
        course = self.courses[cohort.course.id]
        issued_on = to_local(issue.issued_at).date()
        expires_on = expiry_date(issued_on, course.validity_months)
        status = CertificateStatus.VALID
        if issue.superseded_by is not None:
            status = CertificateStatus.SUPERSEDED
        elif issue.reason is not None:
            status = CertificateStatus.REVOKED
        revoked = status == CertificateStatus.REVOKED
        notice = self._notice(issue, expires_on)
        return {
            "id": issue.id,
            "number": issue.number,
            "serial_year": issue.serial_year,
            "serial": issue.serial,
            "verification_code": issue.code,
            "enrolment_id": enrolment.id,
            "generation": issue.generation,
            "learner_id": enrolment.learner_id,
            "course_id": cohort.course.id,
            "cohort_id": cohort.id,
            "learner_name": self.names[enrolment.learner_id],
            "course_code": course.code,
            "course_title": course.title,
            "cohort_code": cohort.code,
            "cpd_hours": course.cpd_hours,
            "accreditation_body": course.accreditation_body,
            "accreditation_reference": course.accreditation_reference,
            "session_dates": self._session_dates(cohort),
            "trainer_names": [self.names[trainer] for trainer in cohort.trainer_ids],
            "issued_at": issue.issued_at,
            "issued_on": issued_on,
            "expires_on": expires_on,
            "layout": LAYOUT,
            "pdf_sha256": "",
            "status": status,
            "revoked_at": issue.changed_at if revoked else None,
            "revoked_by_id": issue.changed_by if revoked else None,
            "revocation_reason": issue.reason,
            "revocation_note": issue.note if revoked else None,
            "superseded_by_id": issue.superseded_by.id if issue.superseded_by else None,
            "superseded_at": issue.changed_at if issue.superseded_by else None,
            "expiry_notice_sent_at": notice,
            "created_at": issue.issued_at,
            "updated_at": max(filter(None, (issue.issued_at, issue.changed_at, notice))),
        }

    def _session_dates(self, cohort: CohortRow) -> list[str]:
        """The UK days of the cohort's held sessions (`issuing._attended_days`' fallback:
        the register's per-learner detail is not kept in memory while seeding)."""
        if cohort.id not in self._days:
            held = {to_local(s.starts_at).date() for s in cohort.sessions if not s.cancelled}
            self._days[cohort.id] = [day.isoformat() for day in sorted(held)]
        return list(self._days[cohort.id])

    def _notice(self, issue: Issue, expires_on: date | None) -> datetime | None:
        """When `certificates.expiry` (run by the tick every few minutes) told the holder
        it expires soon: at the start of the first day within the notice period, if that
        came before today and while the certificate was current. The tick never tells of
        one already expired, so these would otherwise never be marked."""
        if expires_on is None:
            return None
        told = max(start_of_local_day(expires_on - self.notice_days), issue.issued_at)
        return told if told < (issue.changed_at or self.today_began) else None

    def _events(self, issue: Issue, row: dict) -> Iterator[dict]:
        """`issuing.issue`, `reissue` and `revoke`'s audit events."""
        world = self.world
        snapshot = {
            "number": row["number"],
            "enrolment": row["enrolment_id"],
            "learner_name": row["learner_name"],
            "course": row["course_code"],
            "cpd_hours": str(row["cpd_hours"]),
            "expires_on": row["expires_on"].isoformat() if row["expires_on"] else None,
            "pdf_sha256": row["pdf_sha256"],
        }
        valid = {"status": CertificateStatus.VALID.value}
        old = issue.replaces
        if old is None:
            yield audit_row(
                world, issue.issued_at, None, "certificate.issued", "Certificate", issue.id,
                after=snapshot,
            )  # fmt: skip
        else:
            after = {
                "status": CertificateStatus.SUPERSEDED.value,
                "superseded_by": issue.number,
                "note": old.note,
            }
            yield audit_row(
                world, old.changed_at, old.changed_by, "certificate.reissued", "Certificate",
                old.id, before=valid, after=after,
            )  # fmt: skip
            yield audit_row(
                world, issue.issued_at, old.changed_by, "certificate.issued", "Certificate",
                issue.id, after=snapshot | {"replaces": old.number},
            )  # fmt: skip
        if issue.reason is not None:
            after = {
                "status": CertificateStatus.REVOKED.value,
                "reason": issue.reason.value,
                "note": issue.note,
            }
            yield audit_row(
                world, issue.changed_at, issue.changed_by, "certificate.revoked", "Certificate",
                issue.id, before=valid, after=after,
            )  # fmt: skip

    def _mail(self, issue: Issue, row: dict) -> Iterator[dict]:
        """The holder was told of the issue (or re-issue), of a revocation and of the
        coming expiry, as the certificates' mail templates say it; all long since sent."""
        name, title, number = row["learner_name"], row["course_title"], row["number"]
        verify = self.verify_link + codes.grouped(issue.code)
        if issue.replaces is None:
            subject = f"Your certificate for {title}"
            body = (
                f"Hello {name},\n\nCongratulations: you have completed {title}. Your "
                f"certificate ({number}) is ready to download:\n{self.certificates_link}\n\n"
                "Anyone can check it is genuine at this address, which its QR code opens "
                f"too:\n{verify}\n"
            )
        else:
            subject = f"Your re-issued certificate for {title}"
            body = (
                f"Hello {name},\n\nYour certificate for {title} has been re-issued. The new "
                f"certificate is {number}; it replaces {issue.replaces.number}, which now "
                "shows as replaced when checked. Download the new one:\n"
                f"{self.certificates_link}\n\nIts verification address:\n{verify}\n"
            )
        yield self._message(issue, issue.issued_at, subject, body)
        if issue.reason is not None:
            body = (
                f"Hello {name},\n\nYour certificate {number} for {title} has been revoked. "
                f"Reason: {issue.reason.label}. Anyone who checks it now sees that it is no "
                "longer valid.\n\nIf you think this is a mistake, contact the PMO team.\n\n"
                f"Your certificates:\n{self.certificates_link}\n"
            )
            subject = f"Your certificate for {title} has been revoked"
            yield self._message(issue, issue.changed_at, subject, body)
        if row["expiry_notice_sent_at"] is not None:
            expires = f"{row['expires_on']:%-d %B %Y}"
            body = (
                f"Hello {name},\n\nYour certificate {number} for {title} expires on {expires}. "
                "After that, anyone who checks it will see that it has expired.\n\n"
                f"Your certificates:\n{self.certificates_link}\n"
            )
            subject = f"Your certificate for {title} expires on {expires}"
            yield self._message(issue, row["expiry_notice_sent_at"], subject, body)

    def _message(self, issue: Issue, when: datetime, subject: str, body: str) -> dict:
        sent_at = when + timedelta(minutes=1)
        return {
            "created_at": when,
            "recipient": self.world.people[issue.enrolment.learner_id - 1].email,
            "subject": subject,
            "body_text": body,
            "body_html": None,
            "attachments": None,
            "status": SENT,
            "attempts": 1,
            "next_attempt_at": sent_at,
            "last_error": None,
            "sent_at": sent_at,
        }
