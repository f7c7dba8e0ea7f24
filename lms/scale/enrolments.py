"""Enrolments in every state: closed cohorts completed (mostly), running ones confirmed,
open ones filling up with waitlists and requests for approval; a few staff take many
courses and most take none to two. The demo learner is on several cohorts, the demo
trainer's cohort today has 25 learners, and the demo manager has requests to decide."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from courses.models import CohortStatus, Enrolment
from courses.models import EnrolmentStatus as Status
from lms.scale.cohorts import FLAGSHIP_OPEN
from lms.scale.world import LEARNER, CohortRow, EnrolmentRow, World

TODAYS_LEARNERS = 25


def seed(world: World) -> None:
    rng = world.rng
    candidates = [person.id for person in world.people if person.id not in world.demo.values()]
    # Heavy-tailed appetite for training: most people take few courses, a few take many.
    weights = list(itertools.accumulate(rng.paretovariate(1.2) for _ in candidates))
    reserved = _demo_places(world)
    ids = itertools.count(1)
    for cohort in world.cohorts:
        if cohort.status in (CohortStatus.PLANNED, CohortStatus.CANCELLED):
            continue
        wanted = reserved.get(cohort.id, [])
        slots = _statuses(world, cohort, [status for _, status in wanted])
        learners: list[int | None] = [None] * len(slots)
        for learner_id, status in wanted:  # a demo place takes the first slot of its status
            index = next(
                i for i, slot in enumerate(slots) if slot == status and learners[i] is None
            )
            learners[index] = learner_id
        taken = {learner_id for learner_id, _ in wanted}
        fresh: list[int] = []
        extra = learners.count(None)
        while len(fresh) < extra:
            for learner_id in rng.choices(candidates, cum_weights=weights, k=extra):
                if learner_id not in taken and len(fresh) < extra:
                    taken.add(learner_id)
                    fresh.append(learner_id)
        fill = iter(fresh)
        times = _request_times(world, cohort, len(slots))
        for learner_id, status, requested_at in zip(learners, slots, times, strict=True):
            learner_id = learner_id or next(fill)
            world.enrolments.append(
                _enrolment(world, next(ids), cohort, learner_id, status, requested_at)
            )
    world.writer.ids(Enrolment.__table__, len(world.enrolments))
    world.writer.insert(Enrolment.__table__, (_row(world, row) for row in world.enrolments))


def _statuses(world: World, cohort: CohortRow, reserved: list[Status]) -> list[Status]:
    """The statuses of a cohort's enrolments in the order they were requested, following
    the cohort's phase and making room for the demo places `reserved` there."""
    if cohort is world.todays_cohort:
        return [Status.CONFIRMED] * TODAYS_LEARNERS
    statuses = _phase_statuses(world, cohort, full=Status.WAITLISTED in reserved)
    for status in dict.fromkeys(reserved):
        missing = reserved.count(status) - statuses.count(status)
        statuses += [status] * max(0, missing)
    return statuses


def _phase_statuses(world: World, cohort: CohortRow, *, full: bool) -> list[Status]:
    rng = world.rng
    seats = round(cohort.capacity * rng.uniform(0.6, 1.0))
    if cohort.status == CohortStatus.CLOSED:
        kept = rng.choices(
            (Status.COMPLETED, Status.NOT_COMPLETED, Status.WITHDRAWN), weights=(85, 10, 5), k=seats
        )
        return [*kept, *[Status.CANCELLED] * rng.randint(0, 2)]
    if cohort.status == CohortStatus.RUNNING:
        kept = rng.choices((Status.CONFIRMED, Status.WITHDRAWN), weights=(95, 5), k=seats)
        return [*kept, *[Status.CANCELLED] * rng.randint(0, 2)]
    full = full or rng.random() < 0.25
    statuses = [Status.CONFIRMED] * (cohort.capacity if full else seats)
    if full:
        statuses += [Status.WAITLISTED] * rng.randint(1, 6)
    if cohort.course.requires_approval:
        statuses += [Status.PENDING_APPROVAL] * rng.randint(0, 3)
        statuses += [Status.REJECTED] * rng.randint(0, 1)
    return [*statuses, *[Status.CANCELLED] * rng.randint(0, 2)]


