"""A learner's CPD record: entries in and out, and what they add up to.

External entries are checked here (`entry_problems`), so the entry form and the CSV
import refuse the same things with the same words. Entries from certificates are made
and kept in step by `record_certificate`, which `lms.cpd.receivers` calls when
`certificates` announces an issue or a re-issue; `record_missing_certificates`
(`flask lms tick`) makes any that a failure left out.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache

from flask import current_app
from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload

from certificates.models import Certificate
from courses.assessments.uploads import Upload, store
from lms.audit import audit
from lms.auth.models import User
from lms.core.domain import DomainError
from lms.core.extensions import db
from lms.core.timezones import local_today
from lms.cpd.models import CpdCategory, CpdEntry, CpdEvidence, CpdProfile, EntrySource, counts
from lms.cpd.years import CpdYear, starting_year_of

TITLE_LENGTH = 200
PROVIDER_LENGTH = 200
REFLECTION_LENGTH = 5000
HOURS_PER_DAY = 24
LONGEST_SPAN_DAYS = 366  # an activity running longer is recorded in parts
MINIMUM_TARGET = Decimal("0.25")  # a learner's own yearly target, in hours
MAXIMUM_TARGET = Decimal(1000)
CERTIFIED = "certified"  # the category filter's value for entries from certificates
CERTIFIED_NAME = EntrySource.CERTIFICATE.heading
# The category filter's values for the entries made for the learner, which have no
# category: each source is its own heading.
MADE_SOURCES = {
    CERTIFIED: EntrySource.CERTIFICATE,
    EntrySource.COACHING_RECEIVED.value: EntrySource.COACHING_RECEIVED,
    EntrySource.COACHING_GIVEN.value: EntrySource.COACHING_GIVEN,
}
_SOURCE_KEYS = {source: key for key, source in MADE_SOURCES.items()}

log = logging.getLogger(__name__)


class EntryRefused(DomainError):
    """An entry was refused; `problems` says what is wrong with each field."""

    def __init__(self, problems: list[DomainError]):
        super().__init__(problems[0].message if problems else "The entry was refused")
        self.problems = problems


class NotYours(DomainError):
    pass


@dataclass
class EntryDetails:
    """What a learner says about an external activity (the form's fields, or a CSV row's)."""

    title: str
    category_id: int | None
    activity_on: date | None
    hours: Decimal | None
    learned: str
    applied: str = ""
    ended_on: date | None = None
    provider: str = ""


# --- checking -------------------------------------------------------------------------------


def entry_problems(
    details: EntryDetails,
    *,
    today: date,
    categories: dict[int, CpdCategory],
    kept_category_id: int | None = None,
) -> list[DomainError]:
    """Everything wrong with an external entry, each by its field, in plain English.

    A retired category is refused, except on an entry already filed under it
    (`kept_category_id`): changing its title must not make the learner refile it."""
    problems: list[DomainError] = []

    def refuse(field: str, message: str) -> None:
        problems.append(DomainError(message, field=field))

    title = (details.title or "").strip()
    if not title:
        refuse("title", "Enter a title for the activity")
    elif len(title) > TITLE_LENGTH:
        refuse("title", f"Enter a title of {TITLE_LENGTH} characters or fewer")
    category = categories.get(details.category_id) if details.category_id else None
    if category is None or (category.retired and category.id != kept_category_id):
        refuse("category_id", "Choose a category from the list")
    if details.activity_on is None:
        refuse("activity_on", "Enter the date of the activity")
    elif details.activity_on > today:
        refuse("activity_on", "The date of the activity must be today or in the past")
    if details.ended_on is not None and details.activity_on is not None:
        if details.ended_on < details.activity_on:
            refuse("ended_on", "The last day must be the same as or after the first day")
        elif details.ended_on > today:
            refuse("ended_on", "The last day must be today or in the past")
        elif (details.ended_on - details.activity_on).days >= LONGEST_SPAN_DAYS:
            refuse("ended_on", "Record an activity longer than a year as one entry per year")
    problems.extend(_hours_problems(details))
    if len(details.provider or "") > PROVIDER_LENGTH:
        refuse("provider", f"Enter a provider of {PROVIDER_LENGTH} characters or fewer")
    if not (details.learned or "").strip():
        refuse("learned", "Enter what you learned from the activity")
    elif len(details.learned) > REFLECTION_LENGTH:
        refuse("learned", f"Enter {REFLECTION_LENGTH} characters or fewer")
    if len(details.applied or "") > REFLECTION_LENGTH:
        refuse("applied", f"Enter {REFLECTION_LENGTH} characters or fewer")
    return problems


def _hours_problems(details: EntryDetails) -> list[DomainError]:
    hours = details.hours
    if hours is None:
        return [DomainError("Enter the number of hours, like 1.5", field="hours")]
    if not hours.is_finite() or hours <= 0:
        return [DomainError("Enter a number of hours greater than 0", field="hours")]
    days = 1
    if details.activity_on and details.ended_on and details.ended_on >= details.activity_on:
        days = min((details.ended_on - details.activity_on).days + 1, LONGEST_SPAN_DAYS)
    most = HOURS_PER_DAY * days
    if hours > most:  # asked first: a huge number (1e309) cannot be rounded
        over = "a day" if days == 1 else f"{days} days"
        message = f"Enter {most} hours or fewer: the most there are in {over}"
        return [DomainError(message, field="hours")]
    if hours != hours.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP):
        message = "Enter the hours to 2 decimal places at most, like 1.25"
        return [DomainError(message, field="hours")]
    return []


def parse_hours(text: str) -> Decimal | None:
    """ "1.5", "2", "0.25" as a Decimal; None for anything that is not a plain number
    (a comma too: "1,5" and "1,000" are not guessed at)."""
    try:
        hours = Decimal(text.strip())
    except InvalidOperation:
        return None
    return hours if hours.is_finite() else None


def categories_by_id() -> dict[int, CpdCategory]:
    return {category.id: category for category in db.session.scalars(select(CpdCategory))}


# --- external entries ---------------------------------------------------------------------


def add_entry(
    learner: User,
    details: EntryDetails,
    *,
    evidence: Upload | None = None,
    today: date | None = None,
) -> CpdEntry:
    """Adds an external entry to the learner's own record, or EntryRefused."""
    _refuse_problems(details, today)
    entry = CpdEntry(learner_id=learner.id, source=EntrySource.EXTERNAL, evidence=None)
    apply_details(entry, details)
    if evidence is not None:
        entry.evidence = store(evidence, model=CpdEvidence)
    db.session.add(entry)
    db.session.flush()
    audit.record(learner, "cpd_entry.added", entry, None, audit_facts(entry))
    return entry


