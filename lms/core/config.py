"""Settings from environment variables, with embedded defaults for the one-command demo.

Every setting is documented in the README's configuration table.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import tempfile
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_INSTANCE = PROJECT_ROOT / "instance"
NHS_FONT_HOST = "https://assets.nhs.uk"  # where the NHS.UK stylesheet's fonts live


class ConfigError(RuntimeError):
    """The configuration cannot run safely."""


def _json_dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def secret_key_from(instance_path: Path) -> str:
    """Reads the secret key kept in the instance folder, creating it once when absent.

    Several processes may start at once on a fresh folder (gunicorn's workers on
    `make run`): the key is written whole to a private file first and then linked into
    place, which fails if another process got there first, so every process ends up with
    the same key and none ever reads a half-written one.
    """
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    fd, draft = tempfile.mkstemp(dir=instance_path, prefix=".secret_key-")  # mode 0600
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
        os.link(draft, path)
    except FileExistsError:
        pass  # another process made it first: its key is the one
    finally:
        os.unlink(draft)
    return path.read_text().strip()


def _database_url(instance_path: Path) -> str:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance_path / 'lms.db'}"
    # Heroku-style URLs name the old driver; psycopg 3 is the one we ship.
    if url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def _font_host() -> str:
    font_host = os.environ.get("LMS_NHS_FONT_HOST", NHS_FONT_HOST).strip().rstrip("/")
    if font_host and not re.fullmatch(r"https://[A-Za-z0-9.-]+(:[0-9]+)?", font_host):
        raise ConfigError("LMS_NHS_FONT_HOST must be an https:// origin, or empty for none")
    return font_host


def _base_url(production: bool) -> str:
    """Where every absolute link points (mail, calendar feeds, the check-in QR code)."""
    base_url = os.environ.get("LMS_BASE_URL", "").strip().rstrip("/")
    if production and not base_url:
        raise ConfigError(
            "LMS_BASE_URL must be set in production (e.g. https://lms.example.nhs.uk)"
        )
    base_url = base_url or "http://127.0.0.1:5000"
    pattern = r"(https?)://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\])(:[0-9]+)?(/[A-Za-z0-9._~/-]*)?"
    match = re.fullmatch(pattern, base_url)
    if not match:
        raise ConfigError(
            "LMS_BASE_URL must be an http(s) address such as https://lms.example.nhs.uk"
        )
    if production and match[1] != "https":
        raise ConfigError("LMS_BASE_URL must be an https:// address in production")
    return base_url


def _allowed_hosts(base_url: str, production: bool) -> list[str]:
    """The host names requests may be addressed to; others get 400 Bad Request."""
    configured = os.environ.get("LMS_TRUSTED_HOSTS")
    if configured is not None:
        return [host.strip() for host in configured.split(",") if host.strip()]
    host = base_url.partition("://")[2].partition("/")[0]
    host = host.rpartition(":")[0] if re.search(r":[0-9]+$", host) else host
    if production:
        return [host.strip("[]")]
    # On a developer's machine the same server answers to each loopback name.
    return list(dict.fromkeys([host.strip("[]"), "127.0.0.1", "localhost", "::1"]))


def _people_settings() -> dict:
    """Who people are told to contact about their account (named in mail to them)."""
    return {
        # How to reach the team that runs the service, e.g. "pmo@trust.nhs.uk"; empty
        # names the organisation only.
        "SUPPORT_CONTACT": os.environ.get("LMS_SUPPORT_CONTACT", "").strip() or None,
    }


def _attendance_settings() -> dict:
    """Self check-in codes and the end-of-session rules."""
    return {
        "CHECK_IN_ROTATION_SECONDS": _env_int("LMS_CHECK_IN_ROTATION_SECONDS", 30),
        "CHECK_IN_OPENS_MINUTES_BEFORE": _env_int("LMS_CHECK_IN_OPENS_MINUTES_BEFORE", 15),
        "CHECK_IN_CLOSES_MINUTES_AFTER": _env_int("LMS_CHECK_IN_CLOSES_MINUTES_AFTER", 30),
        "CHECK_IN_LATE_AFTER_MINUTES": _env_int("LMS_CHECK_IN_LATE_AFTER_MINUTES", 10),
        "CHECK_IN_LIMIT_PER_USER": os.environ.get("LMS_CHECK_IN_LIMIT_PER_USER", "10 per minute"),
        "AUTO_ABSENT_AFTER_HOURS": _env_int("LMS_AUTO_ABSENT_AFTER_HOURS", 24),
    }


def _upload_settings() -> dict:
    """Files sent with assignment submissions (courses/assessments/uploads.py)."""
    upload_max = _env_int("LMS_UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
    if upload_max < 1:
        raise ConfigError("LMS_UPLOAD_MAX_BYTES must be 1 or more")
    folder = os.environ.get("LMS_UPLOAD_FOLDER", "").strip() or None
    if folder is not None:
        folder = str(Path(folder).expanduser().resolve())
        code = [PROJECT_ROOT / package for package in ("lms", "courses", "certificates")]
        if any(Path(folder).is_relative_to(package) for package in code):
            # Anything under the packages may be served as a static file one day.
            raise ConfigError(
                "LMS_UPLOAD_FOLDER must be outside the application's code and static files"
            )
    resubmit_days = _env_int("LMS_ASSIGNMENT_RESUBMIT_DAYS", 14)
    if resubmit_days < 1:
        raise ConfigError("LMS_ASSIGNMENT_RESUBMIT_DAYS must be 1 or more")
    return {
        # None: files are kept in the database; a folder: each file is written there
        # under a random name (never the name it was sent with).
        "UPLOAD_FOLDER": folder,
        "UPLOAD_MAX_BYTES": upload_max,
        # A request body may carry the largest file and the rest of its form.
        "MAX_CONTENT_LENGTH": _env_int("LMS_MAX_CONTENT_LENGTH", upload_max + 1024 * 1024),
        # How long a referred learner has to resubmit, to the end of that UK day.
        "ASSIGNMENT_RESUBMIT_DAYS": resubmit_days,
    }


def _throttle_settings() -> dict:
    """Throttles on password guessing (lms/auth/throttle.py), and the proxies in front."""
    proxy_count = _env_int("LMS_PROXY_COUNT", 0)
    if proxy_count < 0:
        raise ConfigError("LMS_PROXY_COUNT must be 0 or more")
    env = os.environ.get
    return {
        # How many proxies in front of the app set X-Forwarded-For and -Proto (0: none,
        # and the headers are ignored). Hosts never come from X-Forwarded-Host.
        "PROXY_COUNT": proxy_count,
        # Keeps this service's counters apart in a Redis shared with others.
        "RATELIMIT_KEY_PREFIX": env("LMS_RATELIMIT_KEY_PREFIX", ""),
        "LOGIN_LIMIT_PER_ACCOUNT_AND_IP": env(
            "LMS_LOGIN_LIMIT_PER_ACCOUNT_AND_IP", "10 per 15 minutes"
        ),
        "LOGIN_LIMIT_PER_IP": env("LMS_LOGIN_LIMIT_PER_IP", "50 per 15 minutes"),
        "LOGIN_LIMIT_PER_ACCOUNT": env("LMS_LOGIN_LIMIT_PER_ACCOUNT", "100 per day"),
        "LOGIN_LIMIT_PER_KNOWN_BROWSER": env(
            "LMS_LOGIN_LIMIT_PER_KNOWN_BROWSER", "10 per 15 minutes"
        ),
        "LOGIN_WARNING_AFTER": env("LMS_LOGIN_WARNING_AFTER", "10 per day"),
        "KNOWN_BROWSER_LIFETIME": timedelta(days=_env_int("LMS_KNOWN_BROWSER_DAYS", 180)),
        "RESET_LIMIT_PER_IP": env("LMS_RESET_LIMIT_PER_IP", "10 per hour"),
        "RESET_LIMIT_PER_ACCOUNT": env("LMS_RESET_LIMIT_PER_ACCOUNT", "3 per hour"),
        "PASSWORD_CHECK_LIMIT": env("LMS_PASSWORD_CHECK_LIMIT", "5 per 15 minutes"),
    }


def _certificate_settings() -> dict:
    """What certificates print and how they are numbered (certificates/)."""
    env = os.environ.get
    prefix = env("LMS_CERTIFICATE_PREFIX", "PMO").strip()
    if not re.fullmatch(r"[A-Z0-9]{1,12}", prefix):
        raise ConfigError("LMS_CERTIFICATE_PREFIX must be 1 to 12 capital letters or digits")
    logo = env("LMS_CERTIFICATE_LOGO", "").strip() or None
    if logo is not None and not Path(logo).expanduser().is_file():
        raise ConfigError(f"LMS_CERTIFICATE_LOGO names no file: {logo}")
    notice_days = _env_int("LMS_CERTIFICATE_EXPIRY_NOTICE_DAYS", 60)
    if notice_days < 1:
        raise ConfigError("LMS_CERTIFICATE_EXPIRY_NOTICE_DAYS must be 1 or more")
    return {
        # Certificate numbers read <prefix>-<year>-<serial>, e.g. PMO-2026-00042.
        "CERTIFICATE_PREFIX": prefix,
        "CERTIFICATE_SIGNATORY_NAME": env("LMS_CERTIFICATE_SIGNATORY_NAME", "Head of the PMO"),
        "CERTIFICATE_SIGNATORY_TITLE": env(
            "LMS_CERTIFICATE_SIGNATORY_TITLE", "Portfolio Management Office"
        ),
        # A PNG or JPEG printed in the top corner of every certificate issued from now on.
        "CERTIFICATE_LOGO": str(Path(logo).expanduser().resolve()) if logo else None,
        # Holders are told this many days before a certificate expires, and their list
        # shows it as expiring soon from then.
        "CERTIFICATE_EXPIRY_NOTICE_DAYS": notice_days,
        # The Ed25519 key (PEM, PKCS #8) that signs Open Badges credentials. Unset: one is
        # made once in the instance folder. Hosts serving one service must share one key.
        "BADGE_SIGNING_KEY_FILE": env("LMS_BADGE_SIGNING_KEY_FILE", "").strip() or None,
        # The public verification pages, per client address.
        "VERIFY_LIMIT_PER_IP": env("LMS_VERIFY_LIMIT_PER_IP", "60 per minute"),
        "VERIFY_UPLOAD_LIMIT_PER_IP": env("LMS_VERIFY_UPLOAD_LIMIT_PER_IP", "10 per minute"),
        "VERIFY_UPLOAD_MAX_BYTES": 2 * 1024 * 1024,
    }


def _cpd_settings() -> dict:
    """The CPD record's year and yearly target (lms/cpd/)."""
    env = os.environ.get
    start = env("LMS_CPD_YEAR_START", "04-01").strip()
    match = re.fullmatch(r"-{0,2}(\d{2})-(\d{2})", start)
    try:
        if match is None:
            raise ValueError(start)
        parsed = (int(match[1]), int(match[2]))
        date(2023, *parsed)  # a day of every year: not 29 February
    except ValueError:
        raise ConfigError("LMS_CPD_YEAR_START must be a month and day like 04-01") from None
    try:
        target = Decimal(env("LMS_CPD_TARGET_HOURS", "35").strip())
    except InvalidOperation:
        target = Decimal(-1)
    if not (target.is_finite() and Decimal("0.25") <= target <= 1000):
        raise ConfigError("LMS_CPD_TARGET_HOURS must be a number of hours from 0.25 to 1000")
    return {
        # The CPD year starts on this (month, day): 1 April, the NHS financial year.
        "CPD_YEAR_START": parsed,
        # Hours a year a learner aims for unless they set their own (APM asks for 35).
        "CPD_TARGET_HOURS": target,
        "CPD_PAGE_SIZE": 20,
        # Projects: the register's page, and the strategy's "up to 20 projects supported
        # by the PMO a year" (any accepted support active in the financial year).
        "PROJECTS_PAGE_SIZE": 25,
        "PROJECTS_SUPPORTED_TARGET": _env_int("LMS_PROJECTS_SUPPORTED_TARGET", 20),
        # The strategy's "120 staff trained a year": distinct learners with a completion
        # in the financial year (the KPI dashboard, lms/reports/).
        "PEOPLE_TRAINED_TARGET": _env_int("LMS_PEOPLE_TRAINED_TARGET", 120),
        # How long a report page's figures are kept before they are worked out again
        # (lms/reports/snapshots.py); 0 works them out on every request.
        "REPORTS_FRESH_SECONDS": _env_int("LMS_REPORTS_FRESH_SECONDS", 300),
    }


