"""The audit log: lms/audit.py (recording) and lms/audit_views.py (the admin page)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError

from lms.audit import audit
from lms.audit.audit import AppendOnlyViolation, AuditEvent
from lms.core.extensions import db


def all_events() -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def event_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def record_at(moment: datetime, action: str, actor=None, entity_type="Course") -> AuditEvent:
    event = audit.record(actor, action, None, entity_type=entity_type)
    event.occurred_at = moment
    return event


# --- recording -----------------------------------------------------------------------------


def test_record_names_the_actor_and_the_entity(admin, learner):
    audit.record(admin, "user.deactivated", learner, {"active": True}, {"active": False})
    db.session.commit()
    [event] = all_events()
    assert (event.actor_id, event.actor_label) == (admin.id, "admin@example.nhs.uk")
    assert (event.entity_type, event.entity_id) == ("User", str(learner.id))
    assert event.before == {"active": True} and event.after == {"active": False}


def test_record_without_an_actor_is_by_the_system(app):
    audit.record(None, "demo.seeded", None, entity_type="System")
    db.session.commit()
    [event] = all_events()
    assert event.actor_id is None and event.actor_label == "system"


def test_record_joins_the_callers_transaction(admin, learner):
    """An event exists exactly when the change it describes was committed."""
    audit.record(admin, "user.updated", learner)
    learner.job_title = "Never saved"
    db.session.rollback()
    assert all_events() == []


def test_an_event_cannot_be_changed(admin):
    event = audit.record(admin, "course.published", None, entity_type="Course")
    db.session.commit()
    event.action = "course.archived"
    with pytest.raises(AppendOnlyViolation):
        db.session.flush()
    db.session.rollback()
    assert [e.action for e in all_events()] == ["course.published"]


def test_an_event_cannot_be_deleted(admin):
    event = audit.record(admin, "course.published", None, entity_type="Course")
    db.session.commit()
    db.session.delete(event)
    with pytest.raises(AppendOnlyViolation):
        db.session.flush()
    db.session.rollback()
    assert event_count() == 1


@pytest.mark.parametrize(
    "statement",
    [
        update(AuditEvent).values(action="tampered"),
        delete(AuditEvent),
    ],
    ids=["update", "delete"],
)
def test_bulk_statements_cannot_change_events_either(admin, statement):
    """Bulk ORM UPDATE/DELETE bypass the flush, so the before_flush guard never sees them.

    Currently fails: nothing refuses them. Suggested fix in lms/audit.py: a
    `do_orm_execute` listener on Session that raises AppendOnlyViolation when
    `state.is_update or state.is_delete` and the statement's entity is AuditEvent.
    """
    audit.record(admin, "course.published", None, entity_type="Course")
    db.session.commit()
    with pytest.raises(AppendOnlyViolation):
        db.session.execute(statement)
    db.session.rollback()


def record_from(address: str | None, action: str = "login.succeeded", actor=None) -> AuditEvent:
    event = audit.record(actor, action, None, entity_type="User")
    event.ip_address = address
    db.session.commit()
    return event


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET action = 'x'",
        "UPDATE audit_event SET ip_address = '198.51.100.9'",
        "UPDATE audit_event SET ip_address = NULL, actor_label = 'someone else'",
        "UPDATE audit_event SET occurred_at = occurred_at",
        "DELETE FROM audit_event",
    ],
    ids=["action", "another-address", "blank-and-more", "unchanged-value", "delete"],
)
def test_the_database_refuses_to_rewrite_history(admin, statement):
    """Past the application too: text(), or a database client, meets a trigger."""
    record_from("192.0.2.1", actor=admin)
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text(statement))
    db.session.rollback()
    [event] = all_events()
    assert (event.action, event.ip_address, event.actor_label) == (
        "login.succeeded",
        "192.0.2.1",
        "admin@example.nhs.uk",
    )


def test_the_database_refuses_to_replace_an_event(admin):
    """An insert that reuses an event's id (SQLite's INSERT OR REPLACE deletes without
    firing delete triggers; an upsert updates) is refused too."""
    record_from("192.0.2.1", actor=admin)
    columns = "id, occurred_at, actor_label, action, entity_type"
    rewritten = "SELECT id, occurred_at, 'someone else', 'x', entity_type FROM audit_event"
    statements = [
        f"INSERT INTO audit_event ({columns}) {rewritten} WHERE true "
        "ON CONFLICT (id) DO UPDATE SET action = excluded.action"
    ]
    if db.engine.dialect.name == "sqlite":
        statements.append(f"INSERT OR REPLACE INTO audit_event ({columns}) {rewritten}")
    for statement in statements:
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text(statement))
        db.session.rollback()
    [event] = all_events()
    assert (event.action, event.actor_label) == ("login.succeeded", "admin@example.nhs.uk")


def test_the_database_lets_an_ip_address_be_blanked_and_nothing_else(admin):
    """Retention's one change: an address blanked, every other column as it was."""
    record_from("192.0.2.1", actor=admin)
    db.session.execute(text("UPDATE audit_event SET ip_address = NULL"))
    db.session.commit()
    [event] = all_events()
    assert event.ip_address is None
    assert (event.action, event.actor_id) == ("login.succeeded", admin.id)


