"""The app served as `make run` and production serve it: gunicorn in a child process.

For the few tests that need real processes (what the server prints, limits shared by
two processes); everything else uses Flask's test client.
"""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from tests.helpers import free_port

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEADLINE = 60  # seconds; only reached when a server never starts or answers
# What `make run` runs after migrating and seeding (the Makefile passes PORT).
SERVE = ["gunicorn", "--config", "gunicorn.run.conf.py"]


class Server:
    """`gunicorn --config gunicorn.run.conf.py` on a free port, with `settings` over an
    environment cleared of ours; its output is read line by line on a thread, and it has
    a cookie jar of its own (one browser per server)."""

    def __init__(self, settings: dict[str, str]):
        self.port = free_port()
        environment = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("LMS_", "MAIL_", "FLASK_", "RATELIMIT_"))
        }
        environment.update({"PYTHONUNBUFFERED": "1", **settings, "PORT": str(self.port)})
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
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line)

    def wait_until_listening(self) -> None:
        self.wait_for(rf"Listening at: http://127\.0\.0\.1:{self.port}\b")

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

    def submit(self, path: str, fields: dict[str, str]) -> int:
        """Loads the form at `path` (for its CSRF token), posts `fields`; the status."""
        page = self.get(path)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        token = token or re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token, page[:2000]
        body = urllib.parse.urlencode({"csrf_token": token[1], **fields}).encode()
        url = f"http://127.0.0.1:{self.port}{path}"
        try:
            with self.opener.open(url, data=body, timeout=DEADLINE) as reply:
                return reply.status
        except urllib.error.HTTPError as error:
            return error.code

    def stop(self) -> int:
        self.process.terminate()
        return self.process.wait(timeout=DEADLINE)
