"""The staff import: lms/people/importing.py."""

from __future__ import annotations

import codecs
import random
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import aliased

from lms.audit.audit import AuditEvent
from lms.auth.models import User
from lms.core.extensions import db
from lms.core.outbox import OutboxMessage
from lms.people.importing import ImportFileError, ImportReport, RowOutcome, import_staff
from lms.people.models import Department, ServiceGroup
from tests.helpers import count, events

SAMPLE = (Path(__file__).parents[2] / "data" / "staff-sample.csv").read_bytes()
HEADER = (
    "staff_number,first_name,last_name,email,job_title,department,service_group,"
    "line_manager_staff_number"
)


def csv_file(*rows: str, header: str = HEADER) -> bytes:
    return ("\r\n".join([header, *rows]) + "\r\n").encode()


def person(staff_number: str) -> User:
    return db.session.scalars(select(User).where(User.staff_number == staff_number)).one()


def by_email(email: str) -> User:
    return db.session.scalars(User.by_email(email)).one()


def managers() -> dict[str, str | None]:
    """Each person's staff number (or email, for external people) -> their manager's."""
    manager = aliased(User)
    rows = db.session.execute(
        select(User.staff_number, User.email, manager.staff_number).outerjoin(
            manager, User.line_manager
        )
    )
    return {staff_number or email: boss for staff_number, email, boss in rows}


def problems(report: ImportReport, outcome: RowOutcome) -> dict[int, str]:
    return {
        problem.line: problem.reason for problem in report.problems if problem.outcome is outcome
    }


def run(data: bytes, **kwargs) -> ImportReport:
    report = import_staff(data, by=None, **kwargs)
    db.session.commit()
    return report


# --- the sample file -----------------------------------------------------------------------


def test_the_sample_keeps_the_defects_it_is_meant_to_have():
    assert SAMPLE.startswith(codecs.BOM_UTF8) and b"\r\n" in SAMPLE


def test_the_sample_gives_the_documented_counts(app):
    report = run(SAMPLE)
    assert report.counts() == {
        "created": 17,
        "updated": 0,
        "unchanged": 0,
        "rejected": 4,
        "warnings": 4,
    }
    assert count(User) == 17


def test_the_sample_rejects_the_documented_lines_with_plain_reasons(app):
    rejected = problems(run(SAMPLE), RowOutcome.REJECTED)
    assert rejected == {
        9: "Email address ben.carter@nhs is not in the correct format",
        10: "Email address is missing",
        13: "Staff number 20002 is already used on line 3",
        14: "Email address AMARA.OKAFOR@nhs.net is already used on line 2",
    }
    saved = set(db.session.scalars(select(User.full_name)))
    assert not saved & {"Ben Carter", "Chloe Evans", "Thomas Hughes", "Ella Wright"}
    assert person("20002").full_name == "Tom Hughes"  # the first line wins
    assert by_email("amara.okafor@nhs.net").full_name == "Amara Okafor"


def test_the_sample_warns_about_the_documented_lines_and_saves_them_without_a_manager(app):
    warned = problems(run(SAMPLE), RowOutcome.WARNING)
    assert set(warned) == {15, 16, 17, 21}
    assert "99999" in warned[15] and "not in the file or the system" in warned[15]
    assert "loop" in warned[16] and "loop" in warned[17]
    assert "themself" in warned[21]
    links = managers()
    assert [links[number] for number in ("20013", "20014", "20015", "20018")] == [None] * 4


def test_the_sample_resolves_managers_including_ones_later_in_the_file(app):
    run(SAMPLE)
    links = managers()
    assert links["20003"] == "20010" and links["20004"] == "20011"  # both later in the file
    assert links["20016"] == "20010"
    assert links["20020"] == "20013"  # a warned row is still saved, so can manage
    assert links["isla.hughes@outlook.com"] == "20001"
    assert links["20001"] is None and links["20002"] == "20001" and links["20005"] == "20002"


