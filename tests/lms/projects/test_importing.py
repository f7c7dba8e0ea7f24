"""Importing projects from the PPM platform's export: lms/projects/importing.py. The page
is tested in test_import_views.py; the sample and its column meanings are
tests/data/ppm-projects.csv and .md."""

from __future__ import annotations

import codecs
import csv
import io
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from lms.audit.audit import AuditEvent
from lms.core.extensions import db
from lms.core.timezones import start_of_local_day
from lms.people.importing import import_staff
from lms.people.models import ServiceGroup
from lms.projects.importing import (
    COLUMNS,
    MAX_BYTES,
    MAX_ROWS,
    TOO_LARGE,
    ImportFileError,
    ImportReport,
    Outcome,
    import_projects,
    template_csv,
)
from lms.projects.models import Project, ProjectMember, ProjectRole, ProjectStatus
from tests.helpers import count, events

DATA = Path(__file__).parents[2] / "data"
SAMPLE = (DATA / "ppm-projects.csv").read_bytes()
HEADER = "Reference,Title,Service group,Start date,Planned end date,Status,Lead,Team members"
SERVICE_GROUPS = (
    "Improvement",
    "Surgical Services",
    "Clinical Support",
    "Corporate",
    "Women and Children",
    "Medicine",
)
# The people of tests/data/staff-sample.csv whom the PPM sample names, and Isla Hughes, an
# external partner with no staff number.
PEOPLE = {
    "amara": ("amara.okafor@nhs.net", "20001", "Amara Okafor"),
    "tom": ("tom.hughes@nhs.net", "20002", "Tom Hughes"),
    "zoe": ("zoe.ashworth@nhs.net", "20003", "Zoë Ashworth"),
    "sian": ("sian.apgwyn@nhs.net", "20004", "Siân ap Gwyn"),
    "liam": ("liam.oneill@nhs.net", "20005", "Liam O'Neill"),
    "priya": ("priya.shah@nhs.net", "20006", "Priya Shah"),
    "grace": ("grace.mensah@nhs.net", "20010", "Grace Mensah"),
    "owen": ("owen.price@nhs.net", "20011", "Owen Price"),
    "noah": ("noah.bennett@nhs.net", "20013", "Noah Bennett"),
    "mia": ("mia.clarke@nhs.net", "20016", "Mia Clarke"),
    "harry": ("harry.wood@nhs.net", "20018", "Harry Wood"),
    "isla": ("isla.hughes@outlook.com", None, "Isla Hughes"),
}
GROUP_WORDS = (
    "is not a service group in the system. Enter one of: Clinical Support, Corporate, "
    "Improvement, Medicine, Surgical Services, Women and Children"
)
STATUS_WORDS = "is not a status. Enter one of: Proposed, Active, On hold, Closed, Stopped"
SAMPLE_PROBLEMS = {
    6: [("Title", "Enter the project's title")],
    7: [
        ("Service group", f"Estates and Facilities {GROUP_WORDS}"),
        ("Status", f"Paused {STATUS_WORDS}"),
    ],
    8: [
        (
            "Planned end date",
            "The planned end must be on or after the start date (2026-09-01)",
        )
    ],
    9: [("Lead", "Nobody in the system has the staff number 20099")],
    10: [("Reference", "ppm-0101 is also on line 2: a project may be in the file once")],
}
SAMPLE_CREATED = [
    "PPM-0101",
    "PPM-0102",
    "PPM-0103",
    "PPM-0104",
    "PPM-0109",
    "PPM-0110",
    "PPM-0111",
    "PPM-0112",
]


def add_groups() -> dict[str, ServiceGroup]:
    """The service groups of tests/data/staff-sample.csv."""
    found = {name: ServiceGroup(name=name) for name in SERVICE_GROUPS}
    db.session.add_all(found.values())
    db.session.commit()
    return found


def add_people(make_user) -> dict:
    """The people the PPM sample names, by first name (see PEOPLE)."""
    return {
        key: make_user(email, staff_number=number, full_name=name)
        for key, (email, number, name) in PEOPLE.items()
    }


