"""A bounded fuzz of every form, as every role, never gets a 5xx (issue 7).

For each role (anonymous, learner, external learner, line manager, trainer, admin) the
test seeds a small world, logs in through /login with a fresh client, then:

1. GETs every page in app.url_map with the world's real ids, reading each page's forms
   (action, method, field names, the values a browser would send, the choices offered),
   and sends every route hostile values in its address (0, -1, 2**31, 2**63, an
   Arabic-Indic digit, "1e9", "abc"; for text arguments NUL, "..%2F", bad UTF-8...);
2. posts each form as a browser would; forms the role is refused outright (403, 404,
   "log in first") stop there. The others get invalid UTF-8, an upload over the size
   limit and garbage, hostile and wrongly encoded files (upload forms), times the clocks
   skip or repeat (date and time forms), then, sampled: one field at a time set to
   something hostile (C0 and C1 control characters, CR LF, U+2028, 100,000 characters,
   huge, negative, float and exponent numbers, impossible dates, tampered choices, the
   field left out) and wrong bodies (nothing, every field twice, unknown fields, JSON,
   broken multipart). POST-only routes with no form on any page the role can see get
   the field names of their form class;
3. does the same to the query strings of GET forms (filters, search, paging).

The oracle: no status of 500 or more (TESTING propagates unhandled errors, so they are
caught here with their traceback); a GET writes nothing; a 4xx leaves the row count of
every table as it was (one query after each request). Failures name the method, URL,
role, field and the value's repr, and for an error the line of the app that raised it.

The run is deterministic (random.Random with a fixed seed). `LMS_FUZZ_BUDGET` is the
number of hostile values each field gets (and each form's list of wrong bodies, and the
list of pages), 3 by default; raise it, and vary `LMS_FUZZ_SEED`, for a long local run.
`LMS_FUZZ_REPORT=1` (with -s) prints the forms each role reached, and the statuses by
endpoint.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import random
import re
import traceback
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from html.parser import HTMLParser
from itertools import islice, zip_longest
from urllib.parse import quote, urlsplit

import pytest
from flask import Flask, request
from sqlalchemy import select, text
from werkzeug.datastructures import MultiDict
from werkzeug.routing import Rule
from werkzeug.routing.converters import NumberConverter
from wtforms.fields.core import UnboundField

from certificates import issue
from certificates.forms import ReissueForm, RevokeForm
from courses import attendance
from courses.assessments import start_attempt, submit
from courses.assessments.submission_forms import MarkForm, SubmissionForm
from courses.attendance import checkin
from courses.attendance.forms import CheckInForm
from courses.catalogue.forms import CategoryForm, CourseForm
from courses.cohorts import calendars
from courses.cohorts.forms import BulkEnrolForm, CohortForm, SessionForm, StatusForm
from courses.models import CohortStatus, CourseCategory, CourseStatus, EnrolmentStatus
from lms.audit import audit
from lms.auth import accounts
from lms.auth.access import public
from lms.auth.forms import ChangePasswordForm, LoginForm, ResetRequestForm, SetPasswordForm
from lms.auth.models import Role
from lms.core.db import utcnow
from lms.core.extensions import db
from lms.cpd.categories import ensure_default_categories
from lms.cpd.forms import CategoryForm as CpdCategoryForm
from lms.cpd.forms import EntryForm, SettingsForm
from lms.cpd.models import CpdCategory, CpdEntry, EntrySource
from lms.models import metadata
from lms.people.forms import PersonForm, StaffImportForm
from lms.projects.models import (
    CoachingSession,
    Project,
    ProjectMember,
    ProjectRole,
    ProjectStatus,
    Support,
    SupportStatus,
)
from lms.projects.support_forms import AcceptForm, DeclineForm
from tests.conftest import _empty_all_tables, log_in

DEPTH = int(os.environ.get("LMS_FUZZ_BUDGET", "3"))  # hostile values per field
SEED = int(os.environ.get("LMS_FUZZ_SEED", "20260207"))
MAX_BODY = 256 * 1024  # the fuzz app's MAX_CONTENT_LENGTH: small, so the 413 case is cheap
ROLES = ["anonymous", "learner", "external", "manager", "trainer", "admin"]

# --- hostile values ------------------------------------------------------------------------

MISSING = object()  # the field is left out of the body altogether
LONG = "x" * 100_000

TEXT = [
    "line\r\nbreak",
    "\r\n",
    "a\x01b",
    "\x1b[31mred\x1b[0m",
    "\x08\x7f",
    "tab\there",
    "\x85next",
    "\x9b31m",
    "a\u2028b\u2029c",
    "\ufeffbom",
    "\u202eexe.txt",
    "\u200b",
    "   ",
    "a\x00b",
    "%00",
    "<script>alert(1)</script>",
    "{{ 7*7 }}",
    "' OR '1'='1",
    '=HYPERLINK("http://x")',
    "Zoë Łukasz 😀",
    "ｆｕｌｌｗｉｄｔｈ",
    LONG,
    "é" * 20_000,
]
NUMBERS = [
    "99999999999999999999",
    "-99999999999999999999",
    "-1",
    "0",
    "-0",
    "1e309",
    "-1e309",
    "1e-309",
    "NaN",
    "Infinity",
    "3.14159",
    "1,000",
    "1_000",
    "0x10",
    "９",
    "١٢",
    " 7 ",
    "2147483648",
    "9223372036854775808",
    "1" * 5000,
]
DATES = [
    "2026-02-30",
    "0000-00-00",
    "9999-12-31",
    "0001-01-01",
    "1899-12-31",
    "2026-13-01",
    "31/12/2026",
    "31/02/2026",
    "2026-1-1",
    "２０２６-０１-０１",
    "2026-03-29",
    "2026-02-29",
    "+2026-01-01",
    "2026-01-01T00:00",
    "20260101",
]
TIMES = ["01:30", "24:00", "25:61", "-1:00", "1:30 pm", "00:00:60", "９:００", "23.59", "99.99"]
CHOICES = ["", " ", "__None", "None", "null", "[]", "0", "-1", "admin", "on", "APPROVE", "x" * 500]
EMAILS = [
    "a@b",
    "@",
    "a@b.c\r\nBcc: x@example.com",
    "ä@ü.example",
    "x" * 300 + "@example.nhs.uk",
    "ADMIN@EXAMPLE.NHS.UK ",
    "a@b@c",
]
POOLS = {"number": NUMBERS, "date": DATES, "time": TIMES, "email": EMAILS, "text": TEXT}

HOSTILE_IDS = ["0", "-1", str(2**31), str(2**63), quote("١"), "1e9", "abc"]
HOSTILE_STRINGS = [
    "a%00b",
    "..%2F..%2Fetc%2Fpasswd",
    "%FF%FE",
    "%C0%AE%C0%AE",
    quote("\u2028"),
    quote("é"),
    "x" * 3000,
    "%0D%0ASet-Cookie:x=1",
]
INVALID_UTF8 = b"\xff\xfe\xc0\xaf\xed\xa0\x80\x80"  # stray bytes, an overlong "/", a lone surrogate


def _short(value) -> str:
    if value is MISSING:
        return "<missing>"
    if isinstance(value, str | bytes) and len(value) > 80:
        return f"{value[:40]!r}...({len(value)} long)"
    return repr(value)


# --- reading forms from pages ---------------------------------------------------------------


@dataclass
class Field:
    name: str
    kind: str  # text, number, date, time, email, choice, file, submit
    values: list[str] = dataclasses.field(default_factory=list)  # what a browser would send
    options: list[str] = dataclasses.field(default_factory=list)  # the choices offered


@dataclass
class Form:
    method: str
    action: str | None
    multipart: bool
    fields: dict[str, Field] = dataclasses.field(default_factory=dict)

    def add(self, name: str, kind: str) -> Field:
        return self.fields.setdefault(name, Field(name, kind))


class FormReader(HTMLParser):
    """Every <form> on a page with its inputs, selects, textareas and named buttons."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self._textarea: Field | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = Form(
                method=(a.get("method") or "get").lower(),
                action=a.get("action"),
                multipart="multipart" in (a.get("enctype") or ""),
            )
            self.forms.append(self._form)
            return
        name = a.get("name")
        if self._form is None or not name:
            if tag == "option" and self._select is not None:
                self._option(a)
            return
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            value = a.get("value") or ""
            if kind in ("checkbox", "radio"):
                found = self._form.add(name, "choice")
                found.options.append(a.get("value") or "on")
                if "checked" in a:
                    found.values.append(a.get("value") or "on")
            elif kind in ("submit", "button", "image"):
                self._button(name, value)
            else:
                found = self._form.add(name, _kind(name, kind))
                found.values = [value]
        elif tag == "button":
            self._button(name, a.get("value") or "")
        elif tag == "select":
            self._select = self._form.add(name, "choice")
        elif tag == "textarea":
            self._textarea = self._form.add(name, _kind(name, "text"))
            self._textarea.values = [""]

    def _button(self, name: str, value: str) -> None:
        found = self._form.add(name, "submit")
        found.options.append(value)
        found.values = found.values or [value]  # the first button is the one "pressed"

    def _option(self, a: dict) -> None:
        value = a.get("value") or ""
        self._select.options.append(value)
        if "selected" in a:
            self._select.values = [value]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.values = [self._textarea.values[0] + data]

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            if self._select is not None and not self._select.values and self._select.options:
                self._select.values = [self._select.options[0]]
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _kind(name: str, input_type: str) -> str:
    if input_type in ("number", "date", "time", "email", "file"):
        return input_type
    lowered = name.lower()
    if "email" in lowered:
        return "email"
    if "date" in lowered or lowered.endswith(("_from", "_to")):
        return "date"
    if "time" in lowered:
        return "time"
    if lowered in ("page", "capacity") or lowered.endswith(
        ("_id", "_ids", "hours", "percent", "months")
    ):
        return "number"
    return "text"


