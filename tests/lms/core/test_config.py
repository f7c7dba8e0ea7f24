"""Settings from the environment: lms/core/config.py (the security settings are tested in
tests/lms/web/test_security.py)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from lms.core.config import ConfigError, from_environment, secret_key_from


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


# --- certificates ----------------------------------------------------------------------------


def _settings(tmp_path):
    return from_environment(tmp_path, {"SECRET_KEY": "k" * 32})


def test_certificate_settings_have_defaults(tmp_path):
    settings = _settings(tmp_path)
    assert settings["CERTIFICATE_PREFIX"] == "PMO"
    assert settings["CERTIFICATE_EXPIRY_NOTICE_DAYS"] == 60
    assert settings["CERTIFICATE_LOGO"] is None
    assert settings["BADGE_SIGNING_KEY_FILE"] is None
    assert settings["VERIFY_UPLOAD_MAX_BYTES"] == 2 * 1024 * 1024


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("LMS_CERTIFICATE_PREFIX", "pmo-x", "LMS_CERTIFICATE_PREFIX must be 1 to 12"),
        ("LMS_CERTIFICATE_PREFIX", "", "LMS_CERTIFICATE_PREFIX must be 1 to 12"),
        ("LMS_CERTIFICATE_LOGO", "/no/such/logo.png", "LMS_CERTIFICATE_LOGO names no file"),
        ("LMS_CERTIFICATE_EXPIRY_NOTICE_DAYS", "0", "must be 1 or more"),
    ],
)
def test_bad_certificate_settings_are_refused(monkeypatch, tmp_path, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message):
        _settings(tmp_path)


def test_a_logo_file_is_taken_whole(monkeypatch, tmp_path):
    logo = tmp_path / "logo.png"
    logo.write_bytes(b"\x89PNG\r\n\x1a\n")
    monkeypatch.setenv("LMS_CERTIFICATE_LOGO", str(logo))
    monkeypatch.setenv("LMS_CERTIFICATE_PREFIX", "UHX")
    settings = _settings(tmp_path)
    assert settings["CERTIFICATE_LOGO"] == str(logo.resolve())
    assert settings["CERTIFICATE_PREFIX"] == "UHX"
