"""Projects and PMO support: 2,000 projects at factor 1 (DESIGN.md §6).

Projects started over the last five years and the next four months, with titles made
from a specialty and a kind of change ("Cardiology virtual ward"), a PPM platform
reference for most ("PPM-00042", numbered in the order they were registered), a
service group (usually the lead's), a sponsor and a planned end. Their status follows
their dates: those that should have ended over a year ago are closed (some stopped),
most of the rest that should have ended are closed and some still run late, most under
way are active (some on hold), and most not yet started are proposed, a quarter of
those without dates. Each has a lead, most a project manager, and up to eight team
members, half from the lead's department. Where anyone had completed a course with a
valid certificate before the start (cohorts go back three years), two in five leads
and a third of project managers are such trainees, so the trainee link and the
register's "led by a trainee" filter find real data. Projects registered before the
platform went live (when the history step made every account) were registered on
going live. `start_cutoff` and `trainee_window_opens` are set here as the model's
@validates hook would.

Projects that have started have an update every month or three (the latest eight),
with a RAG status that drifts and answers that follow it; a closed or stopped one ends
with its final update, on the day it finished. Every project has its
`project.registered` audit event and a `project.person_added` for each person, every
update its `project_update.recorded`, every closing its `project.closed`, and putting
one on hold its `project.changed`, as the services write them.

PMO support, since the platform went live: in each financial year (1 April to 31
March) 20 to 25 projects have support active (the strategy's target is 20), or a third
of the projects running that year in a small trust: those whose support runs on from
the year before, and new requests accepted in the year for two to nine months; in a
year the platform knew only in part (going live, this one so far) the new ones in
proportion. About one request in four is declined with a reason, and a few wait for a
decision today. The person responsible is one of the PMO's people: for coaching, one
of its coaches (the demo trainer and up to five other active trainers), otherwise one
of them or an active admin; the demo admin, Head of the PMO, decides most. Each
coaching support has up to eight sessions two to five weeks apart, nearly all
confirmed by the coachee (not always the latest), each confirmed one with its
coachee's CPD entry (coaching received, the coach as provider, "Coaching: <topic>",
its minutes in hours), and half of them with the coach's (coaching given), as
`lms.projects.coaching` makes them, with their audit events. These CPD entries are
this step's, on top of the CPD step's 100,000 x factor.

The demo learner leads three projects: one closed two years ago, a proposed one that
starts next month, and an active one, her heaviest page: started a year ago, or a week
or two after her latest certified completion when that came later (at least two months
ago), with ten people (several of them trainees), about a dozen updates since the
start, coaching from the demo trainer with a session every two or three weeks (the
latest not yet confirmed, the others in both their CPD records), an assurance review
by the demo admin, a declined request and one waiting. She is on two other projects'
teams. The demo trainer coaches at least six people, given as many coaching supports.
"""

from __future__ import annotations

import itertools
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from certificates.models import Certificate, CertificateStatus
from courses.models import EnrolmentStatus
from lms.audit.audit import AuditEvent
from lms.auth.models import User
from lms.core.timezones import start_of_local_day, to_local
from lms.cpd.models import CpdEntry, EntrySource
from lms.cpd.record import PROVIDER_LENGTH, TITLE_LENGTH
from lms.people.models import ServiceGroup
from lms.projects.models import (
    Answer,
    CoachingSession,
    Project,
    ProjectMember,
    ProjectRole,
    ProjectStatus,
    ProjectUpdate,
    Rag,
    Support,
    SupportService,
    SupportStatus,
    derived_dates,
)
from lms.projects.years import financial_year, financial_year_of
from lms.scale import names
from lms.scale.history import audit_row
from lms.scale.world import ADMIN, LEARNER, MANAGER, TRAINER, World

PROJECTS = 2_000  # at factor 1, the demo learner's three included
YEARS_BACK = 5  # projects started over the last five years...
DAYS_AHEAD = 120  # ...and the next four months
LIVE_DAYS = 1500  # the platform went live this long ago (the history step's accounts)
REFERENCED = 0.85  # of projects with a PPM platform reference
TRAINEE_LEADS = 0.4  # of projects led by someone trained before the start, where any was
TRAINEE_MANAGERS = 0.3
MANAGED = 0.6  # of projects with a project manager
TEAM_WEIGHTS = (8, 10, 14, 16, 16, 12, 10, 8, 6)  # 0 to 8 team members
MAX_TEAM = len(TEAM_WEIGHTS) - 1
MAX_UPDATES = 8  # a project's latest ones
SUPPORTED = (20, 25)  # projects with support active in a financial year...
SUPPORTED_SHARE = 1 / 3  # ...or this share of the projects running that year, if fewer
DECLINED_SHARE = 0.3  # declined requests for each accepted one
WAITING = 5  # requests waiting for the PMO's decision today
COACHES = 6  # the demo trainer and up to five other trainers
TRAINER_COACHEES = 6  # the demo trainer coaches at least this many, given as many supports
MAX_SESSIONS = 8  # of a coaching support
COACH_LOGS = 0.5  # of confirmed sessions the coach adds to their own CPD (the trainer 0.8)
DEMO_UPDATES = 12
DEMO_SESSIONS = 10
DEMO_TEAM = 8
DEMO_TEAMS_JOINED = 2
ROWS_PER_PROJECT = 23  # rows written per project, all tables (measured at factor 1)
DURATIONS = (3, 4, 6, 6, 9, 12, 12, 18, 24)  # planned months

