"""`flask lms seed-scale`: trust-scale data in every table, the same for the same seed,
with the demo logins working on real data."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from io import BytesIO
from itertools import pairwise

import pytest
from pypdf import PdfReader
from sqlalchemy import exists, func, select, text
from sqlalchemy.orm import aliased, selectinload

from certificates import codes
from certificates.issuing import expiry_date
from certificates.models import (
    Certificate,
    CertificateFile,
    CertificateSerial,
    CertificateStatus,
    Standing,
)
from courses.assessments.attempts import mark
from courses.assessments.models import (
    Assessment,
    AssessmentKind,
    Attempt,
    AttemptQuestion,
    Question,
    Submission,
    SubmissionFile,
    SubmissionStatus,
)
from courses.assessments.results import EMPTY, course_assessments, results_for
from courses.attendance.expected import expected_at
from courses.models import (
    Cohort,
    CohortStatus,
    Enrolment,
    EnrolmentStatus,
    Session,
    cohort_trainer,
)
from lms import scale
from lms.audit.audit import AuditEvent
from lms.auth.models import User
from lms.core.db import utcnow
from lms.core.extensions import db
from lms.core.outbox import PENDING, OutboxMessage
from lms.core.timezones import start_of_local_day, to_local
from lms.cpd.models import CpdEntry, CpdEvidence, CpdProfile, EntrySource
from lms.cpd.record import EntryDetails, _from_certificate, categories_by_id, entry_problems
from lms.cpd.years import year_of
from lms.impact.models import (
    ConfidenceRating,
    EvaluationInvitation,
    FollowUp,
    Phase,
    ProjectSince,
    ReactionAnswer,
    ReactionResponse,
)
from lms.impact.waiting import waiting_count
from lms.models import metadata
from lms.projects.models import (
    CoachingSession,
    Project,
    ProjectMember,
    ProjectRole,
    ProjectStatus,
    ProjectUpdate,
    Support,
    SupportStatus,
)
from lms.projects.support import RESPONSIBLE_ROLES, supported_projects
from lms.projects.training import led_by_a_trainee, training_before
from lms.projects.years import financial_year_of
from lms.scale.certificates import CERTIFICATES
from lms.scale.cpd import DEMO_ENTRIES, ENTRIES, HEAVY_ENTRIES, TEAM_VIEW
from lms.scale.plan import Plan
from lms.scale.projects import (
    DEMO_SESSIONS,
    MAX_SESSIONS,
    MAX_TEAM,
    PROJECTS,
    TRAINER_COACHEES,
)
from tests.conftest import _empty_all_tables
from tests.helpers import count, log_in

PASSWORD = "scale-passphrase-for-tests"
FACTOR = 0.01
# Columns that differ between two runs by design: a password hash has a random salt.
SALTED = {("user_account", "password_hash")}
# Tables that only keep what is worked out from the rest, filled by the pages that read
# them: the report pages' snapshots (lms/reports/snapshots.py).
CACHES = {"report_snapshot"}


@pytest.fixture
def today():
    return to_local(utcnow()).date()


def seed(today, factor=FACTOR, seed=1):
    counts = scale.seed(factor, seed=seed, password=PASSWORD, today=today)
    db.session.commit()
    return counts


def digest() -> str:
    """A fingerprint of every row of every table, in id order."""
    fingerprint = hashlib.sha256()
    for table in metadata.sorted_tables:
        columns = [c for c in table.columns if (table.name, c.name) not in SALTED]
        rows = db.session.execute(select(*columns).order_by(*table.primary_key.columns))
        for row in rows:
            fingerprint.update(repr(tuple(row)).encode())
    return fingerprint.hexdigest()


def test_every_table_is_filled_in_proportion_to_the_factor(app, today):
    counts = seed(today)
    plan = Plan.for_factor(FACTOR)
    empty = [
        table.name
        for table in metadata.sorted_tables
        if table.name not in CACHES
        and not db.session.scalar(select(func.count()).select_from(table))
    ]
    assert empty == [], "seed-scale must fill every model's table; add a step to lms/scale"
    assert counts["user_account"] == plan.staff
    assert counts["course"] == plan.courses
    assert counts["cohort"] == plan.cohorts
    assert 0.7 * plan.sessions <= counts["cohort_session"] <= 1.3 * plan.sessions
    assert 0.7 * plan.enrolments <= counts["enrolment"] <= 1.4 * plan.enrolments
    assert counts["attendance_record"] > counts["enrolment"]
    completed = count(Enrolment, Enrolment.status == EnrolmentStatus.COMPLETED)
    certified = db.session.scalar(select(func.count(func.distinct(Certificate.enrolment_id))))
    assert certified >= min(round(CERTIFICATES * FACTOR), completed)
    assert counts["certificate_file"] == counts["certificate"]
    assert count(OutboxMessage, OutboxMessage.status == PENDING) == 0, "nothing left to send"


def test_enrolments_come_in_every_state_and_attendance_is_mostly_kept(app, today):
    seed(today)
    statuses = Counter(db.session.scalars(select(Enrolment.status)))
    assert set(statuses) == set(EnrolmentStatus)
    kept = "CASE WHEN status IN ('present', 'late', 'left_early') THEN 1.0 ELSE 0 END"
    query = text(f"SELECT avg({kept}) FROM attendance_record")  # noqa: S608 (constant)
    attended = db.session.execute(query).scalar()
    assert 0.75 <= attended <= 0.9


def test_the_same_seed_gives_the_same_data_and_another_seed_does_not(app, today):
    seed(today, seed=7)
    first = digest()
    _empty_all_tables()
    seed(today, seed=7)
    assert digest() == first
    _empty_all_tables()
    seed(today, seed=8)
    assert digest() != first


def test_the_demo_learner_has_courses_in_every_state_that_matters(app, client, today):
    seed(today)
    learner = db.session.scalar(select(User).where(User.email == "learner@example.nhs.uk"))
    statuses = set(
        db.session.scalars(select(Enrolment.status).where(Enrolment.learner_id == learner.id))
    )
    assert {
        EnrolmentStatus.COMPLETED,
        EnrolmentStatus.CONFIRMED,
        EnrolmentStatus.WAITLISTED,
        EnrolmentStatus.PENDING_APPROVAL,
    } <= statuses
    assert log_in(client, learner.email, PASSWORD).status_code == 302
    assert client.get("/").status_code == 200


def test_the_demo_trainer_has_a_register_of_25_today(app, client, today):
    seed(today)
    trainer = db.session.scalar(select(User).where(User.email == "trainer@example.nhs.uk"))
    day = start_of_local_day(today)
    session = db.session.scalar(
        select(Session)
        .join(cohort_trainer, cohort_trainer.c.cohort_id == Session.cohort_id)
        .where(
            cohort_trainer.c.user_id == trainer.id,
            Session.starts_at >= day,
            Session.starts_at < day + timedelta(days=1),
        )
    )
    expected = count(Enrolment, expected_at(session.starts_at, session.cohort_id))
    assert expected == 25
    log_in(client, trainer.email, PASSWORD)
    register = client.get(f"/teach/sessions/{session.id}/register")
    assert register.status_code == 200
    assert register.get_data(as_text=True).count('type="radio"') >= 25 * 5


def test_assessments_are_marked_as_the_app_marks_them_and_completion_follows(app, today):
    seed(today)
    attempts = db.session.scalars(
        select(Attempt)
        .where(Attempt.submitted_at.is_not(None))
        .order_by(Attempt.id)
        .limit(200)
        .options(
            selectinload(Attempt.questions)
            .selectinload(AttemptQuestion.question)
            .selectinload(Question.options)
        )
    ).all()
    assert attempts
    for attempt in attempts:
        marks = mark(attempt)
        assert (attempt.score, attempt.percent, attempt.passed) == (
            marks.score,
            marks.percent,
            marks.passed,
        ), attempt.id
        assert [aq.points_awarded for aq in attempt.questions] == [
            marks.points[aq.id] for aq in attempt.questions
        ]
    assert count(Question, Question.retired.is_(True)) > 0
    assert count(Submission, Submission.late.is_(True)) > 0
    assert count(Attempt, Attempt.submitted_at.is_(None), Attempt.deadline_at.is_not(None)) > 0
    for file in db.session.scalars(select(SubmissionFile).limit(20)):
        assert file.content.startswith(b"%PDF-1.4") and len(file.content) == file.size
        assert hashlib.sha256(file.content).hexdigest() == file.sha256
    # Whoever completed passed every required assessment, by the app's own reading.
    completed = db.session.scalars(
        select(Enrolment).where(Enrolment.status == EnrolmentStatus.COMPLETED)
    ).all()
    courses = course_assessments(enrolment.cohort.course_id for enrolment in completed)
    results = results_for(
        [enrolment.id for enrolment in completed],
        [assessment for each in courses.values() for assessment in each],
    )
    for enrolment in completed:
        for assessment in courses[enrolment.cohort.course_id]:
            if assessment.required:
                result = results.get((enrolment.id, assessment.id), EMPTY)
                passed = result.passed or result.status == SubmissionStatus.PASSED
                assert passed, (enrolment.id, assessment.id)
    assert count(Cohort, Cohort.status == CohortStatus.CLOSED, Cohort.closed_at.is_(None)) == 0


def test_the_demo_trainer_and_learner_have_assessments_to_show_today(app, client, today):
    seed(today)
    trainer = db.session.scalar(select(User).where(User.email == "trainer@example.nhs.uk"))
    learner = db.session.scalar(select(User).where(User.email == "learner@example.nhs.uk"))
    day = start_of_local_day(today)
    cohort = db.session.scalar(
        select(Cohort)
        .join(Session, Session.cohort_id == Cohort.id)
        .join(cohort_trainer, cohort_trainer.c.cohort_id == Cohort.id)
        .where(
            cohort_trainer.c.user_id == trainer.id,
            Session.starts_at >= day,
            Session.starts_at < day + timedelta(days=1),
        )
    )
    kinds = {a.kind: a for a in db.session.scalars(
        select(Assessment).where(Assessment.course_id == cohort.course_id)
    )}  # fmt: skip
    quiz, assignment = kinds[AssessmentKind.QUIZ], kinds[AssessmentKind.ASSIGNMENT]
    place = db.session.scalar(
        select(Enrolment).where(
            Enrolment.cohort_id == cohort.id, Enrolment.learner_id == learner.id
        )
    )
    attempts = db.session.scalars(
        select(Attempt).where(Attempt.enrolment_id == place.id).order_by(Attempt.number)
    ).all()
    assert [attempt.passed for attempt in attempts] == [False, True]
    sent = db.session.scalars(
        select(Submission).where(Submission.enrolment_id == place.id).order_by(Submission.number)
    ).all()
    assert [s.status for s in sent] == [SubmissionStatus.REFERRED, SubmissionStatus.SUBMITTED]
    log_in(client, learner.email, PASSWORD)
    for url in (f"/assessments/{quiz.id}", f"/attempts/{attempts[-1].id}"):
        assert client.get(url).status_code == 200, url
    client.post("/logout")
    log_in(client, trainer.email, PASSWORD)
    teach = f"/teach/cohorts/{cohort.id}"
    for url in (
        f"{teach}/assessments/{assignment.id}/marking",
        f"/teach/submissions/{sent[-1].id}",
        f"{teach}/gradebook",
        f"{teach}/close",
    ):
        assert client.get(url).status_code == 200, url


def test_the_demo_manager_has_a_team_of_12_with_requests_to_decide(app, client, today):
    seed(today)
    manager = db.session.scalar(select(User).where(User.email == "manager@example.nhs.uk"))
    assert count(User, User.line_manager_id == manager.id) == 12
    log_in(client, manager.email, PASSWORD)
    page = client.get("/approvals/").get_data(as_text=True)
    assert "Zoë Ashworth" in page


def test_the_demo_admin_sees_the_whole_trust(app, client, today):
    seed(today)
    log_in(client, "admin@example.nhs.uk", PASSWORD)
    for url in ("/admin/users/", "/admin/audit/", "/admin/cohorts/", "/teach/", "/courses/"):
        assert client.get(url).status_code == 200, url
    assert count(Cohort) == Plan.for_factor(FACTOR).cohorts


def test_seed_scale_refuses_a_database_that_has_people(app, make_user, today):
    make_user()
    with pytest.raises(scale.NotEmpty):
        seed(today)


def test_the_command_prints_the_rows_and_the_demo_logins(app, runner, monkeypatch):
    monkeypatch.setenv("LMS_DEMO_PASSWORD", PASSWORD)
    result = runner.invoke(args=["lms", "seed-scale", "--factor", str(FACTOR), "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "enrolment" in result.output and "learner@example.nhs.uk" in result.output
    assert PASSWORD in result.output
    again = runner.invoke(args=["lms", "seed-scale", "--factor", str(FACTOR)])
    assert again.exit_code != 0 and "already has people" in again.output


def test_certificates_obey_the_rules_issuing_keeps(app, today):
    seed(today)
    certificates = db.session.scalars(
        select(Certificate).options(selectinload(Certificate.cohort).selectinload(Cohort.course))
    ).all()
    by_enrolment: dict[int, list[Certificate]] = {}
    for certificate in certificates:
        by_enrolment.setdefault(certificate.enrolment_id, []).append(certificate)
    # One current certificate per enrolment, the later generations replacing the earlier.
    for chain in by_enrolment.values():
        chain.sort(key=lambda certificate: certificate.generation)
        assert [c.generation for c in chain] == list(range(1, len(chain) + 1))
        assert [c.superseded_by_id for c in chain] == [c.id for c in chain[1:]] + [None]
        for old, new in pairwise(chain):
            assert old.status == CertificateStatus.SUPERSEDED
            assert old.superseded_at == new.issued_at > old.issued_at
    # For completed enrolments of closed cohorts, issued when the cohort closed.
    for certificate in certificates:
        assert certificate.enrolment.status == EnrolmentStatus.COMPLETED
        assert certificate.cohort.status == CohortStatus.CLOSED
        if certificate.generation == 1:
            closed = certificate.cohort.closed_at
            assert closed <= certificate.issued_at < closed + timedelta(hours=1)
        assert certificate.issued_on == to_local(certificate.issued_at).date()
        months = certificate.cohort.course.certificate_validity_months
        assert certificate.expires_on == expiry_date(certificate.issued_on, months)
        assert certificate.number == codes.certificate_number(
            "PMO", certificate.serial_year, certificate.serial
        )
        assert codes.normalise(certificate.display_code) == certificate.verification_code
        revoked = certificate.status == CertificateStatus.REVOKED
        assert (certificate.revoked_at is not None) is revoked
        assert (certificate.revocation_reason is not None) is revoked
        assert (certificate.revoked_by_id is not None) is revoked
    # Numbers without gaps per year, the counter at each year's last.
    serials: dict[int, list[int]] = {}
    for certificate in certificates:
        serials.setdefault(certificate.serial_year, []).append(certificate.serial)
    counters = dict(
        db.session.execute(select(CertificateSerial.year, CertificateSerial.last)).all()
    )
    assert {year: sorted(each) for year, each in serials.items()} == {
        year: list(range(1, last + 1)) for year, last in counters.items()
    }
    assert len({c.verification_code for c in certificates}) == len(certificates)
    notice_days = app.config["CERTIFICATE_EXPIRY_NOTICE_DAYS"]
    standings = Counter(c.standing(today, notice_days) for c in certificates)
    assert standings[Standing.VALID] > len(certificates) / 2
    assert min(standings[s] for s in (Standing.EXPIRED, Standing.REVOKED, Standing.SUPERSEDED))
    # The tick would already have told the holders of current ones about to expire.
    for certificate in certificates:
        if certificate.status == CertificateStatus.VALID and certificate.expires_on:
            due = certificate.expires_on - timedelta(days=notice_days) < today
            assert (certificate.expiry_notice_sent_at is not None) is due, certificate.number
    events = count(AuditEvent, AuditEvent.action == "certificate.issued")
    assert events == len(certificates)


def test_every_certificate_downloads_the_pdf_its_digest_names(app, client, today):
    seed(today)
    rows = db.session.execute(
        select(Certificate.number, Certificate.pdf_sha256, CertificateFile.content).join(
            CertificateFile, CertificateFile.certificate_id == Certificate.id
        )
    ).all()
    for number, digest, content in rows:
        assert hashlib.sha256(content).hexdigest() == digest, number
    stand_in = next(content for _, _, content in rows if len(content) < 2000)
    reader = PdfReader(BytesIO(stand_in))
    assert len(reader.pages) == 1 and "Certificate PMO-" in reader.pages[0].extract_text()
    # The demo learner's are drawn in full; their list and PDFs answer.
    learner = db.session.scalar(select(User).where(User.email == "learner@example.nhs.uk"))
    theirs = db.session.scalars(
        select(Certificate).where(Certificate.learner_id == learner.id)
    ).all()
    assert {c.status for c in theirs} == set(CertificateStatus)
    log_in(client, learner.email, PASSWORD)
    assert client.get("/certificates/").status_code == 200
    for certificate in theirs:
        pdf = client.get(f"/certificates/{certificate.number}.pdf")
        assert pdf.status_code == 200 and len(pdf.data) > 10_000, certificate.number
        assert hashlib.sha256(pdf.data).hexdigest() == certificate.pdf_sha256


# --- the CPD record ---------------------------------------------------------------------------

CPD_FIELDS = ("certificate_id", "title", "activity_on", "ended_on", "hours", "provider")
COACHING = (EntrySource.COACHING_RECEIVED, EntrySource.COACHING_GIVEN)


def coaching_entries() -> int:
    """The CPD entries the projects step adds for coaching sessions, on top of the CPD
    step's ENTRIES x factor."""
    return count(CpdEntry, CpdEntry.source.in_(COACHING))


