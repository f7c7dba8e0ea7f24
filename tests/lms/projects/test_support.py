"""PMO support: asking, the PMO's answer (once only, told by mail, audited), and the count
of projects supported in a financial year against the target."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from lms.auth.models import Role
from lms.core.domain import DomainError
from lms.core.extensions import db
from lms.core.outbox import OutboxMessage
from lms.projects import support as support_service
from lms.projects.models import Project, ProjectRole, Support, SupportService, SupportStatus
from lms.projects.support import (
    SupportError,
    accept,
    active_in,
    decline,
    request_support,
    supported_projects,
    withdraw,
)
from lms.projects.years import (
    chosen_financial_year,
    financial_year,
    financial_year_of,
    years_offered,
)
from tests.helpers import count, events

FY_2025 = financial_year(2025)
FY_2026 = financial_year(2026)


def mail() -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def problems_of(error: DomainError) -> dict[str, str]:
    return {problem.field: problem.message for problem in getattr(error, "problems", [error])}


@pytest.fixture
def coach(make_user):
    return make_user("coach@example.nhs.uk", full_name="Siân ap Gwyn", roles=[Role.TRAINER])


@pytest.fixture
def waiting(make_project, make_support, learner):
    project = make_project("Digital outpatient letters", lead=learner)
    return make_support(project, learner, status=SupportStatus.REQUESTED, immersive=True)


# --- financial years -----------------------------------------------------------------------


def test_the_financial_year_runs_from_1_april_to_31_march():
    assert financial_year_of(date(2027, 3, 31)) == FY_2026
    assert financial_year_of(date(2027, 4, 1)) == financial_year(2027)
    assert financial_year_of(date(2026, 4, 1)) == FY_2026
    assert FY_2026.first_day == date(2026, 4, 1)
    assert FY_2026.last_day == date(2027, 3, 31)
    assert FY_2026.label == "2026/27"
    assert financial_year(1999).label == "1999/00"


def test_the_financial_year_ignores_the_cpd_year_setting(app):
    app.config["CPD_YEAR_START"] = (1, 1)
    assert financial_year_of(date(2026, 2, 1)) == FY_2025
    assert financial_year(2026).first_day == date(2026, 4, 1)


def test_a_year_named_in_the_address_must_be_sane():
    today = date(2026, 5, 1)
    assert chosen_financial_year("2025", today) == FY_2025
    assert chosen_financial_year("2027", today) == financial_year(2027)  # agreed ahead
    for nonsense in (None, "", "2028", "1899", "20x6", "٢٠٢٥", "02025"):
        assert chosen_financial_year(nonsense, today) is None
    assert [year.starts for year in years_offered(today)] == [2027, 2026, 2025, 2024, 2023, 2022]
    assert years_offered(today, financial_year(2001))[-1] == financial_year(2001)


# --- asking --------------------------------------------------------------------------------


def test_anyone_asks_for_one_or_several_services(
    app, make_project, make_user, learner, admin, coach
):
    project = make_project()
    other_admin = make_user("second.admin@example.nhs.uk", roles=[Role.ADMIN])
    make_user("gone.admin@example.nhs.uk", roles=[Role.ADMIN], is_active_account=False)

    support = request_support(
        project,
        by=learner,
        services={SupportService.COACHING, SupportService.ASSURANCE},
        need="  Help setting up the highlight report.  ",
    )
    db.session.commit()

    assert support.status == SupportStatus.REQUESTED
    assert support.services == [SupportService.COACHING, SupportService.ASSURANCE]
    assert support.need == "Help setting up the highlight report."
    assert support.requested_by_id == learner.id and support.responsible_id is None
    [event] = events("support.requested")
    assert event.entity_type == "Support" and event.entity_id == str(support.id)
    assert event.after["services"] == ["coaching", "assurance"]
    # each active PMO administrator hears of it, with a link to decide
    assert sorted(message.recipient for message in mail()) == [admin.email, other_admin.email]
    message = mail()[0]
    assert message.subject == "New request for PMO support: Digital outpatient letters"
    assert "Zoë Ashworth has asked the PMO for support with Digital outpatient letters" in (
        message.body_text
    )
    assert "Coaching, Reporting and assurance" in message.body_text
    assert f"http://localhost/support/{support.id}" in message.body_text


def test_an_admin_asking_is_not_mailed_about_their_own_request(app, make_project, admin):
    request_support(make_project(), by=admin, services={SupportService.ADVICE}, need="Advice")
    assert mail() == []


@pytest.mark.parametrize(
    ("services", "need", "expected"),
    [
        (set(), "Help", {"services": "Choose at least one kind of support you need"}),
        ({SupportService.ADVICE}, "   ", {"need": "Say what you need from the PMO"}),
        (
            {SupportService.ADVICE},
            "x" * 2001,
            {"need": "Say what you need in 2,000 characters or fewer"},
        ),
        (
            set(),
            "",
            {
                "services": "Choose at least one kind of support you need",
                "need": "Say what you need from the PMO",
            },
        ),
    ],
)
def test_a_request_needs_a_service_and_a_need(app, make_project, learner, services, need, expected):
    project = make_project()
    with pytest.raises(SupportError) as refused:
        request_support(project, by=learner, services=services, need=need)
    assert problems_of(refused.value) == expected
    db.session.rollback()
    assert count(Support) == 0


def test_a_need_of_exactly_2000_characters_is_taken(app, make_project, learner):
    support = request_support(
        make_project(), by=learner, services={SupportService.ADVICE}, need="x" * 2000
    )
    assert len(support.need) == 2000


# --- accepting -----------------------------------------------------------------------------


def test_accepting_names_the_person_and_dates_and_tells_the_requester(
    app, waiting, learner, admin, coach
):
    accept(
        waiting,
        by=admin,
        responsible=coach,
        starts_on=date(2026, 5, 1),
        ends_on=date(2026, 9, 30),
    )
    db.session.commit()

    assert waiting.status == SupportStatus.ACCEPTED
    assert (waiting.responsible_id, waiting.starts_on, waiting.ends_on) == (
        coach.id,
        date(2026, 5, 1),
        date(2026, 9, 30),
    )
    assert waiting.decided_by_id == admin.id and waiting.decided_at is not None
    [event] = events("support.accepted")
    assert event.actor_id == admin.id
    assert event.before["status"] == "requested" and event.after["status"] == "accepted"
    assert event.after["responsible_id"] == coach.id
    assert event.after["starts_on"] == "2026-05-01"
    to_requester, to_coach = mail()
    assert to_requester.recipient == learner.email
    assert to_requester.subject == (
        "Your request for PMO support is accepted: Digital outpatient letters"
    )
    assert "Siân ap Gwyn is responsible for it (coach@example.nhs.uk)." in to_requester.body_text
    assert "The support runs from 1 May 2026 to 30 September 2026." in to_requester.body_text
    assert f"http://localhost/support/{waiting.id}" in to_requester.body_text
    assert "Immersive project management" in to_requester.body_text
    assert "Siân ap Gwyn is responsible" in to_requester.body_html
    assert to_coach.recipient == coach.email
    assert to_coach.subject == "You are responsible for PMO support: Digital outpatient letters"


def test_support_may_be_open_ended_and_the_admin_may_be_responsible(app, waiting, learner, admin):
    accept(waiting, by=admin, responsible=admin, starts_on=date(2026, 5, 1))
    assert waiting.ends_on is None
    [message] = mail()  # the admin who took it on is not mailed about it
    assert message.recipient == learner.email
    assert "The support runs from 1 May 2026, with no end date set." in message.body_text


def test_a_request_is_decided_once_only(app, waiting, admin, coach):
    accept(waiting, by=admin, responsible=coach, starts_on=date(2026, 5, 1))
    db.session.commit()
    with pytest.raises(SupportError, match="This request has already been accepted"):
        accept(waiting, by=admin, responsible=coach, starts_on=date(2026, 6, 1))
    db.session.rollback()
    with pytest.raises(SupportError, match="This request has already been accepted"):
        decline(waiting, by=admin, reason="Changed our minds")
    db.session.rollback()
    assert waiting.starts_on == date(2026, 5, 1) and waiting.status == SupportStatus.ACCEPTED
    assert len(events("support.accepted")) == 1 and events("support.declined") == []


def test_a_declined_request_cannot_then_be_accepted(app, waiting, admin, coach):
    decline(waiting, by=admin, reason="Out of scope")
    db.session.commit()
    with pytest.raises(SupportError, match="already been declined"):
        accept(waiting, by=admin, responsible=coach, starts_on=date(2026, 5, 1))
    db.session.rollback()
    assert waiting.status == SupportStatus.DECLINED and waiting.responsible_id is None


def test_a_second_admin_deciding_a_stale_copy_is_refused(app, waiting, admin, coach):
    """Another request decided it meanwhile: the row is read afresh before the change."""
    db.session.execute(
        Support.__table__.update()
        .where(Support.__table__.c.id == waiting.id)
        .values(status="declined", decline_reason="No capacity")
    )
    assert waiting.status == SupportStatus.REQUESTED  # the stale copy
    with pytest.raises(SupportError, match="already been declined"):
        accept(waiting, by=admin, responsible=coach, starts_on=date(2026, 5, 1))


def test_only_a_pmo_admin_decides(app, waiting, learner, coach):
    with pytest.raises(SupportError, match="Only PMO administrators"):
        accept(waiting, by=coach, responsible=coach, starts_on=date(2026, 5, 1))
    with pytest.raises(SupportError, match="Only PMO administrators"):
        decline(waiting, by=learner, reason="No")
    assert waiting.status == SupportStatus.REQUESTED


def test_accepting_checks_each_field(app, waiting, admin, make_user, learner):
    with pytest.raises(SupportError) as refused:
        accept(waiting, by=admin, responsible=None, starts_on=None)
    assert problems_of(refused.value) == {
        "responsible_id": "Choose the person responsible",
        "starts_on": "Enter the date the support starts",
    }
    gone = make_user(roles=[Role.TRAINER], is_active_account=False)
    for person in (learner, gone):
        with pytest.raises(SupportError) as refused:
            accept(
                waiting,
                by=admin,
                responsible=person,
                starts_on=date(2026, 5, 2),
                ends_on=date(2026, 5, 1),
            )
        assert problems_of(refused.value) == {
            "responsible_id": "Choose a PMO administrator or trainer whose account is active",
            "ends_on": "The end date must be the same as or after the start date",
        }
    db.session.rollback()
    assert waiting.status == SupportStatus.REQUESTED
    assert events("support.accepted") == [] and mail() == []


def test_a_support_of_one_day_is_accepted(app, waiting, admin, coach):
    accept(
        waiting, by=admin, responsible=coach, starts_on=date(2026, 5, 1), ends_on=date(2026, 5, 1)
    )
    assert waiting.ends_on == waiting.starts_on


# --- declining -----------------------------------------------------------------------------


def test_declining_gives_the_reason_to_the_requester(app, waiting, learner, admin):
    decline(waiting, by=admin, reason="  The PMO has no coach free until the autumn.  ")
    db.session.commit()

    assert waiting.status == SupportStatus.DECLINED
    assert waiting.decline_reason == "The PMO has no coach free until the autumn."
    assert waiting.decided_by_id == admin.id
    [event] = events("support.declined")
    assert event.after["decline_reason"] == "The PMO has no coach free until the autumn."
    [message] = mail()
    assert message.recipient == learner.email
    assert (
        message.subject == "Your request for PMO support was declined: Digital outpatient letters"
    )
    assert "Their reason: The PMO has no coach free until the autumn." in message.body_text
    assert f"http://localhost/support/{waiting.id}" in message.body_text


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "Give the reason for declining the request"),
        (" \n ", "Give the reason for declining the request"),
        ("x" * 1001, "Give the reason in 1,000 characters or fewer"),
    ],
)
def test_declining_needs_a_reason(app, waiting, admin, reason, message):
    with pytest.raises(SupportError) as refused:
        decline(waiting, by=admin, reason=reason)
    assert problems_of(refused.value) == {"reason": message}
    db.session.rollback()
    assert waiting.status == SupportStatus.REQUESTED and mail() == []


def test_a_reason_of_exactly_1000_characters_is_taken(app, waiting, admin):
    decline(waiting, by=admin, reason="x" * 1000)
    assert len(waiting.decline_reason) == 1000


# --- withdrawing ---------------------------------------------------------------------------


def test_the_requester_withdraws_a_waiting_request(app, waiting, learner, admin, make_user):
    with pytest.raises(SupportError, match="Only the person who asked"):
        withdraw(waiting, by=admin)
    support_id = waiting.id
    withdraw(waiting, by=learner)
    db.session.commit()
    assert db.session.get(Support, support_id) is None
    [event] = events("support.withdrawn")
    assert event.entity_id == str(support_id) and event.before["status"] == "requested"


def test_a_decided_request_cannot_be_withdrawn(app, waiting, learner, admin):
    decline(waiting, by=admin, reason="No")
    db.session.commit()
    with pytest.raises(SupportError, match="already been declined"):
        withdraw(waiting, by=learner)


# --- the target ----------------------------------------------------------------------------


def test_support_across_31_march_counts_in_both_years(
    app, make_project, make_support, learner, coach
):
    support = make_support(
        make_project(),
        learner,
        responsible=coach,
        starts_on=date(2026, 3, 20),
        ends_on=date(2026, 4, 10),
    )
    assert supported_projects(FY_2025) == 1
    assert supported_projects(FY_2026) == 1
    assert supported_projects(financial_year(2024)) == 0
    assert supported_projects(financial_year(2027)) == 0
    for year in (FY_2025, FY_2026):
        assert db.session.scalars(select(Support).where(active_in(year))).all() == [support]


@pytest.mark.parametrize(
    ("starts_on", "ends_on", "years"),
    [
        (date(2026, 3, 31), date(2026, 3, 31), [2025]),  # the last day of 2025/26 only
        (date(2026, 4, 1), date(2026, 4, 1), [2026]),  # the first day of 2026/27 only
        (date(2026, 3, 31), date(2026, 4, 1), [2025, 2026]),  # the two days either side
        (date(2025, 4, 1), date(2026, 3, 31), [2025]),  # exactly the year
        (date(2024, 6, 1), date(2027, 6, 1), [2024, 2025, 2026, 2027]),  # years through
        (date(2026, 3, 31), None, [2025, 2026, 2027]),  # open-ended: every year from its start
    ],
)
def test_support_counts_in_the_years_it_overlaps(
    app, make_project, make_support, learner, coach, starts_on, ends_on, years
):
    make_support(make_project(), learner, responsible=coach, starts_on=starts_on, ends_on=ends_on)
    counted = [starts for starts in range(2023, 2028) if supported_projects(financial_year(starts))]
    assert counted == years


def test_requested_and_declined_support_never_counts(
    app, make_project, make_support, learner, coach
):
    project = make_project()
    make_support(project, learner, status=SupportStatus.REQUESTED)
    # even with dates and a person (as a declined request after a change of mind might be)
    make_support(
        project,
        learner,
        status=SupportStatus.DECLINED,
        responsible=coach,
        starts_on=date(2026, 5, 1),
        decline_reason="No",
    )
    assert supported_projects(FY_2026) == 0
    assert db.session.scalars(select(Support).where(active_in(FY_2026))).all() == []


def test_each_project_counts_once_however_much_support_it_has(
    app, make_project, make_support, learner, coach
):
    first, second, third = (make_project(f"Project {n}") for n in range(3))
    for kind in ("coaching", "immersive", "assurance"):
        make_support(first, learner, responsible=coach, starts_on=date(2026, 5, 1), **{kind: True})
    make_support(second, learner, responsible=coach, starts_on=date(2026, 12, 1))
    make_support(third, learner, responsible=coach, starts_on=date(2027, 4, 1))  # next year
    assert supported_projects(FY_2026) == 2
    assert supported_projects(financial_year(2027)) == 3  # the open-ended two run on


def test_the_target_is_20_unless_configured(app):
    assert support_service.target() == 20
    app.config["PROJECTS_SUPPORTED_TARGET"] = 25
    assert support_service.target() == 25


# --- who sees what -------------------------------------------------------------------------


def test_who_may_see_a_request(app, make_project, make_support, make_user, admin, coach):
    asker, lead, manager, registrant, member, outsider, gone = (make_user() for _ in range(7))
    project = make_project(
        lead=lead,
        members={
            manager: ProjectRole.PROJECT_MANAGER,
            member: ProjectRole.MEMBER,
            registrant: ProjectRole.MEMBER,
        },
        created_by_id=registrant.id,
    )
    people = {
        "admin": admin,
        "asker": asker,
        "coach": coach,
        "lead": lead,
        "manager": manager,
        "registrant": registrant,
        "member": member,
        "outsider": outsider,
    }

    def seen_and_listed(support) -> tuple[set[str], set[str]]:
        seen = {name for name, person in people.items() if support_service.may_see(support, person)}
        listed = {
            name
            for name, person in people.items()
            if name != "admin"
            and support.id
            in {row.id for row in db.session.scalars(support_service.supports(viewer=person))}
        }
        return seen, listed

    assurance = make_support(project, asker, responsible=coach, assurance=True, coaching=False)
    insiders = {"admin", "asker", "coach", "lead", "manager", "registrant"}
    assert seen_and_listed(assurance) == (insiders, insiders - {"admin"})
    # A request for coaching is personal: not for the project's lead or manager.
    coached = make_support(project, asker, responsible=coach, coaching=True)
    assert seen_and_listed(coached) == ({"admin", "asker", "coach"}, {"asker", "coach"})
    # Whoever registered a project sees its requests only while they are on it.
    other = make_project("Registered, then left", created_by_id=gone.id)
    left = make_support(other, asker, responsible=coach, assurance=True, coaching=False)
    assert not support_service.may_see(left, gone)
    assert not db.session.scalars(support_service.supports(viewer=gone)).all()


def test_the_list_puts_waiting_requests_first(app, make_project, make_support, learner, coach):
    project = make_project()
    accepted = make_support(project, learner, responsible=coach)
    waiting = make_support(project, learner, status=SupportStatus.REQUESTED)
    declined = make_support(project, learner, status=SupportStatus.DECLINED, decline_reason="No")
    assert db.session.scalars(support_service.supports()).all() == [waiting, declined, accepted]
    assert db.session.scalars(support_service.supports(status=SupportStatus.ACCEPTED)).all() == [
        accepted
    ]
    assert support_service.waiting_count() == 1


def test_the_list_of_a_year_holds_its_active_support_and_its_unaccepted_requests(
    app, make_project, make_support, learner, coach
):
    project = make_project()
    running = make_support(
        project, learner, responsible=coach, starts_on=date(2026, 3, 1), ends_on=date(2026, 6, 1)
    )
    make_support(
        project, learner, responsible=coach, starts_on=date(2025, 5, 1), ends_on=date(2025, 6, 1)
    )
    # asked at 00:30 UK time on 1 April 2026 (23:30 UTC the day before): in 2026/27
    asked = make_support(
        project,
        learner,
        status=SupportStatus.REQUESTED,
        created_at=datetime(2026, 3, 31, 23, 30, tzinfo=UTC),
    )
    make_support(
        project,
        learner,
        status=SupportStatus.DECLINED,
        decline_reason="No",
        created_at=datetime(2026, 3, 31, 22, 30, tzinfo=UTC),  # 23:30 on 31 March: 2025/26
    )
    listed = db.session.scalars(support_service.supports(year=FY_2026)).all()
    assert listed == [asked, running]


def test_a_projects_requests_and_the_supported_projects_of_a_year(
    app, make_project, make_support, learner, coach
):
    first, second = make_project("First"), make_project("Second")
    accepted = make_support(first, learner, responsible=coach, starts_on=date(2026, 5, 1))
    waiting = make_support(first, learner, status=SupportStatus.REQUESTED)
    make_support(second, learner, status=SupportStatus.REQUESTED)
    assert db.session.scalars(support_service.of_project(first.id)).all() == [waiting, accepted]
    supported = select(Project.title).where(
        Project.id.in_(support_service.supported_project_ids(FY_2026))
    )
    assert db.session.scalars(supported).all() == ["First"]


def test_coaching_is_never_given_by_the_coachee_themself(app, make_project, admin, coach):
    asked = support_service.request_support(
        make_project(), by=coach, services={SupportService.COACHING}, need="Coach me"
    )
    with pytest.raises(DomainError) as refused:
        support_service.accept(asked, by=admin, responsible=coach, starts_on=date(2026, 5, 1))
    assert "different people" in str(refused.value)