@pytest.fixture
def groups(app) -> dict[str, ServiceGroup]:
    return add_groups()


@pytest.fixture
def people(make_user, groups) -> dict:
    return add_people(make_user)


def csv_file(*rows: str, header: str = HEADER) -> bytes:
    return ("\r\n".join((header, *rows)) + "\r\n").encode()


def run(data: bytes, by) -> ImportReport:
    report = import_projects(data, by=by)
    db.session.commit()
    return report


def outcomes(report: ImportReport) -> dict[int, str]:
    return {result.line: result.outcome.value for result in report.lines}


def problems(report: ImportReport) -> dict[int, list[tuple[str | None, str]]]:
    return {
        result.line: [(problem.column, problem.message) for problem in result.problems]
        for result in report.lines
        if result.problems
    }


def project(reference: str) -> Project:
    return db.session.scalar(select(Project).where(Project.ppm_reference == reference))


def team(reference: str) -> dict[str, ProjectRole]:
    """The project's people, by email, with their roles."""
    found = project(reference)
    return {member.person.email: member.role for member in found.members}


def references() -> list[str]:
    return sorted(db.session.scalars(select(Project.ppm_reference)))


def stamps() -> dict[str, object]:
    return dict(db.session.execute(select(Project.ppm_reference, Project.updated_at)).all())


# --- the sample ----------------------------------------------------------------------------


def test_the_sample_keeps_the_shape_a_ppm_export_saves():
    assert SAMPLE.startswith(codecs.BOM_UTF8) and b"\r\n" in SAMPLE
    assert b"before midday.\r\nMeasured by" in SAMPLE  # a cell over two lines
    assert b"01/05/2026" in SAMPLE and b"2026-04-01" in SAMPLE  # both date formats
    header = next(csv.reader(io.StringIO(SAMPLE.decode("utf-8-sig"))))
    assert header == [column.name for column in COLUMNS] + ["Last updated"]


def test_the_sample_creates_8_projects_and_rejects_5_lines_with_their_reasons(app, admin, people):
    report = run(SAMPLE, admin)
    assert report.summary() == "8 created, 0 updated, 0 unchanged, 5 rejected"
    assert (report.created, report.updated, report.unchanged, report.rejected) == (8, 0, 0, 5)
    assert problems(report) == SAMPLE_PROBLEMS
    assert outcomes(report) == {
        line: "rejected" if line in SAMPLE_PROBLEMS else "created" for line in range(2, 15)
    }
    assert references() == SAMPLE_CREATED
    assert {result.reference for result in report.lines if result.line == 10} == {"ppm-0101"}


def test_the_sample_sets_every_detail_and_person_it_gives(app, admin, people, groups):
    run(SAMPLE, admin)
    letters = project("PPM-0101")
    assert letters.title == "Digital outpatient letters"
    assert letters.description.startswith("Send clinic letters to patients")
    assert letters.service_group_id == groups["Corporate"].id
    assert letters.sponsor == "Dr Rachel Adams (Chief Clinical Information Officer)"
    assert (letters.starts_on, letters.planned_end_on) == (date(2026, 4, 1), date(2027, 3, 31))
    assert letters.status == ProjectStatus.ACTIVE
    assert letters.created_by_id == admin.id
    assert letters.start_cutoff == start_of_local_day(date(2026, 4, 2))
    assert team("PPM-0101") == {
        "tom.hughes@nhs.net": ProjectRole.LEAD,
        "liam.oneill@nhs.net": ProjectRole.PROJECT_MANAGER,
        "priya.shah@nhs.net": ProjectRole.MEMBER,
        "amara.okafor@nhs.net": ProjectRole.MEMBER,
    }
    discharge = project("PPM-0102")
    assert discharge.service_group_id == groups["Surgical Services"].id  # in any case
    assert (discharge.starts_on, discharge.planned_end_on) == (date(2026, 5, 1), date(2026, 11, 30))
    assert discharge.description == (
        "Plan each discharge the day before, so that patients can leave the ward before "
        "midday.\nMeasured by the share of discharges before 12:00."
    )
    assert project("PPM-0103").status == ProjectStatus.ON_HOLD
    assert team("PPM-0103") == {
        "sian.apgwyn@nhs.net": ProjectRole.LEAD,  # matched in capitals
        "owen.price@nhs.net": ProjectRole.PROJECT_MANAGER,
    }
    assert project("PPM-0104").planned_end_on is None
    assert project("PPM-0109").status == ProjectStatus.CLOSED
    assert team("PPM-0110") == {
        "amara.okafor@nhs.net": ProjectRole.LEAD,
        "isla.hughes@outlook.com": ProjectRole.MEMBER,
    }
    assert project("PPM-0111").title == "Sepsis screening, emergency department"
    assert team("PPM-0111") == {
        "harry.wood@nhs.net": ProjectRole.LEAD,  # also among the team: the higher role wins
        "tom.hughes@nhs.net": ProjectRole.PROJECT_MANAGER,
        "zoe.ashworth@nhs.net": ProjectRole.MEMBER,
        "priya.shah@nhs.net": ProjectRole.MEMBER,
    }
    bare = project("PPM-0112")
    assert (bare.status, bare.starts_on, bare.start_cutoff, bare.description, bare.members) == (
        ProjectStatus.PROPOSED,
        None,
        None,
        "",
        [],
    )


