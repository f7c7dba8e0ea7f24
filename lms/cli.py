"""`flask lms ...`: the operator's commands, each a thin wrapper around a service."""

from __future__ import annotations

import logging
import os
import signal
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from certificates.expiry import send_expiry_notices
from certificates.issuing import issue_missing
from courses.assessments import finish_expired
from courses.attendance import mark_unmarked_absent, send_attendance_warnings
from courses.enrolment.reminders import send_due_reminders
from lms import demo, mail, scale
from lms.core import outbox
from lms.core.db import refresh_planner_statistics, utcnow
from lms.core.domain import DomainError
from lms.core.extensions import db
from lms.core.timezones import local_today
from lms.cpd.record import record_missing_certificates
from lms.impact.follow_ups import queue_due_follow_ups
from lms.people import directory, importing
from lms.reports.ahead import work_out_default_pages
from lms.reports.snapshots import forget_stale as forget_stale_reports
from lms.retention import apply_retention

log = logging.getLogger(__name__)


@click.group("lms")
def lms_cli():
    """Learning and CPD platform commands."""


@lms_cli.command("create-admin")
@click.option("--email", prompt="Email address", help="The admin's email address (their login).")
@click.option("--name", "full_name", prompt="Full name", help="The admin's full name.")
@with_appcontext
def create_admin(email: str, full_name: str):
    """Creates an admin account, or grants admin to an existing one.

    The password is read from LMS_ADMIN_PASSWORD or asked for; never from the command line.
    """
    password = os.environ.get("LMS_ADMIN_PASSWORD") or click.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    try:
        user = directory.make_admin(email, full_name, password)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"{user.email} is an admin.")


@lms_cli.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has people.")
@with_appcontext
def seed_demo(if_empty: bool):
    """Loads a believable demo trust and prints the demo logins (refused in production)."""
    if current_app.config["LMS_ENV"] == "production":
        raise click.ClickException(
            "seed-demo makes accounts with a shared password; it does not run in production."
        )
    password = demo.demo_password(Path(current_app.instance_path))
    if not demo.is_empty():
        if not if_empty:
            raise click.ClickException("The database already has people; demo data not loaded.")
        click.echo("Demo data already loaded.")
    else:
        demo.seed(password)
        db.session.commit()
        click.echo("Demo data loaded.")
    click.echo(f"\nDemo logins (the password for each is {password}):")
    for email, *_ in demo.DEMO_LOGINS:
        click.echo(f"  {email}")


@lms_cli.command("seed-scale")
@click.option(
    "--factor",
    type=click.FloatRange(min=0.001, max=10),
    default=1.0,
    show_default=True,
    help="How big a trust: 1 is DESIGN.md's large merged trust (20,000 staff).",
)
@click.option("--seed", "seed_", type=int, default=1, show_default=True, help="Random seed.")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The day the data is seeded around (default: today in London).",
)
@with_appcontext
def seed_scale(factor: float, seed_: int, today):
    """Fills an empty database with trust-scale data for measuring pages.

    The same factor, seed and day give the same data. The demo logins work on the
    result; their password comes from LMS_DEMO_PASSWORD, as for seed-demo.
    """
    if current_app.config["LMS_ENV"] == "production":
        raise click.ClickException(
            "seed-scale makes made-up people; it does not run in production."
        )
    password = demo.demo_password(Path(current_app.instance_path))
    day = today.date() if today else local_today()
    with click.progressbar(length=scale.estimated_rows(factor), label="Seeding") as bar:

        def advance(step: str, rows: int) -> None:
            bar.label = f"Seeding {step:<12}"
            bar.update(rows)

        try:
            counts = scale.seed(factor, seed=seed_, password=password, today=day, progress=advance)
        except scale.NotEmpty as error:
            db.session.rollback()
            raise click.ClickException(str(error)) from error
        db.session.commit()
        bar.update(bar.length)
    for table, rows in counts.items():
        click.echo(f"  {table:<20} {rows:>9,}")
    click.echo(f"\nDemo logins (the password for each is {password}):")
    for email, *_ in demo.DEMO_LOGINS:
        click.echo(f"  {email}")


@lms_cli.command("worker")
@click.option("--once", is_flag=True, help="Deliver one batch of what is due, then stop.")
@click.option(
    "--until-empty", is_flag=True, help="Deliver until nothing is due any more, then stop."
)
@click.option("--interval", default=5.0, show_default=True, help="Seconds between empty polls.")
@with_appcontext
def worker(once: bool, until_empty: bool, interval: float):
    """Delivers queued mail through SMTP, retrying with back-off."""
    stopping = {"now": False}

    def stop(*_):
        stopping["now"] = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    sent = outbox.run_worker(
        interval=interval,
        once=once,
        until_empty=until_empty,
        should_stop=lambda: stopping["now"],
    )
    click.echo(f"Sent {sent} message(s).")


@lms_cli.group("outbox")
def outbox_cli():
    """The mail queue: what is in it, and sending failed mail again."""


@outbox_cli.command("status")
@with_appcontext
def outbox_status():
    """Counts the messages in each state: pending, sending, sent and failed."""
    for state, count in outbox.counts().items():
        click.echo(f"{state + ':':<9} {count:>9,}")