def forms_in(html: str) -> list[Form]:
    reader = FormReader()
    reader.feed(html)
    reader.close()
    return reader.forms


def _fallback_forms() -> dict[str, list[str]]:
    """Field names of POST routes a role may see no form for, from their form classes."""

    def names(form_class) -> list[str]:
        return [
            name
            for name in dir(form_class)
            if isinstance(getattr(form_class, name, None), UnboundField)
        ]

    return {
        "auth.login": names(LoginForm),
        "auth.change_password": names(ChangePasswordForm),
        "auth.request_reset": names(ResetRequestForm),
        "auth.reset_password": names(SetPasswordForm),
        "people.create": names(PersonForm),
        "people.edit": names(PersonForm),
        "people_import.index": names(StaffImportForm),
        "course_admin.create": names(CourseForm),
        "course_admin.edit": names(CourseForm),
        "course_admin.categories": names(CategoryForm),
        "course_admin.rename_category": names(CategoryForm),
        "cohort_admin.create": names(CohortForm),
        "cohort_admin.show": names(CohortForm),
        "cohort_admin.add_session": names(SessionForm),
        "cohort_admin.edit_session": names(SessionForm),
        "cohort_admin.change_status": names(StatusForm),
        "cohort_admin.enrol_many": names(BulkEnrolForm),
        "checkin.check_in": names(CheckInForm),
        "assignments.submit": names(SubmissionForm),
        "assignments.mark": names(MarkForm),
        "certificates.revoke": [f"revoke-{name}" for name in names(RevokeForm)],
        "certificates.reissue": [f"reissue-{name}" for name in names(ReissueForm)],
        "cpd.add": names(EntryForm),
        "cpd.edit": names(EntryForm),
        "cpd.settings": names(SettingsForm),
        "cpd.categories": names(CpdCategoryForm),
        "cpd.change_category": names(CpdCategoryForm),
        "support.accept": [f"accept-{name}" for name in names(AcceptForm)],
        "support.decline": [f"decline-{name}" for name in names(DeclineForm)],
    }