def test_the_sample_resolves_against_the_staff_sample_imported_first(app, admin):
    import_staff((DATA / "staff-sample.csv").read_bytes(), by=admin)
    db.session.commit()
    report = run(SAMPLE, admin)
    assert report.summary() == "8 created, 0 updated, 0 unchanged, 5 rejected"
    assert problems(report) == SAMPLE_PROBLEMS


def test_each_created_project_is_audited_with_its_facts_and_people(app, admin, people):
    run(SAMPLE, admin)
    imported = events("project.imported")
    assert len(imported) == 8 and count(AuditEvent) == 8
    assert {event.actor_id for event in imported} == {admin.id}
    assert {event.entity_type for event in imported} == {"Project"}
    by_id = {event.entity_id: event for event in imported}
    letters = by_id[str(project("PPM-0101").id)]
    assert letters.before is None
    assert letters.after == {
        "ppm_reference": "PPM-0101",
        "title": "Digital outpatient letters",
        "description": ("Send clinic letters to patients through the NHS App instead of by post."),
        "service_group": "Corporate",
        "sponsor": "Dr Rachel Adams (Chief Clinical Information Officer)",
        "starts_on": "2026-04-01",
        "planned_end_on": "2027-03-31",
        "status": "active",
        "people": {
            "tom.hughes@nhs.net": "lead",
            "liam.oneill@nhs.net": "project_manager",
            "priya.shah@nhs.net": "member",
            "amara.okafor@nhs.net": "member",
        },
    }


# --- importing again -----------------------------------------------------------------------


def test_importing_the_sample_again_changes_nothing_and_writes_nothing(
    app, admin, people, count_queries
):
    run(SAMPLE, admin)
    before = stamps()
    links = count(ProjectMember)
    with count_queries() as counter:
        again = run(SAMPLE, admin)
    assert again.summary() == "0 created, 0 updated, 8 unchanged, 5 rejected"
    assert problems(again) == SAMPLE_PROBLEMS
    written = [s for s in counter.statements if not s.lstrip().upper().startswith("SELECT")]
    assert written == []  # no INSERT, no UPDATE, not even an audit event
    assert len(events("project.imported")) == 8
    assert stamps() == before and count(ProjectMember) == links


def test_changing_one_cell_updates_that_project_alone(app, admin, people):
    run(SAMPLE, admin)
    before = stamps()
    changed = SAMPLE.replace(b"30/11/2026,active", b"31/12/2026,On hold")
    report = run(changed, admin)
    assert report.summary() == "0 created, 1 updated, 7 unchanged, 5 rejected"
    [updated] = [result for result in report.lines if result.outcome is Outcome.UPDATED]
    assert (updated.line, updated.reference) == (3, "PPM-0102")
    assert updated.changed == ("Planned end date", "Status")
    discharge = project("PPM-0102")
    assert (discharge.planned_end_on, discharge.status) == (
        date(2026, 12, 31),
        ProjectStatus.ON_HOLD,
    )
    after = stamps()
    assert after["PPM-0102"] > before["PPM-0102"]
    assert {ref: at for ref, at in after.items() if ref != "PPM-0102"} == {
        ref: at for ref, at in before.items() if ref != "PPM-0102"
    }
    event = events("project.imported")[-1]
    assert event.entity_id == str(discharge.id)
    assert (event.before, event.after) == (
        {"planned_end_on": "2026-11-30", "status": "active"},
        {"planned_end_on": "2026-12-31", "status": "on_hold"},
    )


