"""Scale-out: two app processes share the login throttle through Redis.

Starts two real servers as production runs them side by side (gunicorn, one worker each,
on their own ports) on the test run's database, with RATELIMIT_STORAGE_URI pointing at
one Redis and a key prefix of this test's own, and guesses at one account through both.
"""

from __future__ import annotations

import secrets

import pytest
import redis

from tests.helpers import PASSWORD
from tests.servers import Server

REDIS_DB = 15
WRONG = "wrong-password-here"


def log_in(server: Server, email: str, password: str) -> int:
    return server.submit("/login", {"email": email, "password": password})


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
    servers = [Server(settings | {"WEB_CONCURRENCY": "1"}) for _ in range(2)]
    try:
        for server in servers:
            server.wait_until_listening()
        # Ten failures, five through each process: the account-and-address limit is full.
        for number in range(10):
            assert log_in(servers[number % 2], learner.email, WRONG) == 401
        assert [log_in(server, learner.email, WRONG) for server in servers] == [429, 429]
        # The right password from this browser and address waits for the window too.
        assert log_in(servers[0], learner.email, PASSWORD) == 429
    finally:
        for server in servers:
            server.stop()
    store = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)
    assert store.keys(f"*{prefix}*")  # the counters really lived in Redis
