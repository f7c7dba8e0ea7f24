"""The CPD record: 100,000 entries at factor 1 (DESIGN.md §6).

One entry for each current certificate (the one not superseded, revoked ones too), with
the facts `lms.cpd.record._from_certificate` copies: the course's title, the first and
last held day, the CPD hours, the organisation as provider; no category and no
reflection. The rest of the 100,000 x factor are external entries the learners logged
themselves over the last four CPD years, under the default categories, with hours from
half an hour to a day (7.5), a short reflection, and now and then a certificate of
attendance as evidence (a stand-in PDF of a few hundred bytes); each has its
`cpd_entry.added` audit event, as `record.add_entry` writes it. Most staff log little or
nothing; a heavy tail logs a lot, and a few learners have 500 entries each (five at
factor 1; none below about 0.03, where there is no room for them).

The demo learner's record is a realistic one: 40 entries, those of her certificates and
what she logged over the last three CPD years, a professional body, and her reflections
shared with her manager. For the team view, the demo trainer (Programme Manager in the
PMO) line-manages 40 people: the Portfolio Management Office's own staff, topped up from
the trust if it has fewer (the demo manager keeps her team of 12, whose requests the
approvals page shows). The first active one of them has one of the 500-entry records
and shares reflections. A few percent of staff have a CPD profile: their professional
body's target instead of the trust's, and whether their manager may read their
reflections.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import func, select, update

from certificates.models import Certificate
from lms.audit.audit import AuditEvent
from lms.auth.models import User
from lms.core.timezones import start_of_local_day
from lms.cpd.categories import ensure_default_categories
from lms.cpd.models import CpdCategory, CpdEntry, CpdEvidence, CpdProfile, EntrySource
from lms.cpd.record import PROVIDER_LENGTH, TITLE_LENGTH
from lms.cpd.years import year_of, year_starting
from lms.scale.assessments import Batches
from lms.scale.history import audit_row
from lms.scale.world import LEARNER, TRAINER, World

ENTRIES = 100_000  # at factor 1, certificate entries included
YEARS = 4  # CPD years entries are spread over, this one included
DEMO_ENTRIES = 40  # the demo learner's, over three CPD years
DEMO_YEARS = 3
HEAVY_LEARNERS = 5  # at factor 1, each with HEAVY_ENTRIES
HEAVY_ENTRIES = 500
TEAM_VIEW = 40  # the demo trainer's reports
LOGGING_SHARE = 0.4  # of staff who log external CPD at all
PROFILE_SHARE = 0.08  # of staff with a CPD profile (a quarter of the trainer's team)
EVIDENCE_SHARE = 0.25  # of courses, conferences and "other" entries with a file
EVIDENCE_NAME = "certificate-of-attendance.pdf"


@dataclass(frozen=True)
class Kind:
    """How entries of a default category look: how common, how long, what they are."""

    weight: int
    hours: tuple[str, str]  # from, to, in quarter hours
    titles: tuple[str, ...]
    providers: tuple[str | None, ...]
    learned: tuple[str, ...]
    several_days: float = 0.0  # the share that ran over more than one day
    with_files: bool = False  # whether some learners keep a certificate of attendance


KINDS = {
    "Course": Kind(
        weight=18,
        hours=("3", "7.5"),
        titles=(
            "Managing difficult conversations",
            "Safeguarding adults level 3",
            "Agile project management foundation",
            "Quality improvement: PDSA cycles in practice",
            "Mental health first aid",
            "Budgets for non-finance managers",
            "Lean for healthcare",
            "Leading change in the NHS",
            "Risk management essentials",
            "Benefits realisation workshop",
        ),
        providers=(
            "NHS Leadership Academy",
            "NHS England",
            "Royal College of Nursing",
            "Association for Project Management",
            "NHS Elect",
            "Regional university",
        ),
        learned=(
            "How to set out the benefits before agreeing the scope.",
            "A structured way to open a conversation about performance.",
            "Why small tests of change beat a big launch.",
            "That a risk log only helps if someone owns each risk.",
            "How to read a budget report and question it.",
        ),
        several_days=0.2,
        with_files=True,
    ),
    "Conference": Kind(
        weight=8,
        hours=("3", "7.5"),
        titles=(
            "Regional PMO network conference",
            "NHS ConfedExpo",
            "Patient Safety Congress",
            "The King's Fund annual conference",
            "Digital health summit",
            "Project Management Conference (APM)",
        ),
        providers=("NHS Confederation", "The King's Fund", "APM", "Health Service Journal", None),
        learned=(
            "How other trusts run their PMO, and what they measure.",
            "What the new national priorities mean for our service.",
            "Two ideas for cutting waiting lists that we could try.",
        ),
        several_days=0.3,
        with_files=True,
    ),
    "Reading": Kind(
        weight=26,
        hours=("0.5", "2"),
        titles=(
            "Journal club: discharge planning",
            "Read NICE guidance on shared decision-making",
            "Article: running projects alongside clinical work",
            "Read 'Thinking in Systems'",
            "Report: the NHS workforce plan",
            "Article: benefits management in the public sector",
            "Read the trust's quality strategy",
        ),
        providers=(None, None, "The King's Fund", "Nursing Times", "BMJ Leader"),
        learned=(
            "The evidence behind the guidance, and where it is thin.",
            "A clearer picture of where the service is heading.",
            "Why problems keep coming back when only the symptom is fixed.",
        ),
    ),
    "Coaching": Kind(
        weight=8,
        hours=("0.5", "1.5"),
        titles=("Coaching session", "Peer coaching: planning a service change", "Team coaching"),
        providers=("Trust coaching network", None),
        learned=(
            "Where my own blind spots are when leading a team.",
            "To ask before I advise.",
        ),
    ),
    "Mentoring": Kind(
        weight=8,
        hours=("0.5", "1.5"),
        titles=("Mentoring meeting", "Mentored a new project lead", "Reverse mentoring session"),
        providers=(None,),
        learned=(
            "Better ways to give feedback that people act on.",
            "How the service looks to someone new to it.",
        ),
    ),
    "Work-based learning": Kind(
        weight=22,
        hours=("1", "4"),
        titles=(
            "Shadowed the theatre scheduling team",
            "Led a lessons-learned review",
            "Clinical audit: falls on the ward",
            "Wrote a business case with finance",
            "Ran the project board for the first time",
            "Covered the service manager's role for a week",
        ),
        providers=(None, None, "Own trust"),
        learned=(
            "How to plan a meeting so it ends with decisions.",
            "How a decision travels from a board paper to the ward.",
            "What the numbers do and do not tell us.",
        ),
    ),
    "Other": Kind(
        weight=10,
        hours=("0.5", "3"),
        titles=(
            "Webinar: digital transformation",
            "E-learning: information governance refresher",
            "Podcast series on leadership",
            "Webinar: health inequalities",
        ),
        providers=("NHS England", "e-Learning for Healthcare", None),
        learned=(
            "What we must do differently when sharing data.",
            "Who our services reach least, and why.",
        ),
        with_files=True,
    ),
}
APPLIED = (
    "",
    "",
    "Used it in the next project board.",
    "Changed how our team huddle runs.",
    "Shared it with the team at our away day.",
    "Rewrote the risk log for the ward project.",
    "Started a monthly check-in with each of my reports.",
)
BODIES = (  # (professional body, its yearly target as people set it, or None: the trust's)
    ("Nursing and Midwifery Council", None),
    ("Nursing and Midwifery Council", Decimal("12")),
    ("Health and Care Professions Council", Decimal("30")),
    ("Association for Project Management", Decimal("35")),
    ("Chartered Institute of Personnel and Development", Decimal("30")),
    ("General Medical Council", Decimal("50")),
    (None, Decimal("20")),
    (None, None),
)


def seed(world: World) -> None:
    team = _trainers_team(world)
    categories = _categories(world)
    entries = _certificate_entries(world)
    entries += _external_entries(world, categories, team, entries)
    _write(world, entries)
    _profiles(world, team)


def _trainers_team(world: World) -> list[int]:
    """The demo trainer's 40 reports: the PMO's staff (their department) in id order, then
    people drawn from the rest of the trust. Their line manager changes in one UPDATE;
    no step after this one reads `world.people`, but it is kept in step. The first one
    returned is active."""
    trainer = world.people[world.demo[TRAINER] - 1]
    kept = set(world.demo.values()) | set(world.team_ids)
    others = [person for person in world.people if person.id not in kept]
    size = min(TEAM_VIEW, len(others) // 2)
    theirs = [person.id for person in others if person.department_id == trainer.department_id]
    team = theirs[:size]
    if len(team) < size:
        rest = [person.id for person in others if person.department_id != trainer.department_id]
        team += sorted(world.rng.sample(rest, size - len(team)))
    user = User.__table__
    connection = world.writer.connection
    connection.execute(
        update(user)
        .where(user.c.id.in_(team))
        # as if it had always been so: the column's onupdate would stamp the clock's time
        .values(line_manager_id=trainer.id, updated_at=user.c.updated_at)
    )
    for id_ in team:
        world.people[id_ - 1] = replace(world.people[id_ - 1], manager_id=trainer.id)
    # The first active one leads (the team view lists only active people): the 500 entries.
    active = connection.scalars(
        select(user.c.id).where(user.c.id.in_(team), user.c.is_active.is_(True))
    ).all()
    lead = next((id_ for id_ in team if id_ in active), None)
    return sorted(team, key=lambda id_: id_ != lead)


def _categories(world: World) -> list[tuple[int, Kind]]:
    """The offered categories with how their entries look (an unknown name looks like
    "Other"); a database made without the migrations' data gets the defaults first."""
    ensure_default_categories()
    table = CpdCategory.__table__
    rows = world.writer.connection.execute(
        select(table.c.id, table.c.name)
        .where(table.c.retired.is_(False))
        .order_by(table.c.position, table.c.id)
    ).all()
    return [(id_, KINDS.get(name, KINDS["Other"])) for id_, name in rows]