def change_entry(
    entry: CpdEntry,
    details: EntryDetails,
    *,
    by: User,
    evidence: Upload | None = None,
    remove_evidence: bool = False,
    today: date | None = None,
) -> None:
    """Changes an external entry of the learner's own; a new file replaces the old."""
    _own_external(entry, by)
    _refuse_problems(details, today, kept_category_id=entry.category_id)
    before = audit_facts(entry)
    apply_details(entry, details)
    if evidence is not None or remove_evidence:
        entry.evidence = None
        db.session.flush()  # the old file goes before the new one takes its place
    if evidence is not None:
        entry.evidence = store(evidence, model=CpdEvidence)
    db.session.flush()
    audit.record_changes(by, "cpd_entry.changed", entry, before, audit_facts(entry))


def reflect_on_certificate(entry: CpdEntry, learned: str, applied: str, *, by: User) -> None:
    """An entry made for the learner (a certificate's, a coaching session's) keeps the
    facts it was made from; the learner adds a reflection."""
    if entry.learner_id != by.id:
        raise NotYours("Only the learner can change their CPD record")
    problems = []
    for field, text in (("learned", learned), ("applied", applied)):
        if len(text or "") > REFLECTION_LENGTH:
            problems.append(
                DomainError(f"Enter {REFLECTION_LENGTH} characters or fewer", field=field)
            )
    if problems:
        raise EntryRefused(problems)
    entry.learned = (learned or "").strip()
    entry.applied = (applied or "").strip()
    db.session.flush()


