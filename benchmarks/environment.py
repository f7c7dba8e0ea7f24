"""The environment every process of a run gets: production settings, debug off, mail
kept on this machine, and the run's database."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path
from urllib.parse import urlsplit

from benchmarks import BenchError

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
PYTHON = sys.executable
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
# Inherited settings that would turn on Flask's debugger or reloader.
# One key for seeding and serving: seeded calendar feeds' addresses derive from it. The
# benchmark's databases are made-up data on this machine, never a trust's.
SECRET_KEY = "benchmarks-only-" + "k" * 32
DROPPED = ("FLASK_DEBUG", "FLASK_ENV", "FLASK_RUN_RELOAD", "FLASK_RUN_DEBUGGER")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def redis_url() -> str:
    """A shared rate-limit store, as production requires (only login and reset POSTs
    are limited, and a successful login is never counted)."""
    configured = os.environ.get("RATELIMIT_STORAGE_URI", "")
    return configured if configured.startswith("redis") else DEFAULT_REDIS


def app_environment(database_url: str, password: str) -> dict[str, str]:
    """LMS_ENV=production with everything it insists on. Mail: the SMTP transport (the
    only one production allows) pointed at a closed port on loopback, and the outbox is
    not drained in-process (no `flask lms worker` runs), so nothing leaves the machine."""
    env = {name: value for name, value in os.environ.items() if name not in DROPPED}
    env.update(
        FLASK_APP="lms.app",
        LMS_ENV="production",
        SECRET_KEY=SECRET_KEY,
        # Production's links and host check; requests come to 127.0.0.1 on some port.
        LMS_BASE_URL="https://127.0.0.1",
        LMS_TRUSTED_HOSTS="127.0.0.1,localhost",  # localhost: the in-process test client
        DATABASE_URL=database_url,
        RATELIMIT_STORAGE_URI=redis_url(),
        MAIL_TRANSPORT="smtp",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(free_port()),
        LMS_OUTBOX_INLINE="0",
        LMS_DEMO_PASSWORD=password,
        # The verification pages are limited per client address, and wrk's every request
        # comes from 127.0.0.1: a limit no run reaches, so it measures pages, not 429s.
        LMS_VERIFY_LIMIT_PER_IP="1000000 per minute",
    )
    return env


def seeding_environment(database_url: str, password: str) -> dict[str, str]:
    """For `flask db upgrade` and the seed commands: development settings (log mail), with
    a secret key given so nothing is written into instance/."""
    env = {name: value for name, value in os.environ.items() if name not in DROPPED}
    env.update(
        FLASK_APP="lms.app",
        LMS_ENV="development",
        SECRET_KEY=SECRET_KEY,
        DATABASE_URL=database_url,
        MAIL_TRANSPORT="log",
        LMS_OUTBOX_INLINE="0",
        LMS_DEMO_PASSWORD=password,
    )
    return env


def check_redis() -> None:
    url = urlsplit(redis_url())
    try:
        socket.create_connection((url.hostname, url.port or 6379), timeout=2).close()
    except OSError as error:
        raise BenchError(
            f"Redis is not answering at {url.netloc} (production's rate-limit store): start "
            "it with "
            'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save ""'
        ) from error
