"""Shared fixtures: an app on a clean database per test, a client, people, counters, SMTP.

Plain helpers (logging in, reading pages, counting rows) are in tests/helpers.py.

The database comes from LMS_TEST_DATABASE_URL (default: an SQLite file in a
temporary folder). For PostgreSQL, a throwaway database named after the one in the
URL is created for the run and dropped afterwards, so runs never share state.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from flask import Flask, has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from lms.app import create_app
from lms.auth.models import Role, User, UserRole
from lms.auth.passwords import hash_password
from lms.core.extensions import db
from lms.models import metadata
from tests.app_building import compile_url_builders_once, share_compiled_templates
from tests.helpers import PASSWORD, free_port, links_in, log_in

__all__ = ["PASSWORD", "free_port", "links_in", "log_in"]  # still importable from here

# A new app for every test, without compiling its URL rules again (tests/app_building.py).
compile_url_builders_once()

# Factory fixtures of the other packages, available to every test (browser tests too).
pytest_plugins = [
    "tests.courses.factories",
    "tests.courses.assessments.factories",
    "tests.certificates.factories",
    "tests.lms.cpd.factories",
    "tests.lms.projects.factories",
    "tests.lms.impact.factories",
]


# --- databases ---------------------------------------------------------------------------


def _admin_url(url):
    return url.set(database="postgres")


@contextmanager
def throwaway_database(base_url: str, directory: Path) -> Iterator[str]:
    """A new, empty database for the duration of the block."""
    if not base_url.startswith("postgresql"):
        path = directory / f"lms-{secrets.token_hex(4)}.db"
        yield f"sqlite:///{path}"
        return
    url = make_url(base_url)
    name = f"{url.database or 'lms_test'}_{secrets.token_hex(4)}"
    admin = create_engine(_admin_url(url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def _test_database_url() -> str:
    url = os.environ.get("LMS_TEST_DATABASE_URL", "sqlite://")
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    with throwaway_database(_test_database_url(), tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture(scope="session")
def fresh_database(tmp_path_factory) -> Callable:
    """Makes further empty databases of the same kind (for migration tests)."""
    return lambda: throwaway_database(_test_database_url(), tmp_path_factory.mktemp("db"))


@pytest.fixture(scope="session")
def instance_path(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("instance")


def config_for(database_url: str, instance_path: Path, **overrides) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-" + "x" * 32,
        # Links in mail point here; the test client addresses requests to localhost.
        "BASE_URL": "http://localhost",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_PATH": str(instance_path),
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "MAIL_TRANSPORT": "log",
        "OUTBOX_INLINE": False,
        # Reports are worked out on each request: a test changes data and looks again
        # (tests/lms/reports/test_snapshots.py turns keeping on).
        "REPORTS_FRESH_SECONDS": 0,
    }
    config.update(overrides)
    return config


@pytest.fixture(scope="session")
def _schema(database_url, instance_path) -> None:
    """The schema, built once per run by the migrations themselves."""
    app = create_app(config_for(database_url, instance_path))
    with app.app_context():
        upgrade()
        db.engine.dispose()


def _empty_all_tables() -> None:
    """Empties every table, the append-only audit table too (see `_audit_triggers_lifted`).

    DELETE, not TRUNCATE, on PostgreSQL too: a test leaves a few rows, and TRUNCATE's new
    files for 25 tables cost 190 ms a test against 10 ms. The sequences start again at 1,
    as SQLite's ids do in an emptied table.
    """
    tables = reversed(metadata.sorted_tables)
    deletes = [f'DELETE FROM "{table.name}"' for table in tables]  # noqa: S608 (our names)
    with _audit_triggers_lifted():
        if db.engine.dialect.name == "postgresql":
            # One round trip, not one a table (psycopg sends a query without parameters
            # as it is, statements and all).
            restart = "SELECT setval(oid, 1, false) FROM pg_class WHERE relkind = 'S'"
            db.session.connection().exec_driver_sql(";\n".join([*deletes, restart]))
        else:
            for delete in deletes:
                db.session.execute(text(delete))
            _forget_planner_statistics()
    db.session.commit()


def _forget_planner_statistics() -> None:
    """SQLite's planner statistics go with the rows, as in a new database: `flask lms
    tick` (ANALYZE) in one test would otherwise leave the next test's planner believing
    the tables hold its few rows, and a test that grows a table to 10,000 rows took
    minutes instead of seconds. ANALYZE sqlite_schema makes the connection read them
    again."""
    analysed = db.session.scalar(
        text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
    )
    if analysed:
        db.session.execute(text("DELETE FROM sqlite_stat1"))
        db.session.execute(text("ANALYZE sqlite_schema"))


@contextmanager
def _audit_triggers_lifted() -> Iterator[None]:
    """The database refuses to delete audit events (migration 3c4d5e6f7a82); between tests
    the harness alone lifts that, inside its own transaction, as only a superuser or the
    schema's owner could: on PostgreSQL it turns triggers off for this transaction
    (session_replication_role); on SQLite, which cannot, it drops the table's triggers and
    makes them again from their own stored definitions."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL session_replication_role = replica"))
        yield
        return
    triggers = db.session.execute(
        text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :table"),
        {"table": "audit_event"},
    ).all()
    connection = db.session.connection()
    for name, _ in triggers:
        connection.exec_driver_sql(f'DROP TRIGGER "{name}"')
    yield
    for _, sql in triggers:
        connection.exec_driver_sql(sql)


class RequestIsolatingClient(FlaskClient):
    """Each request runs in its own app context, as it does in production.

    Tests hold an app context open for factories and queries; without this, every
    request in a test would share its `g` (and Flask-Login's cached user) and its
    database session. The test's pending changes are committed first, so the request
    sees them and the test reads fresh rows afterwards.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            db.session.commit()
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def make_app(_schema, database_url, instance_path) -> Iterator[Callable[..., Flask]]:
    """Builds an app on the test database with settings overridden; cleans up after."""
    apps: list[Flask] = []

    def build(**overrides) -> Flask:
        app = create_app(config_for(database_url, instance_path, **overrides))
        share_compiled_templates(app)
        app.test_client_class = RequestIsolatingClient
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app) -> Iterator[Flask]:
    app = make_app()
    with app.app_context():
        _empty_all_tables()
        yield app
        db.session.rollback()
        _empty_all_tables()


@pytest.fixture
def client(app):
    return app.test_client()


# --- factories ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture
def make_user(app, password_hash) -> Callable[..., User]:
    counter = iter(range(1, 10_000))

    def make(email: str | None = None, *, roles=(), password: str | None = None, **fields):
        number = next(counter)
        user = User(
            email=email or f"person{number}@example.nhs.uk",
            full_name=fields.pop("full_name", f"Person {number}"),
            password_hash=hash_password(password) if password else password_hash,
            role_grants=[UserRole(role=Role(role)) for role in roles],
            **fields,
        )
        db.session.add(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def learner(make_user) -> User:
    return make_user("learner@example.nhs.uk", full_name="Zoë Ashworth")


@pytest.fixture
def admin(make_user) -> User:
    return make_user("admin@example.nhs.uk", full_name="Amara Okafor", roles=[Role.ADMIN])


@pytest.fixture
def login(client) -> Callable:
    def do(user_or_email, password: str = PASSWORD):
        email = getattr(user_or_email, "email", user_or_email)
        response = log_in(client, email, password)
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        return response

    return do


@pytest.fixture
def as_admin(admin, login) -> User:
    """The admin, logged in on `client`."""
    login(admin)
    return admin


@pytest.fixture
def as_learner(learner, login) -> User:
    """The learner, logged in on `client`."""
    login(learner)
    return learner


@pytest.fixture
def manager(make_user) -> User:
    return make_user("manager@example.nhs.uk", full_name="Manon Grey")


@pytest.fixture
def make_newcomer(make_user) -> Callable[..., User]:
    """`make_newcomer(...)`: a person as the import leaves them: active, with no password."""

    def make(*args, **fields):
        person = make_user(*args, **fields)
        person.password_hash = None
        db.session.commit()
        return person

    return make


# --- measuring ---------------------------------------------------------------------------


class QueryCounter:
    def __init__(self):
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement)


@pytest.fixture
def count_queries(app) -> Callable:
    """`with count_queries() as counter:` ... `counter.count` is the number of SQL statements."""

    @contextmanager
    def counting():
        counter = QueryCounter()
        event.listen(db.engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            event.remove(db.engine, "before_cursor_execute", counter)

    return counting


# --- mail ----------------------------------------------------------------------------------


class MailSink:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server() -> Iterator[tuple[MailSink, int]]:
    """A real SMTP server on loopback; yields (sink, port)."""
    sink = MailSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


@pytest.fixture
def smtp(app, smtp_server) -> list:
    """The app sends through the test SMTP server; yields what the server receives."""
    sink, port = smtp_server
    app.config.update(MAIL_TRANSPORT="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    return sink.messages


# --- commands ------------------------------------------------------------------------------


@pytest.fixture
def runner(app):
    """Runs the app's `flask` commands in-process."""
    return app.test_cli_runner()
