"""Which pages are loaded, as whom, and the goal each must meet.

One declarative list: a later page is one more `Target`. A path's `{placeholders}` are
filled from the ids that `benchmarks.inprocess discover` finds in the seeded database
(see `PLACEHOLDERS`). `who` names a demo account (`learner` logs in as
learner@example.nhs.uk), or None for an anonymous visitor.
"""

from __future__ import annotations

from dataclasses import dataclass

HTML = "text/html"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GOAL_P99_VS_HEALTHZ = 10.0  # every page's p99 at most 10x /healthz's p99 in the same run
GOAL_RSS_MB = 250.0  # peak resident memory of any one worker
GOAL_FACTOR_RATIO = 1 / 1.3  # rps at the largest factor over rps at the smallest

# What `discover` must find; each is used by at least one path below.
PLACEHOLDERS = (
    "search",  # a word of the learner's course title, so the search finds something
    "course_code",  # the course of a cohort the learner is on
    "learner_cohort_id",  # a cohort the learner is on
    "feed_token",  # the learner's calendar feed
    "session_id",  # the trainer's session today with the most expected learners
    "session_cohort_id",  # that session's cohort
    "quiz_id",  # the quiz of that cohort's course, which the learner takes there
    "attempt_id",  # the learner's latest submitted attempt at it
    "assignment_id",  # the assignment of that cohort's course
    "submission_id",  # the latest submission of it on that cohort (the learner's)
    "certificate_number",  # the learner's newest current certificate (a real PDF)
    "verification_code",  # its verification code, grouped as printed
    "certificates_cohort_id",  # the trainer's most recently closed cohort with certificates
    # The trainer's report with the most CPD entries: seed-scale makes the trainer line
    # manager of 40 (the PMO's staff) for the team view, one of them with 500 entries.
    "cpd_report_id",
    "cpd_entry_id",
    # Projects (issue #14): the learner's heaviest project (the one she leads with the most
    # updates: ten people, support, coaching), a request for support on it she may see,
    # and her newest coaching session as coachee (not yet confirmed, in seed-scale).
    "project_id",
    "support_id",
    "coaching_session_id",
    # Evaluations (issue #15): the learner's reaction survey still waiting, and the
    # closed cohort with the most answers (its results, read by the admin).
    "survey_enrolment_id",
    "results_cohort_id",
)


@dataclass(frozen=True)
class Target:
    name: str
    path: str
    who: str | None
    goal: float | None  # requests/s as a fraction of bare Flask; None: no goal set
    content_type: str = HTML
    method: str = "GET"
    form: str | None = None  # for a POST: the page whose form is filled (see forms.py)
    expect: int = 200
    server: str = "app"  # "app", or "bare" for the bare Flask app

    def url_path(self, values: dict[str, str]) -> str:
        return self.path.format(**values)

    @property
    def is_page(self) -> bool:
        """A page of the app, held to the p99 goal (not the two baselines)."""
        return self.server == "app" and self.path != "/healthz"


REGISTER = "/teach/sessions/{session_id}/register"
TODAYS_COHORT = "/teach/cohorts/{session_cohort_id}"
CERTIFICATE = "/certificates/{certificate_number}"

