"""The PMO's list of every certificate: certificates/admin_views.py and search.py."""

from __future__ import annotations

from datetime import timedelta

from certificates import reissue, revoke
from certificates.models import RevocationReason
from lms.core.extensions import db
from tests.helpers import NOW, field_error, log_in, text_of


def test_an_admin_finds_certificates_by_name_number_or_code(
    client, as_admin, make_certificate, make_user
):
    zoe = make_certificate(make_user(full_name="Zoë Łukasz-O'Néill"))
    sian = make_certificate(make_user(full_name="Siân Ffion ap Gwyn"))
    everyone = text_of(client.get("/admin/certificates/"))
    assert zoe.number in everyone and sian.number in everyone

    for query in ("Łukasz", "ZOË", zoe.number.lower(), zoe.display_code.lower()):
        page = text_of(client.get("/admin/certificates/", query_string={"q": query}))
        assert zoe.number in page and sian.number not in page, query
    page = text_of(client.get("/admin/certificates/", query_string={"q": "nobody%"}))
    assert "No certificates match" in page


def test_the_list_filters_by_how_certificates_stand(
    client, as_admin, admin, make_certificate, make_user
):
    current = make_certificate(make_user())
    expired = make_certificate(make_user())
    expired.expires_on = NOW.date() - timedelta(days=1)
    revoked = make_certificate(make_user())
    revoke(revoked, RevocationReason.ISSUED_IN_ERROR, "Wrong person", by=admin)
    replaced = make_certificate(make_user())
    successor = reissue(replaced, "Name changed", by=admin)
    db.session.commit()

    def shown(status: str) -> set[str]:
        page = text_of(client.get("/admin/certificates/", query_string={"shown": status}))
        every = (current, expired, revoked, replaced, successor)
        return {c.number for c in every if c.number in page}

    assert shown("current") == {current.number, successor.number}
    assert shown("expired") == {expired.number}
    assert shown("revoked") == {revoked.number}
    assert shown("superseded") == {replaced.number}


def test_a_bad_filter_is_said_and_ignored(client, as_admin, make_certificate):
    certificate = make_certificate()
    response = client.get("/admin/certificates/", query_string={"shown": "lost", "q": "x\ny"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert field_error(page, "shown") == "Choose a status from the list"
    assert field_error(page, "q")
    assert certificate.number in page


def test_only_admins_see_the_list(client, as_learner):
    assert client.get("/admin/certificates/").status_code == 403


def test_an_admin_reaches_the_list_from_their_certificates(client, as_admin, app, learner):
    assert "/admin/certificates/" in client.get("/certificates/").get_data(as_text=True)
    theirs = app.test_client()
    log_in(theirs, learner.email)
    assert "/admin/certificates/" not in theirs.get("/certificates/").get_data(as_text=True)
