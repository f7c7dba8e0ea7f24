"""The Alembic history in migrations/ builds exactly the schema the models describe."""

from __future__ import annotations

import warnings
from decimal import Decimal
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import JSON, Integer, String, column, insert, inspect, select, table

from lms.core.db import UTCDateTime, utcnow
from lms.core.extensions import db
from lms.models import metadata


def _differences(connection):
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "target_metadata": metadata}
    )
    with warnings.catch_warnings():
        # SQLite cannot reflect expression indexes; alembic says so and skips them.
        warnings.filterwarnings("ignore", message=".*expression-based index.*")
        return compare_metadata(context, metadata)


def test_models_and_migrations_agree(make_app, fresh_database):
    with fresh_database() as url:
        app = make_app(SQLALCHEMY_DATABASE_URI=url)
        with app.app_context():
            upgrade()
            with db.engine.connect() as connection:
                assert _differences(connection) == []
            db.engine.dispose()


def test_upgrade_downgrade_upgrade_round_trip(make_app, fresh_database):
    with fresh_database() as url:
        app = make_app(SQLALCHEMY_DATABASE_URI=url)
        with app.app_context():
            upgrade()
            tables = set(inspect(db.engine).get_table_names())
            assert {"user_account", "audit_event", "outbox_message", "course"} <= tables
            downgrade(revision="base")
            assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
            upgrade()
            assert set(inspect(db.engine).get_table_names()) == tables
            db.engine.dispose()


def test_revision_files_are_date_named():
    versions = Path(__file__).resolve().parent.parent / "migrations" / "versions"
    names = [path.name for path in versions.glob("*.py")]
    assert names
    for name in names:
        assert name[:8].isdigit() and name[8] == "_", name


def test_the_columns_tick_filters_by_are_indexed(app):
    indexed = {
        tuple(index["column_names"]) for index in inspect(db.engine).get_indexes("enrolment")
    }
    assert {("reminder_sent_at",), ("attendance_warning_sent_at",)} <= indexed


def test_closing_the_audit_log_first_forgets_typed_passwords_and_note_text(
    make_app, fresh_database
):
    """Before the audit table became append-only, failed logins kept whatever was typed
    in the email box and register events kept the note's text: the migration that closes
    the table keeps only what the code now records."""
    events = table(
        "audit_event",
        column("id", Integer),
        column("occurred_at", UTCDateTime),
        column("actor_label", String),
        column("action", String),
        column("entity_type", String),
        column("before", JSON),
        column("after", JSON),
    )
    old = [
        ("login.failed", None, {"email": "correct horse battery staple"}),
        ("login.failed", None, {"email": "zoe.ashworth@example.nhs.uk"}),
        ("attendance.marked", None, {"status": "absent", "note": "At the GP: migraine"}),
        (
            "attendance.changed",
            {"status": "absent", "note": None},
            {"status": "excused", "note": "At the GP: migraine"},
        ),
    ]
    with fresh_database() as url:
        app = make_app(SQLALCHEMY_DATABASE_URI=url)
        with app.app_context():
            upgrade(revision="2b3c4d5e6f71")
            db.session.execute(
                insert(events),
                [
                    {
                        "occurred_at": utcnow(),
                        "actor_label": "system",
                        "action": action,
                        "entity_type": "User",
                        "before": before,
                        "after": after,
                    }
                    for action, before, after in old
                ],
            )
            db.session.commit()
            upgrade()
            kept = db.session.execute(
                select(events.c.before, events.c.after).order_by(events.c.id)
            ).all()
            db.engine.dispose()
    assert [tuple(row) for row in kept] == [
        (None, None),
        (None, {"email": "zoe.ashworth@example.nhs.uk"}),
        (None, {"status": "absent", "has_note": True}),
        (
            {"status": "absent", "has_note": False},
            {"status": "excused", "has_note": True, "note_changed": True},
        ),
    ]


def test_the_cpd_record_begins_with_the_certificates_already_issued(
    app, make_app, fresh_database, make_user, make_course, make_cohort, make_enrolment
):
    """Certificates issued before the CPD record existed become entries in it when the
    migration that makes it runs, as a certificate issued since makes one."""
    from certificates import issue
    from courses.models import CohortStatus, EnrolmentStatus
    from lms.cpd.models import CpdEntry
    from tests.helpers import days, span

    with fresh_database() as url:
        fresh = make_app(SQLALCHEMY_DATABASE_URI=url)
        with fresh.app_context():
            upgrade()
            learner = make_user("holder@example.nhs.uk")
            course = make_course(code="CPD-7", cpd_hours=Decimal("7.50"))
            free = make_course(code="FREE", cpd_hours=Decimal("0"))
            completed = {"status": EnrolmentStatus.COMPLETED}
            closed = {"status": CohortStatus.CLOSED, "sessions": [span(days(-9)), span(days(-2))]}
            certificate = issue(make_enrolment(make_cohort(course, **closed), learner, **completed))
            issue(make_enrolment(make_cohort(free, **closed), learner, **completed))
            db.session.commit()
            expected = db.session.execute(
                select(CpdEntry.certificate_id, CpdEntry.activity_on, CpdEntry.hours)
            ).all()
            assert [row.certificate_id for row in expected] == [certificate.id]
            db.session.remove()  # no transaction left open on the tables dropped next
            downgrade(revision="8b9cabdced37")  # before the CPD record
            upgrade()
            backfilled = db.session.execute(
                select(CpdEntry.certificate_id, CpdEntry.activity_on, CpdEntry.hours)
            ).all()
            db.session.remove()
            db.engine.dispose()
    assert backfilled == expected