# --- the world -------------------------------------------------------------------------------


@dataclass
class World:
    emails: dict[str, str]
    contexts: list[dict[str, str]]  # consistent URL arguments: a cohort with its session...
    tokens: dict[str, list[str]]  # endpoint -> real <token> (or <path>) values
    register_enrolments: list[int]


@pytest.fixture
def app(make_app) -> Iterator[Flask]:
    """The suite's app, with a small body limit and rate limits out of the fuzz's way."""
    generous = "100000 per minute"
    app = make_app(
        MAX_CONTENT_LENGTH=MAX_BODY,
        LOGIN_LIMIT_PER_ACCOUNT=generous,
        LOGIN_LIMIT_PER_IP=generous,
        RESET_LIMIT_PER_IP=generous,
        CHECK_IN_LIMIT_PER_USER=generous,
        VERIFY_LIMIT_PER_IP=generous,
        VERIFY_UPLOAD_LIMIT_PER_IP=generous,
    )
    with app.app_context():
        _empty_all_tables()
        yield app
        db.session.rollback()
        _empty_all_tables()


@pytest.fixture
def world(
    app,
    make_user,
    make_course,
    make_cohort,
    make_enrolment,
    make_question,
    make_quiz,
    make_assignment,
) -> World:
    now = utcnow().replace(microsecond=0)
    admin = make_user("admin@example.nhs.uk", roles=[Role.ADMIN], staff_number="A1")
    trainer = make_user("trainer@example.nhs.uk", roles=[Role.TRAINER], staff_number="T1")
    manager = make_user("manager@example.nhs.uk", staff_number="M1")
    learner = make_user(
        "learner@example.nhs.uk", full_name="Zoë Ashworth", staff_number="L1", line_manager=manager
    )
    external = make_user("external@example.nhs.uk", full_name="Łukasz Nowak")  # no staff number
    other = make_user(staff_number="O1")
    forgetful = make_user(staff_number="F1")  # holds the reset link, so no role resets itself

    course = make_course(code="PM-OCC", title="Occasional project managers", category="Workshop")
    approval = make_course(code="SRO-1", title="Senior responsible owners", requires_approval=True)
    draft = make_course(code="DRAFT-1", status=CourseStatus.DRAFT)
    earlier = now - timedelta(days=10)
    running = make_cohort(
        course,
        capacity=5,
        status=CohortStatus.RUNNING,
        sessions=[
            (now - timedelta(days=2), now - timedelta(days=2) + timedelta(hours=3)),
            (now - timedelta(minutes=5), now + timedelta(hours=3)),
            (now + timedelta(days=7), now + timedelta(days=7, hours=3)),
        ],
    )
    full = make_cohort(course, capacity=1)
    needs_approval = make_cohort(approval)
    running.trainers.append(trainer)
    full.trainers.append(trainer)
    mine = make_enrolment(running, learner, requested_at=earlier)
    theirs = make_enrolment(running, external, requested_at=earlier)
    make_enrolment(full, other)
    waitlisted = make_enrolment(full, external, status=EnrolmentStatus.WAITLISTED)
    pending = make_enrolment(needs_approval, learner, status=EnrolmentStatus.PENDING_APPROVAL)
    past, current, _future = running.sessions
    attendance.mark_register(
        past, {mine.id: ("present", None), theirs.id: ("absent", "ill")}, by=trainer, now=now
    )
    checkin.open_check_in(current)
    questions = [
        make_question(
            course, "Which stage comes first?", [("Initiation", True), ("Closure", False)]
        ),
        make_question(
            course, "Which are products?", [("PID", True), ("Plan", True), ("Lunch", False)]
        ),
        make_question(course, "Is a project temporary?", category="Basics"),
    ]
    quiz = make_quiz(course, questions[:2], draws=[("Basics", 1)], time_limit_minutes=30)
    brief = make_assignment(course)
    attempt = start_attempt(quiz, mine, now=now)
    mine_sent = submit(brief, mine, "My PID", None, now=now, by=learner)
    theirs_sent = submit(brief, theirs, "Their PID", None, now=now, by=external)
    # the learner's certificate, from a cohort of the course they completed
    finished = make_cohort(course, status=CohortStatus.CLOSED, sessions=[])
    certificate = issue(make_enrolment(finished, learner, status=EnrolmentStatus.COMPLETED))
    # an entry in the learner's CPD record, and its category
    ensure_default_categories()
    cpd_category = db.session.scalar(select(CpdCategory).order_by(CpdCategory.id))
    cpd_entry = CpdEntry(
        learner_id=learner.id,
        source=EntrySource.EXTERNAL,
        title="Reading",
        category_id=cpd_category.id,
        activity_on=now.date(),
        hours=Decimal("1.5"),
        learned="Stage gates",
    )
    db.session.add(cpd_entry)
    # the learner's project: accepted coaching from the trainer with one session, and a
    # request for assurance still waiting for the PMO
    project = Project(
        title="Same day emergency care",
        starts_on=now.date(),
        status=ProjectStatus.ACTIVE,
        members=[ProjectMember(person_id=learner.id, role=ProjectRole.LEAD)],
    )
    db.session.add(project)
    db.session.flush()
    coaching = Support(
        project_id=project.id,
        requested_by_id=learner.id,
        coaching=True,
        need="Coaching",
        status=SupportStatus.ACCEPTED,
        responsible_id=trainer.id,
        starts_on=now.date() - timedelta(days=7),
    )
    waiting = Support(
        project_id=project.id, requested_by_id=learner.id, assurance=True, need="Assurance"
    )
    db.session.add_all([coaching, waiting])
    db.session.flush()
    coaching_session = CoachingSession(
        support_id=coaching.id,
        coach_id=trainer.id,
        coachee_id=learner.id,
        held_on=now.date() - timedelta(days=1),
        minutes=60,
        topic="Planning",
        notes="Private",
    )
    db.session.add(coaching_session)
    audit.record(admin, "fuzz.seeded", course)
    reset = accounts.issue_token(forgetful, accounts.RESET)
    invitation = accounts.issue_token(other, accounts.INVITATION)
    feed, _ = calendars.issue_feed(learner)
    db.session.commit()

    category = course.category_id
    contexts = [
        {
            "cohort_id": running.id,
            "session_id": current.id,
            "enrolment_id": mine.id,
            "user_id": learner.id,
            "course_id": course.id,
            "category_id": category,
            "code": course.code,
            "course_code": course.code,
            "assessment_id": quiz.id,
            "question_id": questions[0].id,
            "attempt_id": attempt.id,
            "submission_id": mine_sent.id,
            "item_id": quiz.items[0].id,
            "number": certificate.number,
            "entry_id": cpd_entry.id,
            "person_id": learner.id,
            "cpd_category_id": cpd_category.id,
            "project_id": project.id,
            "member_id": project.members[0].id,
            "support_id": coaching.id,
            "coaching_session_id": coaching_session.id,
        },
        {
            "cohort_id": running.id,
            "session_id": past.id,
            "enrolment_id": theirs.id,
            "user_id": admin.id,
            "course_id": draft.id,
            "category_id": category,
            "code": draft.code,
            "course_code": course.code,
            "assessment_id": brief.id,
            "question_id": questions[2].id,
            "attempt_id": attempt.id,
            "submission_id": theirs_sent.id,
            "item_id": quiz.items[-1].id,
            "project_id": project.id,
            "support_id": waiting.id,
        },
        {
            "cohort_id": full.id,
            "session_id": full.sessions[0].id,
            "enrolment_id": waitlisted.id,
            "user_id": external.id,
            "course_id": approval.id,
            "category_id": category,
            "code": approval.code,
        },
        {
            "cohort_id": needs_approval.id,
            "session_id": needs_approval.sessions[0].id,
            "enrolment_id": pending.id,
            "user_id": manager.id,
            "course_id": approval.id,
            "category_id": category,
            "code": "pm-occ",
        },
        {"code": certificate.display_code, "number": certificate.number},
    ]
    return World(
        emails={
            "learner": learner.email,
            "external": external.email,
            "manager": manager.email,
            "trainer": trainer.email,
            "admin": admin.email,
        },
        contexts=[{k: str(v) for k, v in context.items()} for context in contexts],
        tokens={
            "auth.reset_password": [reset, invitation],
            "cohorts.feed": [feed.token],
            "assets.asset": ["images/favicon.ico"],
            "assets.frontend": ["manifest.json"],
        },
        register_enrolments=[mine.id, theirs.id],
    )


