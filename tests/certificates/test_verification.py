"""Public verification and the tamper check: certificates/verification_views.py.

A verifier sees the certificate's standing and what it certifies, and nothing else:
each test below reads the whole page for what must not be there.
"""

from __future__ import annotations

import re
from datetime import timedelta
from io import BytesIO

import pytest
from sqlalchemy import func, select

from certificates import pdf_bytes, reissue, revoke
from certificates.models import RevocationReason
from lms.core.extensions import db
from lms.core.timezones import format_local
from lms.models import metadata
from tests.helpers import NOW, field_error, text_of


@pytest.fixture
def certificate(make_certificate, learner):
    return make_certificate(learner)


def _visible_text(response) -> str:
    """The page's main content as a person reads it: tags out, whitespace collapsed."""
    page = response.get_data(as_text=True)
    main = page[page.index("<main") : page.index("</main>")]
    return " ".join(re.sub(r"<[^>]+>", " ", main).split())


def _shows_nothing_private(response, certificate) -> None:
    page = response.get_data(as_text=True)
    learner = certificate.learner
    for private in (
        learner.email,
        certificate.cohort_code,
        *certificate.trainer_names,
        f"/certificates/{certificate.number}",  # the learner's own pages
        f"/teach/cohorts/{certificate.cohort_id}",
    ):
        assert private not in page, private
    # no internal ids in links or forms: the only numbers are dates, hours and the number
    for link in re.findall(r'(?:href|action)="([^"]+)"', page):
        assert not re.search(r"/\d+(?:/|$)", link), link


def test_a_valid_certificate_shows_exactly_what_it_certifies(client, certificate):
    response = client.get(f"/verify/{certificate.display_code}")
    assert response.status_code == 200
    text = _visible_text(response)
    assert "Valid certificate" in text
    for shown in (
        "Zoë Ashworth",
        "Occasional project managers",
        "7.5 hours",
        "APM (reference APM-CPD-0042)",
        certificate.issued_on.strftime("%-d %B %Y"),
        certificate.expires_on.strftime("%-d %B %Y"),
        certificate.number,
    ):
        assert shown in text, shown
    keys = re.findall(
        r'<dt class="nhsuk-summary-list__key">\s*([^<]+?)\s*</dt>', response.get_data(as_text=True)
    )
    assert keys == [
        "Issued to",
        "Course",
        "CPD",
        "Accreditation",
        "Issued",
        "Valid until",
        "Certificate number",
    ]
    _shows_nothing_private(response, certificate)


def test_the_code_is_read_however_it_is_typed(client, certificate):
    typed = certificate.verification_code.lower()
    assert client.get(f"/verify/{typed}").status_code == 200
    response = client.post("/verify", data={"code": f" {typed[:8]} {typed[8:]} "})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/verify/{certificate.display_code}")


def test_an_unknown_code_is_a_plain_404(client, certificate):
    unknown = "0" * 28
    response = client.get(f"/verify/{unknown}")
    assert response.status_code == 404
    assert "Certificate not found" in text_of(response)
    assert client.get("/verify/not-a-code").status_code == 404


def test_a_code_that_cannot_be_one_is_refused_beside_the_field(client):
    response = client.post("/verify", data={"code": "12345"})
    assert response.status_code == 422
    assert "28 letters and digits" in field_error(response.get_data(as_text=True), "code")
    response = client.post("/verify", data={"code": ""})
    assert field_error(response.get_data(as_text=True), "code") == (
        "Enter the verification code from the certificate"
    )


def test_an_expired_certificate_says_so(client, certificate):
    certificate.expires_on = NOW.date() - timedelta(days=1)
    db.session.commit()
    response = client.get(f"/verify/{certificate.display_code}")
    text = _visible_text(response)
    assert "This certificate has expired" in text
    assert "Valid certificate" not in text
    _shows_nothing_private(response, certificate)


def test_a_revoked_certificate_shows_the_date_and_reason_but_not_the_note(
    client, certificate, admin
):
    revoke(certificate, RevocationReason.MISCONDUCT, "Copied a colleague's PID", by=admin)
    db.session.commit()
    response = client.get(f"/verify/{certificate.display_code}")
    text = _visible_text(response)
    assert "This certificate has been revoked" in text
    assert "Reason: Misconduct" in text
    assert f"revoked on {format_local(certificate.revoked_at, '%-d %B %Y')}" in text
    assert "Copied" not in response.get_data(as_text=True)
    assert admin.email not in response.get_data(as_text=True)
    assert "badge.jwt" not in response.get_data(as_text=True)
    _shows_nothing_private(response, certificate)


