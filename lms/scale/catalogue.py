"""The catalogue: categories and courses (most published, about half accredited, some
needing a manager's approval), a few with prerequisites."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from courses.models import Course as CourseModel
from courses.models import (
    CourseCategory,
    CourseStatus,
    DeliveryMode,
    course_prerequisite,
)
from lms.scale import names
from lms.scale.world import CourseRow, World

HOURS = tuple(Decimal(hours) for hours in ("1", "2", "3", "3.5", "6", "7", "12", "18", "21"))


def seed(world: World) -> None:
    rng = world.rng
    writer = world.writer
    category_ids = writer.ids(CourseCategory.__table__, len(names.CATEGORIES))
    writer.insert(
        CourseCategory.__table__,
        (
            {"id": id_, "name": name}
            for id_, name in zip(category_ids, names.CATEGORIES, strict=True)
        ),
    )
    rows = []
    for id_ in writer.ids(CourseModel.__table__, world.plan.courses):
        topic = names.COURSE_TOPICS[id_ % len(names.COURSE_TOPICS)]
        level = names.COURSE_LEVELS[(id_ // len(names.COURSE_TOPICS)) % len(names.COURSE_LEVELS)]
        edition = id_ // (len(names.COURSE_TOPICS) * len(names.COURSE_LEVELS))
        title = f"{topic} {level}" + (f" ({edition + 1})" if edition else "")
        mode = rng.choices(list(DeliveryMode), weights=(5, 3, 2))[0]
        status = rng.choices(list(CourseStatus), weights=(1, 17, 2))[0]
        accredited = rng.random() < 0.5
        created = world.now - timedelta(days=rng.randint(400, 1500))
        row = {
            "id": id_,
            "code": f"C{id_:05d}",
            "title": title,
            "summary": f"{topic} for NHS staff: {level}. Practical, with examples from the trust.",
            "learning_outcomes": [f"Apply {topic.lower()} to a live project", "Plan next steps"],
            "category_id": rng.choice(category_ids),
            "delivery_mode": mode,
            "cpd_hours": rng.choice(HOURS),
            "accreditation_body": rng.choice(names.ACCREDITATION_BODIES) if accredited else None,
            "accreditation_reference": f"CPD-{id_:05d}" if accredited else None,
            "accreditation_valid_from": date(world.today.year - 1, 4, 1) if accredited else None,
            "accreditation_valid_to": date(world.today.year + 2, 3, 31) if accredited else None,
            "status": status,
            "requires_approval": rng.random() < 0.3,
            "min_attendance_percent": rng.choice((75, 80, 80, 80, 100)),
            "certificate_validity_months": rng.choice((None, None, 24, 36)),
            "created_at": created,
            "updated_at": created,
        }
        rows.append(row)
    # The first course is the PMO's flagship, as in the demo: published, accredited, approved.
    rows[0].update(
        code="PM-OCC",
        title="Project management for occasional project managers",
        status=CourseStatus.PUBLISHED,
        delivery_mode=DeliveryMode.BLENDED,
        requires_approval=True,
        cpd_hours=Decimal("18"),
        accreditation_body=names.ACCREDITATION_BODIES[0],
        accreditation_reference="CPD-PMO-2026-018",
        accreditation_valid_from=date(world.today.year - 1, 4, 1),
        accreditation_valid_to=date(world.today.year + 2, 3, 31),
    )
    writer.insert(CourseModel.__table__, rows)
    world.courses = [
        CourseRow(
            row["id"],
            row["code"],
            row["requires_approval"],
            online=row["delivery_mode"] == DeliveryMode.ONLINE,
            blended=row["delivery_mode"] == DeliveryMode.BLENDED,
            archived=row["status"] == CourseStatus.ARCHIVED,
        )
        for row in rows
        if row["status"] != CourseStatus.DRAFT
    ]
    # One course in ten builds on the flagship.
    writer.insert(
        course_prerequisite,
        (
            {"course_id": row["id"], "prerequisite_id": rows[0]["id"]}
            for row in rows[1:]
            if row["id"] % 10 == 2
        ),
    )