# --- the fuzzer ------------------------------------------------------------------------------

ARGUMENT = re.compile(r"<(?:[a-z]+(?:\([^)]*\))?:)?(\w+)>")
COUNTED = [table.name for table in metadata.sorted_tables]
COUNT_SQL = text(  # one statement for every table's row count
    "SELECT " + ", ".join(f'(SELECT count(*) FROM "{t}")' for t in COUNTED)  # noqa: S608
)
# Query parameters that pages read with no form to show them.
QUERY_PARAMETERS = {"checkin.check_in": ["code"], "auth.login": ["next"]}
# What a refusal may still write on purpose: a failed login is audited.
MAY_WRITE_WHEN_REFUSED = {("auth.login", 401): {"audit_event"}}


@dataclass
class Case:
    method: str
    url: str
    endpoint: str
    field: str | None = None
    value: object = None
    kwargs: dict = dataclasses.field(default_factory=dict)

    def describe(self, role: str) -> str:
        where = f" field={self.field!r} value={_short(self.value)}" if self.field else ""
        return f"{self.method} {self.url[:200]} as {role}:{where}"


@dataclass
class Target:
    """One form to post (or one GET page whose query string to fuzz)."""

    method: str
    url: str
    endpoint: str
    form: Form


def _fill(rule: Rule, values: dict[str, str]) -> str:
    return ARGUMENT.sub(lambda match: values[match.group(1)], rule.rule)


