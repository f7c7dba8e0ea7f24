"""Development mail is readable in the server's console (lms/mailer.py LogTransport).

Runs the real server as `make run` starts it (gunicorn with gunicorn.run.conf.py, two
worker processes) with the environment `make run` gives it, and reads what that process
prints: pytest's log capture would hide a missing log handler.
"""

from __future__ import annotations

import os

import pytest
from flask_migrate import upgrade

from lms.app import create_app
from lms.auth.models import User
from lms.core.extensions import db
from tests.servers import PROJECT_ROOT, SERVE, Server

pytestmark = pytest.mark.skipif(
    os.environ.get("LMS_TEST_DATABASE_URL", "sqlite").startswith("postgres"),
    reason="about the embedded default (SQLite); one run is enough",
)


@pytest.fixture
def embedded_database(tmp_path) -> str:
    """An SQLite file migrated and holding one person, as `make run` leaves it."""
    url = f"sqlite:///{tmp_path / 'lms.db'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "s" * 40})
    with app.app_context():
        upgrade()
        db.session.add(User(email="zoe.ashworth@example.nhs.uk", full_name="Zoë Ashworth"))
        db.session.commit()
        db.engine.dispose()
    return url


def test_make_run_serves_with_this_command():
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    recipe = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert f"$(BIN)/{' '.join(SERVE)}" in recipe


def test_a_reset_link_mailed_on_the_embedded_default_is_printed_in_the_server_output(
    embedded_database,
):
    server = Server(
        {"FLASK_APP": "lms.app", "DATABASE_URL": embedded_database, "SECRET_KEY": "s" * 40}
    )
    try:
        server.wait_until_listening()
        status = server.submit("/account/reset", {"email": "zoe.ashworth@example.nhs.uk"})
        assert status == 200
        server.wait_for(r"To: zoe\.ashworth@example\.nhs\.uk")
        server.wait_for(r"Subject: Reset your password")
        link = server.wait_for(rf"http://127\.0\.0\.1:{server.port}/account/reset/\S+")
        # The printed link is the real one: it opens the page for choosing a password.
        assert "Choose a new password" in server.get(link[0].split(str(server.port), 1)[1])
    finally:
        returncode = server.stop()
    assert returncode == 0  # SIGTERM stops gunicorn cleanly
