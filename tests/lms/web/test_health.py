"""Health probes: lms/health.py."""

from __future__ import annotations


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
    assert counter.count == 1


def test_readyz_reports_an_unreachable_database(make_app, tmp_path):
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing/folder/lms.db")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_data(as_text=True) == "database unavailable"