def test_the_sample_reads_accents_quotes_padding_and_short_rows(app):
    run(SAMPLE)
    zoe, sian, priya, mia = (person(number) for number in ("20003", "20004", "20006", "20016"))
    assert zoe.full_name == "Zoë Ashworth" and sian.full_name == "Siân ap Gwyn"
    assert priya.job_title == "Lead Nurse, Quality"
    assert mia.full_name == "Mia Clarke" and mia.email == "mia.clarke@nhs.net"
    assert mia.department.name == "Maternity" and mia.service_group.name == "Women and Children"
    freya = person("20019")  # a short row: the missing cells read as empty
    assert (freya.job_title, freya.department, freya.line_manager) == (None, None, None)
    isla = by_email("isla.hughes@outlook.com")
    assert isla.staff_number is None and isla.is_external
    assert count(Department) == 9 and count(ServiceGroup) == 6


def test_reimporting_the_sample_changes_nothing_and_reports_the_same_problems(app):
    first = run(SAMPLE)
    stamps = dict(db.session.execute(select(User.id, User.updated_at)).all())
    second = run(SAMPLE)
    assert second.counts() == {
        "created": 0,
        "updated": 0,
        "unchanged": 17,
        "rejected": 4,
        "warnings": 4,
    }
    assert second.problems == first.problems
    assert dict(db.session.execute(select(User.id, User.updated_at)).all()) == stamps
    assert count(User) == 17 and count(Department) == 9


def test_each_import_writes_one_audit_event_with_the_counts(app, admin):
    import_staff(SAMPLE, by=admin)
    db.session.commit()
    [event] = db.session.scalars(select(AuditEvent)).all()
    assert event.action == "people.imported" and event.actor_id == admin.id
    assert event.after == {
        "created": 17,
        "updated": 0,
        "unchanged": 0,
        "rejected": 4,
        "warnings": 4,
    }


# --- rejected rows -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "reason"),
    [
        ("", "Email address is missing"),
        ("ben.carter@nhs", "Email address ben.carter@nhs is not in the correct format"),
        ("ben carter@nhs.net", "Email address ben carter@nhs.net is not in the correct format"),
        ("ben.carter.nhs.net", "Email address ben.carter.nhs.net is not in the correct format"),
    ],
)
def test_a_row_without_a_proper_email_is_rejected(app, email, reason):
    report = run(csv_file(f"1,Ben,Carter,{email},Analyst,Data Science,Improvement,"))
    assert problems(report, RowOutcome.REJECTED) == {2: reason}
    assert report.created == 0 and count(User) == 0


def test_a_staff_number_used_on_an_earlier_line_is_rejected(app):
    report = run(
        csv_file(
            "1,Tom,Hughes,tom@example.nhs.uk,,,,",
            "2,Ava,Turner,ava@example.nhs.uk,,,,",
            "1,Thomas,Hughes,thomas@example.nhs.uk,,,,",
        )
    )
    assert problems(report, RowOutcome.REJECTED) == {4: "Staff number 1 is already used on line 2"}
    assert person("1").full_name == "Tom Hughes" and count(User) == 2


def test_an_email_used_on_an_earlier_line_in_any_case_is_rejected(app):
    report = run(
        csv_file(
            "1,Amara,Okafor,amara@example.nhs.uk,,,,", "2,Ella,Wright,AMARA@Example.NHS.uk,,,,"
        )
    )
    assert problems(report, RowOutcome.REJECTED) == {
        3: "Email address AMARA@example.nhs.uk is already used on line 2"
    }
    assert count(User) == 1


def test_a_rejected_row_does_not_claim_its_staff_number_or_email(app):
    report = run(
        csv_file("1,Ben,Carter,ben.carter@nhs,,,,", "1,Ben,Carter,ben.carter@example.nhs.uk,,,,")
    )
    assert set(problems(report, RowOutcome.REJECTED)) == {2}
    assert person("1").email == "ben.carter@example.nhs.uk"


def test_a_malformed_staff_number_is_rejected(app):
    report = run(
        csv_file("20 001,Ben,Carter,ben@example.nhs.uk,,,,", f"{'9' * 21},Ava,T,ava@x.org,,,,")
    )
    assert set(problems(report, RowOutcome.REJECTED)) == {2, 3}
    assert count(User) == 0


def test_a_row_without_any_name_is_rejected(app):
    report = run(csv_file("1,,,nobody@example.nhs.uk,,,,", "2,,Turner,ava@example.nhs.uk,,,,"))
    assert problems(report, RowOutcome.REJECTED) == {2: "First name and last name are both missing"}
    assert person("2").full_name == "Turner"