def test_the_database_refuses_to_truncate_the_log(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    record_from("192.0.2.1")
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text("TRUNCATE audit_event"))
    db.session.rollback()
    assert event_count() == 1


def test_only_security_events_record_the_address_they_came_from(app, admin):
    with app.test_request_context(environ_base={"REMOTE_ADDR": "192.0.2.7"}):
        audit.record(admin, "login.succeeded", admin)
        audit.record(admin, "password.changed", admin)
        audit.record(admin, "user.roles_changed", admin)
        audit.record(admin, "course.created", None, entity_type="Course")
        audit.record(admin, "session.created", None, entity_type="Session")
        audit.record_many([audit.build(admin, "attendance.marked", None, entity_type="X")])
        db.session.commit()
    addresses = {event.action: event.ip_address for event in all_events()}
    assert addresses == {
        "login.succeeded": "192.0.2.7",
        "password.changed": "192.0.2.7",
        "user.roles_changed": "192.0.2.7",
        "course.created": None,
        "session.created": None,
        "attendance.marked": None,
    }


def test_blank_ip_addresses_blanks_only_those_before_the_time_up_to_the_limit(admin):
    moment = datetime(2026, 6, 1, 12, tzinfo=UTC)
    for minutes in (-3, -2, -1, 0, 1):
        event = audit.record(admin, "login.failed", None, entity_type="User")
        event.ip_address, event.occurred_at = "192.0.2.1", moment + timedelta(minutes=minutes)
    db.session.commit()
    assert audit.blank_ip_addresses(occurred_before=moment, limit=2) == 2
    assert audit.blank_ip_addresses(occurred_before=moment, limit=2) == 1
    assert audit.blank_ip_addresses(occurred_before=moment, limit=2) == 0
    db.session.commit()
    kept = db.session.scalars(
        select(AuditEvent.occurred_at).where(AuditEvent.ip_address.is_not(None))
    ).all()
    assert sorted(kept) == [moment, moment + timedelta(minutes=1)]


def test_secret_values_are_never_stored(admin):
    audit.record(
        admin,
        "user.updated",
        admin,
        {"password": "old-pass", "password_hash": "$argon2id$...", "email": "a@example.nhs.uk"},
        {"Reset_Token": "abc", "client_secret": "xyz", "full_name": "Amara Okafor"},
    )
    db.session.commit()
    [event] = all_events()
    assert event.before == {"email": "a@example.nhs.uk"}
    assert event.after == {"full_name": "Amara Okafor"}


def test_secret_values_nested_in_a_value_are_never_stored(admin):
    """Currently fails: _clean() strips secret keys only at the top level of before/after."""
    nested = {"row": {"email": "x@example.nhs.uk", "password": "pw-in-a-row"}}
    audit.record(admin, "import.ran", None, None, nested, entity_type="Import")
    db.session.commit()
    [event] = all_events()
    assert "pw-in-a-row" not in str(event.after)


def test_values_that_are_not_json_are_stored_as_text(admin):
    moment = datetime(2026, 7, 1, 9, 30, tzinfo=UTC)
    audit.record(admin, "x", None, None, {"at": moment, "codes": {"b", "a"}}, entity_type="X")
    db.session.commit()
    [event] = all_events()
    assert event.after == {"at": "2026-07-01T09:30:00+00:00", "codes": ["a", "b"]}


# --- the admin page ------------------------------------------------------------------------


def test_the_page_filters_by_actor(client, as_admin, make_user):
    trainer = make_user("tom.hughes@example.nhs.uk")
    audit.record(trainer, "attendance.marked", None, entity_type="Session")
    audit.record(as_admin, "course.published", None, entity_type="Course")
    page = client.get("/admin/audit/?actor=TOM.HUGHES").get_data(as_text=True)
    assert "attendance.marked" in page and "course.published" not in page


