"""The staff import page and command: lms/people/import_views.py and `flask lms import-staff`."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from lms.audit.audit import AuditEvent
from lms.auth.models import User
from lms.core import outbox
from lms.core.extensions import db
from lms.core.outbox import OutboxMessage
from tests.helpers import PASSWORD, field_error, links_in, log_in, recipients

SAMPLE_PATH = Path(__file__).parents[2] / "data" / "staff-sample.csv"
SAMPLE = SAMPLE_PATH.read_bytes()
FIRST_IMPORT = {
    "Created": "17",
    "Updated": "0",
    "Unchanged": "0",
    "Rejected (not saved)": "4",
    "Warnings (saved without a manager)": "4",
}


def upload(client, data: bytes | None, filename: str = "staff.csv", **fields):
    form = {} if data is None else {"file": (io.BytesIO(data), filename)}
    return client.post("/admin/import/", data=form | fields, content_type="multipart/form-data")


def summary(page: str) -> dict[str, str]:
    """The summary list's keys and values as text."""
    pairs = re.findall(
        r'<dt class="nhsuk-summary-list__key">(.*?)</dt>\s*'
        r'<dd class="nhsuk-summary-list__value">(.*?)</dd>',
        page,
        re.DOTALL,
    )
    return {html.unescape(key.strip()): html.unescape(value.strip()) for key, value in pairs}


def problem_rows(page: str) -> list[tuple[str, str]]:
    """(line, reason) for each row of the problems table."""
    rows = re.findall(r'<tr class="nhsuk-table__row">(.*?)</tr>', page, re.DOTALL)[1:]
    cells = [
        re.findall(r'<td class="nhsuk-table__cell">(.*?)</td>', row, re.DOTALL) for row in rows
    ]
    return [(found[0].strip(), html.unescape(found[2].strip())) for found in cells]


def count_users() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def created_by_the_sample() -> list[str]:
    return sorted(db.session.scalars(select(User.email).where(User.password_hash.is_(None))))


# --- the page ------------------------------------------------------------------------------


def test_the_page_offers_a_labelled_file_upload_that_posts_multipart(client, as_admin):
    response = client.get("/admin/import/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.count("<h1") == 1 and "Import staff" in page
    assert 'enctype="multipart/form-data"' in page
    assert re.search(r'<label class="nhsuk-label[^"]*" for="file">\s*Upload a staff file', page)
    assert re.search(
        r'<input class="nhsuk-file-upload__input" id="file" name="file" type="file"', page
    )
    assert "line_manager_staff_number" in page


def test_the_form_carries_a_csrf_token(make_app, admin):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    client.post("/login", data={"email": admin.email, "password": PASSWORD, "csrf_token": token})
    page = client.get("/admin/import/").get_data(as_text=True)
    assert re.search(r'name="csrf_token" type="hidden" value="[^"]+"', page)
    refused = upload(client, SAMPLE)  # no token
    assert refused.status_code in (400, 422) and count_users() == 1


def test_the_people_page_links_to_the_import(client, as_admin):
    page = client.get("/admin/users/").get_data(as_text=True)
    assert 'href="/admin/import/"' in page and "Import staff" in page


def test_uploading_the_sample_shows_the_counts_and_every_problem_row(client, as_admin):
    response = upload(client, SAMPLE)
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[:2000]
    assert summary(page) == FIRST_IMPORT
    rows = problem_rows(page)
    assert [line for line, _ in rows] == ["9", "10", "13", "14", "15", "16", "17", "21"]
    assert ("10", "Email address is missing") in rows
    assert "Not saved" in page and "Saved without a manager" in page
    assert count_users() == 18  # the admin and the 17 people imported
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "people.imported"))
    assert event.actor_id == as_admin.id and event.after["created"] == 17


def test_uploading_the_sample_again_reports_everyone_unchanged(client, as_admin):
    upload(client, SAMPLE)
    page = upload(client, SAMPLE).get_data(as_text=True)
    assert summary(page)["Created"] == "0" and summary(page)["Unchanged"] == "17"
    assert summary(page)["Rejected (not saved)"] == "4" and count_users() == 18


