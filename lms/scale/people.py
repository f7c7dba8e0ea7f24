"""Staff: departments in service groups, line managers in teams of about ten, a few
admins and trainers, and the four demo accounts with the manager's team of twelve."""

from __future__ import annotations

import unicodedata
from datetime import timedelta

from lms.auth.models import Role, User, UserRole
from lms.people.models import Department, ServiceGroup
from lms.scale import names
from lms.scale.world import ADMIN, LEARNER, MANAGER, TRAINER, Person, World

TEAM_SIZE = 10
TEAM = 12  # the demo manager's reports, the demo learner among them

DEMO_ACCOUNTS = (  # email, name, job title, department, reports to
    (
        ADMIN,
        "Amara Okafor",
        "Head of Portfolio Management Office",
        "Portfolio Management Office",
        None,
    ),
    (
        TRAINER,
        "Tom Hughes",
        "Programme Manager and PMO Trainer",
        "Portfolio Management Office",
        ADMIN,
    ),
    (MANAGER, "Grace Mensah", "Matron, Surgical Services", "Surgical Services", ADMIN),
    (LEARNER, "Zoë Ashworth", "Ward Manager, Ward 5 Surgery", "Ward 5 Surgery", MANAGER),
)
DEMO_GROUPS = {
    "Portfolio Management Office": "Improvement",
    "Surgical Services": "Surgical Services",
    "Ward 5 Surgery": "Surgical Services",
}


def seed(world: World) -> None:
    groups = _service_groups(world)
    departments = _departments(world, groups)
    people = _demo_accounts(world, departments) + _staff(world, departments)
    world.writer.insert(User.__table__, people)
    world.people = [
        Person(
            row["id"],
            row["email"],
            row["department_id"],
            row["line_manager_id"],
            row["created_at"],
            has_password=row["password_hash"] is not None,
        )
        for row in people
    ]
    _roles(world)


def _service_groups(world: World) -> dict[str, int]:
    ids = world.writer.ids(ServiceGroup.__table__, len(names.SERVICE_GROUPS))
    world.writer.insert(
        ServiceGroup.__table__,
        ({"id": id_, "name": name} for id_, name in zip(ids, names.SERVICE_GROUPS, strict=True)),
    )
    return dict(zip(names.SERVICE_GROUPS, ids, strict=True))


def _departments(world: World, groups: dict[str, int]) -> list[tuple[int, str, int]]:
    """(id, name, service group id) for each department, the demo ones first."""
    wanted = list(DEMO_GROUPS)
    for number in range(world.plan.departments):
        specialty = names.SPECIALTIES[number % len(names.SPECIALTIES)]
        unit = names.UNITS[(number // len(names.SPECIALTIES)) % len(names.UNITS)]
        wanted.append(f"{specialty} {unit} {number // len(names.SPECIALTIES) + 1}")
    ids = world.writer.ids(Department.__table__, len(wanted))
    group_ids = list(groups.values())
    departments = [
        (
            id_,
            name,
            groups[DEMO_GROUPS[name]] if name in DEMO_GROUPS else world.rng.choice(group_ids),
        )
        for id_, name in zip(ids, wanted, strict=True)
    ]
    world.writer.insert(
        Department.__table__, ({"id": id_, "name": name} for id_, name, _ in departments)
    )
    return departments


def _row(world: World, id_: int, email: str, name: str, title: str, department, manager_id):
    created = world.now - timedelta(days=world.rng.randint(30, 1500))
    has_password = world.rng.random() < 0.7
    return {
        "id": id_,
        "email": email,
        "full_name": name,
        "job_title": title,
        "staff_number": str(200_000 + id_),
        "department_id": department[0],
        "service_group_id": department[2],
        "line_manager_id": manager_id,
        "is_active": world.rng.random() > 0.03,
        "password_hash": world.password_hash if has_password else None,
        "session_version": 0,
        "last_login_at": created + timedelta(days=world.rng.randint(1, 29))
        if has_password
        else None,
        "created_at": created,
        "updated_at": created,
    }


def _demo_accounts(world: World, departments) -> list[dict]:
    by_name = {department[1]: department for department in departments}
    ids = world.writer.ids(User.__table__, len(DEMO_ACCOUNTS))
    rows = []
    for id_, (email, name, title, department, manager) in zip(ids, DEMO_ACCOUNTS, strict=True):
        world.demo[email] = id_
        row = _row(world, id_, email, name, title, by_name[department], world.demo.get(manager))
        rows.append({**row, "is_active": True, "password_hash": world.password_hash})
    return rows


def _staff(world: World, departments) -> list[dict]:
    """Everyone else, heads of department first, then team leaders, then their teams, so
    each row's manager is already in the table when the row goes in."""
    rng = world.rng
    count = world.plan.staff - len(DEMO_ACCOUNTS)
    places = [rng.choice(departments) for _ in range(count)]
    tiers: list[list[tuple[int, tuple]]] = [[], [], []]  # heads, leaders, members
    seen: dict[int, int] = {}
    for index, department in enumerate(places):
        seen[department[0]] = seen.get(department[0], 0) + 1
        position = seen[department[0]]
        tier = 0 if position == 1 else 1 if position % TEAM_SIZE == 2 else 2
        tiers[tier].append((index, department))
    ids = iter(world.writer.ids(User.__table__, count))
    heads: dict[int, int] = {}
    leaders: dict[int, list[int]] = {}
    team = [world.demo[LEARNER]]
    rows = []
    for tier, members in enumerate(tiers):
        for _, department in members:
            id_ = next(ids)
            if tier == 0:
                manager, heads[department[0]] = None, id_
            elif tier == 1:
                manager = heads[department[0]]
                leaders.setdefault(department[0], []).append(id_)
            elif len(team) < TEAM:
                manager = world.demo[MANAGER]
                team.append(id_)
            else:
                manager = rng.choice(leaders.get(department[0]) or [heads[department[0]]])
            rows.append(_person(world, id_, department, manager))
    world.team_ids = team
    return rows


def _person(world: World, id_: int, department, manager_id: int | None) -> dict:
    first = world.rng.choice(names.FIRST_NAMES)
    last = world.rng.choice(names.LAST_NAMES)
    email = f"{_ascii(first)}.{_ascii(last)}.{id_}@example.nhs.uk"
    title = world.rng.choice(names.JOB_TITLES)
    return _row(world, id_, email, f"{first} {last}", title, department, manager_id)


def _ascii(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name.replace("ł", "l").replace("Ł", "L"))
    return "".join(c for c in folded if c.isalpha() and c.isascii()).lower()


def _roles(world: World) -> None:
    rng = world.rng
    staff = [person.id for person in world.people[len(DEMO_ACCOUNTS) :]]
    picked = rng.sample(staff, world.plan.admins - 1 + world.plan.trainers - 1)
    world.admin_ids = [world.demo[ADMIN], *picked[: world.plan.admins - 1]]
    world.trainer_ids = [world.demo[TRAINER], *picked[world.plan.admins - 1 :]]
    grants = [(id_, Role.ADMIN) for id_ in world.admin_ids]
    grants += [(id_, Role.TRAINER) for id_ in world.trainer_ids]
    ids = world.writer.ids(UserRole.__table__, len(grants))
    world.writer.insert(
        UserRole.__table__,
        (
            {"id": id_, "user_id": user_id, "role": role}
            for id_, (user_id, role) in zip(ids, grants, strict=True)
        ),
    )