def _certificate_entries(world: World) -> list[dict]:
    """One per current certificate, made when the enrolment's first certificate was
    issued and moved to the current one by a re-issue (`record.record_certificate`)."""
    certificate = Certificate.__table__
    connection = world.writer.connection
    first_issued = dict(
        connection.execute(
            select(certificate.c.enrolment_id, func.min(certificate.c.issued_at)).group_by(
                certificate.c.enrolment_id
            )
        ).all()
    )
    provider = current_app.config["ORGANISATION_NAME"][:PROVIDER_LENGTH]
    rows = []
    for row in connection.execute(
        select(
            certificate.c.id,
            certificate.c.enrolment_id,
            certificate.c.learner_id,
            certificate.c.course_title,
            certificate.c.session_dates,
            certificate.c.issued_on,
            certificate.c.issued_at,
            certificate.c.cpd_hours,
        )
        .where(certificate.c.superseded_by_id.is_(None))
        .order_by(certificate.c.id)
    ):
        days = sorted(date.fromisoformat(day) for day in row.session_dates or ())
        rows.append(
            {
                "learner_id": row.learner_id,
                "source": EntrySource.CERTIFICATE,
                "title": row.course_title[:TITLE_LENGTH],
                "category_id": None,
                "activity_on": days[0] if days else row.issued_on,
                "ended_on": days[-1] if len(days) > 1 else None,
                "hours": row.cpd_hours,
                "provider": provider,
                "learned": "",
                "applied": "",
                "enrolment_id": row.enrolment_id,
                "certificate_id": row.id,
                "created_at": first_issued[row.enrolment_id],
                "updated_at": row.issued_at,
            }
        )
    return rows


