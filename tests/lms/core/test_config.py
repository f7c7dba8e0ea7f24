"""Settings from the environment: lms/core/config.py (the security settings are tested in
tests/lms/web/test_security.py)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from lms.core.config import secret_key_from


def test_processes_starting_together_on_a_fresh_folder_share_one_secret_key(tmp_path):
    """gunicorn's workers on `make run` create the app at the same moment."""
    instance = tmp_path / "instance"
    start = threading.Barrier(8)

    def read_key(_):
        start.wait()
        return secret_key_from(instance)

    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(read_key, range(8)))
    assert len(keys) == 1 and len(keys.pop()) >= 32  # never a half-written, empty key
    assert [path.name for path in instance.iterdir()] == ["secret_key"]  # no drafts left
    assert (instance / "secret_key").stat().st_mode & 0o077 == 0
