"""Templates print what views hand them and never re-decide a rule (DESIGN.md §3).

Issue 8 found pages disagreeing because each template decided for itself; one test here
for each disagreement:

- the first session: the home page and the approvals page took `sessions[0]`, cancelled or
  not, while the cohort admin page left cancelled sessions out;
- status colours: the home page's enrolment tags coloured "Rejected" and "Not completed"
  unlike the shared status macros (and grids, registers and reports had their own maps);
- upcoming lists: the trainer's "Sessions you are teaching" listed cancelled sessions,
  which the learner's "Upcoming sessions" leaves out.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from courses.attendance import mark_register
from courses.models import AttendanceStatus, CohortStatus, EnrolmentStatus
from courses.models import EnrolmentStatus as S
from lms.auth.models import Role
from lms.core.db import utcnow
from lms.core.extensions import db
from lms.core.timezones import format_local
from tests.helpers import text_of

ROOT = Path(__file__).resolve().parent.parent
STATUS_MACROS = ROOT / "lms/web/templates/macros/status.html"
TAG = re.compile(r'<strong class="nhsuk-tag nhsuk-tag--([a-z-]+)"[^>]*>\s*(.*?)\s*</strong>', re.S)
DAY = timedelta(days=1)
HOURS = timedelta(hours=2)


def tags(fragment: str) -> list[tuple[str, str]]:
    """Every status tag in the fragment, as (words, colour)."""
    return [(words, colour) for colour, words in TAG.findall(fragment)]


def row_of(page: str, marker: str) -> str:
    """The first table row of the page that mentions `marker`."""
    rows = [row for row in re.findall(r"<tr\b.*?</tr>", page, re.S) if marker in row]
    assert rows, f"no row mentions {marker!r}"
    return rows[0]


def section(page: str, heading: str) -> str:
    """The page from the heading to the next heading of the same level."""
    match = re.search(rf"<h2[^>]*>{re.escape(heading)}</h2>(.*?)(?=<h2|$)", page, re.S)
    assert match, f"no section {heading!r}"
    return match.group(1)


def items(fragment: str) -> list[str]:
    return [
        " ".join(re.sub(r"<[^>]+>", " ", li).split())
        for li in re.findall(r"<li>(.*?)</li>", fragment, re.S)
    ]


@pytest.fixture
def switch_to(client, login):
    """Logs out whoever is logged in on `client`, then logs `user` in."""

    def switch(user) -> None:
        client.post("/logout")
        login(user)

    return switch


@pytest.fixture
def macros(app):
    """The status macros, rendered as any page renders them."""
    with app.test_request_context():
        yield app.jinja_env.get_template("macros/status.html").module


def tag_of(markup) -> tuple[str, str]:
    [found] = tags(str(markup))
    return found


# --- one macro file chooses every colour ---------------------------------------------------


def template_files() -> list[Path]:
    return sorted(
        path
        for package in ("lms", "courses", "certificates")
        for path in (ROOT / package).rglob("templates/**/*.html")
    )


def test_only_the_status_macros_choose_a_tag_colour():
    choosing = re.compile(r"nhsuk-tag--|\"colour\"|'colour'|tag/macro\.jinja")
    files = template_files()
    offenders = [
        str(path.relative_to(ROOT))
        for path in files
        if path != STATUS_MACROS and choosing.search(path.read_text(encoding="utf-8"))
    ]
    assert STATUS_MACROS in files
    assert offenders == []


@pytest.mark.parametrize(
    ("macro", "statuses"),
    [
        ("cohort_status", list(CohortStatus)),
        ("enrolment_status", list(EnrolmentStatus)),
        ("attendance_status", [*AttendanceStatus, "not_marked"]),
    ],
)
def test_every_status_has_words_and_a_colour(macros, macro, statuses):
    for status in statuses:
        words, colour = tag_of(getattr(macros, macro)(status))
        assert words and colour, status


# --- disagreement 1: the first session ------------------------------------------------------


def test_the_first_session_leaves_cancelled_sessions_out_on_every_page(
    client, switch_to, make_user, make_course, make_cohort, make_enrolment, admin
):
    """Home, approvals and both cohort admin pages all name the first *held* session."""
    manager = make_user(full_name="Manon Grey")
    learner = make_user(full_name="Zoë Ashworth", line_manager=manager)
    cancelled = (utcnow() + 3 * DAY).replace(microsecond=0)
    held = cancelled + 7 * DAY
    cohort = make_cohort(
        make_course(requires_approval=True),
        code="FIRST-1",
        sessions=[(cancelled, cancelled + HOURS), (held, held + HOURS)],
    )
    cohort.sessions[0].cancelled = True
    db.session.commit()
    make_enrolment(cohort, learner, EnrolmentStatus.PENDING_APPROVAL)

    def shows_held_not_cancelled(fragment: str, pattern: str) -> None:
        assert format_local(held, pattern) in fragment
        assert format_local(cancelled, pattern) not in fragment

    switch_to(learner)
    home = text_of(client.get("/"))
    shows_held_not_cancelled(row_of(home, "FIRST-1"), "%-d %B %Y")

    switch_to(manager)
    approvals = text_of(client.get("/approvals/"))
    assert f"Starts {format_local(held, '%-d %B %Y')}." in approvals
    shows_held_not_cancelled(approvals, "%-d %B %Y")

    switch_to(admin)
    page = text_of(client.get(f"/admin/cohorts/{cohort.id}"))
    first = re.search(r"First session\s*</dt>\s*<dd[^>]*>\s*(.*?)\s*</dd>", page, re.S).group(1)
    assert first == format_local(held)
    listing = text_of(client.get("/admin/cohorts/"))
    shows_held_not_cancelled(row_of(listing, "FIRST-1"), "%-d %b %Y")


# --- disagreement 2: one colour per status on every page -------------------------------------


def test_an_enrolment_status_wears_the_same_colour_on_every_page(
    client, switch_to, make_user, course, make_cohort, make_enrolment, admin, macros
):
    """The learner's list, the manager's team list and the cohort admin page agree with the
    macro, status by status (the home page once made "Rejected" red and "Not completed"
    orange, where the cohort admin page made them grey and red)."""
    manager = make_user(full_name="Manon Grey")
    learner = make_user(full_name="Zoë Ashworth", line_manager=manager)
    cohorts = {}
    for number, status in enumerate(EnrolmentStatus, start=1):
        cohorts[status] = make_cohort(course, code=f"TAG-{number}")
        make_enrolment(cohorts[status], learner, status)
    expected = {status: tag_of(macros.enrolment_status(status)) for status in EnrolmentStatus}
    assert expected[EnrolmentStatus.REJECTED][1] != "red"  # the home page's old colour

    switch_to(learner)
    home = text_of(client.get("/"))
    for status, cohort in cohorts.items():
        words, colour = expected[status]
        if status == EnrolmentStatus.WAITLISTED:
            words += " (position 1)"
        assert tags(row_of(home, cohort.code)) == [(words, colour)], status

    switch_to(manager)
    team = section(text_of(client.get("/")), "My team's training")
    for status in (S.PENDING_APPROVAL, S.CONFIRMED, S.WAITLISTED):
        assert tags(row_of(team, cohorts[status].code)) == [expected[status]], status

    switch_to(admin)
    for status, cohort in cohorts.items():
        page = text_of(client.get(f"/admin/cohorts/{cohort.id}"))
        assert tags(row_of(page, "Zoë Ashworth")) == [expected[status]], status


def test_a_cohort_status_wears_the_same_colour_on_every_page(
    client, switch_to, course, make_cohort, trainer, admin, macros
):
    """The cohort list, the cohort's admin page, the teaching page and the learner's cohort
    page tag each status alike; the course page too, for the cohorts it lists."""
    cohorts = {
        status: make_cohort(
            course, code=f"STATE-{status.value.upper()}", status=status, trainers=[trainer]
        )
        for status in CohortStatus
    }
    expected = {status: tag_of(macros.cohort_status(status)) for status in CohortStatus}
    switch_to(admin)
    listing = text_of(client.get("/admin/cohorts/"))
    teaching = text_of(client.get("/teach/"))
    course_page = text_of(client.get(f"/courses/{course.code}"))
    for status, cohort in cohorts.items():
        assert tags(row_of(listing, cohort.code)) == [expected[status]], status
        heading = re.search(rf"<h2[^>]*>[^<]*cohort {cohort.code}.*?</h2>", teaching, re.S).group(0)
        assert tags(heading) == [expected[status]], status
        admin_page = text_of(client.get(f"/admin/cohorts/{cohort.id}"))
        assert expected[status] in tags(admin_page), status
        learner_page = text_of(client.get(f"/cohorts/{cohort.id}"))
        assert tags(learner_page) == [expected[status]], status
    # An open cohort taking enrolments says so, in the "open" colour; the rest, their status.
    assert tags(row_of(course_page, "STATE-OPEN")) == [
        ("Open for enrolment", expected[CohortStatus.OPEN][1])
    ]
    for status in (CohortStatus.PLANNED, CohortStatus.RUNNING):
        assert tags(row_of(course_page, cohorts[status].code)) == [expected[status]], status


def test_an_attendance_status_wears_the_same_colour_on_the_grid_and_the_register(
    client, switch_to, make_user, course, make_cohort, make_enrolment, trainer, macros
):
    """The grid's colours and the register's (read-only once the cohort closes) are the
    macro's; the grid once had its own map, passed to the register too."""
    start = (utcnow() - 2 * DAY).replace(microsecond=0)
    cohort = make_cohort(course, trainers=[trainer], sessions=[(start, start + HOURS)])
    [session] = cohort.sessions

    def enrol(name: str):
        learner = make_user(full_name=name)
        return make_enrolment(cohort, learner, requested_at=start - 5 * DAY)

    marked = {status: enrol(f"Learner {status.label}") for status in AttendanceStatus}
    enrol("Learner nobody marked")
    marks = {enrolment.id: (status, None) for status, enrolment in marked.items()}
    mark_register(session, marks, by=trainer, now=utcnow())
    cohort.status = CohortStatus.CLOSED  # only admins change a closed cohort's register
    db.session.commit()

    switch_to(trainer)
    grid = text_of(client.get(f"/teach/cohorts/{cohort.id}/attendance"))
    register = text_of(client.get(f"/teach/sessions/{session.id}/register"))
    for status in AttendanceStatus:
        expected = tag_of(macros.attendance_status(status))
        name = f"Learner {status.label}"
        assert tags(row_of(grid, name))[0] == expected, status  # then the rate's warning
        assert tags(row_of(register, name)) == [expected], status
    not_marked = tag_of(macros.not_marked())
    assert tags(row_of(grid, "Learner nobody marked"))[0] == not_marked
    assert tags(row_of(register, "Learner nobody marked")) == [not_marked]