def test_roles_follow_the_file_and_people_it_does_not_name_stay(app, admin, people, make_project):
    p = people
    existing = make_project(
        "Old title",
        ppm_reference="PPM-0200",
        lead=p["amara"],
        members={p["tom"]: ProjectRole.MEMBER, p["grace"]: ProjectRole.PROJECT_MANAGER},
    )
    report = run(
        csv_file(
            "PPM-0200,Old title,,2026-06-01,,Active,20002,grace.mensah@nhs.net; 20004",
        ),
        admin,
    )
    [result] = report.lines
    assert result.outcome is Outcome.UPDATED and result.changed == ("People",)
    assert team("PPM-0200") == {
        "amara.okafor@nhs.net": ProjectRole.LEAD,  # not in the file: left alone
        "tom.hughes@nhs.net": ProjectRole.LEAD,  # was a team member
        "grace.mensah@nhs.net": ProjectRole.MEMBER,  # was the project manager
        "sian.apgwyn@nhs.net": ProjectRole.MEMBER,  # new
    }
    [event] = events("project.imported")
    assert event.entity_id == str(existing.id)
    assert event.before == {
        "people": {
            "tom.hughes@nhs.net": "member",
            "grace.mensah@nhs.net": "project_manager",
            "sian.apgwyn@nhs.net": None,
        }
    }
    assert event.after == {
        "people": {
            "tom.hughes@nhs.net": "lead",
            "grace.mensah@nhs.net": "member",
            "sian.apgwyn@nhs.net": "member",
        }
    }
    again = run(
        csv_file("PPM-0200,Old title,,2026-06-01,,Active,20002,grace.mensah@nhs.net; 20004"),
        admin,
    )
    assert outcomes(again) == {2: "unchanged"} and len(events("project.imported")) == 1


def test_a_reference_in_another_case_updates_the_project_and_keeps_its_reference(
    app, admin, people, make_project
):
    existing = make_project("Digital letters", ppm_reference="PPM-0300", starts_on=None)
    report = run(csv_file("ppm-0300,Digital outpatient letters,,,,,,"), admin)
    [result] = report.lines
    assert (result.outcome, result.reference, result.changed) == (
        Outcome.UPDATED,
        "PPM-0300",
        ("Title",),
    )
    db.session.refresh(existing)
    assert (existing.ppm_reference, existing.title) == ("PPM-0300", "Digital outpatient letters")
    assert outcomes(run(csv_file("Ppm-0300,Digital outpatient letters,,,,,,"), admin)) == {
        2: "unchanged"
    }


def test_a_column_left_out_leaves_its_detail_and_an_empty_cell_empties_it(
    app, admin, people, groups, make_project
):
    make_project(
        "Kept",
        ppm_reference="PPM-0400",
        sponsor="Chief Nurse",
        description="As it was",
        service_group_id=groups["Medicine"].id,
        starts_on=date(2026, 1, 5),
        planned_end_on=date(2026, 12, 31),
        status=ProjectStatus.ON_HOLD,
    )
    report = run(csv_file("PPM-0400,Kept", header="reference,TITLE"), admin)
    assert outcomes(report) == {2: "unchanged"}
    report = run(
        csv_file(
            "PPM-0400,Kept,,,,,",
            header="Reference,Title,Sponsor,Service group,Start date,Planned end date,Status",
        ),
        admin,
    )
    assert report.lines[0].changed == ("Service group", "Sponsor", "Start date", "Planned end date")
    kept = project("PPM-0400")
    assert (kept.sponsor, kept.service_group_id, kept.starts_on, kept.planned_end_on) == (
        None,
        None,
        None,
        None,
    )
    assert kept.start_cutoff is None
    assert (kept.description, kept.status) == ("As it was", ProjectStatus.ON_HOLD)