def test_the_cpd_record_has_an_entry_per_current_certificate_and_logged_ones_to_the_total(
    app, today
):
    counts = seed(today)
    assert counts["cpd_entry"] == count(CpdEntry) == round(ENTRIES * FACTOR) + coaching_entries()
    assert counts["cpd_profile"] > 0 and counts["cpd_evidence"] > 0
    current = db.session.scalars(
        select(Certificate).where(Certificate.superseded_by_id.is_(None))
    ).all()
    assert current and count(Certificate) > len(current), "some were re-issued"
    entries = {
        entry.certificate_id: entry
        for entry in db.session.scalars(
            select(CpdEntry).where(CpdEntry.source == EntrySource.CERTIFICATE)
        )
    }
    # Exactly one entry for each current certificate, as the app's own receiver makes it.
    assert count(CpdEntry, CpdEntry.source == EntrySource.CERTIFICATE) == len(current)
    assert set(entries) == {certificate.id for certificate in current}
    for certificate in current:
        expected = CpdEntry()
        _from_certificate(expected, certificate)
        entry = entries[certificate.id]
        assert [getattr(entry, field) for field in CPD_FIELDS] == [
            getattr(expected, field) for field in CPD_FIELDS
        ], certificate.number
        assert (entry.learner_id, entry.enrolment_id) == (
            certificate.learner_id,
            certificate.enrolment_id,
        )
        assert (entry.category_id, entry.learned, entry.applied) == (None, "", "")
    external = count(CpdEntry, CpdEntry.source == EntrySource.EXTERNAL)
    assert external == round(ENTRIES * FACTOR) - len(current)
    assert count(AuditEvent, AuditEvent.action == "cpd_entry.added") == external