def test_a_value_too_long_for_the_directory_is_rejected(app):
    report = run(csv_file(f"1,Ben,Carter,ben@example.nhs.uk,{'x' * 201},,,"))
    assert problems(report, RowOutcome.REJECTED) == {2: "Job title is longer than 200 characters"}


def test_a_row_taking_another_persons_email_is_rejected(app, make_user):
    make_user("tom@example.nhs.uk", staff_number="1", full_name="Tom Hughes")
    make_user("ava@example.nhs.uk", staff_number="2", full_name="Ava Turner")
    report = run(
        csv_file(
            "2,Ava,Turner,tom@example.nhs.uk,,,,",  # Ava may not take Tom's address
            "3,Jack,Morris,TOM@example.nhs.uk,,,,",  # nor may a new starter
            ",Tom,Outside,tom@example.nhs.uk,,,,",  # nor an external person
        )
    )
    rejected = problems(report, RowOutcome.REJECTED)
    assert (
        rejected[2] == "Email address tom@example.nhs.uk belongs to another person (staff number 1)"
    )
    assert rejected[3] == "Email address TOM@example.nhs.uk belongs to staff number 1"
    assert set(rejected) == {2, 3, 4}
    assert person("2").email == "ava@example.nhs.uk" and count(User) == 2


# --- warnings ------------------------------------------------------------------------------


def test_an_unknown_manager_is_warned_about_and_the_person_saved_without_one(app):
    report = run(csv_file("1,Noah,Bennett,noah@example.nhs.uk,Porter,Estates,Corporate,99999"))
    assert problems(report, RowOutcome.WARNING) == {
        2: "Line manager 99999 is not in the file or the system; saved without one"
    }
    assert report.created == 1 and person("1").line_manager is None


def test_a_manager_known_only_to_the_database_is_used(app, make_user):
    boss = make_user("boss@example.nhs.uk", staff_number="100")
    report = run(csv_file("1,Noah,Bennett,noah@example.nhs.uk,,,,100"))
    assert report.problems == [] and person("1").line_manager_id == boss.id


def test_being_your_own_manager_is_warned_about(app):
    report = run(csv_file("1,Harry,Wood,harry@example.nhs.uk,,,,1"))
    assert problems(report, RowOutcome.WARNING) == {
        2: "Line manager is the person themself; saved without one"
    }
    assert person("1").line_manager is None


def test_a_loop_of_managers_in_the_file_is_warned_about_on_every_line_of_it(app):
    report = run(
        csv_file(
            "1,Amara,Okafor,amara@example.nhs.uk,,,,",
            "2,Ava,Turner,ava@example.nhs.uk,,,,3",
            "3,Jack,Morris,jack@example.nhs.uk,,,,4",
            "4,Grace,Mensah,grace@example.nhs.uk,,,,2",
            "5,Mia,Clarke,mia@example.nhs.uk,,,,2",  # below the loop, not on it
        )
    )
    warned = problems(report, RowOutcome.WARNING)
    assert set(warned) == {3, 4, 5}
    assert warned[3] == (
        "Line manager 3 would make a loop in the management chain; saved without one"
    )
    assert managers() == {"1": None, "2": None, "3": None, "4": None, "5": "2"}
    assert report.created == 5


def test_a_loop_through_someone_already_in_the_database_is_warned_about(app, make_user):
    boss = make_user("boss@example.nhs.uk", staff_number="100")
    make_user("deputy@example.nhs.uk", staff_number="200", line_manager=boss)
    report = run(csv_file("100,Boss,Person,boss@example.nhs.uk,,,,200"))
    assert set(problems(report, RowOutcome.WARNING)) == {2}
    assert managers() == {"100": None, "200": "100"}


def test_moving_a_manager_under_a_former_report_works_when_the_file_breaks_the_old_link(
    app, make_user
):
    boss = make_user("boss@example.nhs.uk", staff_number="100", full_name="Boss Person")
    make_user(
        "deputy@example.nhs.uk", staff_number="200", full_name="Deputy Person", line_manager=boss
    )
    report = run(
        csv_file(
            "100,Boss,Person,boss@example.nhs.uk,,,,200",
            "200,Deputy,Person,deputy@example.nhs.uk,,,,",
        )
    )
    assert report.problems == [] and report.updated == 2
    assert managers() == {"100": "200", "200": None}