def _external_entries(
    world: World, categories, team: list[int], certified: list[dict]
) -> list[dict]:
    """The rest of the 100,000 x factor: the demo learner's to 40, a few learners' to
    500, and the remainder over a heavy-tailed share of the staff."""
    rng = world.rng
    held: dict[int, int] = {}
    for entry in certified:
        held[entry["learner_id"]] = held.get(entry["learner_id"], 0) + 1
    budget = max(0, round(ENTRIES * world.plan.factor) - len(certified))
    demo = world.demo[LEARNER]
    wanted = {demo: min(max(0, DEMO_ENTRIES - held.get(demo, 0)), budget)}
    staff = [person.id for person in world.people if person.id not in world.demo.values()]
    heavy_count = min(max(1, round(HEAVY_LEARNERS * world.plan.factor)), budget // 1000)
    heavy = [team[0]] if heavy_count and team else []
    heavy += rng.sample([id_ for id_ in staff if id_ not in heavy], heavy_count - len(heavy))
    for learner in heavy:
        wanted[learner] = max(0, HEAVY_ENTRIES - held.get(learner, 0))
    remaining = max(0, budget - sum(wanted.values()))
    loggers = [id_ for id_ in staff if id_ not in wanted]
    loggers = rng.sample(loggers, min(len(loggers), round(len(staff) * LOGGING_SHARE)))
    if loggers and remaining:
        # Most log a few things; a tail logs dozens (the weights are capped so no one
        # but the heavy learners goes far past a hundred).
        weights = list(itertools.accumulate(min(rng.paretovariate(1.3), 25) for _ in loggers))
        for learner in rng.choices(loggers, cum_weights=weights, k=remaining):
            wanted[learner] = wanted.get(learner, 0) + 1
    current = year_of(world.today)
    first_days = {
        learner: year_starting(
            current.starts - (DEMO_YEARS if learner == demo else YEARS) + 1
        ).first_day
        for learner in wanted
    }
    yesterday = world.today - timedelta(days=1)
    kinds = [kind for _, kind in categories]
    cumulative = list(itertools.accumulate(kind.weight for kind in kinds))
    entries = []
    for learner, number in wanted.items():
        joined = world.people[learner - 1].created_at
        for _ in range(number):
            index = rng.choices(range(len(categories)), cum_weights=cumulative)[0]
            entry = _external(world, learner, categories[index], first_days[learner], yesterday)
            entry["created_at"] = entry["updated_at"] = max(entry["created_at"], joined)
            entries.append(entry)
    return entries


def _external(world: World, learner: int, category, first: date, last: date) -> dict:
    rng = world.rng
    category_id, kind = category
    start = first + timedelta(days=rng.randrange((last - first).days + 1))
    ended_on = None
    if rng.random() < kind.several_days:
        ended_on = min(start + timedelta(days=rng.randint(1, 2)), last)
        ended_on = ended_on if ended_on > start else None
    low, high = (int(Decimal(bound) * 4) for bound in kind.hours)
    hours = Decimal(rng.randint(low, high)) / 4
    if rng.random() < 0.1:  # not everything is in quarter hours: "1 h 20 min" is 1.33
        hours = min(hours + Decimal(rng.choice((8, 33, 67))) / 100, Decimal(high) / 4)
    logged = min((ended_on or start) + timedelta(days=int(rng.expovariate(1 / 10))), last)
    created = start_of_local_day(logged) + timedelta(hours=rng.uniform(8, 22))
    return {
        "learner_id": learner,
        "source": EntrySource.EXTERNAL,
        "title": rng.choice(kind.titles),
        "category_id": category_id,
        "activity_on": start,
        "ended_on": ended_on,
        "hours": hours.quantize(Decimal("0.01")),
        "provider": rng.choice(kind.providers),
        "learned": rng.choice(kind.learned),
        "applied": rng.choice(APPLIED),
        "enrolment_id": None,
        "certificate_id": None,
        "created_at": created,
        "updated_at": created,
        "evidence": kind.with_files and rng.random() < EVIDENCE_SHARE,
    }


def _write(world: World, entries: list[dict]) -> None:
    """Entries in the order they were made (ids follow), each external one with its audit
    event and, now and then, its evidence file."""
    entries.sort(key=lambda entry: (entry["created_at"], entry["learner_id"]))
    batches = Batches(world, CpdEntry.__table__, CpdEvidence.__table__, AuditEvent.__table__)
    files = sum(1 for entry in entries if entry.get("evidence"))
    evidence_ids = iter(world.writer.ids(CpdEvidence.__table__, files))
    for id_, entry in zip(world.writer.ids(CpdEntry.__table__, len(entries)), entries, strict=True):
        entry["id"] = id_
        evidence = entry.pop("evidence", False)
        batches.add(CpdEntry.__table__, entry)
        if entry["source"] == EntrySource.CERTIFICATE:
            continue
        if evidence:
            batches.add(CpdEvidence.__table__, _evidence(next(evidence_ids), entry))
        facts = {
            "title": entry["title"],
            "activity_on": entry["activity_on"].isoformat(),
            "hours": str(entry["hours"]),
            "category_id": entry["category_id"],
        }
        batches.add(
            AuditEvent.__table__,
            audit_row(
                world, entry["created_at"], entry["learner_id"], "cpd_entry.added", "CpdEntry",
                id_, after=facts,
            ),
        )  # fmt: skip
    batches.flush()


def _evidence(id_: int, entry: dict) -> dict:
    """A learner's certificate of attendance: a stand-in PDF of a few hundred bytes."""
    content = (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
        + f"% Certificate of attendance, CPD entry {entry['id']}\n".encode()
        + b"trailer << /Root 1 0 R >>\n%%EOF\n"
    )
    return {
        "id": id_,
        "entry_id": entry["id"],
        "filename": EVIDENCE_NAME,
        "media_type": "application/pdf",
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
        "stored_name": None,
        "content": content,
    }


def _profiles(world: World, team: list[int]) -> None:
    """A few staff set their professional body's target or share their reflections; a
    quarter of the trainer's team, the 500-entry one among them, and the demo learner."""
    rng = world.rng
    demo = world.demo[LEARNER]
    sharer = team[0] if team else None  # the 500-entry learner, when there is one
    chosen = {sharer} if team else set()
    in_team = set(team)
    for person in world.people:
        share = PROFILE_SHARE * 3 if person.id in in_team else PROFILE_SHARE
        if person.id != demo and rng.random() < share:
            chosen.add(person.id)
    rows = [
        {
            "learner_id": demo,
            "target_hours": None,
            "professional_body": "Nursing and Midwifery Council",
            "share_reflections": True,
        }
    ]
    for learner in sorted(chosen):
        body, target = rng.choice(BODIES)
        rows.append(
            {
                "learner_id": learner,
                "target_hours": target,
                "professional_body": body,
                "share_reflections": learner == sharer or rng.random() < 0.5,
            }
        )
    world.writer.insert(CpdProfile.__table__, sorted(rows, key=lambda row: row["learner_id"]))
