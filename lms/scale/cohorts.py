"""Cohorts over three years and the next six months, each with one to six weekly
sessions and one or two trainers; the demo trainer has a cohort with a session today."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from courses.cohorts.cohorts import london_to_utc
from courses.models import Cohort, CohortStatus, cohort_trainer
from courses.models import Session as SessionModel
from lms.scale import names
from lms.scale.world import CohortRow, SessionRow, World

TODAYS_CAPACITY = 30
FLAGSHIP_OPEN = 5  # open cohorts of the flagship (needs approval) for the demo's requests


def seed(world: World) -> None:
    rng = world.rng
    cohorts = []
    numbers: dict[tuple[str, int], int] = {}
    for index, id_ in enumerate(world.writer.ids(Cohort.__table__, world.plan.cohorts)):
        course = world.courses[0] if index <= FLAGSHIP_OPEN else rng.choice(world.courses)
        if index == 0:  # the demo trainer's cohort, under way, with a session today
            first_day, count = world.today - timedelta(weeks=2), 5
        elif index <= FLAGSHIP_OPEN:  # the flagship's next cohorts, open for requests
            first_day, count = world.today + timedelta(weeks=2 + index), 6
        else:
            latest = -200 if course.archived else 180
            first_day = world.today + timedelta(days=rng.randint(-3 * 365, latest))
            count = rng.choices(range(1, 7), weights=(15, 10, 15, 20, 20, 20))[0]
        year = first_day.year
        numbers[course.code, year] = numbers.get((course.code, year), 0) + 1
        cohort = CohortRow(
            id=id_,
            course=course,
            code=f"{course.code}-{year}-{numbers[course.code, year]}",
            capacity=TODAYS_CAPACITY if index == 0 else _capacity(world, course),
            status="",
            trainer_ids=_trainers(world, index),
        )
        cohort.sessions = _sessions(world, first_day, count)
        if index == 0:
            cohort.status = CohortStatus.RUNNING
        elif index <= FLAGSHIP_OPEN:
            cohort.status = CohortStatus.OPEN
        else:
            cohort.status = _status(world, cohort)
        cohorts.append(cohort)
    world.cohorts = cohorts
    world.todays_cohort = cohorts[0]
    world.writer.insert(Cohort.__table__, (_cohort_row(world, cohort) for cohort in cohorts))
    world.writer.insert(
        SessionModel.__table__,
        (
            {
                "id": session.id,
                "cohort_id": cohort.id,
                "title": names.SESSION_TITLES[number % len(names.SESSION_TITLES)],
                "starts_at": session.starts_at,
                "ends_at": session.ends_at,
                "location": None,
                "cancelled": session.cancelled,
                "check_in_secret": None,
            }
            for cohort in cohorts
            for number, session in enumerate(cohort.sessions)
        ),
    )
    world.writer.insert(
        cohort_trainer,
        (
            {"cohort_id": cohort.id, "user_id": trainer_id}
            for cohort in cohorts
            for trainer_id in cohort.trainer_ids
        ),
    )


def _capacity(world: World, course) -> int:
    """In-person groups of 8 to 30; blended a little larger; online webinars up to 200."""
    if course.online:
        return world.rng.randint(40, 200)
    return world.rng.randint(12, 40) if course.blended else world.rng.randint(8, 30)


def _trainers(world: World, index: int) -> list[int]:
    """One or two trainers; the demo trainer teaches one cohort in twenty, and today's."""
    rng = world.rng
    demo, others = world.trainer_ids[0], world.trainer_ids[1:] or world.trainer_ids
    first = demo if index == 0 or rng.random() < 0.05 else rng.choice(others)
    if rng.random() < 0.2:
        second = rng.choice(others)
        if second != first:
            return [first, second]
    return [first]


def _sessions(world: World, first_day: date, count: int) -> list[SessionRow]:
    gap = world.rng.choice((7, 7, 14))
    ids = world.writer.ids(SessionModel.__table__, count)
    sessions = []
    for number, id_ in enumerate(ids):
        day = first_day + timedelta(days=gap * number)
        starts = london_to_utc(day, time(9, 30), field_name="")
        ends = london_to_utc(day, time(13), field_name="")
        sessions.append(SessionRow(id_, starts, ends, cancelled=world.rng.random() < 0.02))
    return sessions


def _status(world: World, cohort: CohortRow) -> CohortStatus:
    roll = world.rng.random()
    if cohort.ends_at < world.now:
        return CohortStatus.CANCELLED if roll < 0.05 else CohortStatus.CLOSED
    if cohort.starts_at < world.now:
        return CohortStatus.RUNNING
    if roll < 0.05:
        return CohortStatus.CANCELLED
    return CohortStatus.PLANNED if roll < 0.15 else CohortStatus.OPEN


def closed_at(cohort: CohortRow) -> datetime | None:
    """A closed cohort was closed when its learners' places ended (the day after its last
    session, as `enrolments` ends them)."""
    if cohort.status != CohortStatus.CLOSED:
        return None
    return cohort.ends_at + timedelta(days=1)


def _cohort_row(world: World, cohort: CohortRow) -> dict:
    opens = cohort.starts_at - timedelta(days=60)
    created = opens - timedelta(days=world.rng.randint(1, 30))
    return {
        "id": cohort.id,
        "course_id": cohort.course.id,
        "code": cohort.code,
        "capacity": cohort.capacity,
        "enrolment_opens_at": opens,
        "enrolment_closes_at": cohort.starts_at - timedelta(days=2),
        "venue": None if cohort.course.online else "Education Centre, Room 2",
        "online_link": "https://teams.example.nhs.uk/pmo-training"
        if cohort.course.online
        else None,
        "status": cohort.status,
        "closed_at": closed_at(cohort),
        "created_at": created,
        "updated_at": created,
    }
