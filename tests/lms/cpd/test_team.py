"""The team view: lms/cpd/team.py and team_views.py.

A line manager sees their active direct reports' CPD hours in a year against target
(their reports' reports are their own managers' to see); an admin sees all active staff,
by department, service group and name; the CSV has every matching row with the page's
numbers; one person's page shows their reflections only when they share them."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from certificates import revoke
from certificates.models import RevocationReason
from lms.auth.models import Role, User
from lms.core.extensions import db
from lms.core.timezones import local_today
from lms.cpd.models import CpdEntry, CpdProfile, EntrySource
from lms.cpd.years import CpdYear, year_of
from lms.people.models import Department, ServiceGroup
from tests.helpers import sign_in, text_of

# --- reading the pages --------------------------------------------------------------------------


def _cells(row: str) -> list[str]:
    cells = re.findall(r"<t[hd]\b[^>]*>(.*?)</t[hd]>", row, re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", cell)).split()) for cell in cells]


def team_rows(response) -> list[list[str]]:
    """The team table's rows: name, job title, hours, target, % of target."""
    body = re.search(r'<tbody class="nhsuk-table__body">(.*?)</tbody>', response.text, re.S)
    if body is None:
        return []
    return [_cells(row) for row in re.findall(r"<tr\b.*?</tr>", body.group(1), re.S)]