def delete_entry(entry: CpdEntry, *, by: User) -> None:
    """Deletes an external entry of the learner's own, with its evidence file."""
    _own_external(entry, by)
    audit.record(by, "cpd_entry.deleted", entry, audit_facts(entry), None)
    db.session.delete(entry)
    db.session.flush()


def _own_external(entry: CpdEntry, by: User) -> None:
    if entry.learner_id != by.id:
        raise NotYours("Only the learner can change their CPD record")
    if entry.source != EntrySource.EXTERNAL:
        made_from = "a certificate" if entry.from_certificate else "a coaching session"
        raise DomainError(f"An entry from {made_from} cannot be changed or deleted")


def _refuse_problems(
    details: EntryDetails, today: date | None, *, kept_category_id: int | None = None
) -> None:
    problems = entry_problems(
        details,
        today=today or local_today(),
        categories=categories_by_id(),
        kept_category_id=kept_category_id,
    )
    if problems:
        raise EntryRefused(problems)


def apply_details(entry: CpdEntry, details: EntryDetails) -> None:
    entry.title = details.title.strip()
    entry.category_id = details.category_id
    entry.activity_on = details.activity_on
    entry.ended_on = (
        details.ended_on if details.ended_on and details.ended_on != details.activity_on else None
    )
    entry.hours = details.hours
    entry.provider = (details.provider or "").strip() or None
    entry.learned = details.learned.strip()
    entry.applied = (details.applied or "").strip()


def audit_facts(entry: CpdEntry) -> dict:
    """What the audit log keeps of an entry: never the reflection, which is the learner's."""
    return {
        "title": entry.title,
        "activity_on": entry.activity_on.isoformat() if entry.activity_on else None,
        "hours": str(entry.hours) if entry.hours is not None else None,
        "category_id": entry.category_id,
    }


# --- entries from certificates ------------------------------------------------------------


def record_certificate(certificate: Certificate) -> CpdEntry | None:
    """The enrolment's one CPD entry, made or moved to `certificate` (its latest); none
    for a course worth no CPD hours.

    Safe to call again, and from two processes at once: the unique enrolment makes the
    second insert fail, and it then updates the entry the first one made."""
    if certificate.cpd_hours is None or certificate.cpd_hours <= 0:
        return None
    entry = _entry_of_enrolment(certificate.enrolment_id)
    if entry is None:
        entry = CpdEntry(
            learner_id=certificate.learner_id,
            source=EntrySource.CERTIFICATE,
            enrolment_id=certificate.enrolment_id,
            learned="",
            applied="",
        )
        _from_certificate(entry, certificate)
        try:
            with db.session.begin_nested():
                db.session.add(entry)
            return entry
        except IntegrityError:
            entry = _entry_of_enrolment(certificate.enrolment_id)  # another made it first
            if entry is None:
                raise
    current = db.session.get(Certificate, entry.certificate_id)
    if current is not None and current.generation > certificate.generation:
        return entry  # heard late: a newer certificate is recorded already
    _from_certificate(entry, certificate)
    db.session.flush()
    return entry


def _entry_of_enrolment(enrolment_id: int) -> CpdEntry | None:
    return db.session.scalar(select(CpdEntry).where(CpdEntry.enrolment_id == enrolment_id))


def _from_certificate(entry: CpdEntry, certificate: Certificate) -> None:
    days = sorted(date.fromisoformat(day) for day in certificate.session_dates or ())
    entry.certificate_id = certificate.id
    entry.title = certificate.course_title[:TITLE_LENGTH]
    entry.activity_on = days[0] if days else certificate.issued_on
    entry.ended_on = days[-1] if len(days) > 1 else None
    entry.hours = certificate.cpd_hours
    entry.provider = current_app.config["ORGANISATION_NAME"][:PROVIDER_LENGTH]