# --- creating and updating -----------------------------------------------------------------


def test_a_changed_row_counts_as_updated_and_an_unchanged_one_does_not(app):
    run(
        csv_file(
            "1,Tom,Hughes,tom@example.nhs.uk,Analyst,Data,Corporate,",
            "2,Ava,Turner,ava@example.nhs.uk,Nurse,Ward 5,Surgical Services,1",
            "3,Jack,Morris,jack@example.nhs.uk,Porter,Estates,Corporate,1",
        )
    )
    report = run(
        csv_file(
            "1,Tom,Hughes,tom@example.nhs.uk,Senior Analyst,Data,Corporate,",  # job title
            "2,Ava,Turner,ava@example.nhs.uk,Nurse,Ward 5,Surgical Services,3",  # manager
            "3,Jack,Morris,JACK@example.nhs.uk,Porter,Estates,Corporate,1",  # only the case
            "4,Mia,Clarke,mia@example.nhs.uk,Midwife,Maternity,Women and Children,",
        )
    )
    assert (report.created, report.updated, report.unchanged) == (1, 2, 1)
    assert person("1").job_title == "Senior Analyst"
    assert person("2").line_manager.staff_number == "3"
    assert person("3").email == "jack@example.nhs.uk"


def test_blank_cells_clear_what_they_describe(app):
    run(csv_file("1,Tom,Hughes,tom@example.nhs.uk,Analyst,Data,Corporate,"))
    report = run(csv_file("1,Tom,Hughes,tom@example.nhs.uk,,,,"))
    tom = person("1")
    assert report.updated == 1
    assert (tom.job_title, tom.department, tom.service_group) == (None, None, None)


def test_an_existing_persons_password_is_never_changed(app, make_user):
    tom = make_user("tom@example.nhs.uk", staff_number="1", full_name="Tom Hughes")
    before = tom.password_hash
    report = run(csv_file("1,Thomas,Hughes,thomas@example.nhs.uk,Analyst,,,"))
    assert report.updated == 1
    db.session.refresh(tom)
    assert tom.email == "thomas@example.nhs.uk" and tom.password_hash == before
    assert by_email("thomas@example.nhs.uk").password_hash == before


def test_new_people_have_no_password_and_can_log_in_only_after_setting_one(app):
    run(csv_file("1,Tom,Hughes,tom@example.nhs.uk,,,,"))
    assert person("1").password_hash is None and person("1").is_active


def test_external_people_are_matched_by_email(app, make_user):
    isla = make_user("isla@example.org", full_name="Isla H")
    report = run(csv_file(",Isla,Hughes,ISLA@example.org,Lived experience partner,,,"))
    assert (report.created, report.updated) == (0, 1)
    db.session.refresh(isla)
    assert isla.full_name == "Isla Hughes" and isla.email == "isla@example.org"
    assert isla.staff_number is None and count(User) == 1


def test_someone_without_a_staff_number_gains_one_when_matched_by_email(app, make_user):
    isla = make_user("isla@example.org", full_name="Isla Hughes")
    report = run(csv_file("300,Isla,Hughes,isla@example.org,,,,"))
    assert report.updated == 1 and count(User) == 1
    db.session.refresh(isla)
    assert isla.staff_number == "300"


def test_departments_and_service_groups_are_matched_whatever_their_case(app):
    therapies = Department(name="Therapies")
    support = ServiceGroup(name="Clinical Support")
    db.session.add_all([therapies, support])
    db.session.commit()
    run(csv_file("1,Owen,Price,owen@example.nhs.uk,,THERAPIES,clinical support,"))
    owen = person("1")
    assert owen.department_id == therapies.id and owen.service_group_id == support.id
    assert count(Department) == 1 and count(ServiceGroup) == 1


def test_roles_and_active_status_are_left_alone(app, make_user):
    admin = make_user("amara@example.nhs.uk", staff_number="1", roles=["admin"])
    gone = make_user("tom@example.nhs.uk", staff_number="2", is_active_account=False)
    run(csv_file("1,Amara,Okafor,amara@example.nhs.uk,,,,", "2,Tom,Hughes,tom@example.nhs.uk,,,,"))
    db.session.refresh(admin)
    db.session.refresh(gone)
    assert admin.is_admin and not gone.is_active_account