def test_a_superseded_certificate_names_its_successor_by_number_only(client, certificate, admin):
    new = reissue(certificate, "Name changed", by=admin)
    db.session.commit()
    response = client.get(f"/verify/{certificate.display_code}")
    text = _visible_text(response)
    assert "This certificate has been replaced" in text
    assert new.number in text
    page = response.get_data(as_text=True)
    assert new.display_code not in page and new.verification_code not in page
    _shows_nothing_private(response, certificate)


# --- the tamper check --------------------------------------------------------------------------


def _rows() -> int:
    """Every row of every table: an upload must leave them as they were."""
    return sum(
        db.session.scalar(select(func.count()).select_from(table))
        for table in metadata.sorted_tables
    )


def _upload(client, url, content: bytes, name="certificate.pdf"):
    return client.post(
        url, data={"file": (BytesIO(content), name)}, content_type="multipart/form-data"
    )


def test_the_genuine_pdf_matches_and_one_changed_byte_does_not(client, certificate):
    genuine = pdf_bytes(certificate)
    rows = _rows()
    url = f"/verify/{certificate.display_code}"
    response = _upload(client, url, genuine)
    assert response.status_code == 200
    assert "exactly the certificate we issued" in _visible_text(response)

    edited = bytearray(genuine)
    edited[len(edited) // 2] ^= 0x01
    response = _upload(client, url, bytes(edited))
    assert "The file does not match" in _visible_text(response)
    assert _rows() == rows  # nothing uploaded is kept


def test_a_pdf_without_its_code_is_found_by_its_bytes(client, certificate):
    response = _upload(client, "/verify/file", pdf_bytes(certificate))
    assert response.status_code == 200
    assert certificate.number in _visible_text(response)
    response = _upload(client, "/verify/file", pdf_bytes(certificate) + b"\n")
    assert "This file is not a certificate we issued" in text_of(response)


def test_uploads_are_limited_to_2_mb_and_must_be_pdfs(client, certificate):
    url = f"/verify/{certificate.display_code}"
    response = _upload(client, url, b"%PDF-" + b"0" * (2 * 1024 * 1024))
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "file") == (
        "The file must be 2 MB or smaller"
    )
    response = _upload(client, url, b"%PDF-" + b"0" * (3 * 1024 * 1024))
    assert response.status_code == 413
    assert field_error(response.get_data(as_text=True), "file") == (
        "The file must be 2 MB or smaller"
    )
    assert certificate.number in _visible_text(response)  # still the certificate's page
    response = _upload(client, url, b"GIF89a not a pdf", name="picture.gif")
    assert field_error(response.get_data(as_text=True), "file") == (
        "The file is not a PDF. Choose the certificate's PDF file"
    )
    response = client.post(url, data={}, content_type="multipart/form-data")
    assert field_error(response.get_data(as_text=True), "file") == (
        "Choose the certificate's PDF file"
    )


def test_verification_is_rate_limited_per_address(client, app, certificate):
    app.config.update(VERIFY_LIMIT_PER_IP="3 per minute", VERIFY_UPLOAD_LIMIT_PER_IP="1 per minute")
    url = f"/verify/{certificate.display_code}"
    assert [client.get(url).status_code for _ in range(4)] == [200, 200, 200, 429]
    other = app.test_client()
    response = other.get(url, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert response.status_code == 200  # another address has its own allowance


def test_a_body_over_the_limit_is_refused_before_anything_reads_it(make_app, certificate):
    """With CSRF on, a body is read to find its token: 413, not 400, shows the size was
    checked first."""
    strict = make_app(WTF_CSRF_ENABLED=True).test_client()
    big = {"file": (BytesIO(b"%PDF-" + b"0" * (3 * 1024 * 1024)), "big.pdf")}
    assert strict.post("/verify/file", data=big).status_code == 413
    small = {"file": (BytesIO(b"%PDF-small"), "small.pdf")}
    assert strict.post("/verify/file", data=small).status_code == 400  # no CSRF token


def test_the_lookup_limit_is_shared_by_every_verification_address(client, app, certificate):
    app.config.update(VERIFY_LIMIT_PER_IP="2 per minute")
    code = certificate.display_code
    assert client.get(f"/verify/{code}").status_code == 200
    assert client.get(f"/verify/{code}/badge.jwt").status_code == 200
    assert client.get("/verify").status_code == 429
    assert client.get(f"/verify/{code}").status_code == 429


def test_uploads_have_a_tighter_limit(client, app, certificate):
    app.config.update(VERIFY_UPLOAD_LIMIT_PER_IP="2 per minute")
    url = f"/verify/{certificate.display_code}"
    statuses = [_upload(client, url, pdf_bytes(certificate)).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert client.get(url).status_code == 200  # looking is still allowed


def test_every_page_links_to_the_verification_page(client, as_learner):
    for path in ("/", "/login", "/verify"):
        page = client.get(path, follow_redirects=True).get_data(as_text=True)
        assert 'href="/verify"' in page and "Check a certificate" in page, path
