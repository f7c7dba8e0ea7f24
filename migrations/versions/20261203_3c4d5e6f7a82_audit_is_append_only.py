"""The audit table refuses UPDATE and DELETE in the database itself (triggers on PostgreSQL and SQLite).

The one change allowed is retention's: blanking `ip_address` with every other column
unchanged. On PostgreSQL TRUNCATE is refused too (a statement trigger). IP addresses
already recorded on events that are not about security are blanked here, once: from now
on `lms.audit.audit.build` records them only on security events (the list below is that
of this revision; the code's list may grow). A partial index on the events that still
carry an address lets `flask lms tick` find those past their retention at no cost.

Anyone with rights over the schema can still drop a trigger: the database role the
application runs as should not own the tables in production (see the README).

Revision ID: 3c4d5e6f7a82
Revises: 2b3c4d5e6f71
Create Date: 2026-12-03 00:00:00

"""

import sqlalchemy as sa
from alembic import op
from email_validator import EmailNotValidError, validate_email

# revision identifiers, used by Alembic.
revision = "3c4d5e6f7a82"
down_revision = "2b3c4d5e6f71"
branch_labels = None
depends_on = None

MESSAGE = "audit events are append-only: only ip_address may be blanked"
# Every column but ip_address; quoted because "before" and "after" are SQL keywords.
FIXED_COLUMNS = (
    '"id", "occurred_at", "actor_id", "actor_label", "action", '
    '"entity_type", "entity_id", "before", "after"'
)
SECURITY_EVENTS = """
    action LIKE 'login.%' OR action LIKE 'password.%' OR action IN (
        'logout', 'user.admin_created', 'user.roles_changed', 'user.deactivated',
        'user.reactivated', 'calendar_feed.created', 'calendar_feed.regenerated',
        'attendance.changed', 'attendance.check_in_undone'
    )
"""

POSTGRESQL_FUNCTION = f"""
CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.ip_address IS NULL
           AND to_jsonb(NEW) - 'ip_address' = to_jsonb(OLD) - 'ip_address' THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION '{MESSAGE} (% refused)', TG_OP USING ERRCODE = 'restrict_violation';
END
$$
"""


def _forget_what_events_should_never_have_kept() -> None:
    """Before the table is closed for good: failed logins kept whatever was typed in the
    email box (sometimes a password), and register events kept the note's text (it may be
    about someone's health). Keep the email only when it is an address, and only whether
    a note was written, as the code now records them."""
    events = sa.table(
        "audit_event",
        sa.column("id", sa.Integer),
        sa.column("action", sa.String),
        sa.column("before", sa.JSON),
        sa.column("after", sa.JSON),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(events.c.id, events.c.action, events.c.before, events.c.after).where(
            events.c.action.in_(["login.failed", "attendance.marked", "attendance.changed"])
        )
    ).all()
    for row in rows:
        if row.action == "login.failed":
            before, after = row.before, _well_formed_email(row.after)
        else:
            before, after = _without_note_text(row.before), _without_note_text(row.after)
            if (row.before or {}).get("note") != (row.after or {}).get("note") and row.before:
                after["note_changed"] = True
        if (before, after) != (row.before, row.after):
            bind.execute(
                sa.update(events).where(events.c.id == row.id).values(before=before, after=after)
            )


def _well_formed_email(after: dict | None) -> dict | None:
    typed = (after or {}).get("email")
    if not isinstance(typed, str):
        return None
    try:
        validate_email(typed, check_deliverability=False)
    except EmailNotValidError:
        return None
    return after


def _without_note_text(values: dict | None) -> dict | None:
    if not isinstance(values, dict) or "note" not in values:
        return values
    kept = {key: value for key, value in values.items() if key != "note"}
    return kept | {"has_note": values["note"] is not None}


def upgrade():
    _forget_what_events_should_never_have_kept()
    op.execute(
        "UPDATE audit_event SET ip_address = NULL "  # noqa: S608 (constant)
        f"WHERE ip_address IS NOT NULL AND NOT ({SECURITY_EVENTS})"
    )
    op.create_index(
        "ix_audit_event_occurred_at_with_ip_address",
        "audit_event",
        ["occurred_at"],
        postgresql_where=sa.text("ip_address IS NOT NULL"),
        sqlite_where=sa.text("ip_address IS NOT NULL"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRESQL_FUNCTION)
        op.execute(
            "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
            "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()"
        )
    else:
        # INSERT OR REPLACE deletes the old row without firing delete triggers (unless
        # recursive_triggers is on): an insert may never reuse an event's id.
        op.execute(
            "CREATE TRIGGER audit_event_no_replace BEFORE INSERT ON audit_event "  # noqa: S608
            "WHEN EXISTS (SELECT 1 FROM audit_event WHERE id = NEW.id) "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )
        op.execute(
            "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )
        op.execute(
            f"CREATE TRIGGER audit_event_no_update BEFORE UPDATE OF {FIXED_COLUMNS} "
            f"ON audit_event BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )
        op.execute(
            "CREATE TRIGGER audit_event_ip_address_only_blanked BEFORE UPDATE OF ip_address "
            "ON audit_event WHEN NEW.ip_address IS NOT NULL "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_event_no_truncate ON audit_event")
        op.execute("DROP TRIGGER audit_event_append_only ON audit_event")
        op.execute("DROP FUNCTION audit_event_append_only()")
    else:
        op.execute("DROP TRIGGER audit_event_ip_address_only_blanked")
        op.execute("DROP TRIGGER audit_event_no_update")
        op.execute("DROP TRIGGER audit_event_no_delete")
        op.execute("DROP TRIGGER audit_event_no_replace")
    op.drop_index("ix_audit_event_occurred_at_with_ip_address", table_name="audit_event")