# --- auditing each person's changes --------------------------------------------------------

TEAM = (
    "1,Tom,Hughes,tom@example.nhs.uk,Analyst,Data,Corporate,",
    "2,Ava,Turner,ava@example.nhs.uk,Nurse,Ward 5,Surgical Services,1",
    "3,Jack,Morris,jack@example.nhs.uk,Porter,Estates,Corporate,1",
)


def changed_people() -> dict[str, tuple[dict, dict]]:
    """user.updated events by the staff number of the person: (before, after)."""
    numbers = dict(db.session.execute(select(User.id, User.staff_number)).all())
    return {
        numbers[int(event.entity_id)]: (event.before, event.after)
        for event in events("user.updated")
        if event.entity_type == "User"
    }


@pytest.fixture
def team(app):
    run(csv_file(*TEAM))
    assert events("user.updated") == []  # creating people is counted, not audited per person


def test_a_changed_login_email_line_manager_and_job_title_are_audited_per_person(team, admin):
    import_staff(
        csv_file(
            "1,Tom,Hughes,thomas.hughes@example.nhs.uk,Analyst,Data,Corporate,",  # email
            "2,Ava,Turner,ava@example.nhs.uk,Nurse,Ward 5,Surgical Services,3",  # manager
            "3,Jack,Morris,jack@example.nhs.uk,Head Porter,Estates,Corporate,1",  # job title
        ),
        by=admin,
    )
    db.session.commit()

    assert changed_people() == {
        "1": ({"email": "tom@example.nhs.uk"}, {"email": "thomas.hughes@example.nhs.uk"}),
        "2": ({"line_manager": "tom@example.nhs.uk"}, {"line_manager": "jack@example.nhs.uk"}),
        "3": ({"job_title": "Porter"}, {"job_title": "Head Porter"}),
    }
    assert {event.actor_id for event in events("user.updated")} == {admin.id}


def test_several_changes_to_one_person_make_one_event_and_an_unchanged_person_none(team):
    run(
        csv_file(
            "1,Tom,Hughes,tom@example.nhs.uk,Analyst,Data,Corporate,",  # unchanged
            "2,Ava,Turner,ava.turner@example.nhs.uk,Ward Sister,Ward 6,Surgical Services,3",
            "3,Jack,Morris,JACK@example.nhs.uk,Porter,Estates,Corporate,1",  # only the case
        )
    )

    assert changed_people() == {
        "2": (
            {
                "email": "ava@example.nhs.uk",
                "job_title": "Nurse",
                "department": "Ward 5",
                "line_manager": "tom@example.nhs.uk",
            },
            {
                "email": "ava.turner@example.nhs.uk",
                "job_title": "Ward Sister",
                "department": "Ward 6",
                "line_manager": "jack@example.nhs.uk",
            },
        )
    }


def test_a_manager_new_in_the_file_or_with_a_new_email_is_named_by_their_new_email(team):
    run(
        csv_file(
            "1,Tom,Hughes,thomas@example.nhs.uk,Analyst,Data,Corporate,",
            "2,Ava,Turner,ava@example.nhs.uk,Nurse,Ward 5,Surgical Services,4",
            "3,Jack,Morris,jack@example.nhs.uk,Porter,Estates,Corporate,1",
            "4,Mia,Clarke,mia@example.nhs.uk,Matron,Ward 5,Surgical Services,",
        )
    )

    changes = changed_people()
    assert changes["2"] == (
        {"line_manager": "tom@example.nhs.uk"},
        {"line_manager": "mia@example.nhs.uk"},
    )
    assert "3" not in changes  # their manager changed their email, not them


def test_a_manager_dropped_for_a_loop_is_audited_as_removed(team):
    report = run(
        csv_file(
            "1,Tom,Hughes,tom@example.nhs.uk,Analyst,Data,Corporate,2",
            "2,Ava,Turner,ava@example.nhs.uk,Nurse,Ward 5,Surgical Services,1",
            "3,Jack,Morris,jack@example.nhs.uk,Porter,Estates,Corporate,1",
        )
    )
    assert report.warnings == 2
    assert changed_people() == {
        "2": ({"line_manager": "tom@example.nhs.uk"}, {"line_manager": None})
    }