def test_cpd_entries_keep_the_record_s_rules(app, today):
    seed(today)
    categories = categories_by_id()
    first = year_of(today).starts - 3
    entries = db.session.scalars(select(CpdEntry)).all()
    for entry in entries:
        # The table's check constraints, read back (the database enforced them on insert).
        assert entry.hours > 0 and (entry.ended_on is None or entry.ended_on >= entry.activity_on)
        assert entry.from_certificate == (entry.certificate_id is not None)
        assert entry.from_certificate == (entry.enrolment_id is not None)
        assert (entry.source == EntrySource.EXTERNAL) == (entry.category_id is not None)
        if entry.source != EntrySource.EXTERNAL:
            continue
        # What the entry form would accept, by the app's own checks.
        details = EntryDetails(
            entry.title, entry.category_id, entry.activity_on, entry.hours, entry.learned,
            entry.applied, entry.ended_on, entry.provider or "",
        )  # fmt: skip
        assert entry_problems(details, today=today, categories=categories) == [], entry.id
        assert Decimal("0.5") <= entry.hours <= Decimal("7.5")
        assert year_of(entry.activity_on).starts >= first and entry.activity_on < today
    enrolments = [entry.enrolment_id for entry in entries if entry.enrolment_id]
    assert len(set(enrolments)) == len(enrolments)
    assert len({entry.category_id for entry in entries}) == len(categories) + 1
    for evidence in db.session.scalars(select(CpdEvidence)):
        assert evidence.content.startswith(b"%PDF-") and len(evidence.content) == evidence.size
        assert hashlib.sha256(evidence.content).hexdigest() == evidence.sha256
        assert not evidence.entry.from_certificate
    profiles = db.session.scalars(select(CpdProfile)).all()
    assert {p.share_reflections for p in profiles} == {True, False}
    assert any(p.target_hours is not None for p in profiles)