def test_the_page_filters_by_entity_type(client, as_admin):
    audit.record(as_admin, "attendance.marked", None, entity_type="Session")
    audit.record(as_admin, "course.published", None, entity_type="Course")
    page = client.get("/admin/audit/?entity_type=Course").get_data(as_text=True)
    assert "course.published" in page and "attendance.marked" not in page
    assert '<option value="Session"' in page  # the types on offer come from the log


def test_the_page_filters_by_london_days(client, as_admin):
    """1 July 2026 in London (BST) runs from 30 June 23:00 UTC to 1 July 23:00 UTC."""
    record_at(datetime(2026, 6, 30, 22, 59, tzinfo=UTC), "event.on_30_june")
    record_at(datetime(2026, 6, 30, 23, 0, tzinfo=UTC), "event.first_of_1_july")
    record_at(datetime(2026, 7, 1, 22, 59, tzinfo=UTC), "event.last_of_1_july")
    record_at(datetime(2026, 7, 1, 23, 0, tzinfo=UTC), "event.on_2_july")
    page = client.get("/admin/audit/?date_from=2026-07-01&date_to=2026-07-01").get_data(
        as_text=True
    )
    assert "event.first_of_1_july" in page and "event.last_of_1_july" in page
    assert "event.on_30_june" not in page and "event.on_2_july" not in page


def test_the_page_shows_times_in_london(client, as_admin):
    record_at(datetime(2026, 6, 30, 23, 30, tzinfo=UTC), "event.after_midnight_in_london")
    page = client.get("/admin/audit/").get_data(as_text=True)
    assert "01 Jul 2026 00:30:00" in page


def test_the_page_paginates_newest_first(client, as_admin):
    for day in range(1, 31):
        record_at(datetime(2026, 6, day, 12, tzinfo=UTC), f"event.june_{day:02}")
    total = event_count()  # 30, and the admin's login
    first = client.get("/admin/audit/").get_data(as_text=True)
    second = client.get("/admin/audit/?page=2").get_data(as_text=True)
    assert f"Showing 1 to 25 of {total}" in first
    assert f"Showing 26 to {total} of {total}" in second
    assert first.index("event.june_30") < first.index("event.june_29")
    assert "event.june_01" in second and "event.june_01" not in first


def test_a_to_date_before_the_from_date_is_explained(client, as_admin):
    response = client.get("/admin/audit/?date_from=2026-07-10&date_to=2026-07-01")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "There is a problem" in page
    assert "To date must be the same as or after the from date" in page


def test_a_date_that_is_not_a_date_is_explained(client, as_admin):
    response = client.get("/admin/audit/?date_from=1st+July")
    assert response.status_code == 422
    assert "There is a problem" in response.get_data(as_text=True)


def test_the_page_issues_the_same_number_of_statements_for_5_and_100_events(
    client, as_admin, make_user, count_queries
):
    people = [as_admin, make_user(), make_user()]

    def add_events(how_many):
        for number in range(how_many):
            audit.record(people[number % 3], "user.updated", people[number % 3])
        db.session.commit()

    add_events(4)  # with the admin's login, 5
    assert event_count() == 5
    with count_queries() as few:
        assert client.get("/admin/audit/").status_code == 200
    add_events(95)
    with count_queries() as many:
        assert client.get("/admin/audit/").status_code == 200
    assert few.count == many.count


def test_a_learner_cannot_read_the_audit_log(client, learner, login):
    login(learner)
    assert client.get("/admin/audit/").status_code == 403


def test_a_long_log_is_counted_only_up_to_the_limit(client, as_admin, monkeypatch):
    """Counting 600,000 events costs as much as the page; past the limit the page says
    "more than" and the filters narrow the list."""
    monkeypatch.setattr("lms.web.forms.COUNT_LIMIT", 26)
    for day in range(1, 31):
        record_at(datetime(2026, 6, day, 12, tzinfo=UTC), f"event.june_{day:02}")
    first = client.get("/admin/audit/").get_data(as_text=True)
    assert "Showing 1 to 25 of more than 26" in first
    narrowed = client.get("/admin/audit/?date_from=2026-06-25&date_to=2026-06-30").get_data(
        as_text=True
    )
    assert "Showing 1 to 6 of 6" in narrowed