def test_dates_are_checked_against_the_projects_own_when_the_file_leaves_one_out(
    app, admin, people, make_project
):
    make_project("Started", ppm_reference="PPM-0500", starts_on=date(2026, 6, 1))
    report = run(
        csv_file(
            "PPM-0500,Started,2026-05-31",
            "PPM-0501,New,31/05/2026",
            header="Reference,Title,Planned end date",
        ),
        admin,
    )
    assert problems(report) == {
        2: [
            (
                "Planned end date",
                "The planned end must be on or after the start date (2026-06-01)",
            )
        ]
    }
    assert outcomes(report)[3] == "created"
    assert project("PPM-0500").planned_end_on is None


def test_a_new_start_date_moves_the_start_cutoff(app, admin, people, make_project):
    make_project("Moved", ppm_reference="PPM-0600", starts_on=date(2026, 6, 1))
    run(csv_file("PPM-0600,Moved,2026-09-15", header="Reference,Title,Start date"), admin)
    moved = project("PPM-0600")
    assert moved.starts_on == date(2026, 9, 15)
    assert moved.start_cutoff == start_of_local_day(date(2026, 9, 16))


# --- rows with problems --------------------------------------------------------------------


def test_every_reason_a_row_is_not_saved_is_given_with_its_column(app, admin, people):
    report = run(
        csv_file(
            ",,Nowhere,yesterday,2026-13-01,Paused,Tom Hughes,nobody@nhs.net; 99999;;",
            f"{'R' * 41},{'T' * 201},,1850-01-01,,,,",
            "PPM-0700,Fine,corporate,2026-01-01,2026-01-01,stopped,,",
        ),
        admin,
    )
    assert problems(report) == {
        2: [
            ("Reference", "Enter the project's PPM reference"),
            ("Title", "Enter the project's title"),
            ("Service group", f"Nowhere {GROUP_WORDS}"),
            ("Start date", "Enter the start date as a real date, like 2026-04-01 or 01/04/2026"),
            (
                "Planned end date",
                "Enter the planned end date as a real date, like 2026-04-01 or 01/04/2026",
            ),
            ("Status", f"Paused {STATUS_WORDS}"),
            ("Lead", "Tom Hughes is not an email address or a staff number"),
            ("Team members", "Nobody in the system has the email address nobody@nhs.net"),
            ("Team members", "Nobody in the system has the staff number 99999"),
        ],
        3: [
            ("Reference", "Enter a reference of 40 characters or fewer"),
            ("Title", "Enter a title of 200 characters or fewer"),
            ("Start date", "Enter a date between the years 1900 and 2200"),
        ],
    }
    assert references() == ["PPM-0700"]
    assert project("PPM-0700").status == ProjectStatus.STOPPED


def test_a_service_group_is_never_made_by_the_import(app, admin, people):
    report = run(csv_file("PPM-0800,New,Neurosciences,,,,,"), admin)
    assert problems(report) == {2: [("Service group", f"Neurosciences {GROUP_WORDS}")]}
    assert count(ServiceGroup) == len(SERVICE_GROUPS) and count(Project) == 0


def test_statuses_are_read_in_any_case_and_spacing(app, admin, people):
    rows = [
        f"PPM-09{n},P{n},,,,{word},,"
        for n, word in enumerate(["on_hold", "On Hold", "ONHOLD", " closed ", "PROPOSED", "Active"])
    ]
    run(csv_file(*rows), admin)
    assert [project(f"PPM-09{n}").status.value for n in range(6)] == [
        "on_hold",
        "on_hold",
        "on_hold",
        "closed",
        "proposed",
        "active",
    ]