def _request_times(world: World, cohort: CohortRow, count: int) -> list[datetime]:
    """First come, first served: sorted times in the enrolment window, all before now."""
    opens = cohort.starts_at - timedelta(days=60)
    closes = min(cohort.starts_at - timedelta(days=2), world.now - timedelta(hours=1))
    span = max((closes - opens).total_seconds(), 3600)
    times = sorted(world.rng.uniform(0, span) for _ in range(count))
    return [opens + timedelta(seconds=round(seconds)) for seconds in times]


def _enrolment(world, id_, cohort: CohortRow, learner_id, status, requested_at) -> EnrolmentRow:
    rng = world.rng
    approved = requested_at + timedelta(days=1) if cohort.course.requires_approval else requested_at
    confirmed_at = None
    ended_at = None
    if status in (Status.CONFIRMED, Status.COMPLETED, Status.NOT_COMPLETED, Status.WITHDRAWN):
        confirmed_at = min(approved, cohort.starts_at - timedelta(hours=1))
    if status in (Status.COMPLETED, Status.NOT_COMPLETED):
        ended_at = cohort.ends_at + timedelta(days=1)
    elif status == Status.WITHDRAWN:
        ended_at = cohort.starts_at + (cohort.ends_at - cohort.starts_at) * rng.random()
    elif status in (Status.CANCELLED, Status.REJECTED):
        ended_at = min(requested_at + timedelta(days=rng.randint(1, 10)), cohort.starts_at)
    return EnrolmentRow(id_, cohort, learner_id, status, requested_at, confirmed_at, ended_at)


def _row(world: World, enrolment: EnrolmentRow) -> dict:
    cohort = enrolment.cohort
    decided = cohort.course.requires_approval and enrolment.status != Status.PENDING_APPROVAL
    manager_id = world.people[enrolment.learner_id - 1].manager_id
    reminded = (
        enrolment.confirmed_at is not None and cohort.starts_at - timedelta(days=2) < world.now
    )
    return {
        "id": enrolment.id,
        "cohort_id": cohort.id,
        "learner_id": enrolment.learner_id,
        "status": enrolment.status,
        "requested_at": enrolment.requested_at,
        "confirmed_at": enrolment.confirmed_at,
        "ended_at": enrolment.ended_at,
        "decided_by_id": manager_id if decided and enrolment.status != Status.CANCELLED else None,
        "decision_reason": "Not this year: the service is short-staffed"
        if enrolment.status == Status.REJECTED
        else None,
        "reminder_sent_at": cohort.starts_at - timedelta(days=2) if reminded else None,
        "attendance_warning_sent_at": cohort.ends_at
        if enrolment.status == Status.NOT_COMPLETED
        else None,
        "created_at": enrolment.requested_at,
        "updated_at": enrolment.ended_at or enrolment.confirmed_at or enrolment.requested_at,
    }


def _demo_places(world: World) -> dict[int, list[tuple[int, Status]]]:
    """Cohort id -> (learner id, status) for the demo accounts' own enrolments."""
    rng = world.rng
    learner = world.demo[LEARNER]
    places: dict[int, list[tuple[int, Status]]] = {}

    def place(cohort: CohortRow, learner_id: int, status: Status) -> None:
        places.setdefault(cohort.id, []).append((learner_id, status))

    others = [person.id for person in world.people[len(world.demo) :]]
    todays = world.todays_cohort
    for learner_id in [learner, *rng.sample(others, TODAYS_LEARNERS - 1)]:
        place(todays, learner_id, Status.CONFIRMED)
    closed = [c for c in world.cohorts if c.status == CohortStatus.CLOSED]
    free = [
        c for c in world.cohorts if c.status == CohortStatus.OPEN and not c.course.requires_approval
    ]
    flagship = world.cohorts[1 : FLAGSHIP_OPEN + 1]  # open, and needing approval
    statuses = (Status.COMPLETED, Status.COMPLETED, Status.NOT_COMPLETED)
    for cohort, status in zip(rng.sample(closed, min(3, len(closed))), statuses, strict=False):
        place(cohort, learner, status)
    for cohort, status in zip(free, (Status.CONFIRMED, Status.WAITLISTED), strict=False):
        place(cohort, learner, status)
    place(flagship[0], learner, Status.PENDING_APPROVAL)
    # The rest of the manager's team wait for decisions too.
    for cohort, member in zip(flagship[1:], world.team_ids[1:], strict=False):
        place(cohort, member, Status.PENDING_APPROVAL)
    return places