def test_the_demo_learner_has_40_cpd_entries_and_the_trainer_a_team_of_40(app, today):
    seed(today)
    learner = db.session.scalar(select(User).where(User.email == "learner@example.nhs.uk"))
    trainer = db.session.scalar(select(User).where(User.email == "trainer@example.nhs.uk"))
    manager = db.session.scalar(select(User).where(User.email == "manager@example.nhs.uk"))
    every = db.session.scalars(select(CpdEntry).where(CpdEntry.learner_id == learner.id)).all()
    # The CPD step's 40, and the coaching she received (the projects step's).
    theirs = [entry for entry in every if entry.source not in COACHING]
    assert len(theirs) == DEMO_ENTRIES
    assert {entry.source for entry in every} == set(EntrySource) - {EntrySource.COACHING_GIVEN}
    assert count(CpdEntry, CpdEntry.learner_id == trainer.id, CpdEntry.source.in_(COACHING))
    logged = [entry for entry in theirs if entry.source == EntrySource.EXTERNAL]
    assert {year_of(entry.activity_on).starts for entry in logged} == {
        year_of(today).starts - back for back in range(3)
    }
    assert db.session.get(CpdProfile, learner.id).share_reflections
    # The team view's manager: the PMO's staff report to the trainer; the manager keeps 12.
    reports = db.session.scalars(
        select(User.id).where(User.line_manager_id == trainer.id).order_by(User.id)
    ).all()
    assert len(reports) == TEAM_VIEW
    assert count(User, User.line_manager_id == manager.id) == 12
    pmo = db.session.scalars(
        select(User.id)
        .where(User.department_id == trainer.department_id, User.id > manager.id)
        .where(User.line_manager_id.is_distinct_from(manager.id))
        .order_by(User.id)
    ).all()
    assert set(pmo[:TEAM_VIEW]) <= set(reports)
    this_year = year_of(today).first_day
    logging = db.session.scalar(
        select(func.count(func.distinct(CpdEntry.learner_id))).where(
            CpdEntry.learner_id.in_(reports), CpdEntry.activity_on >= this_year
        )
    )
    assert logging >= 5