def _session_settings() -> dict:
    """How long a login lasts, however active (the idle timeout is set beside the cookie's)."""
    return {"SESSION_MAX_AGE": timedelta(hours=_env_int("LMS_SESSION_MAX_HOURS", 12))}


def _outbox_settings() -> dict:
    """Mail delivery: how long a message refused for the time being is retried."""
    give_up_hours = _env_int("LMS_OUTBOX_GIVE_UP_AFTER_HOURS", 48)
    if give_up_hours < 1:
        raise ConfigError("LMS_OUTBOX_GIVE_UP_AFTER_HOURS must be at least 1")
    return {
        # Temporary refusals (4xx, the server down) are retried with back-off until this
        # long after the first one; a permanent refusal (5xx) fails the message at once.
        "OUTBOX_GIVE_UP_AFTER": timedelta(hours=give_up_hours),
    }


def _retention_settings() -> dict:
    """How long personal data is kept (`flask lms tick` applies it: lms/retention.py)."""
    periods = {
        # Sent mail: long enough to answer "did I get the email?"; the body may hold a name.
        "RETENTION_SENT_MAIL_DAYS": ("LMS_RETENTION_SENT_MAIL_DAYS", 30),
        # Failed mail: long enough to notice, requeue and investigate a mail outage.
        "RETENTION_FAILED_MAIL_DAYS": ("LMS_RETENTION_FAILED_MAIL_DAYS", 90),
        # Used or expired password links, after their use or expiry (the latest
        # invitation of each person is kept: the people pages show it).
        "RETENTION_PASSWORD_TOKEN_DAYS": ("LMS_RETENTION_PASSWORD_TOKEN_DAYS", 30),
        # IP addresses, recorded on security events only, for investigating them.
        "RETENTION_AUDIT_IP_DAYS": ("LMS_RETENTION_AUDIT_IP_DAYS", 90),
        # Register notes, after their session ended: an appeal or the yearly CPD
        # accreditation review is over by then; the attendance mark itself is kept.
        "RETENTION_REGISTER_NOTE_DAYS": ("LMS_RETENTION_REGISTER_NOTE_DAYS", 365),
        # Where self check-ins came from (keyed digests of the device and address), after
        # the session ended: long enough to look into a relayed code, no longer.
        "RETENTION_CHECK_IN_SOURCE_DAYS": ("LMS_RETENTION_CHECK_IN_SOURCE_DAYS", 30),
        # Rows removed or blanked of each kind per tick (the outbox purge aside), so a
        # backlog never makes one tick long; the rest follow at the next ticks.
        "RETENTION_BATCH_SIZE": ("LMS_RETENTION_BATCH_SIZE", 5000),
    }
    settings = {key: _env_int(name, default) for key, (name, default) in periods.items()}
    for key, (name, _) in periods.items():
        least = 1 if key == "RETENTION_BATCH_SIZE" else 0
        if settings[key] < least:
            raise ConfigError(f"{name} must be a whole number, {least} or more")
    return settings


