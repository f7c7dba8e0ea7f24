"""The learner's CPD record pages: lms/cpd/views.py."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from sqlalchemy import select

from certificates import revoke
from certificates.models import RevocationReason
from lms.core.extensions import db
from lms.core.timezones import local_today
from lms.cpd.models import CpdCategory, CpdEntry, CpdEvidence, CpdProfile
from lms.cpd.years import year_of
from tests.helpers import count, events, field_error, sign_in, text_of

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _client_as(app, person):
    client = app.test_client()
    sign_in(client, person.get_id())
    return client


def _form(categories, **changes) -> dict:
    today = local_today()
    data = {
        "title": "Reading: The Project Workout",
        "category_id": str(categories["Reading"].id),
        "activity_on": today.isoformat(),
        "ended_on": "",
        "hours": "2.5",
        "provider": "Robert Buttrick",
        "learned": "How to set up stage gates.",
        "applied": "Our ward project now has two gates.",
    }
    data.update(changes)
    return data


def test_the_record_shows_this_years_total_against_the_target(client, login, learner, make_entry):
    today = local_today()
    make_entry(learner, today, hours="14", category="Conference", title="NHS Expo")
    make_entry(learner, year_of(today).before.first_day, hours="5", title="Last year's reading")
    login(learner)
    page = text_of(client.get("/cpd/"))
    assert "14 hours</strong> of your 35 hours target" in page
    assert 'value="40"' in page  # the progress bar
    assert "NHS Expo" in page
    assert "Last year's reading" not in page  # another year's entry
    assert year_of(today).before.label in page  # earlier years' totals
    assert "21 hours to go" in page


def test_the_record_filters_by_year_and_category(
    client, login, learner, make_entry, cpd_categories
):
    today = local_today()
    previous = year_of(today).before
    make_entry(learner, previous.last_day, hours="3", title="Old reading")
    make_entry(learner, today, hours="1", category="Mentoring", title="Mentoring now")
    make_entry(learner, today, hours="1", category="Reading", title="Reading now")
    login(learner)
    page = text_of(client.get(f"/cpd/?year={previous.starts}"))
    assert "Old reading" in page and "Reading now" not in page
    assert "3 hours</strong>" in page
    mentoring = cpd_categories["Mentoring"].id
    page = text_of(client.get(f"/cpd/?category={mentoring}"))
    assert "Mentoring now" in page and "Reading now" not in page
    # Nonsense in the address is ignored, never a 500.
    for query in ("year=abc", "year=1800", "year=99999", "category=x", "category=99999", "page=-4"):
        assert client.get(f"/cpd/?{query}").status_code == 200


def test_a_learner_adds_an_entry_with_evidence(client, login, learner, cpd_categories):
    login(learner)
    data = _form(cpd_categories, evidence=(io.BytesIO(PDF), "notes.pdf"))
    response = client.post("/cpd/entries/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    entry = db.session.scalar(select(CpdEntry))
    assert (entry.title, entry.hours, entry.learner_id) == (
        "Reading: The Project Workout",
        Decimal("2.5"),
        learner.id,
    )
    page = text_of(client.get(f"/cpd/entries/{entry.id}"))
    assert "How to set up stage gates." in page and "notes.pdf" in page
    download = client.get(f"/cpd/entries/{entry.id}/evidence")
    assert download.data == PDF
    assert "attachment" in download.headers["Content-Disposition"]
    assert [event.action for event in events("cpd_entry.added")] == ["cpd_entry.added"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "", "Enter a title for the activity"),
        ("category_id", "", "Choose a category from the list"),
        ("category_id", "99999", "Choose a category from the list"),
        ("activity_on", "", "Enter the date of the activity"),
        ("activity_on", "31/02/2026", "Enter the date of the activity as a real date"),
        ("activity_on", "2199-01-01", "must be today or in the past"),
        ("hours", "", "Enter the number of hours"),
        ("hours", "abc", "Enter the hours as a number"),
        ("hours", "0", "greater than 0"),
        ("hours", "25", "Enter 24 hours or fewer"),
        ("learned", "  ", "Enter what you learned"),
    ],
)
def test_each_bad_field_is_shown_beside_it_and_nothing_is_saved(
    client, login, learner, cpd_categories, field, value, message
):
    login(learner)
    response = client.post("/cpd/entries/new", data=_form(cpd_categories, **{field: value}))
    assert response.status_code == 422
    assert message in (field_error(text_of(response), field) or "")
    assert count(CpdEntry) == 0


def test_a_file_that_is_not_what_it_says_is_refused_beside_the_field(
    client, login, learner, cpd_categories
):
    login(learner)
    data = _form(cpd_categories, evidence=(io.BytesIO(b"MZ not a pdf"), "notes.pdf"))
    response = client.post("/cpd/entries/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "not a real PDF" in field_error(text_of(response), "evidence")
    assert count(CpdEntry) == 0


def test_a_learner_changes_and_deletes_their_entry(
    client, login, learner, make_entry, cpd_categories
):
    entry = make_entry(learner, local_today(), hours="1")
    login(learner)
    form = text_of(client.get(f"/cpd/entries/{entry.id}/edit"))
    assert 'value="1"' in form
    response = client.post(
        f"/cpd/entries/{entry.id}/edit", data=_form(cpd_categories, title="Changed", hours="3")
    )
    assert response.status_code == 302
    db.session.refresh(entry)
    assert (entry.title, entry.hours) == ("Changed", Decimal("3"))
    assert "Delete Changed?" in text_of(client.get(f"/cpd/entries/{entry.id}/delete"))
    assert client.post(f"/cpd/entries/{entry.id}/delete").status_code == 302
    assert count(CpdEntry) == 0


def test_a_certificates_entry_takes_only_a_reflection(
    client, login, learner, make_certificate, admin
):
    make_certificate(learner)
    entry = db.session.scalar(select(CpdEntry))
    login(learner)
    page = text_of(client.get(f"/cpd/entries/{entry.id}"))
    assert "From your certificate" in page and "cannot be changed here" in page
    assert client.get(f"/cpd/entries/{entry.id}/delete").status_code == 404
    response = client.post(
        f"/cpd/entries/{entry.id}/edit",
        data={
            "learned": "Risk logs",
            "applied": "Used on my project",
            "title": "Hacked",
            "hours": "99",
        },
    )
    assert response.status_code == 302
    db.session.refresh(entry)
    assert (entry.learned, entry.title, entry.hours) == (
        "Risk logs",
        "Occasional project managers",
        Decimal("7.50"),
    )
    revoke(entry.certificate, RevocationReason.ISSUED_IN_ERROR, "Wrong person", by=admin)
    db.session.commit()
    page = text_of(client.get(f"/cpd/?year={year_of(entry.activity_on).starts}"))
    assert "Certificate revoked: not counted" in page
    assert "0 hours</strong>" in page


def test_another_learner_cannot_read_change_delete_or_download_my_entries(
    client, login, learner, make_user, cpd_categories
):
    login(learner)
    data = _form(cpd_categories, evidence=(io.BytesIO(PDF), "private.pdf"))
    client.post("/cpd/entries/new", data=data, content_type="multipart/form-data")
    entry = db.session.scalar(select(CpdEntry))
    intruder = make_user(email="intruder@example.nhs.uk")
    client = _client_as(client.application, intruder)
    for url in ("", "/edit", "/delete", "/evidence"):
        assert client.get(f"/cpd/entries/{entry.id}{url}").status_code == 404
    assert (
        client.post(f"/cpd/entries/{entry.id}/edit", data=_form(cpd_categories)).status_code == 404
    )
    assert client.post(f"/cpd/entries/{entry.id}/delete").status_code == 404
    assert "private.pdf" not in text_of(client.get("/cpd/"))
    assert count(CpdEntry) == 1 and count(CpdEvidence) == 1


def test_the_learner_sets_their_own_target(client, login, learner, make_entry):
    make_entry(learner, local_today(), hours="10")
    login(learner)
    assert "35 hours" in text_of(client.get("/cpd/settings"))
    response = client.post("/cpd/settings", data={"target_hours": "20", "professional_body": "APM"})
    assert response.status_code == 302
    assert "10 hours</strong> of your 20 hours target" in text_of(client.get("/cpd/"))
    response = client.post("/cpd/settings", data={"target_hours": "lots"})
    assert response.status_code == 422
    assert "as a number of hours" in field_error(text_of(response), "target_hours")
    response = client.post("/cpd/settings", data={"target_hours": "0"})
    assert "from 0.25 to 1000" in field_error(text_of(response), "target_hours")
    response = client.post("/cpd/settings", data={"professional_body": "é" * 201})
    assert response.status_code == 422
    assert "200 characters or fewer" in field_error(text_of(response), "professional_body")
    assert db.session.get(CpdProfile, learner.id).target_hours == Decimal("20")


def test_admins_keep_the_categories(app, admin, learner, cpd_categories):
    client = _client_as(app, learner)
    assert client.get("/admin/cpd/categories").status_code == 403
    client = _client_as(app, admin)
    response = client.post("/admin/cpd/categories", data={"name": "Shadowing"})
    assert response.status_code == 302
    assert count(CpdCategory) == 8
    response = client.post("/admin/cpd/categories", data={"name": "reading"})
    assert "already a category" in field_error(text_of(response), "name")
    response = client.post("/admin/cpd/categories", data={"name": "Certified course"})
    assert "Choose another name" in field_error(text_of(response), "name")
    reading = cpd_categories["Reading"]
    client.post(f"/admin/cpd/categories/{reading.id}", data={"name": "Reading", "retired": "y"})
    db.session.refresh(reading)
    assert reading.retired
    client = _client_as(app, learner)
    assert "Reading</option>" not in text_of(client.get("/cpd/entries/new"))
    assert any(event.action == "cpd_category.changed" for event in events())


def test_the_header_links_to_the_record(client, login, learner):
    login(learner)
    assert 'href="/cpd/"' in text_of(client.get("/"))


def test_evidence_files_in_the_upload_folder_go_with_their_entry(
    client, login, learner, cpd_categories, tmp_path
):
    client.application.config["UPLOAD_FOLDER"] = str(tmp_path)
    login(learner)
    data = _form(cpd_categories, evidence=(io.BytesIO(PDF), "first.pdf"))
    client.post("/cpd/entries/new", data=data, content_type="multipart/form-data")
    entry = db.session.scalar(select(CpdEntry))
    [first] = list(tmp_path.iterdir())
    # A new file replaces the old, on disk too.
    data = _form(cpd_categories, evidence=(io.BytesIO(PDF + b" "), "second.pdf"))
    response = client.post(
        f"/cpd/entries/{entry.id}/edit", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 302
    [second] = list(tmp_path.iterdir())
    assert second != first
    assert client.get(f"/cpd/entries/{entry.id}/evidence").data == PDF + b" "
    # Deleting the entry deletes its file, as the page says.
    client.post(f"/cpd/entries/{entry.id}/delete")
    assert list(tmp_path.iterdir()) == []
    assert count(CpdEvidence) == 0