def test_a_500_entry_cpd_record_is_in_the_trainer_s_team_given_room(app, today, monkeypatch):
    # At factor 0.01 there is no room for them; at four times the entries there is.
    monkeypatch.setattr("lms.scale.cpd.ENTRIES", ENTRIES * 4)
    counts = seed(today)
    assert counts["cpd_entry"] == round(ENTRIES * 4 * FACTOR) + coaching_entries()
    trainer = db.session.scalar(select(User).where(User.email == "trainer@example.nhs.uk"))
    reports = db.session.scalars(select(User.id).where(User.line_manager_id == trainer.id))
    per_learner = Counter(
        db.session.scalars(select(CpdEntry.learner_id).where(CpdEntry.source.not_in(COACHING)))
    )
    heavy = max(reports, key=lambda report: per_learner[report])
    assert per_learner[heavy] == HEAVY_ENTRIES
    assert db.session.get(CpdProfile, heavy).share_reflections


# --- projects and PMO support -----------------------------------------------------------------


def test_projects_come_with_their_people_updates_and_audit_events(app, today):
    counts = seed(today)
    assert counts["project"] == count(Project) == round(PROJECTS * FACTOR)
    projects = db.session.scalars(select(Project).options(selectinload(Project.members))).all()
    assert {project.status for project in projects} >= {
        ProjectStatus.ACTIVE,
        ProjectStatus.CLOSED,
        ProjectStatus.PROPOSED,
    }
    references = [project.ppm_reference for project in projects if project.ppm_reference]
    assert len(set(references)) == len(references) > len(projects) / 2
    assert all(reference.startswith("PPM-") for reference in references)
    finals = Counter(
        db.session.scalars(select(ProjectUpdate.project_id).where(ProjectUpdate.final.is_(True)))
    )
    updated = set(db.session.scalars(select(ProjectUpdate.project_id)))
    for project in projects:
        # As the model's @validates hook sets it: the ORM never saw these rows.
        if project.starts_on is None:
            assert project.start_cutoff is None and project.planned_end_on is None
        else:
            assert project.start_cutoff == start_of_local_day(
                project.starts_on + timedelta(days=1)
            ), project.id
            assert project.planned_end_on is None or project.planned_end_on >= project.starts_on
        roles = Counter(member.role for member in project.members)
        assert roles[ProjectRole.LEAD] == 1 and roles[ProjectRole.PROJECT_MANAGER] <= 1
        assert roles[ProjectRole.MEMBER] <= MAX_TEAM
        # A closed or stopped project has its final update; a proposed one has none.
        assert finals[project.id] == (1 if project.status.finished else 0), project.id
        if project.status == ProjectStatus.PROPOSED:
            assert project.id not in updated
    for update in db.session.scalars(select(ProjectUpdate)):
        assert update.reported_on < today and update.created_at < utcnow()
    for action, table in (
        ("project.registered", Project),
        ("project.person_added", ProjectMember),
        ("project_update.recorded", ProjectUpdate),
        ("support.requested", Support),
        ("coaching_session.logged", CoachingSession),
    ):
        assert count(AuditEvent, AuditEvent.action == action) == count(table), action
    closed = count(Project, Project.status.in_((ProjectStatus.CLOSED, ProjectStatus.STOPPED)))
    assert count(AuditEvent, AuditEvent.action == "project.closed") == closed
    # Leads trained before their project started, for the register's filter.
    assert count(Project, led_by_a_trainee()) >= len(projects) / 4


