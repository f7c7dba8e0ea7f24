"""A learner's certificates, one certificate's page and PDF, revoking and re-issuing, and a
cohort's certificates as a ZIP: certificates/views.py."""

from __future__ import annotations

import io
import zipfile

import pypdf
import pytest

from certificates import pdf_bytes, reissue, revoke
from certificates.bulk import file_name
from certificates.models import Certificate, CertificateStatus, RevocationReason
from lms.auth.models import Role
from lms.core.extensions import db
from tests.helpers import events, field_error, text_of


@pytest.fixture
def certificate(make_certificate, learner):
    return make_certificate(learner)


def test_my_certificates_lists_mine_only_with_their_status(
    client, login, learner, make_certificate, make_user, admin
):
    mine = make_certificate(learner)
    theirs = make_certificate(make_user(full_name="Someone Else"))
    login(learner)
    page = text_of(client.get("/certificates/"))
    assert mine.number in page
    assert "Occasional project managers" in page
    assert "Valid" in page
    assert "Someone Else" not in page
    assert theirs.number not in page


def test_a_learner_without_certificates_is_told_how_to_get_one(client, as_learner):
    page = text_of(client.get("/certificates/"))
    assert "You have no certificates yet" in page


def test_the_learner_downloads_the_bytes_issued(client, login, learner, certificate):
    login(learner)
    response = client.get(f"/certificates/{certificate.number}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data == pdf_bytes(certificate)
    assert "attachment" in response.headers["Content-Disposition"]
    assert "no-store" in response.headers["Cache-Control"]


@pytest.mark.parametrize("who", ["admin", "trainer"])
def test_admins_and_the_cohorts_trainers_download_it_too(
    client, login, certificate, admin, trainer, who
):
    login({"admin": admin, "trainer": trainer}[who])
    assert client.get(f"/certificates/{certificate.number}.pdf").status_code == 200
    assert client.get(f"/certificates/{certificate.number}").status_code == 200


def test_nobody_else_can_download_or_see_it(client, login, certificate, make_user, make_cohort):
    other_trainer = make_user(roles=[Role.TRAINER])
    make_cohort(certificate.course, trainers=[other_trainer])
    for outsider in (make_user(), other_trainer):
        login(outsider)
        for path in (
            f"/certificates/{certificate.number}.pdf",
            f"/certificates/{certificate.number}",
        ):
            assert client.get(path).status_code == 404, (outsider, path)
    anonymous = client.application.test_client()
    response = anonymous.get(f"/certificates/{certificate.number}.pdf")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_unknown_number_is_404(client, as_admin):
    assert client.get("/certificates/PMO-2026-99999.pdf").status_code == 404
    assert client.get("/certificates/PMO-2026-99999").status_code == 404


def test_the_certificate_page_offers_the_verification_link(client, login, learner, certificate):
    login(learner)
    page = client.get(f"/certificates/{certificate.number}").get_data(as_text=True)
    assert f"/verify/{certificate.display_code}" in page
    assert "Copy the link" in page
    assert "Revoke the certificate" not in page  # for admins only


def test_an_admin_revokes_from_the_page(client, as_admin, certificate):
    page = text_of(client.get(f"/certificates/{certificate.number}"))
    assert "Revoke the certificate" in page and "Re-issue the certificate" in page
    response = client.post(
        f"/certificates/{certificate.number}/revoke",
        data={"revoke-reason": "misconduct", "revoke-note": "Plagiarised the assignment"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Certificate, certificate.id).status == CertificateStatus.REVOKED
    assert len(events("certificate.revoked")) == 1


def test_revoking_without_a_note_or_reason_says_what_is_missing(client, as_admin, certificate):
    response = client.post(f"/certificates/{certificate.number}/revoke", data={"revoke-note": ""})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_error(page, "revoke-note") == "Enter a note saying why the certificate is revoked"
    assert field_error(page, "revoke-reason") == "Choose why the certificate is being revoked"
    assert page.count('id="revoke-note"') == 1 and page.count('id="reissue-note"') == 1
    db.session.expire_all()
    assert db.session.get(Certificate, certificate.id).status == CertificateStatus.VALID
    assert events("certificate.revoked") == []


def test_an_admin_reissues_from_the_page(client, as_admin, certificate):
    response = client.post(
        f"/certificates/{certificate.number}/reissue", data={"reissue-note": "Name changed"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    old = db.session.get(Certificate, certificate.id)
    assert old.status == CertificateStatus.SUPERSEDED
    assert response.headers["Location"].endswith(f"/certificates/{old.superseded_by.number}")


def test_only_admins_revoke_or_reissue(client, login, learner, trainer, certificate):
    for person in (learner, trainer):
        login(person)
        for action in ("revoke", "reissue"):
            response = client.post(
                f"/certificates/{certificate.number}/{action}",
                data={"revoke-reason": "other", "revoke-note": "x", "reissue-note": "x"},
            )
            assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Certificate, certificate.id).status == CertificateStatus.VALID


# --- a cohort's certificates -----------------------------------------------------------------


def test_the_cohort_zip_holds_one_valid_pdf_per_learner(
    client, login, trainer, make_certificate, make_user, make_completed, certified_course
):
    names = ["Zoë Łukasz-O'Néill", "Siân Ffion ap Gwyn", "Antonín Dvořák"]
    first = make_certificate(make_user(full_name=names[0]))
    cohort = first.cohort
    for number in range(1, 100):
        name = names[number % 3] if number < 3 else f"Learner {number:03d}"
        make_certificate(make_user(full_name=name), cohort=cohort)
    login(trainer)
    response = client.get(f"/teach/cohorts/{cohort.id}/certificates.zip")
    assert response.status_code == 200
    assert response.is_streamed
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert archive.testzip() is None
    members = archive.namelist()
    assert len(members) == len(set(members)) == 100
    for member in members:
        assert "/" not in member and "\\" not in member and ".." not in member
        pypdf.PdfReader(io.BytesIO(archive.read(member)))  # each opens as a PDF
    assert any(member.endswith("-Zoe-Lukasz-ONeill.pdf") for member in members)


def test_the_cohort_zip_leaves_out_revoked_and_superseded_certificates(
    client, login, trainer, make_certificate, make_user, admin
):
    kept = make_certificate(make_user(full_name="Kept Valid"))
    revoked = make_certificate(make_user(full_name="Was Revoked"), cohort=kept.cohort)
    replaced = make_certificate(make_user(full_name="Was Replaced"), cohort=kept.cohort)
    revoke(revoked, RevocationReason.MISCONDUCT, "Copied", by=admin)
    new = reissue(replaced, "Name changed", by=admin)
    db.session.commit()
    login(trainer)
    response = client.get(f"/teach/cohorts/{kept.cohort_id}/certificates.zip")
    names = zipfile.ZipFile(io.BytesIO(response.data)).namelist()
    assert sorted(names) == sorted(
        [f"{kept.number}-Kept-Valid.pdf", f"{new.number}-Was-Replaced.pdf"]
    )


def test_the_cohort_list_and_zip_are_for_its_trainers_and_admins(
    client, login, certificate, make_user
):
    login(make_user(roles=[Role.TRAINER]))
    for path in ("certificates", "certificates.zip"):
        assert client.get(f"/teach/cohorts/{certificate.cohort_id}/{path}").status_code == 404


def test_the_cohort_list_shows_each_certificate(client, login, trainer, certificate):
    login(trainer)
    page = text_of(client.get(f"/teach/cohorts/{certificate.cohort_id}/certificates"))
    assert certificate.number in page and "Zoë Ashworth" in page


def test_zip_file_names_are_safe():
    assert file_name("PMO-2026-00001", "../../etc/passwd") == "PMO-2026-00001-etc-passwd.pdf"
    assert file_name("PMO-2026-00001", "Zoë Łukasz-O'Néill") == (
        "PMO-2026-00001-Zoe-Lukasz-ONeill.pdf"
    )
    assert file_name("PMO-2026-00001", "李小龍") == "PMO-2026-00001-learner.pdf"


def test_superseded_certificates_stay_listed_with_their_successor(
    client, login, learner, certificate, admin
):
    new = reissue(certificate, "Name changed", by=admin)
    db.session.commit()
    login(learner)
    page = text_of(client.get("/certificates/"))
    assert "Superseded" in page and "Replaced by" in page and new.number in page