def test_an_empty_status_keeps_the_projects_and_makes_a_new_one_proposed(
    app, admin, people, make_project
):
    make_project("Running", ppm_reference="PPM-1000", status=ProjectStatus.ACTIVE, starts_on=None)
    report = run(csv_file("PPM-1000,Running,,,,,,", "PPM-1001,New,,,,,,"), admin)
    assert outcomes(report) == {2: "unchanged", 3: "created"}
    assert project("PPM-1000").status == ProjectStatus.ACTIVE
    assert project("PPM-1001").status == ProjectStatus.PROPOSED


def test_people_are_found_by_email_in_any_case_or_by_staff_number_deactivated_too(
    app, admin, people
):
    people["owen"].is_active_account = False
    db.session.commit()
    run(csv_file('PPM-1100,Found,,,,,OWEN.PRICE@NHS.NET,"20003 , Isla.Hughes@Outlook.com"'), admin)
    assert team("PPM-1100") == {
        "owen.price@nhs.net": ProjectRole.LEAD,
        "zoe.ashworth@nhs.net": ProjectRole.MEMBER,
        "isla.hughes@outlook.com": ProjectRole.MEMBER,
    }


def test_hidden_characters_go_and_formula_looking_cells_are_kept_as_text(app, admin, people):
    run(
        csv_file('PPM-1200,"=HYPERLINK(""http://x"")\x07",,,,,,', "PPM\u200b-1201,Zero,,,,,,"),
        admin,
    )
    assert project("PPM-1200").title == '=HYPERLINK("http://x")'
    assert references() == ["PPM-1200", "PPM-1201"]


# --- the statements ------------------------------------------------------------------------


def _rows(start: int, number: int, *, lead: str, member: str, status: str) -> bytes:
    return csv_file(
        *(
            f"PPM-{n:05d},Project {n},Corporate,2026-04-01,2026-12-31,{status},{lead},{member}"
            for n in range(start, start + number)
        )
    )


def test_the_statements_do_not_grow_with_the_rows(app, admin, people, count_queries):
    counts = {}
    for size, start in ((5, 0), (50, 100)):
        first = {"lead": "20001", "member": "20002; zoe.ashworth@nhs.net", "status": "Active"}
        with count_queries() as created:
            assert run(_rows(start, size, **first), admin).created == size
        # Every project changes: a detail, a new person and a changed role.
        then = {"lead": "20002", "member": "20003; 20004", "status": "Closed"}
        with count_queries() as updated:
            assert run(_rows(start, size, **then), admin).updated == size
        with count_queries() as unchanged:
            assert run(_rows(start, size, **then), admin).unchanged == size
        counts[size] = (created.count, updated.count, unchanged.count)
    assert counts[5] == counts[50]
    assert count(Project) == 55 and len(events("project.imported")) == 110
    assert team("PPM-00100") == {
        "amara.okafor@nhs.net": ProjectRole.LEAD,
        "tom.hughes@nhs.net": ProjectRole.LEAD,
        "zoe.ashworth@nhs.net": ProjectRole.MEMBER,
        "sian.apgwyn@nhs.net": ProjectRole.MEMBER,
    }


# --- the file ------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "cp1252"])
def test_utf8_with_or_without_a_bom_and_windows_1252_read_the_same(app, admin, people, encoding):
    text = "Reference,Title,Sponsor\r\nPPM-1300,Café triage – phase 2,Siân ap Gwyn\r\n"
    assert run(text.encode(encoding), admin).created == 1
    created = project("PPM-1300")
    assert (created.title, created.sponsor) == ("Café triage – phase 2", "Siân ap Gwyn")


def test_headers_match_in_any_case_order_and_spacing_and_other_columns_are_ignored(
    app, admin, people, groups
):
    header = " team_members ,STATUS,Notes,PlannedEndDate,service group, title ,REFERENCE,lead"
    run(
        csv_file(
            "20003,on hold,ignored,2026-12-31,Medicine,Reordered,PPM-1400,20001", header=header
        ),
        admin,
    )
    made = project("PPM-1400")
    assert (made.title, made.status, made.planned_end_on, made.service_group_id) == (
        "Reordered",
        ProjectStatus.ON_HOLD,
        date(2026, 12, 31),
        groups["Medicine"].id,
    )
    assert team("PPM-1400") == {
        "amara.okafor@nhs.net": ProjectRole.LEAD,
        "zoe.ashworth@nhs.net": ProjectRole.MEMBER,
    }