def test_a_changed_login_email_is_told_to_the_old_address(team, app):
    app.config["SUPPORT_CONTACT"] = "pmo@example.nhs.uk"
    report = run(
        csv_file(
            "1,Tom,Hughes,thomas.hughes@example.nhs.uk,Analyst,Data,Corporate,",
            "2,Ava,Turner,ava@example.nhs.uk,Ward Sister,Ward 5,Surgical Services,1",
            *TEAM[2:],
        )
    )

    assert report.told_of_new_email == 1
    [message] = db.session.scalars(select(OutboxMessage)).all()
    assert message.recipient == "tom@example.nhs.uk"
    assert message.subject == "Your login email for Learning and CPD has changed"
    assert "has changed to thomas.hughes@example.nhs.uk" in message.body_text
    assert (
        "If you did not\nexpect it, contact the Portfolio Management Office at pmo@example.nhs.uk"
        in (message.body_text)
    )


def test_the_statements_of_an_import_of_changes_do_not_grow_with_the_rows(app, count_queries):
    def rows(start: int, number: int, version: int) -> bytes:
        return csv_file(
            *(
                f"{n},Person,{n},p{n}.v{version}@example.nhs.uk,Nurse {version},"
                f"Ward {start},Group {start},{start + version}"
                for n in range(start, start + number)
            )
        )

    run(rows(1000, 5, 1))
    run(rows(2000, 300, 1))
    with count_queries() as small:
        run(rows(1000, 5, 2))
    with count_queries() as large:
        run(rows(2000, 300, 2))
    assert large.count == small.count
    assert len(events("user.updated")) == 305
    assert count(OutboxMessage) == 305


# --- reading the file ----------------------------------------------------------------------


def test_headers_are_compared_trimmed_in_any_case_with_spaces_for_underscores(app):
    header = (
        " Email , LAST NAME,first name,Staff Number,Job Title,Department,"
        "Service   Group,Line Manager Staff Number,Notes"
    )
    report = run(
        csv_file("ava@example.nhs.uk,Turner,Ava,2,Nurse,Ward 5,Surgical,,ignored", header=header)
    )
    assert report.created == 1 and report.problems == []
    ava = person("2")
    assert (ava.full_name, ava.job_title, ava.service_group.name) == (
        "Ava Turner",
        "Nurse",
        "Surgical",
    )


def test_blank_lines_and_empty_rows_are_skipped_without_being_counted(app):
    data = csv_file(
        "",
        "1,Tom,Hughes,tom@example.nhs.uk,,,,",
        "  ",
        ",,,,,,,",
        "2,Ava,Turner,ava@example.nhs.uk,,,,9",
    )
    report = run(data)
    assert report.counts()["created"] == 2
    assert problems(report, RowOutcome.WARNING) == {
        6: "Line manager 9 is not in the file or the system; saved without one"
    }  # line numbers still count the skipped lines


def test_quoted_cells_and_line_breaks_inside_them_keep_line_numbers_right(app):
    report = run(
        csv_file(
            '1,Priya,Shah,priya@example.nhs.uk,"Lead Nurse, Quality","Ward ""A""",,',
            '2,Tom,Hughes,tom@example.nhs.uk,"Analyst\nand more",,,',
            "3,Ava,Turner,ava@nhs,,,,",
        )
    )
    assert person("1").job_title == "Lead Nurse, Quality"
    assert person("1").department.name == 'Ward "A"'
    assert set(problems(report, RowOutcome.REJECTED)) == {5}


def test_windows_1252_files_import_correctly(app):
    data = HEADER + "\r\n1,Zoë,Ashworth,zoe@example.nhs.uk,Ward Manager,Women\u2019s Health,,\r\n"
    report = run(data.encode("cp1252"))
    assert report.created == 1
    zoe = person("1")
    assert zoe.full_name == "Zoë Ashworth" and zoe.department.name == "Women\u2019s Health"


def test_utf8_files_without_a_byte_order_mark_and_with_lf_endings_import(app):
    data = (HEADER + "\n1,Siân,ap Gwyn,sian@example.nhs.uk,,,,\n").encode()
    assert run(data).created == 1 and person("1").full_name == "Siân ap Gwyn"


