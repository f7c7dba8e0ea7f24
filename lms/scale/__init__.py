"""Trust-scale data for measuring pages: `flask lms seed-scale --factor F`.

DESIGN.md §6's large merged trust times a factor, written with bulk inserts in one
transaction, the same for the same seed and day. Each step is a module with a
`seed(world)` function that adds one area's rows; a later area adds its module to
STEPS after the areas it points at.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date

from sqlalchemy import func, select

from lms.auth.models import User
from lms.auth.passwords import hash_password
from lms.core.extensions import db
from lms.scale import (
    assessments,
    attendance,
    catalogue,
    certificates,
    cohorts,
    cpd,
    enrolments,
    evaluations,
    history,
    people,
    projects,
)
from lms.scale.plan import Plan
from lms.scale.world import World
from lms.scale.writer import Writer

# Certificates after the rest of the courses' data: nothing before reads them, and the
# earlier steps' data stays the same. The CPD record next: it has an entry for each
# certificate. Projects next: their trainee links read the certificates, and confirmed
# coaching sessions add entries to the CPD record. Evaluations last: an independent
# step, kept last so the earlier steps' data stays as it was.
STEPS = (
    people,
    catalogue,
    cohorts,
    enrolments,
    attendance,
    assessments,
    history,
    certificates,
    cpd,
    projects,
    evaluations,
)


class NotEmpty(Exception):
    pass


def seed(
    factor: float,
    *,
    seed: int,
    password: str,
    today: date,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Fills an empty database; returns the rows written per table. Flushes; the caller
    commits."""
    if db.session.scalar(select(func.count()).select_from(User)):
        raise NotEmpty("The database already has people: seed-scale fills an empty database")
    writer = Writer(db.session.connection(), progress)
    world = World(
        plan=Plan.for_factor(factor),
        rng=random.Random(seed),  # noqa: S311 - made-up data, not secrets
        today=today,
        writer=writer,
        password_hash=hash_password(password),
    )
    for step in STEPS:
        writer.step = step.__name__.rpartition(".")[2]
        step.seed(world)
    writer.finish()
    return writer.counts


def estimated_rows(factor: float) -> int:
    """Roughly how many rows `seed` writes, for a progress bar."""
    plan = Plan.for_factor(factor)
    return round(
        plan.staff * 2
        + plan.sessions * 2
        + plan.enrolments * 4
        + plan.attendance_records * 1.2
        # assessments: a bank and quizzes per course; attempts, answers, submissions, events
        + plan.courses * 100
        + plan.enrolments * 9
        # certificates: the certificate, its PDF, its audit event and its mail
        + min(certificates.CERTIFICATES * plan.factor, plan.enrolments / 2) * 4
        # the CPD record: entries, and an audit event for each one logged by hand
        + cpd.ENTRIES * plan.factor * 1.4
        # projects: each with its people, updates and their audit events; support, coaching
        + projects.PROJECTS * plan.factor * projects.ROWS_PER_PROJECT
        # evaluations: invitations, reaction answers, confidence ratings, follow-ups
        + plan.enrolments * evaluations.ROWS_PER_ENROLMENT
    )
