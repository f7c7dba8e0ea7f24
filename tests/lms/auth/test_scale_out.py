"""Scale-out: two app processes share the login throttle through Redis.

Starts two real servers as production runs them side by side (gunicorn, one worker each,
on their own ports) on the test run's database, with RATELIMIT_STORAGE_URI pointing at
one Redis and a key prefix of this test's own, and guesses at one account through both.
"""

from __future__ import annotations

import os
import queue
import re
import secrets
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
import redis

from tests.helpers import PASSWORD, free_port

PROJECT_ROOT = Path(__file__).resolve().parents[3]
DEADLINE = 60  # seconds; only reached when a server never starts or answers
REDIS_DB = 15
WRONG = "wrong-password-here"


class AppProcess:
    """`gunicorn --config gunicorn.run.conf.py` with one worker, its output read on a
    thread, and a cookie jar of its own (one browser per server)."""

    def __init__(self, settings: dict[str, str]):
        self.port = free_port()
        environment = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("LMS_", "MAIL_", "FLASK_", "RATELIMIT_"))
        }
        environment.update(settings, PORT=str(self.port), WEB_CONCURRENCY="1")
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.process = subprocess.Popen(  # noqa: S603 (our own command line)
            [str(gunicorn), "--config", "gunicorn.run.conf.py"],
            cwd=PROJECT_ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line)

    def wait_until_listening(self) -> None:
        pattern = rf"Listening at: http://127\.0\.0\.1:{self.port}\b"
        while True:
            try:
                line = self.lines.get(timeout=DEADLINE)
            except queue.Empty:
                pytest.fail("the server never started:\n" + "".join(self.output))
            self.output.append(line)
            if re.search(pattern, line):
                return

    def log_in(self, email: str, password: str) -> int:
        """Loads the login page (for its CSRF token), then logs in; returns the status."""
        url = f"http://127.0.0.1:{self.port}/login"
        with self.opener.open(url, timeout=DEADLINE) as reply:
            page = reply.read().decode()
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        assert token, page[:2000]
        fields = {"csrf_token": token[1], "email": email, "password": password}
        try:
            with self.opener.open(url, urllib.parse.urlencode(fields).encode(), DEADLINE) as reply:
                return reply.status
        except urllib.error.HTTPError as error:
            return error.code

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=DEADLINE)


@pytest.fixture
def prefix():
    """A key prefix of this test's own; its keys are deleted afterwards."""
    prefix = f"lms-scale-test-{secrets.token_hex(4)}"
    yield prefix
    store = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)
    keys = store.keys(f"*{prefix}*")
    if keys:
        store.delete(*keys)


def test_the_login_limit_holds_across_two_app_processes(database_url, learner, prefix):
    settings = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "s" * 40,
        "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:6379/{REDIS_DB}",
        "LMS_RATELIMIT_KEY_PREFIX": prefix,
        "LMS_OUTBOX_INLINE": "0",  # the warning mail waits in the outbox; no worker here
        "PYTHONUNBUFFERED": "1",
    }
    servers = [AppProcess(settings), AppProcess(settings)]
    try:
        for server in servers:
            server.wait_until_listening()
        # Ten failures, five through each process: the account-and-address limit is full.
        for number in range(10):
            assert servers[number % 2].log_in(learner.email, WRONG) == 401
        assert [server.log_in(learner.email, WRONG) for server in servers] == [429, 429]
        # The right password from this browser and address waits for the window too.
        assert servers[0].log_in(learner.email, PASSWORD) == 429
    finally:
        for server in servers:
            server.stop()
    store = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)
    assert store.keys(f"*{prefix}*")  # the counters really lived in Redis
