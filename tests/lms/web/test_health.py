"""Health probes: lms/web/health.py."""

from __future__ import annotations

from lms.core import outbox
from lms.core.extensions import db


def test_healthz_answers_ok_without_touching_the_database(client, count_queries):
    with count_queries() as counter:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok"
    assert counter.count == 0


def test_readyz_checks_the_database(client, count_queries):
    with count_queries() as counter:
        response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok\nfailed mail: 0"
    assert counter.count == 1


def test_readyz_reports_an_unreachable_database(make_app, tmp_path):
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing/folder/lms.db")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_data(as_text=True) == "database unavailable"


def test_readyz_counts_failed_mail_and_stays_ready(client, app):
    for status in ("failed", "failed", "sent", "pending"):
        message = outbox.queue("zoe.ashworth@example.nhs.uk", "Your place", "Hello")
        message.status = status
    db.session.commit()
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok\nfailed mail: 2"