def row_counts() -> tuple[int, ...]:
    counts = tuple(db.session.execute(COUNT_SQL).one())
    db.session.commit()
    return counts


class Fuzzer:
    """Sends cases as one role, checking each response; collects what failed."""

    def __init__(self, app: Flask, role: str, world: World | None, rng: random.Random, depth=1):
        self.app, self.role, self.world, self.rng, self.depth = app, role, world, rng, depth
        self.client = app.test_client()
        self.failures: list[str] = []
        self.sent = 0
        self.streams = 0
        self.relogins = 0
        self.reachable: list[Target] = []
        self.phases: dict[str, int] = {}
        self.seen: Counter[tuple[str, str, int]] = Counter()  # (method, endpoint, status)
        self.counts: tuple[int, ...] = ()
        self.choice_pool: set[str] = set()
        self._pools: dict[str, list] = {}
        self._offsets: Counter[str] = Counter()
        self.adapter = app.url_map.bind("localhost")

    # -- sending --

    def log_in(self) -> bool:
        logged_in = True
        if self.role != "anonymous" and self.world is not None:
            logged_in = log_in(self.client, self.world.emails[self.role]).status_code == 302
        self.counts = row_counts()
        return logged_in

    def send(self, case: Case):
        """Sends one case and checks the oracle; returns the response (None on an error)."""
        self.sent += 1
        before = self.counts
        try:
            response = self.client.open(case.url, method=case.method, **case.kwargs)
        except Exception as error:  # TESTING propagates what would be a 500 to the user
            self.counts = row_counts()
            self.failures.append(f"500 {case.describe(self.role)}\n{_where(error)}")
            return None
        status = response.status_code
        self.seen[case.method, case.endpoint, status] += 1
        after = self.counts = row_counts()
        changed = {
            name for name, old, new in zip(COUNTED, before, after, strict=True) if old != new
        }
        if status >= 500:
            self.failures.append(f"{status} {case.describe(self.role)}")
        elif case.method == "GET" and changed:
            self.failures.append(f"{status} {case.describe(self.role)} GET wrote {changed}")
        elif 400 <= status < 500:
            allowed = MAY_WRITE_WHEN_REFUSED.get((case.endpoint, status), set())
            if changed - allowed:
                self.failures.append(
                    f"{status} {case.describe(self.role)} refused but changed {changed}"
                )
        if (
            self.role != "anonymous"
            and status == 302
            and response.headers.get("Location", "").startswith("/login?next=")
        ):
            # a fuzzed form ended this session (or the person): carry on, if it still can
            self.relogins += 1
            if self.relogins <= 5 and not self.log_in():
                self.relogins = 5
        return response

    def reached(self, response) -> bool:
        """Whether the role got past the access check (a form refused whole is not)."""
        if response is None:
            return True
        if response.status_code in (403, 404, 405):
            return False
        return not response.headers.get("Location", "").startswith("/login")

    def run(self, cases: Iterable[Case]) -> None:
        for case in cases:
            self.send(case)

    # -- discovering --

    def rules(self, only: set[str] | None = None) -> list[Rule]:
        return [
            rule
            for rule in sorted(self.app.url_map.iter_rules(), key=lambda rule: rule.rule)
            if rule.endpoint != "static" and (only is None or rule.endpoint in only)
        ]

    def real_urls(self, rule: Rule, limit: int = 3) -> list[str]:
        """The rule filled with the world's ids, consistently (a cohort with its session)."""
        if self.world is None:
            return [_fill(rule, dict.fromkeys(rule.arguments, "1"))]
        tokens = self.world.tokens.get(rule.endpoint, ["1"])
        urls = []
        for context in self.world.contexts:
            for token in tokens:
                others = {name: quote(token, safe="/") for name in rule.arguments - set(context)}
                urls.append(_fill(rule, {**context, **others}))
        return list(dict.fromkeys(urls))[:limit]

    def hostile_urls(self, rule: Rule) -> list[str]:
        """The rule with one argument at a time replaced by a hostile value."""
        if not rule.arguments:
            return []
        names = sorted(rule.arguments)
        base = {**dict.fromkeys(names, "1"), **(self.world.contexts[0] if self.world else {})}
        urls = []
        for index in range(max(len(HOSTILE_IDS), len(HOSTILE_STRINGS))):
            name = names[index % len(names)]
            numeric = isinstance(rule._converters[name], NumberConverter)
            pool = HOSTILE_IDS if numeric else HOSTILE_STRINGS
            if index < len(pool):
                urls.append(_fill(rule, {**base, name: pool[index]}))
        return urls

    def endpoint_of(self, url: str, method: str) -> str:
        try:
            endpoint, _ = self.adapter.match(urlsplit(url).path, method=method)
        except Exception:  # 404 or 405: still worth sending
            return "?"
        return endpoint

    def crawl(self, only: set[str] | None = None) -> tuple[list[Target], list[Case], list[Case]]:
        """GETs every page with the world's ids, reading its forms.

        Returns the forms to fuzz, every route with hostile values in its address that
        reach the app, and cases to sample: each page with a hostile page number, and the
        addresses the router refuses.
        """
        targets: dict[tuple, Target] = {}
        hostile: list[Case] = []
        unrouted: list[Case] = []
        pages: list[Case] = []
        for rule in self.rules(only):
            methods = {"GET"} if "GET" in rule.methods else rule.methods & {"POST"}
            for method in sorted(methods):
                for url in self.hostile_urls(rule):
                    case = Case(method, url, rule.endpoint, "<address>", url)
                    # ids the router turns away (-1, 2**31, "abc") never reach the app
                    (hostile if self.endpoint_of(url, method) != "?" else unrouted).append(case)
            if "GET" not in rule.methods:
                continue
            for url in self.real_urls(rule):
                response = self.send(Case("GET", url, rule.endpoint))
                if response is None or response.mimetype != "text/html":
                    continue
                number = self.rng.choice(NUMBERS)
                pages.append(
                    Case(
                        "GET",
                        url,
                        rule.endpoint,
                        "page",
                        number,
                        {"query_string": {"page": number}},
                    )
                )
                for form in forms_in(response.get_data(as_text=True)):
                    for found in form.fields.values():
                        self.choice_pool.update(found.options)
                    if form.method == "get":
                        action = urlsplit(form.action or url).path
                        key = ("GET", action)
                        form.add("page", "number").values = ["1"]
                    else:
                        action = form.action or url
                        key = ("POST", action, tuple(sorted(form.fields)))
                    if key not in targets:
                        method = key[0]
                        targets[key] = Target(
                            method, action, self.endpoint_of(action, method), form
                        )
                for name in QUERY_PARAMETERS.get(rule.endpoint, []):
                    form = targets.setdefault(
                        ("GET", url), Target("GET", url, rule.endpoint, Form("get", url, False))
                    ).form
                    form.add(name, _kind(name, "text")).values = [""]
        # POST routes with no form on any page this role saw: their form class's fields
        seen = {target.url for target in targets.values() if target.method == "POST"}
        fallback = _fallback_forms()
        for rule in self.rules(only):
            if "POST" not in rule.methods:
                continue
            for url in self.real_urls(rule):
                if url in seen:
                    continue
                form = Form("post", url, False)
                names = fallback.get(rule.endpoint, [])
                if rule.endpoint == "approvals.decide" and self.world:
                    names = [
                        f"r{url.rsplit('/', 1)[-1]}-decision",
                        f"r{url.rsplit('/', 1)[-1]}-reason",
                    ]
                if rule.endpoint == "attendance.register" and self.world:
                    names = ["action"] + [
                        f"{kind}_{number}"
                        for number in self.world.register_enrolments
                        for kind in ("status", "note")
                    ]
                for name in names:
                    form.add(name, "file" if name == "file" else _kind(name, "text")).values = [""]
                targets[("POST", url, ())] = Target("POST", url, rule.endpoint, form)
        return list(targets.values()), hostile, pages + unrouted

    # -- making cases --

    def base(self, target: Target) -> list[tuple[str, object]]:
        return [
            (found.name, value)
            for found in target.form.fields.values()
            if found.kind != "file"
            for value in found.values
        ]

    def case(self, target: Target, pairs, label=None, value=None) -> Case:
        key = "query_string" if target.method == "GET" else "data"
        return Case(
            target.method, target.url, target.endpoint, label, value, {key: MultiDict(pairs)}
        )

    def basics(self, target: Target) -> list[Case]:
        """Sent for every form: as a browser would send it, then (if the role may use the
        form at all) as invalid UTF-8."""
        names = list(target.form.fields) or ["q"]
        raw = b"&".join(name.encode() + b"=%FF%FE%C0%80" + INVALID_UTF8 for name in names)
        if target.method == "GET":
            return [
                self.case(target, self.base(target)),
                Case(
                    "GET",
                    target.url,
                    target.endpoint,
                    "<query>",
                    raw,
                    {"environ_overrides": {"QUERY_STRING": raw.decode("latin-1")}},
                ),
            ]
        return [
            self.case(target, self.base(target)),
            Case(
                "POST",
                target.url,
                target.endpoint,
                "<body>",
                raw,
                {"data": raw, "content_type": "application/x-www-form-urlencoded"},
            ),
        ]

    def whole_body(self, target: Target) -> list[Case]:
        """Wrong bodies: nothing, everything twice, unknown fields, other content types."""
        base = self.base(target)
        names = list(target.form.fields)
        cases = [
            self.case(target, [], "<all fields>", MISSING),
            self.case(
                target,
                base + [(name, self.rng.choice(TEXT + NUMBERS)) for name in names],
                "<every field twice>",
                "repeated",
            ),
            self.case(
                target,
                [*base, ("_method", "DELETE"), ("__proto__", "x"), ("csrf_token", "forged")],
                "<unknown fields>",
                "_method, __proto__, csrf_token",
            ),
        ]
        if target.method == "POST":
            body = json.dumps({name: NUMBERS[0] for name in names}).encode()
            cases += [
                Case(
                    "POST",
                    target.url,
                    target.endpoint,
                    "<json body>",
                    body,
                    {"data": body, "content_type": "application/json"},
                ),
                Case(
                    "POST",
                    target.url,
                    target.endpoint,
                    "<multipart, no boundary>",
                    b"--x",
                    {"data": b"--x\r\n", "content_type": "multipart/form-data"},
                ),
                Case(
                    "POST",
                    target.url,
                    target.endpoint,
                    "<multipart>",
                    "a field as a file",
                    {
                        "data": MultiDict(
                            [
                                *base,
                                (names[0] if names else "q", (io.BytesIO(b"\xff"), "a\r\n.csv")),
                            ]
                        )
                    },
                ),
            ]
        self.rng.shuffle(cases)
        return cases

    def clock_changes(self, target: Target) -> list[Case]:
        """Always sent to forms with a date and a time: UK times the clocks skip or repeat."""
        kinds = {found.kind for found in target.form.fields.values()}
        if not {"date", "time"} <= kinds:
            return []
        cases = []
        for day, clock in (
            ("2026-03-29", "01:30"),
            ("2026-10-25", "01:30"),
            ("29/03/2026", "1.30"),
        ):
            changed = {
                name: {"date": day, "time": clock}[found.kind]
                for name, found in target.form.fields.items()
                if found.kind in ("date", "time")
            }
            pairs = [(k, v) for k, v in self.base(target) if k not in changed]
            cases.append(
                self.case(target, pairs + list(changed.items()), "<clock change>", changed)
            )
        return cases

    def upload(self, target: Target, content: bytes, filename: str, label: str) -> Case:
        files = [name for name, found in target.form.fields.items() if found.kind == "file"] or [
            "file"
        ]
        pairs = self.base(target) + [(name, (io.BytesIO(content), filename)) for name in files]
        return Case(
            "POST",
            target.url,
            target.endpoint,
            label,
            _short(content) + f" as {filename!r}",
            {"data": MultiDict(pairs)},
        )

    def uploads(self, target: Target) -> list[Case]:
        """Always sent to upload forms (and the login form): a body over the limit, and
        files that are not what they should be."""
        too_large = self.upload(target, b"x" * (MAX_BODY + 1024), "big.csv", "<too large>")
        if target.endpoint == "auth.login":
            return [too_large]
        if not any(found.kind == "file" for found in target.form.fields.values()):
            return []
        garbage = self.rng.randbytes(2048) + b"\x00\xff\xfe"
        header = (
            "Staff Number,First_Name,last_name,EMAIL,job_title,department,service_group,"
            "Line Manager Staff Number,Notes\r\n"
        )
        rows = [
            '90001,Zoë,\x1b[31mRed,zoe@example.nhs.uk,=HYPERLINK("x"),Dept\u2028X,S\x85G,90002,',
            "90002,Tom,Cycle,tom@example.nhs.uk,PM,D,S,90001,",
            "90003,Self,Managed,self@example.nhs.uk,,,,90003,",
            "99999999999999999999999,Long,Number,long@example.nhs.uk,,,,,",
            ",Upper,Case,ADMIN@EXAMPLE.NHS.UK ,,,,,",
            "90004," + "y" * 60_000 + ",Name,bad@,,,,,",
            "90005,Ctrl\x01,\x7fByte,\u200bzero@example.nhs.uk,,,,,",
            "90001,Dup,Licate,dup@example.nhs.uk,,,,-1,",
            '90006,"a\r\nb",",quoted,q@example.nhs.uk',
            "\u202e90007,,,,,,,,,,,,,,,",
        ]
        hostile_csv = ("\ufeff" + header + "\r\n".join(rows) + "\r\n").encode()
        cp1252 = (header + "90008,Ren\xe9e,O\u2019Neil,renee@example.nhs.uk,,,,,\r\n").encode(
            "cp1252"
        )
        return [
            self.upload(target, garbage, "garbage.csv", "<garbage file>"),
            self.upload(target, hostile_csv, "staff.csv", "<hostile csv>"),
            self.upload(target, cp1252, "staff.csv", "<cp1252 csv>"),
            self.upload(
                target, "email\r\nx@example.nhs.uk\r\n".encode("utf-16"), "u16.csv", "<utf-16 file>"
            ),
            self.upload(target, b"", "empty.csv", "<empty file>"),
            self.upload(target, b"a,b\r\n", "..\\..\\x\x01\u2028.csv", "<hostile filename>"),
            self.upload(target, b"a,b\r\n", "x" * 1000 + ".csv", "<long filename>"),
            self.upload(target, garbage, "evil.exe", "<not a csv>"),
            too_large,
        ]

    def mutations(self, group: list[Target]) -> Iterator[Iterator[Case]]:
        """For each field of a group of like forms (one form at several addresses), its
        hostile values as one stream, taking the forms in turn: the field kind's values
        first, starting where the last field of that kind left off, so that a shallow run
        still tries many of them."""
        for found in group[0].form.fields.values():
            if found.kind == "file" or found.name == "csrf_token":  # CSRF is off in tests
                continue
            own = self._pool(found.kind)
            start = self._offsets[found.kind] % len(own)
            self._offsets[found.kind] += self.depth
            mine = [f"{option} " for option in found.options[:1]] + [
                option.upper() + option for option in found.options[1:2]
            ]
            others = [value for kind, pool in POOLS.items() if kind != found.kind for value in pool]
            self.rng.shuffle(others)
            rotated = own[start:] + own[:start]
            values = [*rotated[:1], *mine[:1], *rotated[1:], *mine[1:], *others]
            yield self._field_cases(group, found.name, values)

    def _pool(self, kind: str) -> list:
        """The kind's hostile values (and a missing field), shuffled once per run."""
        if kind not in self._pools:
            pool = [*POOLS.get(kind, TEXT), MISSING]
            if kind == "choice":  # choices offered elsewhere, and plain nonsense
                pool += sorted(self.choice_pool) + CHOICES
            self._pools[kind] = self.rng.sample(pool, len(pool))
        return self._pools[kind]

    def _field_cases(self, group: list[Target], name: str, values: list) -> Iterator[Case]:
        for number, value in enumerate(values):
            target = group[number % len(group)]
            pairs = [(key, old) for key, old in self.base(target) if key != name]
            if value is not MISSING:
                pairs.append((name, value))
            yield self.case(target, pairs, name, value)