def test_a_file_like_object_is_read_too(app, tmp_path):
    path = tmp_path / "staff.csv"
    path.write_bytes(SAMPLE)
    with path.open("rb") as stream:
        assert run(stream).created == 17


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The selected file is empty"),
        (codecs.BOM_UTF8 + b"\r\n\r\n  \r\n", "The selected file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "The selected file is not a CSV file"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "The selected file is not a staff CSV file"),
        (
            b"name,email\nTom,tom@example.nhs.uk\n",
            "The selected file is missing the columns staff_number, first_name, last_name, "
            "job_title",
        ),
        (
            b"staff_number,first_name,last_name,email\n1,Tom,Hughes,tom@example.nhs.uk\n",
            "The selected file is missing the columns job_title, department, service_group, "
            "line_manager_staff_number",
        ),
        (
            HEADER.replace(",department", "").encode() + b"\n",
            "The selected file is missing the column department",
        ),
        (HEADER.encode() + b"\n1,Tom,\x81\x8d,tom@example.nhs.uk,,,,\n", "could not be read"),
    ],
)
def test_a_file_that_cannot_be_imported_says_why_and_changes_nothing(app, data, message):
    with pytest.raises(ImportFileError, match=message) as raised:
        import_staff(data, by=None)
    assert raised.value.field == "file"
    db.session.commit()
    assert (count(User), count(Department), count(AuditEvent)) == (0, 0, 0)


def test_a_file_with_only_its_header_imports_nobody(app):
    report = run(csv_file())
    assert report.counts() == dict.fromkeys(report.counts(), 0)
    assert count(User) == 0


def test_a_file_broken_after_good_rows_saves_none_of_them(app):
    data = csv_file(
        "1,Tom,Hughes,tom@example.nhs.uk,,,,",
        f'2,Ava,Turner,ava@example.nhs.uk,"{"x" * 200_000}",,,',
    )
    with pytest.raises(ImportFileError, match="Line 3 of the file could not be read"):
        import_staff(data, by=None)
    db.session.commit()
    assert count(User) == 0


def test_good_rows_are_saved_and_bad_rows_are_not(app):
    report = run(
        csv_file(
            "1,Tom,Hughes,tom@example.nhs.uk,,,,",
            "2,Ava,Turner,,,,,",
            "3,Jack,Morris,jack@example.nhs.uk,,,,2",
        )
    )
    assert report.counts() == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "rejected": 1,
        "warnings": 1,
    }
    assert set(db.session.scalars(select(User.staff_number))) == {"1", "3"}


# --- at scale ------------------------------------------------------------------------------


def test_progress_is_reported_up_to_the_total(app):
    calls = []
    run(SAMPLE, progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (21, 21)


def test_the_number_of_statements_does_not_grow_with_the_rows(app, count_queries):
    def rows(start: int, number: int) -> bytes:
        return csv_file(
            *(
                f"{n},Person,{n},p{n}@example.nhs.uk,Nurse,"
                f"Ward {start}-{n % 3},Group {start}-{n % 2},{start}"
                for n in range(start, start + number)
            )
        )

    with count_queries() as small:
        run(rows(1000, 5))
    with count_queries() as large:
        run(rows(2000, 300))
    assert large.count == small.count


def generated_staff(size: int, seed: int = 7) -> tuple[bytes, dict[str, str | None]]:
    """A realistic staff file: a management tree in shuffled order (managers often later)."""
    picker = random.Random(seed)
    numbers = [f"E{n:06d}" for n in range(size)]
    boss = {numbers[0]: None} | {
        number: numbers[picker.randrange(index // 4, index)]
        for index, number in enumerate(numbers[1:], start=1)
    }
    order = numbers[:]
    picker.shuffle(order)
    lines = [
        f"{number},Person,{number[1:]},person.{number.lower()}@example.nhs.uk,Role {n % 40},"
        f"Department {n % 150},Group {n % 9},{boss[number] or ''}"
        for n, number in enumerate(order)
    ]
    return csv_file(*lines), boss


def test_a_20000_row_file_imports_and_reimports_unchanged(app):
    data, boss = generated_staff(20_000)
    first = run(data)
    assert first.counts() == {
        "created": 20_000,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
        "warnings": 0,
    }
    assert managers() == boss
    db.session.expunge_all()
    second = run(data)
    assert second.counts() == {
        "created": 0,
        "updated": 0,
        "unchanged": 20_000,
        "rejected": 0,
        "warnings": 0,
    }
    assert count(User) == 20_000