def record_missing_certificates(limit: int = 200) -> int:
    """Records the latest certificates (of courses worth CPD hours) that have no CPD entry
    pointing at them: issued before the CPD record existed, or heard by a receiver that
    failed. Returns how many; each in a savepoint of its own, so one that fails again is
    logged and left, and the rest are recorded."""
    missing = db.session.scalars(
        select(Certificate)
        .where(
            Certificate.superseded_by_id.is_(None),
            Certificate.cpd_hours > 0,
            ~select(CpdEntry.id).where(CpdEntry.certificate_id == Certificate.id).exists(),
        )
        .order_by(Certificate.id)
        .limit(limit)
    ).all()
    recorded = 0
    for certificate in missing:
        try:
            with db.session.begin_nested():
                record_certificate(certificate)
            recorded += 1
        except Exception:
            log.exception("could not add certificate %s to its CPD record", certificate.number)
    return recorded


# --- entries from coaching ---------------------------------------------------------------


@dataclass(frozen=True)
class CoachingFacts:
    """What the coaching log puts in a CPD record for one confirmed session."""

    title: str
    held_on: date
    hours: Decimal
    provider: str  # the coach's name in the coachee's record; the coachee's in the coach's


def record_coaching(learner_id: int, source: EntrySource, facts: CoachingFacts) -> CpdEntry:
    """A new entry for a coaching session, received or given; the caller keeps it (the
    session points at it) and deletes it with `remove_coaching`."""
    if source not in (EntrySource.COACHING_RECEIVED, EntrySource.COACHING_GIVEN):
        raise ValueError(f"not a coaching source: {source}")
    entry = CpdEntry(
        learner_id=learner_id,
        source=source,
        title=facts.title[:TITLE_LENGTH],
        activity_on=facts.held_on,
        hours=facts.hours,
        provider=facts.provider[:PROVIDER_LENGTH] or None,
        learned="",
        applied="",
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def remove_coaching(entry: CpdEntry) -> None:
    """Deletes a coaching entry whose session is deleted, or changed after it was
    confirmed (the coachee confirms it again)."""
    if entry.source not in (EntrySource.COACHING_RECEIVED, EntrySource.COACHING_GIVEN):
        raise ValueError(f"not a coaching entry: {entry.id}")
    db.session.delete(entry)
    db.session.flush()


# --- targets and preferences --------------------------------------------------------------


def trust_target() -> Decimal:
    return current_app.config["CPD_TARGET_HOURS"]


def profile_of(learner_id: int) -> CpdProfile | None:
    return db.session.get(CpdProfile, learner_id)


def target_of(profile: CpdProfile | None) -> Decimal:
    if profile is not None and profile.target_hours is not None:
        return profile.target_hours
    return trust_target()


def set_preferences(
    learner: User,
    *,
    target_hours: Decimal | None,
    professional_body: str,
    share_reflections: bool,
) -> CpdProfile:
    """The learner's own target (None: the trust's), professional body and sharing."""
    if target_hours is not None and not (
        target_hours.is_finite()
        and MINIMUM_TARGET <= target_hours <= MAXIMUM_TARGET
        and target_hours == target_hours.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    ):
        raise DomainError(
            "Enter a target from 0.25 to 1000 hours, to 2 decimal places at most",
            field="target_hours",
        )
    professional_body = (professional_body or "").strip()
    if len(professional_body) > PROVIDER_LENGTH:
        raise DomainError(
            f"Enter a professional body of {PROVIDER_LENGTH} characters or fewer",
            field="professional_body",
        )
    profile = profile_of(learner.id) or CpdProfile(learner_id=learner.id)
    profile.target_hours = target_hours
    profile.professional_body = professional_body or None
    profile.share_reflections = share_reflections
    db.session.add(profile)
    db.session.flush()
    return profile


# --- what the record adds up to -----------------------------------------------------------


@dataclass(frozen=True)
class CategoryTotal:
    key: str  # a category's id, or a key of MADE_SOURCES
    name: str
    hours: Decimal


@dataclass(frozen=True)
class YearSummary:
    year: CpdYear
    target: Decimal
    by_category: list[CategoryTotal]

    @property
    def total(self) -> Decimal:
        return sum((row.hours for row in self.by_category), Decimal(0))

    @property
    def percent(self) -> int:
        """Of the target, rounded down, capped at 100 for the progress bar."""
        return min(percent_of(self.total, self.target), 100)

    @property
    def remaining(self) -> Decimal:
        return max(self.target - self.total, Decimal(0))


def percent_of(hours: Decimal, target: Decimal) -> int:
    """Hours as a percentage of the target, rounded down; past 100 when the target is
    passed (progress bars cap it, the numbers do not)."""
    if target <= 0:
        return 100
    return int(hours * 100 / target)


def _counted(query: Select) -> Select:
    return query.outerjoin(Certificate, Certificate.id == CpdEntry.certificate_id).where(counts())


# The two totals' statements are built once and run with the learner and dates bound:
# building them afresh cost a fifth of the record page's time.


@cache
def _summary_statement() -> Select:
    key = func.coalesce(CpdEntry.category_id, 0)
    return (
        _counted(
            select(CpdEntry.source, key, CpdCategory.name, func.sum(CpdEntry.hours))
            .select_from(CpdEntry)
            .outerjoin(CpdCategory, CpdCategory.id == CpdEntry.category_id)
        )
        .where(
            CpdEntry.learner_id == bindparam("learner_id"),
            CpdEntry.activity_on.between(bindparam("first_day"), bindparam("last_day")),
        )
        .group_by(CpdEntry.source, key, CpdCategory.name)
    )


@cache
def _year_totals_statement(start: tuple[int, int], most: int) -> Select:
    starts = starting_year_of(CpdEntry.activity_on, start)
    return (
        _counted(select(starts, func.sum(CpdEntry.hours)).select_from(CpdEntry))
        .where(
            CpdEntry.learner_id == bindparam("learner_id"),
            CpdEntry.activity_on < bindparam("before"),
        )
        .group_by(starts)
        .order_by(starts.desc())
        .limit(most)
    )


def year_summary(learner_id: int, year: CpdYear, target: Decimal) -> YearSummary:
    """This year's hours by category (entries made for the learner under their source's
    heading: "Certified course", "Coaching received", "Coaching given")."""
    rows = db.session.execute(
        _summary_statement(),
        {"learner_id": learner_id, "first_day": year.first_day, "last_day": year.last_day},
    ).all()
    totals = [
        CategoryTotal(str(category_id), name, hours)
        if source == EntrySource.EXTERNAL
        else CategoryTotal(_SOURCE_KEYS[source], source.heading, hours)
        for source, category_id, name, hours in rows
    ]
    totals.sort(key=lambda row: (-row.hours, row.name.lower()))
    return YearSummary(year, target, totals)


def year_totals(
    learner_id: int, *, before: CpdYear, most: int = 10
) -> list[tuple[CpdYear, Decimal]]:
    """The hours of each earlier year with any, newest first (up to `most` years)."""
    rows = db.session.execute(
        _year_totals_statement((before.month, before.day), most),
        {"learner_id": learner_id, "before": before.first_day},
    ).all()
    return [(CpdYear(int(year), before.month, before.day), hours) for year, hours in rows]


def entries(learner_id: int, year: CpdYear | None = None, category: str | None = None) -> Select:
    """A learner's entries, newest first, with category, certificate and evidence name
    loaded alongside (the evidence's bytes are not read)."""
    query = (
        select(CpdEntry)
        .outerjoin(CpdEntry.evidence)
        .options(
            contains_eager(CpdEntry.evidence),
            joinedload(CpdEntry.category),
            joinedload(CpdEntry.certificate),
        )
        .where(CpdEntry.learner_id == learner_id)
        .order_by(CpdEntry.activity_on.desc(), CpdEntry.id.desc())
    )
    if year is not None:
        query = query.where(CpdEntry.activity_on.between(year.first_day, year.last_day))
    if category in MADE_SOURCES:
        query = query.where(CpdEntry.source == MADE_SOURCES[category])
    elif category:
        query = query.where(CpdEntry.category_id == int(category))
    return query