def _where(error: BaseException) -> str:
    """The exception and the deepest frame outside the libraries, for a readable failure."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [
        frame
        for frame in frames
        if not any(part in frame.filename for part in ("/.venv/", "site-packages"))
    ]
    where = (ours or frames)[-1]
    return (
        f"    {type(error).__name__}: {str(error)[:300]}\n"
        f"    at {os.path.relpath(where.filename)}:{where.lineno} in {where.name}: {where.line}"
    )


def round_robin(streams: list[Iterator[Case]]) -> Iterator[Case]:
    """One case from each stream in turn, so a small budget still touches every field."""
    for layer in zip_longest(*streams):
        yield from (case for case in layer if case is not None)


def fuzz(app: Flask, role: str, world: World | None, depth: int, only=None) -> Fuzzer:
    """Crawls as `role`, sends every form's basics, then `depth` cases from each stream:
    each field's hostile values, each form's wrong bodies and uploads, the pages."""
    rng = random.Random(f"{SEED}:{role}")
    fuzzer = Fuzzer(app, role, world, rng, depth)
    assert fuzzer.log_in(), f"{role} could not log in"
    targets, hostile, pages = fuzzer.crawl(only)
    fuzzer.phases["crawl"] = fuzzer.sent
    logout = [target for target in targets if target.endpoint == "auth.logout"]
    targets = [target for target in targets if target.endpoint != "auth.logout"]
    fuzzer.run(hostile)
    fuzzer.phases["hostile addresses"] = fuzzer.sent
    reachable = []
    for target in targets:
        as_sent, invalid_utf8 = fuzzer.basics(target)
        if fuzzer.reached(fuzzer.send(as_sent)):
            reachable.append(target)
            fuzzer.run([invalid_utf8, *fuzzer.uploads(target), *fuzzer.clock_changes(target)])
    fuzzer.phases["basics"] = fuzzer.sent
    fuzzer.reachable = reachable
    rng.shuffle(pages)
    streams = [iter(pages)]
    groups: dict[tuple, list[Target]] = {}
    for target in reachable:  # a form refused whole (403, 404, log in first) is done
        key = (target.method, target.endpoint, *target.form.fields)
        groups.setdefault(key, []).append(target)
    for group in groups.values():
        streams.append(round_robin([iter(fuzzer.whole_body(target)) for target in group]))
        streams += list(fuzzer.mutations(group))
    rng.shuffle(streams)
    fuzzer.streams = len(streams)
    fuzzer.run(islice(round_robin(streams), depth * len(streams)))
    for target in logout:  # last, since it ends the session
        fuzzer.run(fuzzer.basics(target))
    return fuzzer


# --- the tests ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_no_form_gets_a_server_error_whatever_it_is_sent(app, world, role):
    fuzzer = fuzz(app, role, world, DEPTH)
    if os.environ.get("LMS_FUZZ_REPORT"):  # with -s: what the run reached, by endpoint
        print(f"\n{role}: {fuzzer.sent} requests, {fuzzer.streams} streams sampled,")
        print(f"  {fuzzer.relogins} logins again, requests sent by phase {fuzzer.phases}")
        for target in fuzzer.reachable:
            fields = ", ".join(f"{f.name}:{f.kind}" for f in target.form.fields.values())
            print(f"  form {target.method} {target.url} ({fields})")
        for (method, endpoint, status), times in sorted(fuzzer.seen.items()):
            print(f"  {method:4} {endpoint:32} {status} x{times}")
    assert not fuzzer.failures, (
        f"{len(fuzzer.failures)} of {fuzzer.sent} requests failed:\n"
        + "\n".join(fuzzer.failures[:40])
    )
    assert fuzzer.sent >= 100  # the crawl found the pages and their forms


def test_the_fuzzer_reports_a_server_error_and_a_half_saved_refusal(app, make_app):
    """Proof that the oracle can fail: a throwaway app with a crashing and a leaky form."""
    throwaway = make_app()
    page = '<form method="post"><input name="number" value="1"><input name="note"></form>'

    @throwaway.route("/boom", methods=["GET", "POST"])
    @public
    def boom():
        if request.method == "POST" and request.form.get("number", "") not in ("", "1"):
            raise ValueError("a value the page never offered")
        return page

    @throwaway.route("/leak", methods=["GET", "POST"])
    @public
    def leak():
        if request.method == "POST":
            db.session.add(CourseCategory(name=f"Leak {db.session.query(CourseCategory).count()}"))
            db.session.commit()
            return "refused, yet saved", 422
        return page

    fuzzer = fuzz(throwaway, "anonymous", None, 2, only={"boom", "leak"})
    crashes = [failure for failure in fuzzer.failures if failure.startswith("500 POST /boom")]
    assert any("field='number'" in failure for failure in crashes), fuzzer.failures
    assert "ValueError: a value the page never offered" in crashes[0]
    assert "in boom: raise ValueError(" in crashes[0]
    assert any(
        "POST /leak as anonymous" in failure
        and "refused but changed {'course_category'}" in failure
        for failure in fuzzer.failures
    ), fuzzer.failures


def test_raw_bytes_in_a_query_string_get_400_not_500(client):
    """Werkzeug's request.args raises UnicodeDecodeError on a query string that is not
    UTF-8 (bytes a client sent unencoded); the app answers 400 before anything reads it."""
    response = client.get("/login", environ_overrides={"QUERY_STRING": "next=\xff\xfe"})
    assert response.status_code == 400
    assert client.get("/login?next=%FF%FE").status_code == 200  # percent-encoded: fine