def from_environment(instance_path: Path, overrides: dict | None = None) -> dict:
    """The settings for this process: environment variables over embedded defaults.

    Settings named in `overrides` are not derived here (so tests that pass their own
    SECRET_KEY never write one into the instance folder).
    """
    overrides = overrides or {}
    environment = overrides.get("LMS_ENV") or os.environ.get("LMS_ENV", "development")
    production = environment.lower() == "production"
    database_url = _database_url(instance_path)
    secret_key = overrides.get("SECRET_KEY") or os.environ.get("SECRET_KEY")
    if production and (not secret_key or len(secret_key) < 32):
        raise ConfigError("SECRET_KEY must be set to at least 32 random characters in production")
    if not secret_key:
        secret_key = secret_key_from(instance_path)
    mail_transport = overrides.get("MAIL_TRANSPORT") or os.environ.get("MAIL_TRANSPORT", "log")
    rate_storage = overrides.get("RATELIMIT_STORAGE_URI") or os.environ.get(
        "RATELIMIT_STORAGE_URI", "memory://"
    )
    if production and mail_transport != "smtp":
        # The log transport would write password links into the logs.
        raise ConfigError("MAIL_TRANSPORT must be smtp in production")
    if production and rate_storage.startswith("memory"):
        # Each process would count login failures on its own.
        raise ConfigError("RATELIMIT_STORAGE_URI must name a shared store (Redis) in production")

    if production and _env_bool("FLASK_DEBUG", False):
        # The debugger runs any code typed into an error page.
        raise ConfigError("FLASK_DEBUG must be off in production")
    base_url = _base_url(production)
    idle_minutes = _env_int("LMS_IDLE_TIMEOUT_MINUTES", 8 * 60)
    return {
        "LMS_ENV": "production" if production else "development",
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": database_url,
        # JSON keeps non-ASCII text as written ("Zoë", not "Zo\u00eb"), so it is searchable.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "json_serializer": _json_dumps},
        "SERVICE_NAME": os.environ.get("LMS_SERVICE_NAME", "Learning and CPD"),
        "ORGANISATION_NAME": os.environ.get("LMS_ORGANISATION_NAME", "Portfolio Management Office"),
        # Sessions: signed cookies whose signature carries a timestamp, so an idle
        # cookie is refused by the server itself, not just dropped by the browser.
        "PERMANENT_SESSION_LIFETIME": timedelta(minutes=idle_minutes),
        "SESSION_REFRESH_EACH_REQUEST": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "SESSION_COOKIE_NAME": "lms_session",
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        "SERVER_NAME": os.environ.get("SERVER_NAME") or None,
        # Every absolute link is built from this, never from a request's Host header.
        "BASE_URL": base_url,
        # Checked by lms.web.security.HostCheck (Flask's TRUSTED_HOSTS would refuse the
        # load balancer's health probes too).
        "ALLOWED_HOSTS": _allowed_hosts(base_url, production),
        "HSTS": production,
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        "RATELIMIT_STORAGE_URI": rate_storage,
        "RATELIMIT_HEADERS_ENABLED": True,
        "PASSWORD_RESET_TTL": timedelta(minutes=_env_int("LMS_PASSWORD_RESET_TTL_MINUTES", 60)),
        "INVITATION_TTL": timedelta(hours=_env_int("LMS_INVITATION_TTL_HOURS", 72)),
        "MAIL_TRANSPORT": mail_transport,  # "log" or "smtp"
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", "localhost"),
        "MAIL_PORT": _env_int("MAIL_PORT", 25),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": _env_bool("MAIL_USE_TLS", False),
        "MAIL_TIMEOUT": _env_int("MAIL_TIMEOUT", 30),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "Learning and CPD <no-reply@example.nhs.uk>"),
        # Embedded mode drains the outbox in-process after each commit; production
        # runs `flask lms worker` instead.
        "OUTBOX_INLINE": _env_bool("LMS_OUTBOX_INLINE", not production),
        "NHSUK_FRONTEND_DIR": Path(
            os.environ.get(
                "LMS_NHSUK_FRONTEND_DIR",
                PROJECT_ROOT / "node_modules" / "nhsuk-frontend" / "dist" / "nhsuk",
            )
        ),
        # Where the NHS stylesheet loads Frutiger from; "" uses the fallback fonts, for
        # networks that cannot reach the NHS host (pages would wait on it otherwise).
        "NHS_FONT_HOST": _font_host(),
        "ADMIN_PAGE_SIZE": 25,
        **_attendance_settings(),
        **_upload_settings(),
        **_people_settings(),
        **_throttle_settings(),
        **_session_settings(),
        **_retention_settings(),
        **_outbox_settings(),
        **_certificate_settings(),
        **_cpd_settings(),
    }
