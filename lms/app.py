"""create_app(): the one place that wires configuration, extensions, blueprints and the CLI."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask, abort, current_app, request
from jinja2 import ChainableUndefined, ChoiceLoader, PackageLoader
from sqlalchemy import event
from werkzeug.routing import IntegerConverter

from certificates import admin_views as certificate_admin_views
from certificates import badge_views as badge_views
from certificates import receivers as _certificate_receivers  # noqa: F401 - connects them
from certificates import verification_views as verification_views
from certificates import views as certificate_views
from courses.assessments import assignment_views as assignment_views
from courses.assessments import authoring_views as assessment_authoring_views
from courses.assessments import gradebook_views as gradebook_views
from courses.assessments import views as assessment_views
from courses.attendance import checkin_views as checkin_views
from courses.attendance import signin_sheet_views as signin_sheet_views
from courses.attendance import views as attendance_views
from courses.catalogue import admin_views as course_admin_views
from courses.catalogue import views as catalogue_views
from courses.cohorts import admin_views as cohort_admin_views
from courses.cohorts import closing_views as cohort_closing_views
from courses.cohorts import views as cohort_views
from courses.enrolment import views as approval_views
from lms.audit import views as audit_views
from lms.auth import views as auth_views
from lms.auth.access import check_declared
from lms.auth.models import User
from lms.cli import lms_cli
from lms.core import outbox
from lms.core.config import DEFAULT_INSTANCE, from_environment
from lms.core.extensions import db, login_manager, migrate
from lms.core.unit_of_work import init_unit_of_work
from lms.cpd import export_views as cpd_export_views
from lms.cpd import import_views as cpd_import_views
from lms.cpd import receivers as _cpd_receivers  # noqa: F401 - connects them
from lms.cpd import team_views as cpd_team_views
from lms.cpd import views as cpd_views
from lms.home import views as home
from lms.impact import admin_views as evaluation_admin_views
from lms.impact import receivers as _impact_receivers  # noqa: F401 - connects them
from lms.impact import teach_views as evaluation_teach_views
from lms.impact import views as evaluation_views
from lms.mail import views as mail_views
from lms.people import import_views as people_import_views
from lms.people import views as people_views
from lms.projects import coaching_views as project_coaching_views
from lms.projects import import_views as project_import_views
from lms.projects import support_views as project_support_views
from lms.projects import views as project_views
from lms.reports import impact_views as impact_report_views
from lms.reports import views as report_views
from lms.web import assets, errors, health, security
from lms.web.request_hooks import init_request_extensions
from lms.web.templating import init_templating

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
BLUEPRINTS = (
    assets.bp,
    health.bp,
    home.bp,
    auth_views.bp,
    people_views.bp,
    people_import_views.bp,
    audit_views.bp,
    mail_views.bp,
    cohort_views.bp,
    approval_views.bp,
    catalogue_views.bp,
    course_admin_views.bp,
    cohort_admin_views.bp,
    cohort_closing_views.bp,
    gradebook_views.bp,
    assessment_authoring_views.bp,
    assessment_views.bp,
    assignment_views.bp,
    attendance_views.bp,
    checkin_views.bp,
    signin_sheet_views.bp,
    report_views.bp,
    impact_report_views.bp,
    certificate_views.bp,
    verification_views.bp,
    badge_views.bp,
    certificate_admin_views.bp,
    cpd_views.bp,
    cpd_export_views.bp,
    cpd_import_views.bp,
    cpd_team_views.bp,
    project_views.bp,
    project_support_views.bp,
    project_coaching_views.bp,
    project_import_views.bp,
    evaluation_views.bp,
    evaluation_admin_views.bp,
    evaluation_teach_views.bp,
)

FORM_MIMETYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})

log = logging.getLogger("lms")


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Builds the application; `config` overrides settings read from the environment."""
    config = config or {}
    instance_path = Path(config.get("INSTANCE_PATH", DEFAULT_INSTANCE))
    app = Flask(
        __name__,
        instance_path=str(instance_path),
        template_folder="web/templates",
        static_folder="web/static",
    )
    # Jinja options must be set before anything touches app.jinja_env.
    app.jinja_options = {
        **app.jinja_options,
        # The NHS.UK macros are .jinja files, which Flask would not autoescape.
        "autoescape": lambda name: not (name or "").endswith(".txt"),
        "undefined": ChainableUndefined,
        "trim_blocks": True,
        "lstrip_blocks": True,
    }
    app.config.update(from_environment(instance_path, overrides=config))
    app.config.update(config)
    app.jinja_loader = ChoiceLoader([app.jinja_loader, PackageLoader("nhsuk_frontend_jinja")])

    # Ids in URLs fit the database's integer columns; larger ones are simply not found.
    app.url_map.converters["int"] = DatabaseIdConverter
    _init_extensions(app)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    errors.init_app(app)
    security.init_app(app)
    init_templating(app)
    app.before_request(refuse_nul_characters)
    app.before_request(check_declared)
    app.after_request(_deliver_mail_inline)
    init_unit_of_work(app)  # registered last, so it commits before the mail goes
    app.cli.add_command(lms_cli)
    _init_logging()
    return app


def _init_logging() -> None:
    """Our INFO messages (development mail among them) reach the console.

    Left alone when logging is already set up (by gunicorn's --log-config, or pytest's
    capture); otherwise `flask run` would drop everything below WARNING.
    """
    log.setLevel(logging.INFO)
    if not log.hasHandlers():
        handler = logging.StreamHandler()  # stderr, beside the server's request log
        handler.setFormatter(logging.Formatter("[%(asctime)s] %(levelname)s %(name)s: %(message)s"))
        log.addHandler(handler)


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    init_request_extensions(app)  # CSRF, rate limits, logins: their hooks kept lean
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Log in to see this page."
    login_manager.login_message_category = "info"
    login_manager.user_loader(load_user)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            event.listen(db.engine, "connect", _sqlite_pragmas)


class DatabaseIdConverter(IntegerConverter):
    # ASCII digits only: Werkzeug's \d (and int()) also read other scripts' digits as
    # numbers, so an Arabic-Indic or full-width 1 would be served as id 1.
    regex = r"[0-9]+"

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def refuse_nul_characters() -> None:
    """No text field holds a NUL character (PostgreSQL refuses them): answer 400 early.

    A query string with raw bytes that are not UTF-8 is refused too: Werkzeug's
    `request.args` would raise UnicodeDecodeError on it (a 500).
    """
    values = [request.path]
    if request.query_string:
        try:
            request.query_string.decode()
        except UnicodeDecodeError:
            abort(400)
        values += request.args.values()
    # Only these bodies become `request.form`; asking for it otherwise parses for nothing.
    if request.mimetype in FORM_MIMETYPES:
        values += request.form.values()
    if any("\x00" in value for value in values):
        abort(400)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def load_user(user_id: str) -> User | None:
    """The session's user, unless that session has been ended since it was issued."""
    identifier, _, version = user_id.partition(":")
    if not identifier.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(identifier))
    if user is None or not user.is_active or user.session_version != int(version):
        return None
    return user


def _deliver_mail_inline(response):
    """Embedded mode: send what this request committed to the outbox, after the commit."""
    if (
        current_app.config["OUTBOX_INLINE"]
        # A request that never opened a database session committed nothing: asking the
        # session would open one.
        and db.session.registry.has()
        and outbox.committed_mail_waiting()
    ):
        try:
            outbox.deliver_all_due()
        except Exception:  # mail must never break the page; the worker retries later
            db.session.rollback()
            log.exception("in-process mail delivery failed")
    return response