TARGETS: tuple[Target, ...] = (
    Target("bare Flask", "/", None, None, "application/json", server="bare"),
    Target("/healthz", "/healthz", None, 0.7, "text/plain"),
    Target("login page", "/login", None, 0.05),
    Target("catalogue", "/courses/", "learner", 0.05),
    Target("catalogue search", "/courses/?q={search}", "learner", 0.05),
    Target("course page", "/courses/{course_code}", "learner", 0.05),
    Target("cohort page", "/cohorts/{learner_cohort_id}", "learner", 0.05),
    Target("learner home", "/", "learner", 0.05),
    Target("quiz page", "/assessments/{quiz_id}", "learner", 0.05),
    Target("attempt page", "/attempts/{attempt_id}", "learner", 0.05),
    Target("my certificates", "/certificates/", "learner", 0.05),
    Target("certificate page", CERTIFICATE, "learner", 0.05),
    Target("certificate PDF", CERTIFICATE + ".pdf", "learner", 0.05, "application/pdf"),
    Target("verification page", "/verify/{verification_code}", None, 0.05),
    Target("calendar feed", "/calendar/{feed_token}.ics", None, None, "text/calendar"),
    Target("teach page", "/teach/", "trainer", 0.035),
    Target("register GET", REGISTER, "trainer", 0.035),
    Target(
        "register POST",
        REGISTER,
        "trainer",
        0.02,
        method="POST",
        form="register",
        expect=302,
        content_type="",
    ),
    Target("attendance grid", "/teach/cohorts/{session_cohort_id}/attendance", "trainer", 0.035),
    Target(
        "attendance CSV",
        "/teach/cohorts/{session_cohort_id}/attendance.csv",
        "trainer",
        None,
        "text/csv",
    ),
    Target(
        "sign-in sheet PDF",
        "/teach/sessions/{session_id}/sign-in-sheet.pdf",
        "trainer",
        0.025,
        "application/pdf",
    ),
    Target(
        "marking list", TODAYS_COHORT + "/assessments/{assignment_id}/marking", "trainer", 0.035
    ),
    Target("submission marking", "/teach/submissions/{submission_id}", "trainer", 0.035),
    Target("gradebook", TODAYS_COHORT + "/gradebook", "trainer", 0.035),
    Target("close preview", TODAYS_COHORT + "/close", "trainer", 0.035),
    Target(
        "certificates ZIP",
        "/teach/cohorts/{certificates_cohort_id}/certificates.zip",
        "trainer",
        None,
        "application/zip",
    ),
    Target("approvals", "/approvals/", "manager", 0.035),
    Target("people list", "/admin/users/", "admin", 0.035),
    Target("audit log", "/admin/audit/", "admin", 0.035),
    Target("all certificates", "/admin/certificates/", "admin", 0.035),
    # A word of a name is looked for in every certificate's name (no index can serve
    # "contains"): 30 ms of SQLite at 60,000 certificates. Measured; no goal set.
    Target("certificate search", "/admin/certificates/?q=jones&shown=current", "admin", None),
    Target("mail", "/admin/mail/", "admin", 0.035),
    # The CPD record (issue #13): the demo learner's 40 entries over three years, and the
    # team view of the trainer, who has 40 reports in seed-scale (the manager has 12).
    Target("CPD record", "/cpd/", "learner", 0.05),
    # Laid out afresh on each request, as the sign-in sheet is: the same goal as that.
    Target("CPD record PDF", "/cpd/export.pdf", "learner", 0.025, "application/pdf"),
    Target("CPD entry", "/cpd/entries/{cpd_entry_id}", "learner", 0.05),
    Target("CPD entry form", "/cpd/entries/new", "learner", 0.05),
    Target("CPD entry change", "/cpd/entries/{cpd_entry_id}/edit", "learner", 0.05),
    Target("CPD settings", "/cpd/settings", "learner", 0.05),
    Target("CPD record CSV", "/cpd/export.csv", "learner", None, "text/csv"),
    Target("CPD import", "/cpd/import", "learner", 0.05),
    Target("CPD team", "/cpd/team", "trainer", 0.035),
    Target("CPD team member", "/cpd/team/{cpd_report_id}", "trainer", 0.035),
    Target("CPD team CSV", "/cpd/team.csv", "trainer", None, "text/csv"),
    Target("CPD categories", "/admin/cpd/categories", "admin", 0.035),
    # Projects and PMO support (issue #14), on 2,000 projects at factor 1: the learner's
    # pages of one thing and forms as the CPD pages (0.05), the lists as the others (0.035).
    Target("Project register", "/projects/", "learner", 0.035),
    Target("Project register filtered", "/projects/?trainee_led=yes&status=active", "admin", 0.035),
    Target("Project", "/projects/{project_id}", "learner", 0.05),
    Target("Project form", "/projects/new", "learner", 0.05),
    Target("Project update form", "/projects/{project_id}/updates/new", "learner", 0.05),
    Target("Support list", "/support/", "admin", 0.035),
    Target("Support request", "/support/{support_id}", "learner", 0.05),
    Target("Coaching", "/coaching/", "trainer", 0.035),
    Target("Coaching session", "/coaching/sessions/{coaching_session_id}", "learner", 0.05),
    Target("Project import", "/admin/projects/import", "admin", 0.05),
    # Impact and targets (issue #15), at factor 1: 120,000 enrolments, 60,000 certificates,
    # 2,000 projects and their updates, ~20,000 reaction responses and ~40,000 ratings.
    Target("KPI dashboard", "/reports/", "admin", 0.035),
    Target("KPI dashboard filtered", "/reports/?year=2025&category=1&group=1", "admin", 0.035),
    Target("Impact view", "/reports/impact", "admin", 0.035),
    Target("Dashboard XLSX", "/reports/dashboard.xlsx", "admin", None, XLSX),
    # Laid out afresh on each request, as the sign-in sheet is: the same goal as that.
    Target("Board report PDF", "/reports/board.pdf", "admin", 0.025, "application/pdf"),
    Target("My evaluations", "/evaluations/", "learner", 0.05),
    Target("Reaction survey", "/evaluations/{survey_enrolment_id}/reaction", "learner", 0.05),
    Target(
        "Cohort evaluations",
        "/teach/cohorts/{results_cohort_id}/evaluations",
        "admin",
        0.035,
    ),
)

ACCOUNTS = {
    "admin": "admin@example.nhs.uk",
    "trainer": "trainer@example.nhs.uk",
    "manager": "manager@example.nhs.uk",
    "learner": "learner@example.nhs.uk",
}


def selected(only: str | None) -> list[Target]:
    """The targets whose name contains `only` (case-insensitive), always with the two
    baselines, since every figure is a fraction of them."""
    if not only:
        return list(TARGETS)
    wanted = [part.strip().lower() for part in only.split(",") if part.strip()]
    return [
        target
        for target in TARGETS
        if target.name in ("bare Flask", "/healthz")
        or any(part in target.name.lower() for part in wanted)
    ]