# (the kind of change, as a title says it; what it sets out to do)
CHANGES = (
    ("virtual ward", "Monitor patients at home after discharge instead of keeping them in."),
    ("discharge before noon", "Plan each discharge the day before so patients leave by 12:00."),
    ("electronic prescribing", "Replace paper drug charts with electronic prescribing."),
    ("patient-initiated follow-up", "Let patients book follow-ups when they need them."),
    ("digital letters", "Send clinic letters through the NHS App instead of by post."),
    ("one-stop clinic", "See, test and diagnose patients in a single visit."),
    ("waiting list validation", "Check that everyone waiting over a year still needs to."),
    ("theatre scheduling", "Schedule theatre lists six weeks ahead to cut late cancellations."),
    ("nurse-led triage", "Triage referrals by specialist nurses to shorten first waits."),
    ("self-referral", "Let patients refer themselves online."),
    ("e-rostering roll-out", "Move the service's rotas onto the trust's e-rostering system."),
    ("paperless handover", "Replace paper handover sheets with the electronic record."),
    ("advice and guidance", "Answer GPs' questions within two working days."),
    ("falls prevention", "Cut inpatient falls with harm by a third."),
    ("sepsis screening", "Screen every adult for sepsis within 15 minutes of arrival."),
    ("medicines reconciliation", "Reconcile every patient's medicines within 24 hours."),
    ("frailty assessment", "Assess frail older patients on arrival and avoid admissions."),
    ("patient flow dashboard", "A live view of beds, admissions and discharges."),
    ("remote monitoring", "Monitor patients' readings at home and step in early."),
    ("clinic room utilisation", "Use every clinic room for at least 85% of each session."),
    ("staff retention", "Keep more newly qualified staff past their first year."),
    ("procurement savings", "Save on consumables through the regional framework contracts."),
    ("outpatient transformation", "Move a quarter of follow-ups to video or telephone."),
    ("same-day emergency care", "Treat suitable patients without an overnight stay."),
    ("digital pre-operative assessment", "Complete pre-operative questionnaires online."),
    ("7-day service", "Offer the service at weekends as on weekdays."),
    ("carbon reduction", "Cut the service's carbon footprint in line with Greener NHS."),
    ("lived experience partnership", "Design the service with people who use it."),
)
MEASURES = (
    "",
    " Measured monthly on the project board's dashboard.",
    " Benefits tracked against the business case.",
    " Funded from the elective recovery programme.",
    " Part of the division's annual plan.",
)
SPONSOR_ROLES = (
    "Chief Operating Officer",
    "Director of Nursing",
    "Medical Director",
    "Director of Finance",
    "Chief Digital Information Officer",
    "Director of Estates and Facilities",
    "Director of Workforce",
    "Divisional Director",
    "Deputy Chief Nurse",
)
NARRATIVES = {
    Rag.GREEN: (
        "On track: the pilot ward went live as planned.",
        "Milestones met this period; the project board signed off the next stage.",
        "Early data shows the change working; staff feedback is good.",
        "Recruitment complete and training delivered to the whole team.",
    ),
    Rag.AMBER: (
        "Slipped two weeks waiting for the IT change; recovery plan agreed.",
        "Staffing gaps slowed the roll-out; the sponsor is aware.",
        "Costs running slightly ahead of budget; savings identified.",
        "Some delay agreeing the data sharing agreement.",
    ),
    Rag.RED: (
        "Behind plan: the supplier missed the delivery date.",
        "Funding for the second phase is not yet confirmed.",
        "Key staff left; the project needs a new project manager.",
        "Escalated to the sponsor: the clinical sign-off is outstanding.",
    ),
}
ON_HOLD = (
    "On hold while the division's priorities are reviewed.",
    "Paused over winter pressures; to restart in the spring.",
    "On hold until the new system is in place.",
)
FINAL = {
    ProjectStatus.CLOSED: (
        "Closed: delivered and handed over to business as usual.",
        "Closed: the benefits are being realised; lessons learned shared with the PMO.",
        "Closed a month late, within budget; the service owns the new process.",
    ),
    ProjectStatus.STOPPED: (
        "Stopped: the business case no longer stands after the funding changed.",
        "Stopped by the project board; the work is folded into a wider programme.",
        "Stopped: the national programme replaced it.",
    ),
}
NEEDS = {
    SupportService.COACHING: "I am new to running projects and would like a coach.",
    SupportService.IMMERSIVE: "We need a project manager from the PMO for the delivery phase.",
    SupportService.ASSURANCE: "We would like an assurance review before the next gateway.",
    SupportService.ADVICE: "Advice on setting up the project board and benefits tracking.",
}
# How often each is asked for, by itself or with others (accepted requests).
SERVICE_SHARES = {
    SupportService.COACHING: 0.55,
    SupportService.IMMERSIVE: 0.25,
    SupportService.ASSURANCE: 0.35,
    SupportService.ADVICE: 0.2,
}
DECLINE_REASONS = (
    "The PMO has no capacity for immersive support this quarter: we suggest coaching.",
    "This is business as usual rather than a project: your service manager can help.",
    "The project is not yet approved by its division: please ask again once it is.",
    "Digital Services supports projects of this kind: we have passed your request on.",
)
TOPICS = (
    "Starting well: scope and objectives",
    "Building the project board",
    "Writing the business case",
    "Stakeholder mapping",
    "Planning and milestones",
    "Risks, issues and the RAID log",
    "Reporting to the sponsor",
    "Leading the project team",
    "Managing scope creep",
    "Measuring benefits",
    "Handling resistance to change",
    "Recovering a late project",
    "Handing over to business as usual",
    "Closing well: lessons learned",
)
ACTIONS = (
    "Draft the project on a page and share it with the sponsor.",
    "Book the first project board; send the terms of reference.",
    "Update the RAID log and review it weekly with the team.",
    "Meet the finance business partner about the budget.",
    "Agree two measures of benefit with the service manager.",
)
NOTES = (
    "Confident about the plan; less so about the sponsor's expectations.",
    "Talked through a difficult conversation with a team member.",
    "Feeling stretched between the ward and the project; agreed protected time.",
    "Good progress since last time; ready to take the lead at the board.",
)
MINUTES = (30, 45, 60, 60, 60, 75, 90)


@dataclass(frozen=True)
class Facts:
    """What the step reads back from earlier steps' rows and the world."""

    names: dict[int, str]  # person id -> full name
    active: frozenset[int]
    groups: dict[int, int | None]  # person id -> service group id
    group_ids: list[int]
    staff: list[int]  # everyone but the demo accounts
    by_department: dict[int | None, list[int]]
    trained: list[tuple[datetime, int]]  # each trainee's first certified completion, oldest first
    firsts: list[datetime]  # the same times, for bisecting
    completions: dict[int, list[datetime]]  # each person's certified completions, oldest first


@dataclass
class ProjectPlan:
    title: str
    description: str
    service_group_id: int | None
    sponsor: str | None
    starts_on: date | None
    planned_end_on: date | None
    status: ProjectStatus
    ended_on: date | None  # the day a closed or stopped project finished
    created_by: int
    created_at: datetime
    people: dict[int, ProjectRole]  # the lead first
    updates: list[dict] = field(default_factory=list)
    ppm_reference: str | None = None
    id: int = 0

    @property
    def lead(self) -> int:
        return next(iter(self.people))

    @property
    def manager(self) -> int | None:
        return next((p for p, r in self.people.items() if r == ProjectRole.PROJECT_MANAGER), None)

    @property
    def cutoff(self) -> datetime | None:
        """`Project.start_cutoff`, as its @validates hook sets it."""
        if self.starts_on is None:
            return None
        return start_of_local_day(self.starts_on + timedelta(days=1))

    def running(self, first: date, last: date, today: date) -> bool:
        """Whether it was under way on any day from `first` to `last`."""
        if self.starts_on is None or self.status == ProjectStatus.PROPOSED:
            return False
        return self.starts_on <= min(last, today) and (self.ended_on or today) >= first