def test_support_and_coaching_keep_the_services_rules(app, today):
    seed(today)
    supports = db.session.scalars(select(Support)).all()
    assert {support.status for support in supports} == set(SupportStatus)
    pmo = {
        user.id
        for user in db.session.scalars(select(User))
        if user.has_role(*RESPONSIBLE_ROLES) and user.is_active_account
    }
    for support in supports:
        assert support.services and support.need
        accepted = support.status == SupportStatus.ACCEPTED
        assert (support.responsible_id in pmo and support.starts_on is not None) is accepted
        assert support.ends_on is None or support.ends_on >= support.starts_on
        if support.status == SupportStatus.REQUESTED:
            assert support.decided_by_id is None and support.decided_at is None
        else:
            assert support.decided_by.is_admin and support.decided_at > support.created_at
        assert (support.decline_reason is not None) is (support.status == SupportStatus.DECLINED)
    assert supported_projects(financial_year_of(today)) >= 1
    sessions = db.session.scalars(select(CoachingSession)).all()
    assert sessions and any(session.confirmed_at is None for session in sessions)
    per_support = Counter(session.support_id for session in sessions)
    for session in sessions:
        support = session.support
        assert support.coaching and support.status == SupportStatus.ACCEPTED
        assert (session.coach_id, session.coachee_id) == (
            support.responsible_id,
            support.requested_by_id,
        )
        assert session.coach_id != session.coachee_id
        assert support.starts_on <= session.held_on < today
        assert support.ends_on is None or session.held_on <= support.ends_on
        # Confirmed: in the coachee's CPD record as coaching received, with its hours.
        entry = session.coachee_entry
        assert (entry is not None) is (session.confirmed_at is not None), session.id
        if entry is not None:
            assert (entry.learner_id, entry.source) == (
                session.coachee_id,
                EntrySource.COACHING_RECEIVED,
            )
            assert (entry.title, entry.activity_on, entry.hours, entry.provider) == (
                f"Coaching: {session.topic}",
                session.held_on,
                session.hours,
                session.coach.full_name,
            )
            assert session.confirmed_at >= session.created_at
        given = session.coach_entry
        if given is not None:
            assert entry is not None
            assert (given.learner_id, given.source, given.hours, given.provider) == (
                session.coach_id,
                EntrySource.COACHING_GIVEN,
                session.hours,
                session.coachee.full_name,
            )
    # Every coaching entry belongs to one session, and no other step makes them.
    linked = sum(
        (session.coachee_entry_id is not None) + (session.coach_entry_id is not None)
        for session in sessions
    )
    assert coaching_entries() == linked
    confirmed = sum(session.confirmed_at is not None for session in sessions)
    assert count(AuditEvent, AuditEvent.action == "coaching_session.confirmed") == confirmed
    assert max(per_support.values()) <= max(MAX_SESSIONS, DEMO_SESSIONS)


