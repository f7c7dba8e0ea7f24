"""Development mail is readable in the server's console (lms/mailer.py LogTransport).

Runs the real server as `make run` starts it (gunicorn with gunicorn.run.conf.py, two
worker processes) with the environment `make run` gives it, and reads what that process
prints: pytest's log capture would hide a missing log handler.
"""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from flask_migrate import upgrade

from lms.app import create_app
from lms.auth.models import User
from lms.core.extensions import db
from tests.helpers import free_port

pytestmark = pytest.mark.skipif(
    os.environ.get("LMS_TEST_DATABASE_URL", "sqlite").startswith("postgres"),
    reason="about the embedded default (SQLite); one run is enough",
)
PROJECT_ROOT = Path(__file__).resolve().parents[3]
DEADLINE = 60  # seconds; only reached when the output never comes
# What `make run` runs after migrating and seeding (the Makefile passes PORT).
SERVE = ["gunicorn", "--config", "gunicorn.run.conf.py"]


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


class Server:
    """The server of `make run` in a child process, its output read line by line on a
    thread."""

    def __init__(self, database_url: str):
        self.port = free_port()
        environment = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("LMS_", "MAIL_", "FLASK_"))
        }
        environment.update(
            FLASK_APP="lms.app",
            PORT=str(self.port),
            DATABASE_URL=database_url,
            SECRET_KEY="s" * 40,
            PYTHONUNBUFFERED="1",
        )
        gunicorn = Path(sys.executable).with_name(SERVE[0])  # the virtual environment's
        self.process = subprocess.Popen(  # noqa: S603 (our own command line)
            [str(gunicorn), *SERVE[1:]],
            cwd=PROJECT_ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        self.wait_for(rf"Listening at: http://127\.0\.0\.1:{self.port}\b")
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line)

    def wait_for(self, pattern: str) -> re.Match:
        """Reads the output until a line matches; fails with everything read so far."""
        while True:
            try:
                line = self.lines.get(timeout=DEADLINE)
            except queue.Empty:
                printed = "".join(self.output)
                pytest.fail(f"the server never printed {pattern!r}:\n{printed}")
            self.output.append(line)
            if found := re.search(pattern, line):
                return found

    def get(self, path: str) -> str:
        with self.opener.open(f"http://127.0.0.1:{self.port}{path}", timeout=DEADLINE) as reply:
            return reply.read().decode()

    def post(self, path: str, fields: dict) -> int:
        body = urllib.parse.urlencode(fields).encode()
        url = f"http://127.0.0.1:{self.port}{path}"
        with self.opener.open(url, data=body, timeout=DEADLINE) as reply:
            return reply.status

    def stop(self) -> int:
        self.process.terminate()
        return self.process.wait(timeout=DEADLINE)


def test_a_reset_link_mailed_on_the_embedded_default_is_printed_in_the_server_output(
    embedded_database,
):
    server = Server(embedded_database)
    try:
        page = server.get("/account/reset")
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        token = token or re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token, page[:2000]
        status = server.post(
            "/account/reset", {"csrf_token": token[1], "email": "zoe.ashworth@example.nhs.uk"}
        )
        assert status == 200
        server.wait_for(r"To: zoe\.ashworth@example\.nhs\.uk")
        server.wait_for(r"Subject: Reset your password")
        link = server.wait_for(rf"http://127\.0\.0\.1:{server.port}/account/reset/\S+")
        # The printed link is the real one: it opens the page for choosing a password.
        assert "Choose a new password" in server.get(link[0].split(str(server.port), 1)[1])
    finally:
        returncode = server.stop()
    assert returncode == 0  # SIGTERM stops gunicorn cleanly