@dataclass
class SupportPlan:
    project: ProjectPlan
    requested_by: int
    services: tuple[SupportService, ...]
    need: str
    requested_at: datetime
    status: SupportStatus = SupportStatus.REQUESTED
    responsible: int | None = None
    decided_by: int | None = None
    decided_at: datetime | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    decline_reason: str | None = None
    sessions: list[dict] = field(default_factory=list)
    id: int = 0

    @property
    def coaching(self) -> bool:
        return SupportService.COACHING in self.services and self.status == SupportStatus.ACCEPTED


def seed(world: World) -> None:
    facts = _facts(world)
    plans = _demo_projects(world, facts)
    plans += [_project(world, facts) for _ in range(_count(world) - len(plans))]
    _join_teams(world, plans)
    for plan in plans:
        if not plan.updates:
            _updates(world, plan)
    plans.sort(key=lambda plan: plan.created_at)
    numbers = itertools.count(1)
    for id_, plan in zip(world.writer.ids(Project.__table__, len(plans)), plans, strict=True):
        plan.id = id_
        if plan.ppm_reference == "" or (plan.ppm_reference is None and _referenced(world)):
            plan.ppm_reference = f"PPM-{next(numbers):05d}"
    coaches, responsible = _pmo(world, facts)
    supports = _supports(world, plans, coaches, responsible)
    supports += _demo_supports(world, plans)
    for support in supports:
        if support.coaching:
            _sessions(world, support)
    _write(world, facts, plans, supports)


def _count(world: World) -> int:
    return max(3, round(PROJECTS * world.plan.factor))


def _referenced(world: World) -> bool:
    return world.rng.random() < REFERENCED


# --- what earlier steps made ----------------------------------------------------------------


def _facts(world: World) -> Facts:
    """People's names, standing and service groups from their rows; each trainee's
    completions with a valid certificate, from the enrolments and the certificates."""
    connection = world.writer.connection
    user = User.__table__
    names_, active, groups = {}, set(), {}
    for id_, name, is_active, group in connection.execute(
        select(user.c.id, user.c.full_name, user.c.is_active, user.c.service_group_id)
    ):
        names_[id_] = name
        groups[id_] = group
        if is_active:
            active.add(id_)
    group_ids = list(connection.scalars(select(ServiceGroup.__table__.c.id).order_by("id")))
    certificate = Certificate.__table__
    valid = set(
        connection.scalars(
            select(certificate.c.enrolment_id).where(
                certificate.c.status == CertificateStatus.VALID
            )
        )
    )
    completions: dict[int, list[datetime]] = {}
    for enrolment in world.enrolments:
        if enrolment.status == EnrolmentStatus.COMPLETED and enrolment.id in valid:
            completions.setdefault(enrolment.learner_id, []).append(enrolment.ended_at)
    for times in completions.values():
        times.sort()
    demo = set(world.demo.values())
    trained = sorted(
        (times[0], learner) for learner, times in completions.items() if learner not in demo
    )
    staff = [person.id for person in world.people if person.id not in demo]
    by_department: dict[int | None, list[int]] = {}
    for person in world.people:
        if person.id not in demo:
            by_department.setdefault(person.department_id, []).append(person.id)
    return Facts(
        names=names_,
        active=frozenset(active),
        groups=groups,
        group_ids=group_ids,
        staff=staff,
        by_department=by_department,
        trained=trained,
        firsts=[when for when, _ in trained],
        completions=completions,
    )


def _pmo(world: World, facts: Facts) -> tuple[list[int], list[int]]:
    """The PMO's coaches (the demo trainer and up to five other active trainers), and
    everyone who may be made responsible for support: them and the active admins."""
    trainer = world.demo[TRAINER]
    others = [id_ for id_ in world.trainer_ids if id_ != trainer and id_ in facts.active]
    coaches = [trainer, *others[: COACHES - 1]]
    admins = [id_ for id_ in world.admin_ids if id_ in facts.active]
    return coaches, coaches + [id_ for id_ in admins if id_ not in coaches]


# --- projects -------------------------------------------------------------------------------


def _moment(world: World, day: date, earliest: float = 9, latest: float = 17) -> datetime:
    """A time in the working day, before the seed's now."""
    moment = start_of_local_day(day) + timedelta(hours=world.rng.uniform(earliest, latest))
    return min(moment, world.now - timedelta(minutes=world.rng.randint(1, 120)))


def _live_day(world: World) -> date:
    return world.today - timedelta(days=LIVE_DAYS)


def _registered(world: World, starts_on: date | None) -> datetime:
    """Some weeks before the start (or lately, for a project without dates); a project
    from before the platform went live was registered on going live."""
    rng = world.rng
    if starts_on is None:
        day = world.today - timedelta(days=rng.randint(1, 150))
    else:
        day = starts_on - timedelta(days=rng.randint(10, 120))
    live = _live_day(world)
    if day < live:
        day = live + timedelta(days=rng.randint(0, 20))
    return _moment(world, min(day, world.today - timedelta(days=1)))


def _status(world: World, starts_on: date, planned: date) -> tuple[ProjectStatus, date | None]:
    """A status that fits the dates, and the day a closed or stopped one finished."""
    rng = world.rng
    today = world.today
    yesterday = today - timedelta(days=1)
    if starts_on > today:
        weights = {ProjectStatus.PROPOSED: 85, ProjectStatus.ACTIVE: 10, ProjectStatus.ON_HOLD: 5}
    elif planned < today - timedelta(days=365):
        weights = {ProjectStatus.CLOSED: 85, ProjectStatus.STOPPED: 15}
    elif planned < today - timedelta(days=30):  # some running late
        weights = {
            ProjectStatus.CLOSED: 65,
            ProjectStatus.STOPPED: 10,
            ProjectStatus.ACTIVE: 18,
            ProjectStatus.ON_HOLD: 7,
        }
    else:
        weights = {
            ProjectStatus.ACTIVE: 78,
            ProjectStatus.ON_HOLD: 8,
            ProjectStatus.PROPOSED: 6,
            ProjectStatus.STOPPED: 4,
            ProjectStatus.CLOSED: 4,
        }
    status = rng.choices(list(weights), weights=list(weights.values()))[0]
    if status.finished and starts_on > today - timedelta(days=45):
        return ProjectStatus.ACTIVE, None  # too new to have finished
    if status == ProjectStatus.CLOSED:
        ended = planned + timedelta(days=rng.randint(-21, 45))
    elif status == ProjectStatus.STOPPED:
        ended = starts_on + (min(planned, yesterday) - starts_on) * rng.uniform(0.2, 0.8)
    else:
        return status, None
    return status, max(min(ended, yesterday), starts_on + timedelta(days=14))