def test_the_demo_learner_leads_a_trainee_project_with_coaching_and_the_trainer_coaches(app, today):
    seed(today)
    learner = db.session.scalar(select(User).where(User.email == "learner@example.nhs.uk"))
    trainer = db.session.scalar(select(User).where(User.email == "trainer@example.nhs.uk"))
    led = db.session.scalars(
        select(Project)
        .join(ProjectMember, ProjectMember.project_id == Project.id)
        .where(ProjectMember.person_id == learner.id, ProjectMember.role == ProjectRole.LEAD)
    ).all()
    assert len(led) == 3
    assert {project.status for project in led} == {
        ProjectStatus.CLOSED,
        ProjectStatus.ACTIVE,
        ProjectStatus.PROPOSED,
    }
    # One of them started after one of her certified courses: the link, and the filter.
    assert any(training_before(project).get(learner.id) for project in led)
    assert count(Project, Project.id.in_([p.id for p in led]), led_by_a_trainee()) >= 1
    # Her active one is heavy: ten people, several updates, support and coaching.
    heavy = next(project for project in led if project.status == ProjectStatus.ACTIVE)
    assert len(heavy.members) == 10
    assert len(training_before(heavy)) >= 2
    assert count(ProjectUpdate, ProjectUpdate.project_id == heavy.id) >= 5
    supports = db.session.scalars(select(Support).where(Support.project_id == heavy.id)).all()
    assert {support.status for support in supports} == set(SupportStatus)
    coaching = next(support for support in supports if support.coaching)
    assert coaching.responsible_id == trainer.id and coaching.requested_by_id == learner.id
    sessions = db.session.scalars(
        select(CoachingSession)
        .where(CoachingSession.support_id == coaching.id)
        .order_by(CoachingSession.held_on)
    ).all()
    assert len(sessions) >= 2
    assert [session.confirmed_at is None for session in sessions] == [False] * (
        len(sessions) - 1
    ) + [True]
    # The trainer coaches several people, the learner among them.
    coachees = db.session.scalars(
        select(Support.requested_by_id).where(
            Support.responsible_id == trainer.id,
            Support.coaching.is_(True),
            Support.status == SupportStatus.ACCEPTED,
        )
    ).all()
    coaching_supports = count(
        Support, Support.coaching.is_(True), Support.status == SupportStatus.ACCEPTED
    )
    assert learner.id in coachees
    assert len(coachees) >= min(TRAINER_COACHEES, coaching_supports)