@outbox_cli.command("requeue")
@click.option("--id", "message_id", type=int, default=None, help="Only this failed message.")
@with_appcontext
def outbox_requeue(message_id: int | None):
    """Puts failed messages back in the queue, to be tried again (audited)."""
    try:
        requeued = mail.requeue_failed(by=None, message_id=message_id)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    if requeued and current_app.config["OUTBOX_INLINE"]:
        outbox.deliver_all_due()
    click.echo(f"Requeued {requeued} failed message(s).")


@lms_cli.command("tick")
@with_appcontext
def tick():
    """Time-based work, safe to run as often as you like (e.g. every 10 minutes from cron).

    Sends reminders two days before each learner's first session, marks learners still
    unmarked absent once AUTO_ABSENT_AFTER_HOURS have passed since a session ended, warns
    learners whose attendance has fallen below their course's minimum, and finishes quiz
    attempts whose time limit has run out (marking the answers saved in time), issues the
    certificates of recent completions still without one (an issue that failed), and tells
    holders of certificates expiring within CERTIFICATE_EXPIRY_NOTICE_DAYS, adds to
    CPD records any certificate a failure left out, and asks learners 3 and 6 months after
    a completion what they have done since (lms/impact/follow_ups.py); running it
    twice does nothing twice. It applies the retention schedule (lms/retention.py) and
    removes report snapshots past REPORTS_FRESH_SECONDS, working this year's dashboard and
    impact view out ahead of their first visitor (lms/reports/ahead.py). On
    SQLite it also refreshes the query planner's statistics.
    """
    reminders = send_due_reminders(utcnow())
    absent = mark_unmarked_absent(utcnow())
    warnings = send_attendance_warnings(None, utcnow())
    finished = finish_expired(utcnow())
    reissued = issue_missing(utcnow())
    expiring = send_expiry_notices(utcnow())
    recorded = record_missing_certificates()
    followed_up = queue_due_follow_ups(utcnow())
    retained = apply_retention(utcnow())
    stale_reports = forget_stale_reports(utcnow())
    refresh_planner_statistics(db.session)
    db.session.commit()
    if current_app.config["OUTBOX_INLINE"]:
        outbox.deliver_all_due()
    reports_ahead = _work_out_reports_ahead()
    click.echo(f"Queued {reminders} reminder(s).")
    click.echo(f"Marked {absent} unmarked learner(s) absent.")
    click.echo(f"Queued {warnings} attendance warning(s).")
    click.echo(f"Finished {finished} quiz attempt(s) whose time ran out.")
    click.echo(f"Issued {reissued} certificate(s) that a completion was still waiting for.")
    click.echo(f"Queued {expiring} notice(s) of a certificate expiring soon.")
    click.echo(f"Added {recorded} certificate(s) missing from their holder's CPD record.")
    click.echo(f"Queued {followed_up} follow-up(s) 3 or 6 months after a completion.")
    click.echo(f"Removed {retained['mail']} sent or failed message(s) past their retention.")
    click.echo(f"Removed {retained['spent_links']} used or expired password link(s).")
    click.echo(f"Blanked {retained['audit_ip_addresses']} IP address(es) in the audit log.")
    click.echo(f"Blanked {retained['register_notes']} register note(s).")
    click.echo(f"Blanked where {retained['check_in_sources']} self check-in(s) came from.")
    click.echo(f"Removed {stale_reports} report snapshot(s) past their time.")
    if reports_ahead is None:
        click.echo("Could not work the report pages out ahead (the log says why).")
    else:
        click.echo(f"Worked out {reports_ahead} report page(s) before anyone asked for them.")


def _work_out_reports_ahead() -> int | None:
    """Run once tick's own work has committed, in transactions of its own: a failure here
    is logged and leaves that work done (and holds no write lock while the aggregates
    run)."""
    try:
        return work_out_default_pages(utcnow())
    except Exception:
        db.session.rollback()
        log.exception("working the report pages out ahead failed")
        return None


@lms_cli.command("import-staff")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--invite", is_flag=True, help="Email an invitation to each person the import creates."
)
@with_appcontext
def import_staff(file: Path, invite: bool):
    """Creates or updates people from a staff CSV file and lists every problem row.

    The file's columns are staff_number, first_name, last_name, email, job_title,
    department, service_group and line_manager_staff_number. Passwords are never changed.
    With --invite, each person created is emailed a link to set their password.
    """
    try:
        with click.progressbar(length=0, label="Importing staff") as bar:

            def advance(done: int, total: int) -> None:
                bar.length = total
                bar.update(done - bar.pos)

            report = importing.import_staff(
                file.read_bytes(), by=None, progress=advance, invite=invite
            )
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(f"{error}. Nothing was imported.") from error
    db.session.commit()
    if (report.invited or report.told_of_new_email) and current_app.config["OUTBOX_INLINE"]:
        outbox.deliver_all_due()
    click.echo(f"Created: {report.created}")
    click.echo(f"Updated: {report.updated}")
    click.echo(f"Unchanged: {report.unchanged}")
    click.echo(f"Rejected (not saved): {report.rejected}")
    click.echo(f"Warnings (saved without a manager): {report.warnings}")
    if report.invited is not None:
        click.echo(f"Sent an invitation: {report.invited}")
    if report.told_of_new_email:
        click.echo(f"Told of a new login email (at the old address): {report.told_of_new_email}")
    if report.problems:
        click.echo("\nProblems:")
        for problem in report.problems:
            click.echo(f"  Line {problem.line} ({problem.outcome}): {problem.reason}")