# --- disagreement 3: upcoming lists -----------------------------------------------------------


def test_the_teaching_list_leaves_out_cancelled_sessions_as_the_learners_list_does(
    client, switch_to, make_user, course, make_cohort, make_enrolment
):
    trainer = make_user(full_name="Tomasz Nowak", roles=[Role.TRAINER])
    learner = make_user(full_name="Zoë Ashworth")
    start = (utcnow() + DAY).replace(microsecond=0)
    cohort = make_cohort(
        course,
        trainers=[trainer],
        sessions=[(start + n * DAY, start + n * DAY + HOURS) for n in range(3)],
    )
    for session, title in zip(cohort.sessions, ("Planning", "Risks", "Closing"), strict=True):
        session.title = title
    cohort.sessions[1].cancelled = True
    gone = make_cohort(course, trainers=[trainer], sessions=[(start, start + HOURS)])
    gone.sessions[0].title = "Of a cancelled cohort"
    gone.status = CohortStatus.CANCELLED
    db.session.commit()
    make_enrolment(cohort, learner)

    def titles(listing: str) -> list[str]:
        return [item.rsplit(": ", 1)[-1] for item in items(listing)]

    switch_to(learner)
    learners = titles(section(text_of(client.get("/")), "Upcoming sessions"))
    switch_to(trainer)
    trainers = titles(section(text_of(client.get("/")), "Sessions you are teaching"))
    assert learners == trainers == ["Planning", "Closing"]


# --- buttons the services allow ---------------------------------------------------------------


def test_the_cohort_admin_page_offers_only_what_the_services_allow(
    client, switch_to, course, make_cohort, make_enrolment, make_user, admin
):
    """Changing or cancelling a session, adding one, cancelling the cohort or someone's
    enrolment: each button shows exactly when the service would accept it."""
    pages = {}
    for status in (CohortStatus.RUNNING, CohortStatus.CLOSED):
        cohort = make_cohort(course, status=status)
        make_enrolment(cohort, make_user(full_name="Holding Aplace"))
        make_enrolment(cohort, make_user(full_name="Gave Itup"), S.CANCELLED)
        pages[status] = cohort
    switch_to(admin)
    running = text_of(client.get(f"/admin/cohorts/{pages[CohortStatus.RUNNING].id}"))
    closed = text_of(client.get(f"/admin/cohorts/{pages[CohortStatus.CLOSED].id}"))

    for offer in ("Cancel session<", "Add a session", "Cancel cohort"):
        assert offer in running and offer not in closed, offer
    assert "Holding Aplace's enrolment" in row_of(running, "Holding Aplace")
    assert "enrolment</span>" not in row_of(running, "Gave Itup")  # nothing left to cancel