# --- evaluations ----------------------------------------------------------------------------


def test_evaluations_keep_the_survey_s_rules(app, today):
    seed(today)
    responses = db.session.execute(
        select(Enrolment.status, Cohort.status)
        .join(ReactionResponse, ReactionResponse.enrolment_id == Enrolment.id)
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
    ).all()
    assert responses, "some learners answered the reaction survey"
    assert {cohort for _, cohort in responses} == {CohortStatus.CLOSED}
    assert {status for status, _ in responses} <= {
        EnrolmentStatus.COMPLETED,
        EnrolmentStatus.NOT_COMPLETED,
    }
    # Each response was invited, and its 1-5 answers are on the scale.
    assert not db.session.scalar(
        select(func.count())
        .select_from(ReactionResponse)
        .where(~exists().where(EvaluationInvitation.enrolment_id == ReactionResponse.enrolment_id))
    )
    lowest, highest = db.session.execute(
        select(func.min(ReactionAnswer.score), func.max(ReactionAnswer.score))
    ).one()
    assert 1 <= lowest <= highest <= 5
    # Confidence after only for completed enrolments.
    after = aliased(ConfidenceRating)
    assert not db.session.scalar(
        select(func.count())
        .select_from(after)
        .join(Enrolment, Enrolment.id == after.enrolment_id)
        .where(after.phase == Phase.AFTER, Enrolment.status != EnrolmentStatus.COMPLETED)
    )
    # Follow-ups are due by today, and answered ones say what was applied unless the
    # learner has not been on a project since.
    follow_ups = db.session.scalars(select(FollowUp)).all()
    assert follow_ups and all(item.due_on <= today for item in follow_ups)
    answered = [item for item in follow_ups if item.answered_at]
    assert answered and all(
        bool(item.applied) == (item.project_since != ProjectSince.NEITHER) for item in answered
    )


def test_the_demo_learner_has_a_survey_waiting(app, today):
    seed(today)
    learner = db.session.scalar(select(User).where(User.email == "learner@example.nhs.uk"))
    assert waiting_count(learner.id) >= 1