def words(response) -> str:
    """The page's text without its tags, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.text)).split())


def names(response) -> list[str]:
    return [row[0] for row in team_rows(response)]


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def as_user(app, user):
    """A client of its own, logged in as `user` (no password check: what a login leaves)."""
    client = app.test_client()
    sign_in(client, user.get_id())
    return client


# --- people and entries -------------------------------------------------------------------------


@pytest.fixture
def year(app) -> CpdYear:
    return year_of(local_today())


@pytest.fixture
def report(make_user, manager):
    """`report(name, **fields)`: someone who reports to the manager."""

    def make(name: str, **fields) -> User:
        fields.setdefault("line_manager_id", manager.id)
        return make_user(full_name=name, **fields)

    return make


def _profile(person, *, target=None, share=False) -> None:
    db.session.add(
        CpdProfile(
            learner_id=person.id,
            target_hours=Decimal(target) if target else None,
            share_reflections=share,
        )
    )
    db.session.commit()


# --- who sees whom ----------------------------------------------------------------------------


def test_a_manager_sees_their_active_direct_reports_by_name(app, make_user, manager, report):
    bea = report("Bea Lund", job_title="Ward manager")
    report("Adam Price", job_title="Physiotherapist")
    report("Eve Left", is_active_account=False)
    report("Dan Deep", line_manager_id=bea.id)  # Bea's report: Bea's to see
    other_manager = make_user(full_name="Olu Other")
    report("Cy Elsewhere", line_manager_id=other_manager.id)

    response = as_user(app, manager).get("/cpd/team")

    assert response.status_code == 200
    assert "Your team's CPD" in text_of(response)
    assert team_rows(response) == [
        ["Adam Price", "Physiotherapist", "0", "35", "0%"],
        ["Bea Lund", "Ward manager", "0", "35", "0%"],
    ]


def test_someone_with_no_active_reports_who_is_not_an_admin_is_refused(
    app, client, make_user, learner, report
):
    for url in ("/cpd/team", "/cpd/team.csv"):
        assert as_user(app, learner).get(url).status_code == 403
        assert client.get(url).status_code == 302  # log in first
    # Managing only people who have left makes nobody a manager.
    former = make_user(full_name="Fran Former")
    report("Gone Away", line_manager_id=former.id, is_active_account=False)
    assert as_user(app, former).get("/cpd/team").status_code == 403


def test_hours_count_the_year_only_and_leave_out_revoked_certificates(
    app, manager, report, make_entry, make_certificate, admin, year
):
    amy = report("Amy Hart")
    make_entry(amy, on=year.first_day, hours="1.5")
    make_entry(amy, on=local_today(), hours="2", category="Conference")
    make_entry(amy, on=year.first_day - timedelta(days=1), hours="5")  # last year's
    make_certificate(amy)
    revoked = make_certificate(amy)
    revoke(revoked, RevocationReason.ISSUED_IN_ERROR, "Wrong person", by=admin)
    for entry in db.session.scalars(select(CpdEntry).where(CpdEntry.certificate_id.is_not(None))):
        entry.activity_on = year.first_day  # both certificates' courses in this year
    db.session.commit()
    viewer = as_user(app, manager)

    # 1.5 + 2 + 7.5 (the certificate still valid) = 11 of 35 hours: 31%
    assert team_rows(viewer.get("/cpd/team")) == [["Amy Hart", "", "11", "35", "31%"]]
    last_year = viewer.get(f"/cpd/team?year={year.before.starts}")
    assert team_rows(last_year) == [["Amy Hart", "", "5", "35", "14%"]]

    page = words(viewer.get(f"/cpd/team/{amy.id}"))
    assert "11 hours of the trust's 35 hours target (31%)" in page
    assert page.count("Not counted: its certificate was revoked") == 1
    assert "Certified course" in page and "Conference" in page


def test_a_persons_own_target_is_the_one_they_are_measured_against(
    app, manager, report, make_entry, year
):
    amy, ben = report("Amy Hart"), report("Ben Stone")
    _profile(amy, target="20")
    _profile(ben, target="10", share=True)
    make_entry(amy, on=year.first_day, hours="5")
    make_entry(ben, on=year.first_day, hours="24")
    viewer = as_user(app, manager)

    assert team_rows(viewer.get("/cpd/team")) == [
        ["Amy Hart", "", "5", "20 their own", "25%"],
        ["Ben Stone", "", "24", "10 their own", "240%"],  # past the target: said as it is
    ]
    page = viewer.get("/cpd/team").text
    assert page.count('<progress class="lms-progress" max="100" value="100"') == 1  # capped
    assert "5 hours of their own 20 hours target (25%)" in words(viewer.get(f"/cpd/team/{amy.id}"))


def test_reflections_are_shown_only_when_the_person_shares_them(
    app, manager, admin, report, make_entry, year
):
    amy = report("Amy Hart")
    make_entry(
        amy, on=year.first_day, learned="Gantt charts help me", applied="Planned the ward move"
    )
    viewer = as_user(app, manager)

    for profile in (None, False):
        if profile is False:
            _profile(amy, share=False)
        page = text_of(viewer.get(f"/cpd/team/{amy.id}"))
        assert "Reading on" in page  # the entry itself is listed
        assert "Gantt charts" not in page and "ward move" not in page
        assert "Amy Hart has not shared their reflections with you" in page

    db.session.get(CpdProfile, amy.id).share_reflections = True
    db.session.commit()
    page = text_of(viewer.get(f"/cpd/team/{amy.id}"))
    assert "Gantt charts help me" in page and "Planned the ward move" in page
    assert "has not shared" not in page
    # Shared with her line manager, as the setting says: not with the PMO's admins.
    page = text_of(as_user(app, admin).get(f"/cpd/team/{amy.id}"))
    assert "Reading on" in page
    assert "Gantt charts" not in page and "has not shared their reflections with you" in page


def test_only_their_line_manager_or_an_admin_sees_a_persons_year(
    app, make_user, manager, report, learner, admin
):
    amy = report("Amy Hart")
    left = report("Lee Left", is_active_account=False)
    other_manager = make_user(full_name="Olu Other")
    report("Cy Elsewhere", line_manager_id=other_manager.id)
    url = f"/cpd/team/{amy.id}"

    assert as_user(app, manager).get(url).status_code == 200
    assert as_user(app, admin).get(url).status_code == 200
    for outsider in (other_manager, learner, amy):  # amy has her own record at /cpd/
        assert as_user(app, outsider).get(url).status_code == 404, outsider.full_name
    assert as_user(app, manager).get(f"/cpd/team/{left.id}").status_code == 404
    assert as_user(app, manager).get("/cpd/team/999999").status_code == 404
    assert as_user(app, admin).get("/cpd/team/999999").status_code == 404


# --- admins ------------------------------------------------------------------------------------


@pytest.fixture
def trust(make_user):
    """Two departments and two service groups, with three people across them."""
    finance, estates = Department(name="Finance"), Department(name="Estates")
    surgery, medicine = ServiceGroup(name="Surgery"), ServiceGroup(name="Medicine")
    db.session.add_all([finance, estates, surgery, medicine])
    db.session.commit()
    make_user(full_name="Ann Finance-Surgery", department=finance, service_group=surgery)
    make_user(full_name="Ben Finance-Medicine", department=finance, service_group=medicine)
    make_user(full_name="Cat Estates-Surgery", department=estates, service_group=surgery)
    make_user(full_name="Dee Departed", department=finance, is_active_account=False)
    return {"finance": finance.id, "estates": estates.id, "surgery": surgery.id}


def test_an_admin_sees_all_active_staff_and_filters_by_department_service_group_and_name(
    app, admin, trust
):
    viewer = as_user(app, admin)
    everyone = viewer.get("/cpd/team")
    assert "Staff CPD" in text_of(everyone)
    assert names(everyone) == [
        "Amara Okafor",
        "Ann Finance-Surgery",
        "Ben Finance-Medicine",
        "Cat Estates-Surgery",
    ]
    page = everyone.text
    for name in ("Finance", "Estates", "Surgery", "Medicine"):
        assert f">{name}</option>" in page
    assert 'name="scope"' not in page  # no reports of their own to choose between

    finance, estates, surgery = trust["finance"], trust["estates"], trust["surgery"]
    assert names(viewer.get(f"/cpd/team?department={finance}")) == [
        "Ann Finance-Surgery",
        "Ben Finance-Medicine",
    ]
    assert names(viewer.get(f"/cpd/team?service_group={surgery}")) == [
        "Ann Finance-Surgery",
        "Cat Estates-Surgery",
    ]
    both = f"/cpd/team?department={finance}&service_group={surgery}"
    assert names(viewer.get(both)) == ["Ann Finance-Surgery"]
    assert names(viewer.get("/cpd/team?q=ben")) == ["Ben Finance-Medicine"]
    assert names(viewer.get(f"/cpd/team?department={estates}&q=ann")) == []
    assert "No staff match." in text_of(viewer.get(f"/cpd/team?department={estates}&q=ann"))
    # The CSV follows the same filters.
    rows = csv_rows(viewer.get(f"/cpd/team.csv?department={finance}"))
    assert [row[0] for row in rows[1:]] == ["Ann Finance-Surgery", "Ben Finance-Medicine"]


def test_an_admin_who_manages_sees_their_reports_first_and_may_choose_all_staff(
    app, make_user, trust
):
    boss = make_user(full_name="Bo Boss", roles=[Role.ADMIN])
    make_user(full_name="Rae Report", line_manager_id=boss.id)
    viewer = as_user(app, boss)

    first = viewer.get("/cpd/team")
    assert names(first) == ["Rae Report"]
    assert 'name="scope"' in first.text and "choose “All staff”" in text_of(first)
    everyone = viewer.get("/cpd/team?scope=everyone")
    assert "Staff CPD" in text_of(everyone)
    assert "Rae Report" in names(everyone) and "Ann Finance-Surgery" in names(everyone)
    # Filters narrow either list.
    assert names(viewer.get(f"/cpd/team?department={trust['finance']}")) == []
    assert names(viewer.get(f"/cpd/team?scope=everyone&department={trust['estates']}")) == [
        "Cat Estates-Surgery"
    ]
    assert [row[0] for row in csv_rows(viewer.get("/cpd/team.csv"))[1:]] == ["Rae Report"]
    assert len(csv_rows(viewer.get("/cpd/team.csv?scope=everyone"))) == 1 + 5


def test_a_manager_cannot_ask_for_other_staff(app, manager, report, trust):
    report("Rae Report")
    viewer = as_user(app, manager)
    for query in ("scope=everyone", f"scope=everyone&department={trust['finance']}", "q=Ann"):
        assert names(viewer.get(f"/cpd/team?{query}")) == ["Rae Report"], query
        assert [row[0] for row in csv_rows(viewer.get(f"/cpd/team.csv?{query}"))[1:]] == [
            "Rae Report"
        ]
    assert 'name="department"' not in viewer.get("/cpd/team").text


# --- the CSV ------------------------------------------------------------------------------------


def test_the_csv_has_every_matching_person_with_the_pages_numbers(
    app, manager, report, make_entry, year, trust
):
    app.config["ADMIN_PAGE_SIZE"] = 3
    finance = db.session.get(Department, trust["finance"])
    for number in range(7):
        person = report(
            f"Report {number}",
            job_title="Nurse",
            staff_number=f"E{number:04d}",
            department=finance,
        )
        for _ in range(number):
            make_entry(person, on=year.first_day, hours="2.25")
        if number == 3:
            _profile(person, target="12")
    report('=HYPERLINK("http://example.com")', job_title="-1+1")
    viewer = as_user(app, manager)

    shown = []
    for page in (1, 2, 3):
        response = viewer.get(f"/cpd/team?page={page}")
        shown += [
            [name, hours, target.split()[0], percent]
            for name, _, hours, target, percent in team_rows(response)
        ]
    rows = csv_rows(viewer.get("/cpd/team.csv"))

    assert rows[0] == [
        "Name",
        "Staff number",
        "Job title",
        "Department",
        "Service group",
        "Hours",
        "Target hours",
        "% of target",
    ]
    assert len(rows) == 1 + 8  # all of them, not a page
    assert [[r[0].lstrip("'"), r[5], r[6], r[7] + "%"] for r in rows[1:]] == shown
    assert rows[1] == ['\'=HYPERLINK("http://example.com")', "", "'-1+1", "", "", "0", "35", "0"]
    assert rows[5] == ["Report 3", "E0003", "Nurse", "Finance", "", "6.75", "12", "56"]
    assert rows[8] == ["Report 6", "E0006", "Nurse", "Finance", "", "13.5", "35", "38"]


# --- odd addresses ------------------------------------------------------------------------------

ODD_QUERIES = [
    "department=abc",
    "department=-1",
    "department=99999999999999999999999",
    "service_group=x",
    "service_group=0",
    "year=x",
    "year=",
    "year=1800",
    "year=99999",
    "year=3000",
    "page=-1",
    "page=abc",
    "page=0",
    "page=99999",
    "scope=nobody",
    "q=" + "a" * 300,
    "q=two%0Alines",
    "year=2025&page=-1&department=abc&scope=everyone",
]


def test_odd_filter_values_are_ignored_never_a_server_error(
    app, make_user, report, make_entry, year
):
    boss = make_user(full_name="Bo Boss", roles=[Role.ADMIN])  # every field is theirs
    rae = report("Rae Report", line_manager_id=boss.id)
    make_entry(rae, on=year.first_day)
    manager = make_user(full_name="Mo Manager")
    report("Sam Report", line_manager_id=manager.id)
    as_boss, as_manager = as_user(app, boss), as_user(app, manager)
    pages = [
        (as_boss, "/cpd/team"),
        (as_boss, "/cpd/team.csv"),
        (as_boss, f"/cpd/team/{rae.id}"),
        (as_manager, "/cpd/team"),
        (as_manager, "/cpd/team.csv"),
    ]
    failed = [
        f"{url}?{query}"
        for viewer, url in pages
        for query in ODD_QUERIES
        if viewer.get(f"{url}?{query}").status_code != 200
    ]
    assert failed == []


def test_a_mistaken_filter_is_shown_with_its_field(app, admin):
    page = text_of(as_user(app, admin).get("/cpd/team?department=abc&year=x"))
    assert "Choose a department from the list" in page
    assert "Choose a CPD year from the list" in page


# --- statements ---------------------------------------------------------------------------------


def _statements(client, url: str, count_queries) -> int:
    client.get(url)  # anything a first request does once
    with count_queries() as counter:
        response = client.get(url)
    assert response.status_code == 200, url
    return counter.count


def _add_reports(manager, count: int, year: CpdYear, category_id: int, start: int = 0) -> None:
    people = [
        User(
            email=f"report{n}@example.nhs.uk",
            full_name=f"Report {n:03d}",
            line_manager_id=manager.id,
        )
        for n in range(start, start + count)
    ]
    db.session.add_all(people)
    db.session.flush()
    for person in people:
        db.session.add(
            CpdEntry(
                learner_id=person.id,
                source=EntrySource.EXTERNAL,
                title="Reading",
                category_id=category_id,
                activity_on=year.first_day,
                hours=Decimal("1.5"),
            )
        )
        if person.id % 3 == 0:
            db.session.add(CpdProfile(learner_id=person.id, target_hours=Decimal("20")))
    db.session.commit()


def test_the_team_pages_cost_the_same_statements_for_5_reports_as_for_100(
    app, make_user, count_queries, cpd_categories, year
):
    boss = make_user(full_name="Bo Boss", roles=[Role.ADMIN])
    plain_manager = make_user(full_name="Manon Grey")
    make_user(full_name="Pat Plain", line_manager_id=plain_manager.id)
    reading = cpd_categories["Reading"].id
    _add_reports(boss, 5, year, reading)
    urls = ["/cpd/team", "/cpd/team?scope=everyone&q=report", "/cpd/team.csv?scope=everyone"]
    as_boss = as_user(app, boss)
    as_manager = as_user(app, plain_manager)
    small = [_statements(as_boss, url, count_queries) for url in urls]
    small.append(_statements(as_manager, "/cpd/team", count_queries))

    _add_reports(boss, 95, year, reading, start=5)
    large = [_statements(as_boss, url, count_queries) for url in urls]
    large.append(_statements(as_manager, "/cpd/team", count_queries))

    assert small == large
    assert len(team_rows(as_boss.get("/cpd/team?page=4"))) == 100 - 3 * 25


def test_a_persons_page_costs_the_same_statements_for_5_entries_as_for_100(
    app, manager, report, make_certificate, count_queries, cpd_categories, year
):
    amy = report("Amy Hart")
    make_certificate(amy)
    _profile(amy, share=True)
    viewer = as_user(app, manager)

    def add_entries(count: int) -> None:
        for n in range(count):
            db.session.add(
                CpdEntry(
                    learner_id=amy.id,
                    source=EntrySource.EXTERNAL,
                    title=f"Reading {n}",
                    category_id=cpd_categories["Reading" if n % 2 else "Course"].id,
                    activity_on=year.first_day,
                    hours=Decimal("1"),
                    learned="Something",
                )
            )
        db.session.commit()

    add_entries(4)
    url = f"/cpd/team/{amy.id}"
    small = [
        _statements(viewer, url, count_queries),
        _statements(viewer, url + "?page=2", count_queries),
    ]
    add_entries(96)
    large = [
        _statements(viewer, url, count_queries),
        _statements(viewer, url + "?page=2", count_queries),
    ]
    assert small[0] == large[0]
    assert large[1] == large[0]