def _title(world: World) -> tuple[str, str]:
    rng = world.rng
    change, aim = rng.choice(CHANGES)
    specialty = rng.choice(names.SPECIALTIES)
    form = rng.random()
    if form < 0.6:
        title = f"{specialty} {change}"
    elif form < 0.85:
        title = f"{change[0].upper()}{change[1:]} ({specialty})"
    else:
        title = f"{specialty} {change}, phase {rng.randint(2, 3)}"
    return title, aim + rng.choice(MEASURES)


def _sponsor(world: World) -> str | None:
    rng = world.rng
    roll = rng.random()
    if roll < 0.45:
        return rng.choice(SPONSOR_ROLES)
    if roll < 0.93:
        doctor = "Dr " if rng.random() < 0.3 else ""
        return f"{doctor}{rng.choice(names.FIRST_NAMES)} {rng.choice(names.LAST_NAMES)}"
    return None


def _trainee(world: World, facts: Facts, cutoff: datetime, taken) -> int | None:
    """Someone whose first certified completion came before the cutoff."""
    before = bisect_left(facts.firsts, cutoff)
    for _ in range(5):
        if not before:
            return None
        person = facts.trained[world.rng.randrange(before)][1]
        if person not in taken:
            return person
    return None


def _someone(world: World, facts: Facts, taken, department: int | None = None) -> int:
    """Anyone (but the demo accounts) not yet on the project, half the time from the
    department given."""
    rng = world.rng
    colleagues = facts.by_department.get(department) if department is not None else None
    for _ in range(20):
        pool = colleagues if colleagues and rng.random() < 0.5 else facts.staff
        person = rng.choice(pool)
        if person not in taken:
            return person
    return next(person for person in facts.staff if person not in taken)


def _people(world, facts, cutoff, *, team: int, lead: int | None = None) -> dict:
    rng = world.rng
    people: dict[int, ProjectRole] = {}
    if lead is None:
        if cutoff is not None and rng.random() < TRAINEE_LEADS:
            lead = _trainee(world, facts, cutoff, people)
        lead = lead or _someone(world, facts, people)
    people[lead] = ProjectRole.LEAD
    department = world.people[lead - 1].department_id
    if rng.random() < MANAGED:
        manager = None
        if cutoff is not None and rng.random() < TRAINEE_MANAGERS:
            manager = _trainee(world, facts, cutoff, people)
        people[manager or _someone(world, facts, people, department)] = ProjectRole.PROJECT_MANAGER
    for _ in range(team):
        people[_someone(world, facts, people, department)] = ProjectRole.MEMBER
    return people


def _project(world: World, facts: Facts) -> ProjectPlan:
    rng = world.rng
    today = world.today
    starts_on = today + timedelta(days=rng.randint(-YEARS_BACK * 365, DAYS_AHEAD))
    planned = starts_on + timedelta(days=round(rng.choice(DURATIONS) * 30.44))
    status, ended_on = _status(world, starts_on, planned)
    if status == ProjectStatus.PROPOSED and rng.random() < 0.25:
        starts_on = planned = None
    elif rng.random() < 0.04:
        planned = None  # no planned end given
    team = rng.choices(range(len(TEAM_WEIGHTS)), weights=TEAM_WEIGHTS)[0]
    if status == ProjectStatus.PROPOSED:
        team = min(team, 3)
    cutoff = start_of_local_day(starts_on + timedelta(days=1)) if starts_on else None
    people = _people(world, facts, cutoff, team=team)
    lead = next(iter(people))
    roll = rng.random()
    group = facts.groups.get(lead) if roll < 0.7 else rng.choice(facts.group_ids)
    title, description = _title(world)
    by = lead if rng.random() < 0.7 else rng.choice(world.admin_ids[:2])
    return ProjectPlan(
        title=title,
        description=description,
        service_group_id=group if roll < 0.95 else None,
        sponsor=_sponsor(world),
        starts_on=starts_on,
        planned_end_on=planned,
        status=status,
        ended_on=ended_on,
        created_by=by,
        created_at=_registered(world, starts_on),
        people=people,
    )


def _join_teams(world: World, plans: list[ProjectPlan]) -> None:
    """The demo learner is on two other projects' teams, ones under way."""
    learner = world.demo[LEARNER]
    others = [
        plan
        for plan in plans
        if learner not in plan.people
        and plan.status == ProjectStatus.ACTIVE
        and list(plan.people.values()).count(ProjectRole.MEMBER) < MAX_TEAM
    ]
    for plan in world.rng.sample(others, min(DEMO_TEAMS_JOINED, len(others))):
        plan.people[learner] = ProjectRole.MEMBER


# --- the demo learner's projects -----------------------------------------------------------