def test_blank_lines_are_skipped_and_counted_as_a_spreadsheet_counts_them(app, admin, people):
    report = run(csv_file('PPM-1500,"Two\nlines",,,,,,', "", ",,,,,,,", "PPM-1501,,,,,,,"), admin)
    assert outcomes(report) == {2: "created", 5: "rejected"}
    assert project("PPM-1500").title == "Two lines"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The selected file is empty"),
        (codecs.BOM_UTF8 + b"\r\n \r\n,,\r\n", "The selected file is empty"),
        (HEADER.encode() + b"\r\n", "The selected file has no projects below its first line"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\n", "is not a CSV file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "is not a CSV file"),
        (b"PK\x03\x04\x14\x00\x06\x00", "is not a CSV file"),
        (
            b"name,email\nTom,tom@example.nhs.uk\n",
            "The selected file is not a PPM project export. Its first line must name the "
            "columns Reference and Title",
        ),
        (b"Reference,Status\nPPM-1,Active\n", "The selected file is missing the column Title"),
        (HEADER.encode() + b"\r\nPPM-1,\x81\x8d,,,,,,\r\n", "could not be read"),
    ],
)
def test_a_file_that_cannot_be_imported_says_why_and_saves_nothing(
    app, admin, people, data, message
):
    with pytest.raises(ImportFileError, match=re.escape(message)) as raised:
        import_projects(data, by=admin)
    assert raised.value.field == "file"
    db.session.commit()
    assert (count(Project), count(AuditEvent)) == (0, 0)


def test_a_file_broken_after_good_rows_saves_none_of_them(app, admin, people):
    data = csv_file("PPM-1600,Good,,,,,,", f'PPM-1601,"{"x" * 200_000}",,,,,,')
    with pytest.raises(ImportFileError, match="Line 3 of the file could not be read"):
        import_projects(data, by=admin)
    db.session.commit()
    assert count(Project) == 0


def test_a_file_over_the_limit_is_refused_as_bytes_or_as_a_stream(app, admin, people):
    row = "PPM-1700,Padded," + "x" * 4000 + ",,,,,"
    data = csv_file(*[row] * (MAX_BYTES // len(row) + 1))
    assert len(data) > MAX_BYTES
    for source in (data, io.BytesIO(data)):
        with pytest.raises(ImportFileError, match=TOO_LARGE):
            import_projects(source, by=admin)
    assert count(Project) == 0


def test_a_file_of_more_than_2000_projects_is_refused(app, admin, people):
    rows = [f"PPM-{n:05d},Project {n},,,,,," for n in range(MAX_ROWS + 1)]
    with pytest.raises(ImportFileError, match="more than 2,000 projects"):
        import_projects(csv_file(*rows), by=admin)
    assert count(Project) == 0
    assert run(csv_file(*rows[:MAX_ROWS]), admin).created == MAX_ROWS


def test_the_template_names_every_column_and_its_example_row_imports(app, admin, make_user):
    db.session.add(ServiceGroup(name="Corporate"))
    make_user("lead.person@nhs.net")
    make_user(staff_number="20005")
    make_user("first.member@nhs.net")
    make_user(staff_number="20001")
    header, example = list(csv.reader(io.StringIO(template_csv())))
    assert header == [column.name for column in COLUMNS]
    report = run(template_csv().encode(), admin)
    assert report.summary() == "1 created, 0 updated, 0 unchanged, 0 rejected"
    made = project(example[0])
    assert (made.planned_end_on, made.status) == (date(2027, 3, 31), ProjectStatus.ACTIVE)
    assert len(made.members) == 4


def test_an_end_a_day_after_the_start_or_on_it_is_fine(app, admin, people):
    start = date(2026, 4, 1)
    report = run(
        csv_file(
            f"PPM-1800,Same day,,{start},{start},,,",
            f"PPM-1801,Next day,,{start},{start + timedelta(days=1)},,,",
        ),
        admin,
    )
    assert report.created == 2