def test_a_learner_is_refused_the_page_and_the_upload(client, learner, login):
    login(learner)
    assert client.get("/admin/import/").status_code == 403
    assert upload(client, SAMPLE).status_code == 403
    assert count_users() == 1


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get("/admin/import/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (None, None, "Select a CSV file to import"),
        (SAMPLE, "staff.xlsx", "The selected file must be a CSV"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "staff.csv", "The selected file is not a CSV file"),
        (b"", "staff.csv", "The selected file is empty"),
        (
            b"name,email\r\nTom,tom@example.nhs.uk\r\n",
            "staff.csv",
            "The selected file is missing the columns staff_number, first_name, last_name, "
            "job_title, department, service_group, line_manager_staff_number",
        ),
    ],
)
def test_a_missing_or_unusable_file_is_explained_beside_the_field(
    client, as_admin, data, filename, message
):
    response = upload(client, data, filename)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(page, "file") == message
    assert "There is a problem" in page and "<title>Error: " in page
    assert count_users() == 1
    assert not db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "people.imported")
    ).all()


# --- inviting ------------------------------------------------------------------------------


def test_the_page_offers_to_invite_the_people_the_import_creates(client, as_admin):
    page = client.get("/admin/import/").get_data(as_text=True)
    assert re.search(r'<input class="nhsuk-checkboxes__input" id="invite" name="invite"', page)
    assert "Send an invitation to the people this import creates" in page
    assert not re.search(r'name="invite" type="checkbox" value="y"\s+checked', page)


def test_an_import_sends_no_invitations_unless_asked(client, as_admin):
    page = upload(client, SAMPLE).get_data(as_text=True)
    assert "Sent an invitation" not in summary(page)
    assert recipients() == []


def test_an_import_asked_to_invite_mails_everyone_it_created_and_says_so(client, as_admin):
    page = upload(client, SAMPLE, invite="y").get_data(as_text=True)
    assert summary(page) == FIRST_IMPORT | {"Sent an invitation": "17"}
    assert recipients() == created_by_the_sample() and len(recipients()) == 17
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "people.imported"))
    assert event.after["invited"] == 17
    sent = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.invitation_sent"))
    assert len(sent.all()) == 17
    people = client.get("/admin/users/").get_data(as_text=True)
    assert "not been invited yet" not in people


def test_reimporting_with_invitations_mails_nobody_again(client, as_admin):
    upload(client, SAMPLE, invite="y")
    page = upload(client, SAMPLE, invite="y").get_data(as_text=True)
    assert summary(page)["Sent an invitation"] == "0"
    assert len(recipients()) == 17


