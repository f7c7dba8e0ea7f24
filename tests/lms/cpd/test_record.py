"""The CPD record's services: lms/cpd/record.py, years.py and receivers.py."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from certificates import issue, reissue, revoke, withdraw
from certificates.models import RevocationReason
from lms.core.extensions import db
from lms.cpd import record
from lms.cpd.models import CpdEntry, EntrySource
from lms.cpd.record import CERTIFIED, EntryDetails, EntryRefused
from lms.cpd.years import CpdYear, year_of, year_starting

TODAY = date(2026, 12, 7)


def _summary(learner, year: CpdYear) -> record.YearSummary:
    return record.year_summary(learner.id, year, record.target_of(record.profile_of(learner.id)))


def _entries_of(learner) -> list[CpdEntry]:
    return db.session.scalars(select(CpdEntry).where(CpdEntry.learner_id == learner.id)).all()


# --- certificates ---------------------------------------------------------------------------


def test_a_certificate_issued_adds_exactly_one_linked_entry(app, make_certificate, learner):
    certificate = make_certificate(learner)
    [entry] = _entries_of(learner)
    assert entry.source == EntrySource.CERTIFICATE
    assert entry.certificate_id == certificate.id
    assert entry.enrolment_id == certificate.enrolment_id
    assert entry.title == "Occasional project managers"
    assert entry.hours == Decimal("7.50")
    # The days the learner attended: the first is the entry's date, the last its end.
    assert entry.activity_on.isoformat() == certificate.session_dates[0]
    assert entry.ended_on.isoformat() == certificate.session_dates[-1]
    # Heard again (a signal repeated, the tick's repair): still one entry.
    record.record_certificate(certificate)
    assert record.record_missing_certificates() == 0
    db.session.commit()
    assert len(_entries_of(learner)) == 1
    year = year_of(entry.activity_on)
    assert _summary(learner, year).total == Decimal("7.50")


def test_a_revoked_certificate_is_marked_and_left_out_of_totals(
    app, make_certificate, learner, admin
):
    certificate = make_certificate(learner)
    year = year_of(_entries_of(learner)[0].activity_on)
    revoke(certificate, RevocationReason.ISSUED_IN_ERROR, "Wrong person", by=admin)
    db.session.commit()
    [entry] = _entries_of(learner)
    assert entry.certificate.status == "revoked"
    assert _summary(learner, year).total == 0
    assert record.year_totals(learner.id, before=year.following) == []
    # Still listed, for the learner to see what happened.
    assert db.session.scalars(record.entries(learner.id, year)).all() == [entry]


def test_a_reissue_moves_the_entry_to_the_new_certificate_and_counts_once(
    app, make_certificate, learner, admin
):
    old = make_certificate(learner)
    new = reissue(old, "Change of name", by=admin)
    db.session.commit()
    [entry] = _entries_of(learner)
    assert entry.certificate_id == new.id
    year = year_of(entry.activity_on)
    assert _summary(learner, year).total == Decimal("7.50")
    # Heard late about the older one: the entry stays with the newer.
    record.record_certificate(old)
    db.session.commit()
    assert _entries_of(learner)[0].certificate_id == new.id


def test_a_withdrawn_completion_and_a_new_one_keep_one_entry(app, make_certificate, learner):
    certificate = make_certificate(learner)
    enrolment = certificate.enrolment
    withdraw(enrolment)  # the cohort closed again without this completion
    db.session.commit()
    year = year_of(_entries_of(learner)[0].activity_on)
    assert _summary(learner, year).total == 0
    issue(enrolment)  # and completed again since
    db.session.commit()
    [entry] = _entries_of(learner)
    assert entry.certificate.generation == 2
    assert _summary(learner, year).total == Decimal("7.50")


def test_the_tick_records_a_certificate_whose_entry_a_failure_left_out(
    app, make_certificate, learner
):
    make_certificate(learner)
    db.session.execute(CpdEntry.__table__.delete())
    db.session.commit()
    assert record.record_missing_certificates() == 1
    db.session.commit()
    assert len(_entries_of(learner)) == 1


# --- years ----------------------------------------------------------------------------------


def test_cpd_years_turn_between_31_march_and_1_april():
    assert year_of(date(2027, 3, 31), (4, 1)) == CpdYear(2026)
    assert year_of(date(2027, 4, 1), (4, 1)) == CpdYear(2027)
    assert CpdYear(2026).label == "2026/27"
    assert CpdYear(2026).last_day == date(2027, 3, 31)
    assert CpdYear(2099).label == "2099/00"
    january = year_of(date(2027, 3, 31), (1, 1))
    assert (january.label, january.first_day, january.last_day) == (
        "2027",
        date(2027, 1, 1),
        date(2027, 12, 31),
    )


def test_an_entry_on_31_march_and_one_on_1_april_count_in_different_years(app, learner, make_entry):
    make_entry(learner, date(2026, 3, 31), hours="2")
    make_entry(learner, date(2026, 4, 1), hours="3")
    make_entry(learner, date(2027, 3, 31), hours="4")
    make_entry(learner, date(2027, 4, 1), hours="0.5")
    assert _summary(learner, year_starting(2025)).total == Decimal("2")
    assert _summary(learner, year_starting(2026)).total == Decimal("7")
    assert _summary(learner, year_starting(2027)).total == Decimal("0.5")
    earlier = record.year_totals(learner.id, before=year_starting(2027))
    assert [(year.label, hours) for year, hours in earlier] == [
        ("2026/27", Decimal("7")),
        ("2025/26", Decimal("2")),
    ]


def test_a_configured_calendar_year(make_app, learner, make_entry):
    app = make_app(CPD_YEAR_START=(1, 1))
    with app.app_context():
        assert year_of(date(2026, 12, 31)) == CpdYear(2026, 1, 1)
    make_entry(learner, date(2026, 12, 31), hours="2")
    make_entry(learner, date(2027, 1, 1), hours="3")
    earlier = record.year_totals(learner.id, before=CpdYear(2028, 1, 1))
    assert [(year.label, hours) for year, hours in earlier] == [
        ("2027", Decimal("3")),
        ("2026", Decimal("2")),
    ]


def test_the_target_is_the_trusts_unless_the_learner_sets_their_own(app, learner, make_entry):
    make_entry(learner, date(2026, 5, 1), hours="14")
    summary = _summary(learner, year_starting(2026))
    assert (summary.target, summary.percent) == (Decimal("35"), 40)
    record.set_preferences(
        learner, target_hours=Decimal("20"), professional_body="APM", share_reflections=False
    )
    db.session.commit()
    summary = _summary(learner, year_starting(2026))
    assert (summary.target, summary.percent, summary.remaining) == (Decimal("20"), 70, 6)
    record.set_preferences(
        learner, target_hours=None, professional_body="", share_reflections=False
    )
    assert _summary(learner, year_starting(2026)).target == Decimal("35")
    with pytest.raises(Exception, match="target"):
        record.set_preferences(
            learner, target_hours=Decimal("0"), professional_body="", share_reflections=False
        )


# --- external entries ----------------------------------------------------------------------


def _details(categories, **changes) -> EntryDetails:
    details = EntryDetails(
        title="APM Project Management conference",
        category_id=categories["Conference"].id,
        activity_on=date(2026, 11, 12),
        hours=Decimal("6.5"),
        learned="Benefits mapping from the keynote.",
        applied="I will use a benefits map on the ward project.",
    )
    for name, value in changes.items():
        setattr(details, name, value)
    return details


def test_an_external_entry_counts_under_its_category(app, learner, cpd_categories, make_entry):
    record.add_entry(learner, _details(cpd_categories), today=TODAY)
    make_entry(learner, date(2026, 6, 1), hours="2", category="Reading")
    db.session.commit()
    summary = _summary(learner, year_starting(2026))
    assert [(row.name, row.hours) for row in summary.by_category] == [
        ("Conference", Decimal("6.5")),
        ("Reading", Decimal("2")),
    ]
    reading = str(cpd_categories["Reading"].id)
    assert len(db.session.scalars(record.entries(learner.id, category=reading)).all()) == 1
    assert db.session.scalars(record.entries(learner.id, category=CERTIFIED)).all() == []


BAD_FIELDS = [
    ({"title": "  "}, "title", "Enter a title for the activity"),
    ({"title": "x" * 201}, "title", "Enter a title of 200 characters or fewer"),
    ({"category_id": None}, "category_id", "Choose a category from the list"),
    ({"category_id": 99999}, "category_id", "Choose a category from the list"),
    ({"activity_on": None}, "activity_on", "Enter the date of the activity"),
    ({"activity_on": date(2026, 12, 8)}, "activity_on", "must be today or in the past"),
    ({"ended_on": date(2026, 11, 11)}, "ended_on", "the same as or after the first day"),
    ({"ended_on": date(2026, 12, 8)}, "ended_on", "The last day must be today or in the past"),
    ({"hours": None}, "hours", "Enter the number of hours"),
    ({"hours": Decimal("0")}, "hours", "greater than 0"),
    ({"hours": Decimal("-1")}, "hours", "greater than 0"),
    ({"hours": Decimal("24.01")}, "hours", "Enter 24 hours or fewer"),
    ({"hours": Decimal("1.255")}, "hours", "2 decimal places"),
    ({"hours": Decimal("1e309")}, "hours", "Enter 24 hours or fewer"),
    ({"hours": Decimal("1e-309")}, "hours", "2 decimal places"),
    ({"learned": " "}, "learned", "Enter what you learned"),
    ({"learned": "x" * 5001}, "learned", "5000 characters or fewer"),
    ({"applied": "x" * 5001}, "applied", "5000 characters or fewer"),
]


@pytest.mark.parametrize(("changes", "field", "message"), BAD_FIELDS)
def test_each_bad_field_is_refused_by_name_in_plain_words(
    app, learner, cpd_categories, changes, field, message
):
    with pytest.raises(EntryRefused) as refused:
        record.add_entry(learner, _details(cpd_categories, **changes), today=TODAY)
    assert [(problem.field, message in problem.message) for problem in refused.value.problems] == [
        (field, True)
    ]
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(CpdEntry)) == 0


def test_hours_may_reach_24_for_each_day_of_an_activity_over_several(app, learner, cpd_categories):
    details = _details(cpd_categories, ended_on=date(2026, 11, 13), hours=Decimal("48"))
    entry = record.add_entry(learner, details, today=TODAY)
    assert entry.days == 2
    with pytest.raises(EntryRefused, match="48 hours or fewer"):
        record.add_entry(
            learner, _details(cpd_categories, **{**details.__dict__, "hours": Decimal("48.5")})
        )


def test_a_retired_category_is_not_offered_for_new_entries(app, learner, cpd_categories, admin):
    from lms.cpd.categories import change_category

    change_category(cpd_categories["Reading"], "Reading", True, by=admin)
    with pytest.raises(EntryRefused, match="Choose a category"):
        record.add_entry(
            learner, _details(cpd_categories, category_id=cpd_categories["Reading"].id), today=TODAY
        )


def test_only_the_learner_changes_or_deletes_their_external_entries(
    app, learner, make_user, cpd_categories, make_certificate
):
    entry = record.add_entry(learner, _details(cpd_categories), today=TODAY)
    someone = make_user(email="someone@example.nhs.uk")
    with pytest.raises(record.NotYours):
        record.change_entry(entry, _details(cpd_categories), by=someone, today=TODAY)
    with pytest.raises(record.NotYours):
        record.delete_entry(entry, by=someone)
    record.change_entry(entry, _details(cpd_categories, title="Renamed"), by=learner, today=TODAY)
    assert entry.title == "Renamed"
    record.delete_entry(entry, by=learner)
    db.session.commit()
    # An entry from a certificate is not the learner's to change or delete.
    make_certificate(learner)
    [certified] = _entries_of(learner)
    with pytest.raises(Exception, match="certificate cannot be changed"):
        record.delete_entry(certified, by=learner)
    record.reflect_on_certificate(certified, "Planning", "On my project", by=learner)
    assert certified.learned == "Planning"


def test_an_entrys_audit_events_never_hold_its_reflection(app, learner, cpd_categories):
    from lms.audit.audit import AuditEvent

    record.add_entry(learner, _details(cpd_categories), today=TODAY)
    db.session.commit()
    [event] = db.session.scalars(select(AuditEvent)).all()
    assert event.action == "cpd_entry.added"
    assert "keynote" not in str(event.after)


def test_a_course_worth_no_cpd_hours_makes_no_entry_and_the_tick_still_runs(
    app, make_certificate, make_course, learner
):
    course = make_course(code="INDUCT", cpd_hours=Decimal("0"))
    make_certificate(learner, course=course)
    assert _entries_of(learner) == []
    assert record.record_missing_certificates() == 0


def test_the_tick_records_each_missing_certificate_on_its_own(
    app, make_certificate, make_user, learner, monkeypatch
):
    first = make_certificate(learner)
    make_certificate(make_user(email="second@example.nhs.uk"))
    db.session.execute(CpdEntry.__table__.delete())
    db.session.commit()
    real = record.record_certificate

    def failing_for_the_first(certificate):
        if certificate.id == first.id:
            raise RuntimeError("a broken certificate")
        return real(certificate)

    monkeypatch.setattr(record, "record_certificate", failing_for_the_first)
    assert record.record_missing_certificates() == 1
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(CpdEntry)) == 1


def test_an_entry_keeps_its_retired_category_when_changed(app, learner, cpd_categories, admin):
    from lms.cpd.categories import change_category

    entry = record.add_entry(learner, _details(cpd_categories), today=TODAY)
    change_category(cpd_categories["Conference"], "Conference", True, by=admin)
    record.change_entry(
        entry, _details(cpd_categories, title="Typo fixed"), by=learner, today=TODAY
    )
    assert (entry.title, entry.category_id) == ("Typo fixed", cpd_categories["Conference"].id)


@pytest.mark.parametrize("target", ["0.001", "0.24", "1000.01", "12.345"])
def test_a_target_outside_a_quarter_hour_to_1000_or_finer_than_minutes_is_refused(
    app, learner, target
):
    with pytest.raises(Exception, match=r"from 0\.25 to 1000 hours"):
        record.set_preferences(
            learner, target_hours=Decimal(target), professional_body="", share_reflections=False
        )