def _demo_projects(world: World, facts: Facts) -> list[ProjectPlan]:
    """Her three: closed, active (the heavy one) and proposed. The active one started
    after her latest certified completion (or about a year ago without one)."""
    rng = world.rng
    today = world.today
    learner = world.demo[LEARNER]
    group = facts.groups.get(learner)
    sponsor = world.demo[MANAGER]
    plans = []
    # Closed two years ago.
    starts_on = today - timedelta(days=rng.randint(900, 1000))
    plan = _demo_plan(
        world, facts, "Ward 5 safer staffing review", CHANGES[10][1], starts_on,
        planned=starts_on + timedelta(days=270), status=ProjectStatus.CLOSED, team=3,
    )  # fmt: skip
    plan.ended_on = plan.planned_end_on + timedelta(days=rng.randint(5, 30))
    plans.append(plan)
    # Active, her heaviest page: started a year ago, or a week or two after her latest
    # certified completion if that came later (but at least two months ago).
    starts_on = today - timedelta(days=390)
    completed = facts.completions.get(learner, [])
    if completed:
        after = to_local(completed[-1]).date() + timedelta(days=rng.randint(7, 21))
        if after <= today - timedelta(days=60):
            starts_on = max(starts_on, after)
    heavy = _demo_plan(
        world, facts, "Ward 5 discharge before noon", CHANGES[1][1], starts_on,
        planned=max(starts_on, today) + timedelta(days=180), status=ProjectStatus.ACTIVE,
        team=DEMO_TEAM,
    )  # fmt: skip
    heavy.sponsor = facts.names[sponsor]
    heavy.ppm_reference = ""  # one is given in order of registration
    every = max(12, (today - starts_on).days // DEMO_UPDATES)  # about DEMO_UPDATES of them
    _updates(world, heavy, gap=(every - 3, every + 3), most=DEMO_UPDATES)
    plans.append(heavy)
    # Proposed, from next month.
    starts_on = today + timedelta(days=rng.randint(30, 50))
    proposed = _demo_plan(
        world, facts, "Surgical pre-assessment by video", CHANGES[24][1], starts_on,
        planned=starts_on + timedelta(days=240), status=ProjectStatus.PROPOSED, team=2,
    )  # fmt: skip
    plans.append(proposed)
    for plan in plans:
        plan.service_group_id = group
    return plans


def _demo_plan(world, facts, title, aim, starts_on, *, planned, status, team) -> ProjectPlan:
    """One of the demo learner's projects: she leads it and registered it; its project
    manager and team are trainees where there are any, colleagues otherwise."""
    learner = world.demo[LEARNER]
    cutoff = start_of_local_day(starts_on + timedelta(days=1))
    people = {learner: ProjectRole.LEAD}
    manager = _trainee(world, facts, cutoff, people) or _someone(world, facts, people)
    people[manager] = ProjectRole.PROJECT_MANAGER
    department = world.people[learner - 1].department_id
    for number in range(team):
        member = (number % 2 == 0 and _trainee(world, facts, cutoff, people)) or _someone(
            world, facts, people, department
        )
        people[member] = ProjectRole.MEMBER
    return ProjectPlan(
        title=title,
        description=aim,
        service_group_id=None,
        sponsor=facts.names[world.demo[MANAGER]],
        starts_on=starts_on,
        planned_end_on=planned,
        status=status,
        ended_on=None,
        created_by=learner,
        created_at=_registered(world, starts_on),
        people=people,
    )


# --- updates --------------------------------------------------------------------------------

RAGS = (Rag.GREEN, Rag.AMBER, Rag.RED)


def _updates(world: World, plan: ProjectPlan, *, gap=(35, 95), most=MAX_UPDATES) -> None:
    """An update every month or three since soon after the start (the latest `most`),
    and a final one on the day a closed or stopped project finished."""
    rng = world.rng
    today = world.today
    if plan.starts_on is None or plan.status == ProjectStatus.PROPOSED:
        return
    last = plan.ended_on or today
    days = []
    day = plan.starts_on + timedelta(days=rng.randint(14, 35))
    while day < last:
        days.append(day)
        day += timedelta(days=rng.randint(*gap))
    days = days[-most:]
    rag = rng.choices(RAGS, weights=(60, 30, 10))[0]
    for number, day in enumerate(days):
        if rng.random() < 0.3:  # the RAG moves a step now and then
            index = RAGS.index(rag) + rng.choice((-1, 1))
            rag = RAGS[min(max(index, 0), 2)]
        narrative = rng.choice(NARRATIVES[rag])
        if plan.status == ProjectStatus.ON_HOLD and number == len(days) - 1:
            rag, narrative = rng.choice((Rag.AMBER, Rag.RED)), rng.choice(ON_HOLD)
        early = (
            plan.planned_end_on is None
            or day < plan.starts_on + (plan.planned_end_on - plan.starts_on) / 2
        )
        plan.updates.append(_update(world, plan, day, rag, narrative, early=early))
    if plan.status.finished:
        closed = plan.status == ProjectStatus.CLOSED
        rag = rng.choices(RAGS, weights=(70, 30, 0) if closed else (0, 30, 70))[0]
        final = _update(
            world, plan, plan.ended_on, rag, rng.choice(FINAL[plan.status]), early=False
        )
        final["final"] = True
        plan.updates.append(final)


def _update(world, plan: ProjectPlan, day: date, rag: Rag, narrative: str, *, early) -> dict:
    rng = world.rng
    likely = {
        Rag.GREEN: (Answer.YES, Answer.YES, Answer.YES, Answer.PARTLY),
        Rag.AMBER: (Answer.PARTLY, Answer.PARTLY, Answer.YES, Answer.NO),
        Rag.RED: (Answer.NO, Answer.NO, Answer.PARTLY),
    }[rag]
    benefits = (
        Answer.TOO_EARLY
        if early
        else rng.choice((*likely, Answer.TOO_EARLY) if rag != Rag.RED else (Answer.NO,))
    )
    roll = rng.random()
    author = plan.lead
    if roll > 0.75 and plan.manager:
        author = plan.manager
    elif roll > 0.95:
        author = world.demo[ADMIN]
    created = max(_moment(world, day, 9, 18), plan.created_at + timedelta(minutes=1))
    created = min(created, world.now - timedelta(seconds=len(plan.updates) + 1))
    return {
        "author_id": author,
        "reported_on": day,
        "rag": rag,
        "milestones_met": rng.choice(likely),
        "on_time": rng.choice(likely),
        "on_budget": rng.choice(likely),
        "benefits_realised": benefits,
        "narrative": narrative,
        "final": False,
        "created_at": created + timedelta(seconds=len(plan.updates)),
        "updated_at": created + timedelta(seconds=len(plan.updates)),
    }


# --- PMO support ----------------------------------------------------------------------------


def _services(world: World) -> tuple[SupportService, ...]:
    rng = world.rng
    chosen = tuple(s for s, share in SERVICE_SHARES.items() if rng.random() < share)
    return chosen or (rng.choice(list(SERVICE_SHARES)),)


def _need(services) -> str:
    return " ".join(NEEDS[service] for service in services)


def _supports(world, plans, coaches, responsible) -> list[SupportPlan]:
    """Each financial year's accepted and declined requests, over the years the projects
    ran, and the few waiting today; the demo learner's projects have their own."""
    rng = world.rng
    today = world.today
    learner = world.demo[LEARNER]
    eligible = [plan for plan in plans if plan.lead != learner]
    first = min(plan.starts_on for plan in eligible if plan.starts_on) if eligible else today
    supports = []
    for starts in range(financial_year_of(first).starts, financial_year_of(today).starts + 1):
        year = financial_year(starts)
        running = [p for p in eligible if p.running(year.first_day, year.last_day, today)]
        carried = {s.project.id for s in supports if _active_in(s, year)}
        supported = min(rng.randint(*SUPPORTED), int(len(running) * SUPPORTED_SHARE))
        # New ones for the rest, over the part of the year the platform has known (since
        # going live, until today).
        known = min(year.last_day, today) - max(year.first_day, _live_day(world))
        wanted = round(max(0, supported - len(carried)) * min(1, (known.days + 1) / 365))
        made = 0
        for plan in rng.sample(running, len(running)):
            if made == wanted:
                break
            if plan.id in carried:
                continue
            support = _accepted(world, plan, year, coaches, responsible)
            if support is not None:
                supports.append(support)
                made += 1
        declining = round(made * DECLINED_SHARE)
        for plan in rng.sample(running, min(declining, len(running))):
            support = _declined(world, plan, year)
            if support is not None:
                supports.append(support)
    supports += _waiting(world, eligible)
    _trainers_coachees(world, supports)
    return supports


def _active_in(support: SupportPlan, year) -> bool:
    """`support.active_in`: accepted, and running on a day of the financial year."""
    return (
        support.status == SupportStatus.ACCEPTED
        and support.starts_on <= year.last_day
        and (support.ends_on is None or support.ends_on >= year.first_day)
    )


def _requester(world: World, plan: ProjectPlan) -> int:
    return plan.manager if plan.manager and world.rng.random() < 0.2 else plan.lead


def _decider(world: World) -> int:
    admins = world.admin_ids
    return admins[0] if world.rng.random() < 0.7 or len(admins) == 1 else world.rng.choice(admins)


def _day_between(world: World, first: date, last: date) -> date | None:
    if last < first:
        return None
    return first + timedelta(days=world.rng.randint(0, (last - first).days))


def _accepted(world, plan: ProjectPlan, year, coaches, responsible) -> SupportPlan | None:
    """Asked for in (or just before) the year while the project ran, accepted days later,
    for two to nine months (open-ended now and then, for one still running)."""
    rng = world.rng
    today = world.today
    end = plan.ended_on or today
    registered = to_local(plan.created_at).date() + timedelta(days=1)
    asked = _day_between(
        world,
        max(year.first_day - timedelta(days=20), plan.starts_on - timedelta(days=20), registered),
        min(year.last_day - timedelta(days=30), end - timedelta(days=30), today - timedelta(2)),
    )
    if asked is None:
        return None
    requester = _requester(world, plan)
    services = _services(world)
    if SupportService.COACHING in services:
        pool = [coach for coach in coaches if coach != requester]
    else:
        pool = [person for person in responsible if person != requester]
    if not pool:
        return None
    decided = min(asked + timedelta(days=rng.randint(1, 10)), today - timedelta(days=1))
    starts_on = max(decided + timedelta(days=rng.randint(0, 14)), year.first_day)
    ends_on = starts_on + timedelta(days=rng.randint(60, 270))
    if plan.ended_on is not None:
        ends_on = min(ends_on, plan.ended_on)
    elif ends_on > today and rng.random() < 0.3:
        ends_on = None
    requested_at = _moment(world, asked)
    return SupportPlan(
        project=plan,
        requested_by=requester,
        services=services,
        need=_need(services),
        requested_at=requested_at,
        status=SupportStatus.ACCEPTED,
        responsible=rng.choice(pool),
        decided_by=_decider(world),
        decided_at=max(_moment(world, decided), requested_at + timedelta(minutes=5)),
        starts_on=starts_on,
        ends_on=ends_on,
    )


def _declined(world, plan: ProjectPlan, year) -> SupportPlan | None:
    rng = world.rng
    today = world.today
    registered = to_local(plan.created_at).date() + timedelta(days=1)
    asked = _day_between(
        world,
        max(year.first_day, registered),
        min(year.last_day, plan.ended_on or today, today - timedelta(days=2)),
    )
    if asked is None:
        return None
    services = rng.choice(((SupportService.IMMERSIVE,), (SupportService.ADVICE,), _services(world)))
    decided = min(asked + timedelta(days=rng.randint(1, 10)), today - timedelta(days=1))
    requested_at = _moment(world, asked)
    return SupportPlan(
        project=plan,
        requested_by=_requester(world, plan),
        services=services,
        need=_need(services),
        requested_at=requested_at,
        status=SupportStatus.DECLINED,
        decided_by=_decider(world),
        decided_at=max(_moment(world, decided), requested_at + timedelta(minutes=5)),
        decline_reason=rng.choice(DECLINE_REASONS),
    )


def _waiting(world: World, plans: list[ProjectPlan]) -> list[SupportPlan]:
    """A few requests of the last three weeks, on projects proposed or under way."""
    rng = world.rng
    today = world.today
    open_ = (ProjectStatus.PROPOSED, ProjectStatus.ACTIVE, ProjectStatus.ON_HOLD)
    candidates = [
        plan
        for plan in plans
        if plan.status in open_ and plan.created_at < world.now - timedelta(days=21)
    ]
    count = min(WAITING, max(1, len(candidates) // 20)) if candidates else 0
    supports = []
    for plan in rng.sample(candidates, count):
        services = _services(world)
        asked = today - timedelta(days=rng.randint(1, 20))
        supports.append(
            SupportPlan(
                project=plan,
                requested_by=_requester(world, plan),
                services=services,
                need=_need(services),
                requested_at=_moment(world, asked),
            )
        )
    return supports


def _trainers_coachees(world: World, supports: list[SupportPlan]) -> None:
    """The demo trainer coaches at least TRAINER_COACHEES people: the newest coaching
    supports are handed to him until he does."""
    trainer = world.demo[TRAINER]
    coaching = [s for s in supports if s.coaching and s.requested_by != trainer]
    theirs = sum(1 for support in coaching if support.responsible == trainer)
    for support in sorted(coaching, key=lambda s: s.requested_at, reverse=True):
        if theirs >= TRAINER_COACHEES:
            break
        if support.responsible != trainer:
            support.responsible = trainer
            theirs += 1


def _demo_supports(world: World, plans: list[ProjectPlan]) -> list[SupportPlan]:
    """On the demo learner's active project: coaching from the demo trainer since soon
    after the start, an assurance review by the demo admin, an earlier request for
    immersive support declined, and a request for advice waiting."""
    rng = world.rng
    today = world.today
    learner = world.demo[LEARNER]
    heavy = next(
        plan for plan in plans if plan.lead == learner and plan.status == ProjectStatus.ACTIVE
    )
    start = heavy.starts_on
    registered = to_local(heavy.created_at).date()
    asked = min(max(start - timedelta(days=10), registered + timedelta(days=1)), today)
    asked = min(asked, today - timedelta(days=2))
    coaching_starts = min(asked + timedelta(days=7), today - timedelta(days=1))
    supports = [
        _demo_support(
            world, heavy, (SupportService.COACHING,), asked, SupportStatus.ACCEPTED,
            responsible=world.demo[TRAINER], starts_on=coaching_starts,
        ),
        _demo_support(
            world, heavy, (SupportService.IMMERSIVE,), asked, SupportStatus.DECLINED,
        ),
    ]  # fmt: skip
    review = start + (today - start) / 2
    if review > asked:
        supports.append(
            _demo_support(
                world, heavy, (SupportService.ASSURANCE, SupportService.ADVICE), review,
                SupportStatus.ACCEPTED, responsible=world.demo[ADMIN],
                starts_on=review + timedelta(days=7),
                ends_on=review + timedelta(days=7 + rng.randint(90, 150)),
            )
        )  # fmt: skip
    supports.append(
        _demo_support(
            world, heavy, (SupportService.ADVICE,), today - timedelta(days=3),
            SupportStatus.REQUESTED,
        )
    )  # fmt: skip
    return supports


def _demo_support(world, plan, services, asked, status, *, responsible=None, **dates):
    requested_at = _moment(world, asked)
    decided = status != SupportStatus.REQUESTED
    return SupportPlan(
        project=plan,
        requested_by=world.demo[LEARNER],
        services=services,
        need=_need(services),
        requested_at=requested_at,
        status=status,
        responsible=responsible,
        decided_by=world.demo[ADMIN] if decided else None,
        decided_at=min(requested_at + timedelta(days=2), world.now - timedelta(hours=1))
        if decided
        else None,
        decline_reason=DECLINE_REASONS[0] if status == SupportStatus.DECLINED else None,
        **dates,
    )


# --- coaching -------------------------------------------------------------------------------


def _sessions(world: World, support: SupportPlan) -> None:
    """Sessions two to five weeks apart from the coaching's start to its end (or
    yesterday), up to eight (the demo learner's ten, the latest not yet confirmed)."""
    rng = world.rng
    today = world.today
    yesterday = today - timedelta(days=1)
    demo = support.requested_by == world.demo[LEARNER]
    last = min(support.ends_on or yesterday, yesterday)
    gap, most = ((14, 24), DEMO_SESSIONS) if demo else ((14, 35), MAX_SESSIONS)
    days = []
    day = support.starts_on + timedelta(days=rng.randint(3, 14))
    while day <= last:
        days.append(day)
        day += timedelta(days=rng.randint(*gap))
    days = days[-most:] if demo else days[:most]
    if demo and not days and support.starts_on <= yesterday:
        days = [yesterday]
    topics = rng.sample(TOPICS, len(days))
    trainer = support.responsible == world.demo[TRAINER]
    for number, (day, topic) in enumerate(zip(days, topics, strict=True)):
        logged = _moment(world, day, 15, 19)
        age = (today - day).days
        confirmed = rng.random() < (0.97 if age > 14 else 0.6)
        if demo:
            confirmed = number < len(days) - 1
        confirmed_at = None
        coach_logged = None
        if confirmed:
            confirmed_at = min(
                logged + timedelta(days=rng.randint(0, 4), hours=rng.uniform(1, 20)),
                world.now - timedelta(minutes=30),
            )
            confirmed_at = max(confirmed_at, logged + timedelta(minutes=1))
            if demo or rng.random() < (0.8 if trainer else COACH_LOGS):
                coach_logged = min(
                    confirmed_at + timedelta(days=rng.randint(0, 10), hours=rng.uniform(0, 8)),
                    world.now - timedelta(minutes=10),
                )
                coach_logged = max(coach_logged, confirmed_at + timedelta(minutes=1))
        support.sessions.append(
            {
                "support": support,
                "coach_id": support.responsible,
                "coachee_id": support.requested_by,
                "held_on": day,
                "minutes": rng.choice(MINUTES),
                "topic": topic,
                "actions": rng.choice(ACTIONS),
                "notes": rng.choice(NOTES),
                "confirmed_at": confirmed_at,
                "coach_logged": coach_logged,
                "created_at": logged,
            }
        )


def _hours(minutes: int) -> Decimal:
    return (Decimal(minutes) / 60).quantize(Decimal("0.01"))


def _coaching_entry(facts, session: dict, learner: int, source, provider: int, when) -> dict:
    """`record.record_coaching`'s entry for a confirmed session."""
    return {
        "learner_id": learner,
        "source": source,
        "title": f"Coaching: {session['topic']}"[:TITLE_LENGTH],
        "category_id": None,
        "activity_on": session["held_on"],
        "ended_on": None,
        "hours": _hours(session["minutes"]),
        "provider": facts.names[provider][:PROVIDER_LENGTH] or None,
        "learned": "",
        "applied": "",
        "enrolment_id": None,
        "certificate_id": None,
        "created_at": when,
        "updated_at": when,
    }


# --- the rows -------------------------------------------------------------------------------


def _write(world: World, facts: Facts, plans: list[ProjectPlan], supports) -> None:
    """Parents before children, each table's ids in the order its rows were made, and the
    audit events of it all in the order they happened."""
    writer = world.writer
    events: list[dict] = []
    writer.insert(Project.__table__, [_project_row(world, plan, events) for plan in plans])
    members = [(plan, person, role) for plan in plans for person, role in plan.people.items()]
    ids = writer.ids(ProjectMember.__table__, len(members))
    writer.insert(
        ProjectMember.__table__,
        (
            {"id": id_, "project_id": plan.id, "person_id": person, "role": role}
            for id_, (plan, person, role) in zip(ids, members, strict=True)
        ),
    )
    writer.insert(ProjectUpdate.__table__, _update_rows(world, plans, events))
    supports.sort(key=lambda support: (support.requested_at, support.project.id))
    for id_, support in zip(writer.ids(Support.__table__, len(supports)), supports, strict=True):
        support.id = id_
    writer.insert(Support.__table__, [_support_row(world, s, events) for s in supports])
    _write_sessions(world, facts, supports, events)
    events.sort(key=lambda event: event["occurred_at"])
    writer.insert(AuditEvent.__table__, events)


def _project_row(world: World, plan: ProjectPlan, events: list[dict]) -> dict:
    """The project and its registration's audit events (`register.register`, then each
    person as `register.add_person` records them)."""
    proposed = plan.status == ProjectStatus.PROPOSED
    facts = {
        "title": plan.title,
        "ppm_reference": plan.ppm_reference,
        "service_group_id": plan.service_group_id,
        "sponsor": plan.sponsor,
        "starts_on": plan.starts_on.isoformat() if plan.starts_on else None,
        "planned_end_on": plan.planned_end_on.isoformat() if plan.planned_end_on else None,
        "status": (ProjectStatus.PROPOSED if proposed else ProjectStatus.ACTIVE).value,
    }
    by, when = plan.created_by, plan.created_at
    events.append(audit_row(world, when, by, "project.registered", "Project", plan.id, after=facts))
    for person, role in plan.people.items():
        events.append(
            audit_row(
                world, when, by, "project.person_added", "Project", plan.id,
                after={"person_id": person, "role": role.value},
            )
        )  # fmt: skip
    updated = plan.created_at
    if plan.status.finished or plan.status == ProjectStatus.ON_HOLD:
        updated = max([plan.created_at, *(update["created_at"] for update in plan.updates)])
        if plan.status == ProjectStatus.ON_HOLD:
            events.append(
                audit_row(
                    world, updated, plan.lead, "project.changed", "Project", plan.id,
                    before={"status": ProjectStatus.ACTIVE.value},
                    after={"status": ProjectStatus.ON_HOLD.value},
                )
            )  # fmt: skip
    return {
        "id": plan.id,
        "title": plan.title,
        "ppm_reference": plan.ppm_reference,
        "description": plan.description,
        "service_group_id": plan.service_group_id,
        "sponsor": plan.sponsor,
        "starts_on": plan.starts_on,
        "planned_end_on": plan.planned_end_on,
        **derived_dates(plan.starts_on, to_local(plan.created_at).date()),
        "status": plan.status,
        "created_by_id": plan.created_by,
        "created_at": plan.created_at,
        "updated_at": updated,
    }


def _update_rows(world: World, plans: list[ProjectPlan], events: list[dict]) -> list[dict]:
    """Every update, oldest first, with its `project_update.recorded` event, and each
    final one with its project's `project.closed`."""
    rows = [{**update, "project_id": plan.id} for plan in plans for update in plan.updates]
    statuses = {plan.id: plan.status for plan in plans}
    rows.sort(key=lambda row: (row["created_at"], row["project_id"]))
    for id_, row in zip(world.writer.ids(ProjectUpdate.__table__, len(rows)), rows, strict=True):
        row["id"] = id_
        facts = {
            "reported_on": row["reported_on"].isoformat(),
            "rag": row["rag"].value,
            "milestones_met": row["milestones_met"].value,
            "on_time": row["on_time"].value,
            "on_budget": row["on_budget"].value,
            "benefits_realised": row["benefits_realised"].value,
            "final": row["final"],
        }
        by, when = row["author_id"], row["created_at"]
        events.append(
            audit_row(world, when, by, "project_update.recorded", "ProjectUpdate", id_, after=facts)
        )
        if row["final"]:
            events.append(
                audit_row(
                    world, when, by, "project.closed", "Project", row["project_id"],
                    before={"status": ProjectStatus.ACTIVE.value},
                    after={"status": statuses[row["project_id"]].value},
                )
            )  # fmt: skip
    return rows


def _support_row(world: World, support: SupportPlan, events: list[dict]) -> dict:
    """The request and the PMO's answer, with `support.requested` and `support.accepted`
    or `support.declined` as `lms.projects.support` records them."""
    asked = {
        "project_id": support.project.id,
        "status": SupportStatus.REQUESTED.value,
        "services": [service.value for service in support.services],
        "responsible_id": None,
        "starts_on": None,
        "ends_on": None,
        "decline_reason": None,
    }
    events.append(
        audit_row(
            world, support.requested_at, support.requested_by, "support.requested", "Support",
            support.id, after=asked,
        )
    )  # fmt: skip
    if support.status != SupportStatus.REQUESTED:
        answer = asked | {
            "status": support.status.value,
            "responsible_id": support.responsible,
            "starts_on": support.starts_on.isoformat() if support.starts_on else None,
            "ends_on": support.ends_on.isoformat() if support.ends_on else None,
            "decline_reason": support.decline_reason,
        }
        events.append(
            audit_row(
                world, support.decided_at, support.decided_by, f"support.{support.status.value}",
                "Support", support.id, before=asked, after=answer,
            )
        )  # fmt: skip
    return {
        "id": support.id,
        "project_id": support.project.id,
        "requested_by_id": support.requested_by,
        **{service.value: service in support.services for service in SupportService},
        "need": support.need,
        "status": support.status,
        "responsible_id": support.responsible,
        "starts_on": support.starts_on,
        "ends_on": support.ends_on,
        "decline_reason": support.decline_reason,
        "decided_by_id": support.decided_by,
        "decided_at": support.decided_at,
        "created_at": support.requested_at,
        "updated_at": support.decided_at or support.requested_at,
    }


def _write_sessions(world: World, facts: Facts, supports, events: list[dict]) -> None:
    """Sessions in the order they were logged, each confirmed one's CPD entries (the
    coachee's, and the coach's when they added it) first, since the session points at
    them; the log's events: logged, confirmed, added to the coach's CPD."""
    sessions = [session for support in supports for session in support.sessions]
    sessions.sort(key=lambda session: (session["created_at"], session["support"].id))
    entries = []
    for session in sessions:
        if session["confirmed_at"] is not None:
            received = _coaching_entry(
                facts, session, session["coachee_id"], EntrySource.COACHING_RECEIVED,
                session["coach_id"], session["confirmed_at"],
            )  # fmt: skip
            session["coachee_entry"] = received
            entries.append(received)
        if session["coach_logged"] is not None:
            given = _coaching_entry(
                facts, session, session["coach_id"], EntrySource.COACHING_GIVEN,
                session["coachee_id"], session["coach_logged"],
            )  # fmt: skip
            session["coach_entry"] = given
            entries.append(given)
    entries.sort(key=lambda entry: (entry["created_at"], entry["learner_id"]))
    for id_, entry in zip(world.writer.ids(CpdEntry.__table__, len(entries)), entries, strict=True):
        entry["id"] = id_
    world.writer.insert(CpdEntry.__table__, entries)
    rows = []
    ids = world.writer.ids(CoachingSession.__table__, len(sessions))
    for id_, session in zip(ids, sessions, strict=True):
        received, given = session.get("coachee_entry"), session.get("coach_entry")
        logged, confirmed, coach_logged = (
            session["created_at"],
            session["confirmed_at"],
            session["coach_logged"],
        )
        hours = str(_hours(session["minutes"]))
        facts_ = {
            "support_id": session["support"].id,
            "coachee_id": session["coachee_id"],
            "held_on": session["held_on"].isoformat(),
            "minutes": session["minutes"],
            "topic": session["topic"],
            "confirmed": False,
        }
        coach, coachee = session["coach_id"], session["coachee_id"]
        events.append(
            audit_row(
                world, logged, coach, "coaching_session.logged", "CoachingSession", id_,
                after=facts_,
            )
        )  # fmt: skip
        if confirmed is not None:
            events.append(
                audit_row(
                    world, confirmed, coachee, "coaching_session.confirmed", "CoachingSession",
                    id_, after={"hours": hours},
                )
            )  # fmt: skip
        if coach_logged is not None:
            events.append(
                audit_row(
                    world, coach_logged, coach, "coaching_session.added_to_cpd",
                    "CoachingSession", id_, after={"hours": hours},
                )
            )  # fmt: skip
        rows.append(
            {
                "id": id_,
                "support_id": session["support"].id,
                "coach_id": coach,
                "coachee_id": coachee,
                "held_on": session["held_on"],
                "minutes": session["minutes"],
                "topic": session["topic"],
                "actions": session["actions"],
                "notes": session["notes"],
                "confirmed_at": confirmed,
                "coachee_entry_id": received["id"] if received else None,
                "coach_entry_id": given["id"] if given else None,
                "created_at": logged,
                "updated_at": max(filter(None, (logged, confirmed, coach_logged))),
            }
        )
    world.writer.insert(CoachingSession.__table__, rows)