def test_people_imported_then_invited_from_the_list_can_set_a_password_and_log_in(
    app, client, as_admin, smtp_server
):
    """The acceptance path: import, invite everyone in one action, follow a link, log in."""
    upload(client, SAMPLE)
    client.post("/admin/users/invitations")
    sink, port = smtp_server
    app.config.update(MAIL_TRANSPORT="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    assert outbox.deliver_all_due() == 17
    message = next(m for m in sink.messages if m["To"] == "zoe.ashworth@nhs.net")
    assert "Amara Okafor has given you an account" in message.get_body(("plain",)).get_content()
    path = urlsplit(next(link for link in links_in(message) if "/account/reset/" in link)).path

    zoe = app.test_client()
    assert zoe.get(path).status_code == 200
    chosen = "a long passphrase of my own"
    answer = zoe.post(path, data={"password": chosen, "confirm_password": chosen})
    assert answer.status_code == 302
    assert log_in(zoe, "zoe.ashworth@nhs.net", chosen).status_code == 302


# --- the command ---------------------------------------------------------------------------


def test_the_command_imports_a_file_and_prints_the_counts_and_problems(runner):
    result = runner.invoke(args=["lms", "import-staff", str(SAMPLE_PATH)])
    assert result.exit_code == 0, result.output
    for line in (
        "Created: 17",
        "Updated: 0",
        "Unchanged: 0",
        "Rejected (not saved): 4",
        "Warnings (saved without a manager): 4",
        "Line 9 (rejected): Email address ben.carter@nhs is not in the correct format",
        "Line 21 (warning): Line manager is the person themself; saved without one",
    ):
        assert line in result.output
    db.session.rollback()  # read what the command committed
    assert count_users() == 17


def test_the_command_run_twice_reports_everyone_unchanged(runner):
    runner.invoke(args=["lms", "import-staff", str(SAMPLE_PATH)])
    result = runner.invoke(args=["lms", "import-staff", str(SAMPLE_PATH)])
    assert "Created: 0" in result.output and "Unchanged: 17" in result.output


def test_the_command_refuses_a_bad_file_and_changes_nothing(runner, tmp_path):
    path = tmp_path / "picture.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    result = runner.invoke(args=["lms", "import-staff", str(path)])
    assert result.exit_code == 1
    assert "The selected file is not a CSV file. Nothing was imported." in result.output
    db.session.rollback()
    assert count_users() == 0


def test_the_command_says_when_the_file_does_not_exist(runner, tmp_path):
    result = runner.invoke(args=["lms", "import-staff", str(tmp_path / "missing.csv")])
    assert result.exit_code == 2 and "does not exist" in result.output


def test_an_import_that_includes_an_admin_leaves_their_password_working(
    client, runner, admin, tmp_path
):
    path = tmp_path / "staff.csv"
    path.write_text(
        "staff_number,first_name,last_name,email,job_title,department,service_group,"
        f"line_manager_staff_number\n1,Amara,Okafor,{admin.email.upper()},Head of PMO,,,\n"
    )
    result = runner.invoke(args=["lms", "import-staff", str(path)])
    assert "Updated: 1" in result.output
    assert log_in(client, admin.email).status_code == 302


def test_the_command_invites_the_people_it_creates_when_asked(runner):
    result = runner.invoke(args=["lms", "import-staff", "--invite", str(SAMPLE_PATH)])
    assert result.exit_code == 0, result.output
    assert "Created: 17" in result.output and "Sent an invitation: 17" in result.output
    db.session.rollback()
    assert recipients() == created_by_the_sample() and len(recipients()) == 17
    body = db.session.scalars(select(OutboxMessage.body_text)).first()
    assert "Portfolio Management Office has given you an account" in body


def test_the_command_invites_nobody_unless_asked(runner):
    result = runner.invoke(args=["lms", "import-staff", str(SAMPLE_PATH)])
    assert "Sent an invitation" not in result.output
    db.session.rollback()
    assert recipients() == []


def test_the_command_delivers_its_invitations_at_once_in_embedded_mode(app, runner):
    app.config["OUTBOX_INLINE"] = True  # as on `make run`: mail is printed to the console
    runner.invoke(args=["lms", "import-staff", "--invite", str(SAMPLE_PATH)])
    db.session.rollback()
    statuses = db.session.scalars(select(OutboxMessage.status)).all()
    assert len(statuses) == 17 and set(statuses) == {outbox.SENT}


# --- a changed login email -----------------------------------------------------------------

HEADER = SAMPLE.decode("utf-8-sig").splitlines()[0]


def staff_file(email: str) -> bytes:
    return f"{HEADER}\r\n20001,Tom,Hughes,{email},Analyst,Data,Corporate,\r\n".encode()


def test_an_upload_changing_a_login_email_tells_the_old_address_and_audits_it(
    client, as_admin, smtp
):
    upload(client, staff_file("tom@example.nhs.uk"))

    page = upload(client, staff_file("thomas.hughes@example.nhs.uk")).get_data(as_text=True)

    assert summary(page)["Told of a new login email (at the old address)"] == "1"
    assert outbox.deliver_due() == 1
    [message] = smtp
    assert message["To"] == "tom@example.nhs.uk"
    assert message["Subject"] == "Your login email for Learning and CPD has changed"
    body = message.get_body(("plain",)).get_content()
    assert "has changed to thomas.hughes@example.nhs.uk" in body
    assert "contact the Portfolio Management Office" in body
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.updated"))
    assert (event.actor_id, event.before, event.after) == (
        as_admin.id,
        {"email": "tom@example.nhs.uk"},
        {"email": "thomas.hughes@example.nhs.uk"},
    )


def test_an_upload_changing_no_email_tells_nobody(client, as_admin):
    upload(client, staff_file("tom@example.nhs.uk"))
    page = upload(client, staff_file("TOM@example.nhs.uk")).get_data(as_text=True)
    assert "Told of a new login email (at the old address)" not in summary(page)
    assert recipients() == []


def test_the_command_tells_an_old_address_at_once_in_embedded_mode(app, runner, tmp_path, smtp):
    app.config["OUTBOX_INLINE"] = True
    path = tmp_path / "staff.csv"
    path.write_bytes(staff_file("tom@example.nhs.uk"))
    runner.invoke(args=["lms", "import-staff", str(path)])
    path.write_bytes(staff_file("thomas.hughes@example.nhs.uk"))

    result = runner.invoke(args=["lms", "import-staff", str(path)])

    assert "Told of a new login email (at the old address): 1" in result.output
    assert [message["To"] for message in smtp] == ["tom@example.nhs.uk"]
