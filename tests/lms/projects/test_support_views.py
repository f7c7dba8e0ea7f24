"""The PMO support pages: asking, the list (with the count against the target), one
request, and the PMO's answer; who gets in, the messages beside the fields, the mail, and
statement counts that do not grow with the requests."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from lms.auth.models import Role, User
from lms.core import outbox
from lms.core.extensions import db
from lms.core.outbox import OutboxMessage
from lms.core.timezones import local_today
from lms.projects.models import Project, ProjectRole, Support, SupportStatus
from lms.projects.years import financial_year, financial_year_of
from tests.helpers import count, events, field_error, links_in, sign_in, text_of


def as_user(app, user):
    """A client of its own, logged in as `user` (what a login leaves)."""
    client = app.test_client()
    sign_in(client, user.get_id())
    return client


def rows(page: str) -> list[str]:
    """The list's rows as text, first to last."""
    body = re.search(r"<tbody.*?</tbody>", page, re.S)
    if body is None:
        return []
    return [
        " ".join(re.sub(r"<[^>]+>", " ", row).split())
        for row in re.findall(r"<tr\b.*?</tr>", body.group(0), re.S)
    ]


@pytest.fixture
def coach(make_user):
    return make_user("coach@example.nhs.uk", full_name="Siân ap Gwyn", roles=[Role.TRAINER])


@pytest.fixture
def project(make_project, make_user):
    lead = make_user("lead@example.nhs.uk", full_name="Lowri Lead")
    return make_project("Digital outpatient letters", lead=lead)


@pytest.fixture
def waiting(project, make_support, learner):
    return make_support(project, learner, status=SupportStatus.REQUESTED, immersive=True)


# --- asking --------------------------------------------------------------------------------


def test_anyone_asks_for_support_for_a_project(app, project, learner, admin):
    client = as_user(app, learner)
    page = client.get(f"/projects/{project.id}/support/new")
    assert page.status_code == 200
    assert "Ask the PMO for support" in text_of(page)
    assert 'type="checkbox" value="coaching"' in text_of(page)

    sent = client.post(
        f"/projects/{project.id}/support/new",
        data={"services": ["coaching", "advice"], "need": "A coach for my first project board."},
    )

    support = db.session.scalar(select(Support))
    assert sent.status_code == 302
    assert sent.headers["Location"] == f"/support/{support.id}"
    assert support.services_text == "Coaching, Advice"
    assert support.requested_by_id == learner.id
    shown = text_of(client.get(sent.headers["Location"]))
    assert "Your request has been sent to the PMO" in shown
    assert "A coach for my first project board." in shown
    assert "This request is waiting for a PMO administrator's decision." in shown
    assert "Withdraw your request" in shown
    assert [message.recipient for message in db.session.scalars(select(OutboxMessage))] == [
        admin.email
    ]


def test_asking_shows_each_problem_beside_its_field(app, project, learner):
    response = as_user(app, learner).post(
        f"/projects/{project.id}/support/new", data={"services": [], "need": "  "}
    )
    page = text_of(response)
    assert response.status_code == 422
    assert field_error(page, "services") == "Choose at least one kind of support you need"
    assert field_error(page, "need") == "Say what you need from the PMO"
    assert "<title>Error: " in page
    assert count(Support) == 0


def test_asking_refuses_a_service_that_does_not_exist(app, project, learner):
    response = as_user(app, learner).post(
        f"/projects/{project.id}/support/new", data={"services": ["magic"], "need": "Help"}
    )
    assert response.status_code == 422
    assert field_error(text_of(response), "services") == "Choose one of the options given"
    assert count(Support) == 0


def test_asking_for_a_project_that_does_not_exist_is_404(app, learner):
    client = as_user(app, learner)
    assert client.get("/projects/999/support/new").status_code == 404
    assert (
        client.post("/projects/999/support/new", data={"services": ["advice"]}).status_code == 404
    )


def test_pages_need_a_login(app, client, waiting):
    for url in (
        "/support/",
        f"/support/{waiting.id}",
        f"/projects/{waiting.project_id}/support/new",
    ):
        assert client.get(url).status_code == 302


# --- one request: who sees it --------------------------------------------------------------


def test_a_request_is_seen_by_admins_the_requester_the_responsible_and_who_runs_it(
    app, make_project, make_support, make_user, admin, coach
):
    asker, lead, manager, registrant, member, outsider = (make_user() for _ in range(6))
    project = make_project(
        lead=lead,
        members={
            manager: ProjectRole.PROJECT_MANAGER,
            member: ProjectRole.MEMBER,
            registrant: ProjectRole.MEMBER,
        },
        created_by_id=registrant.id,
    )
    support = make_support(project, asker, responsible=coach, assurance=True, coaching=False)
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
    statuses = {
        name: as_user(app, person).get(f"/support/{support.id}").status_code
        for name, person in people.items()
    }
    assert statuses == {
        "admin": 200,
        "asker": 200,
        "coach": 200,
        "lead": 200,
        "manager": 200,
        "registrant": 200,
        "member": 404,
        "outsider": 404,
    }
    assert as_user(app, admin).get("/support/999").status_code == 404


def test_the_page_shows_the_request_and_the_decision(
    app, project, make_support, learner, coach, admin
):
    support = make_support(
        project,
        learner,
        responsible=coach,
        starts_on=date(2026, 5, 1),
        ends_on=date(2026, 9, 30),
        coaching=True,
        assurance=True,
        need="Line one\nLine two",
        decided_by_id=admin.id,
    )
    page = text_of(as_user(app, learner).get(f"/support/{support.id}"))
    assert "Digital outpatient letters" in page
    assert "Coaching, Reporting and assurance" in page
    assert "Line one\nLine two" in page
    assert "Siân ap Gwyn" in page
    assert "From 1 May 2026 to 30 September 2026" in page
    assert '<strong class="nhsuk-tag nhsuk-tag--green">\n  Accepted\n</strong>' in page
    assert "Accept this request" not in page and "Withdraw your request" not in page


def test_admins_see_the_forms_to_decide_a_waiting_request_and_no_one_else(
    app, waiting, learner, admin, coach, make_user
):
    other_admin = make_user(full_name="Bo Admin", roles=[Role.ADMIN])
    make_user(full_name="Gone Trainer", roles=[Role.TRAINER], is_active_account=False)
    make_user(full_name="Plain Learner")
    page = text_of(as_user(app, admin).get(f"/support/{waiting.id}"))
    assert "Accept this request" in page and "Decline this request" in page
    offered = re.findall(
        r'<option value="(\d*)"[^>]*>([^<]*)</option>',
        re.search(r'<select[^>]*id="accept-responsible_id".*?</select>', page, re.S).group(0),
    )
    assert [name for _, name in offered] == [
        "Choose a person",
        "Amara Okafor",
        "Bo Admin",
        "Siân ap Gwyn",
    ]
    assert other_admin.full_name in page
    assert f'value="{local_today().isoformat()}"' in page  # the start date suggested
    mine = text_of(as_user(app, learner).get(f"/support/{waiting.id}"))
    assert "Accept this request" not in mine and "Decline this request" not in mine


# --- the PMO's answer ----------------------------------------------------------------------


def test_a_learner_may_not_decide(app, waiting, learner, coach):
    client = as_user(app, learner)
    data = {"accept-responsible_id": str(coach.id), "accept-starts_on": "2026-05-01"}
    assert client.post(f"/support/{waiting.id}/accept", data=data).status_code == 403
    assert (
        client.post(f"/support/{waiting.id}/decline", data={"decline-reason": "No"}).status_code
        == 403
    )
    assert as_user(app, coach).post(f"/support/{waiting.id}/accept", data=data).status_code == 403
    assert waiting.status == SupportStatus.REQUESTED


def test_an_admin_accepts(app, waiting, admin, coach, learner):
    response = as_user(app, admin).post(
        f"/support/{waiting.id}/accept",
        data={
            "accept-responsible_id": str(coach.id),
            "accept-starts_on": "2026-05-01",
            "accept-ends_on": "30/09/2026",
        },
        follow_redirects=True,
    )
    db.session.refresh(waiting)
    page = text_of(response)
    assert response.status_code == 200
    assert "The request is accepted. The person who asked has been told." in page
    assert "From 1 May 2026 to 30 September 2026" in page
    assert "Accept this request" not in page
    assert waiting.status == SupportStatus.ACCEPTED and waiting.responsible_id == coach.id
    assert len(events("support.accepted")) == 1
    assert sorted(db.session.scalars(select(OutboxMessage.recipient))) == sorted(
        [learner.email, coach.email]
    )


def test_accepting_shows_each_problem_beside_its_field(app, waiting, admin, learner):
    client = as_user(app, admin)
    response = client.post(
        f"/support/{waiting.id}/accept",
        data={"accept-responsible_id": "", "accept-starts_on": "", "accept-ends_on": ""},
    )
    page = text_of(response)
    assert response.status_code == 422
    assert field_error(page, "accept-responsible_id") == "Choose the person responsible"
    assert field_error(page, "accept-starts_on") == "Enter the date the support starts"
    assert "There is a problem" in page and "Decline this request" in page

    response = client.post(
        f"/support/{waiting.id}/accept",
        data={
            "accept-responsible_id": str(learner.id),  # not offered: not PMO or a trainer
            "accept-starts_on": "2026-13-01",
            "accept-ends_on": "2026-05-01",
        },
    )
    page = text_of(response)
    assert response.status_code == 422
    assert field_error(page, "accept-responsible_id") == (
        "Choose the person responsible from the list"
    )
    assert field_error(page, "accept-starts_on") == (
        "Enter the start date as a real date, like 2026-04-01"
    )

    response = client.post(
        f"/support/{waiting.id}/accept",
        data={
            "accept-responsible_id": str(admin.id),
            "accept-starts_on": "2026-05-02",
            "accept-ends_on": "2026-05-01",
        },
    )
    page = text_of(response)
    assert response.status_code == 422
    assert field_error(page, "accept-ends_on") == (
        "The end date must be the same as or after the start date"
    )
    assert 'value="2026-05-02"' in page  # what was sent is kept
    db.session.refresh(waiting)
    assert waiting.status == SupportStatus.REQUESTED
    assert events("support.accepted") == [] and count(OutboxMessage) == 0


def test_an_admin_declines_with_a_reason(app, waiting, admin, learner):
    client = as_user(app, admin)
    refused = client.post(f"/support/{waiting.id}/decline", data={"decline-reason": " "})
    assert refused.status_code == 422
    assert field_error(text_of(refused), "decline-reason") == (
        "Give the reason for declining the request"
    )
    too_long = client.post(f"/support/{waiting.id}/decline", data={"decline-reason": "x" * 1001})
    assert field_error(text_of(too_long), "decline-reason") == (
        "Give the reason in 1,000 characters or fewer"
    )
    assert count(OutboxMessage) == 0

    declined = client.post(
        f"/support/{waiting.id}/decline",
        data={"decline-reason": "No coach is free until the autumn."},
        follow_redirects=True,
    )
    page = text_of(declined)
    assert "The request is declined." in page
    assert "No coach is free until the autumn." in page
    db.session.refresh(waiting)
    assert waiting.status == SupportStatus.DECLINED
    [message] = db.session.scalars(select(OutboxMessage))
    assert message.recipient == learner.email


def test_a_request_decided_meanwhile_is_not_decided_again(app, waiting, admin, coach):
    client = as_user(app, admin)
    client.post(f"/support/{waiting.id}/decline", data={"decline-reason": "Out of scope"})
    response = client.post(
        f"/support/{waiting.id}/accept",
        data={"accept-responsible_id": str(coach.id), "accept-starts_on": "2026-05-01"},
    )
    page = text_of(response)
    assert response.status_code == 422
    assert "This request has already been declined" in page
    assert "Accept this request" not in page
    db.session.refresh(waiting)
    assert waiting.status == SupportStatus.DECLINED and waiting.responsible_id is None


def test_deciding_a_request_that_does_not_exist_is_404(app, admin, coach):
    client = as_user(app, admin)
    assert client.post("/support/999/decline", data={"decline-reason": "No"}).status_code == 404
    assert client.post("/support/999/accept", data={}).status_code == 404


# --- withdrawing ---------------------------------------------------------------------------


def test_only_the_requester_withdraws(app, waiting, learner, admin, project):
    lead = db.session.get(User, project.members[0].person_id)
    for someone in (admin, lead):
        assert as_user(app, someone).post(f"/support/{waiting.id}/withdraw").status_code == 404
    response = as_user(app, learner).post(f"/support/{waiting.id}/withdraw")
    assert response.status_code == 302 and response.headers["Location"] == "/support/"
    assert count(Support) == 0
    assert len(events("support.withdrawn")) == 1


# --- the list ------------------------------------------------------------------------------


def test_admins_see_every_request_waiting_first_and_the_count_against_the_target(
    app, make_project, make_support, make_user, admin, coach, learner
):
    asker = make_user(full_name="Rhys Patel")
    this_year = financial_year_of(local_today())
    first, second = make_project("Ward moves"), make_project("Bed board")
    make_support(first, asker, responsible=coach, starts_on=this_year.first_day)
    make_support(first, asker, responsible=coach, starts_on=this_year.last_day)
    make_support(second, learner, status=SupportStatus.REQUESTED)
    make_support(second, learner, status=SupportStatus.DECLINED, decline_reason="No")

    page = text_of(as_user(app, admin).get("/support/"))
    assert f"1 of 20 projects supported in {this_year.label}" in " ".join(
        re.sub(r"<[^>]+>", " ", page).split()
    )
    assert "1 request is waiting for a decision" in page
    listed = rows(page)
    assert len(listed) == 4
    assert listed[0].startswith("Bed board") and "Requested" in listed[0]

    app.config["PROJECTS_SUPPORTED_TARGET"] = 12
    earlier = financial_year(this_year.starts - 1)
    page = text_of(as_user(app, admin).get(f"/support/?year={earlier.starts}"))
    assert f"0 of 12 projects supported in {earlier.label}" in " ".join(
        re.sub(r"<[^>]+>", " ", page).split()
    )
    assert rows(page) == []  # nothing ran or was asked for that year
    accepted = text_of(as_user(app, admin).get("/support/?status=accepted"))
    assert len(rows(accepted)) == 2


def test_a_filter_not_understood_is_said_and_ignored(app, admin, waiting):
    response = as_user(app, admin).get("/support/?status=lost&year=1800&page=x")
    page = text_of(response)
    assert response.status_code == 200
    assert field_error(page, "status") == "Choose a status from the list"
    assert field_error(page, "year") == "Choose a financial year from the list"
    assert len(rows(page)) == 1


def test_everyone_else_sees_what_they_asked_for_or_are_responsible_for(
    app, make_project, make_support, make_user, learner, coach
):
    someone = make_user(full_name="Rhys Patel")
    make_support(make_project("Mine"), learner, responsible=coach)
    make_support(make_project("Coached"), someone, responsible=coach)
    make_support(make_project("Theirs"), someone, status=SupportStatus.REQUESTED)

    mine = text_of(as_user(app, learner).get("/support/"))
    assert [row.split(" ")[0] for row in rows(mine)] == ["Mine"]
    assert "projects supported in" not in mine
    coached = rows(text_of(as_user(app, coach).get("/support/")))
    assert sorted(row.split(" ")[0] for row in coached) == ["Coached", "Mine"]
    nothing = text_of(as_user(app, make_user()).get("/support/"))
    assert "You have no requests for support." in nothing


def _add_supports(number: int, asker: User, coach: User) -> None:
    projects = [
        Project(title=f"Project {n:03d}", starts_on=date(2026, 6, 1)) for n in range(number)
    ]
    db.session.add_all(projects)
    db.session.flush()
    for n, project in enumerate(projects):
        people = [User(email=f"asker{project.id}@example.nhs.uk", full_name=f"Asker {n}")]
        db.session.add_all(people)
        db.session.flush()
        accepted = n % 3 == 0
        db.session.add(
            Support(
                project_id=project.id,
                requested_by_id=asker.id if n % 2 else people[0].id,
                coaching=True,
                need="Help",
                status=SupportStatus.ACCEPTED if accepted else SupportStatus.REQUESTED,
                responsible_id=coach.id if accepted else None,
                starts_on=local_today() if accepted else None,
            )
        )
    db.session.commit()


def test_the_list_costs_the_same_statements_with_3_and_30_requests(
    app, admin, learner, coach, count_queries
):
    urls = ["/support/", "/support/?status=accepted", f"/support/?year={local_today().year}"]

    def statements(user) -> list[int]:
        client = as_user(app, user)
        measured = []
        for url in urls:
            client.get(url)  # anything a first request does once
            with count_queries() as counter:
                response = client.get(url)
            assert response.status_code == 200, url
            measured.append(counter.count)
        return measured

    _add_supports(3, learner, coach)
    small = {"admin": statements(admin), "learner": statements(learner)}
    _add_supports(30, learner, coach)
    large = {"admin": statements(admin), "learner": statements(learner)}
    assert small == large
    assert len(rows(text_of(as_user(app, admin).get("/support/")))) == 25  # a page


def test_a_request_page_costs_the_same_statements_however_much_else_there_is(
    app, admin, learner, coach, waiting, count_queries
):
    client = as_user(app, admin)
    url = f"/support/{waiting.id}"

    def statements() -> int:
        client.get(url)
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        return counter.count

    small = statements()
    _add_supports(30, learner, coach)
    assert statements() == small


# --- end to end, with mail -----------------------------------------------------------------


def test_ask_accept_and_the_requester_is_mailed_a_link_to_the_request(
    app, project, learner, admin, coach, smtp
):
    asked = as_user(app, learner).post(
        f"/projects/{project.id}/support/new",
        data={"services": ["coaching"], "need": "A coach for the business case."},
    )
    assert asked.status_code == 302
    assert outbox.deliver_due() == 1
    [to_pmo] = smtp
    assert to_pmo["To"] == admin.email
    assert to_pmo["Subject"] == "New request for PMO support: Digital outpatient letters"
    [link] = [link for link in links_in(to_pmo) if "/support/" in link]

    pmo = as_user(app, admin)
    assert "Accept this request" in text_of(pmo.get(urlsplit(link).path))
    support_id = int(urlsplit(link).path.rsplit("/", 1)[1])
    accepted = pmo.post(
        f"/support/{support_id}/accept",
        data={"accept-responsible_id": str(coach.id), "accept-starts_on": "2026-05-01"},
    )
    assert accepted.status_code == 302

    assert outbox.deliver_due() == 2
    to_requester = next(message for message in smtp if message["To"] == learner.email)
    assert to_requester["Subject"] == (
        "Your request for PMO support is accepted: Digital outpatient letters"
    )
    body = to_requester.get_body(("plain",)).get_content()
    assert "Siân ap Gwyn is responsible for it" in body
    assert "The support runs from 1 May 2026, with no end date set." in body
    [their_link] = [link for link in links_in(to_requester) if "/support/" in link]
    page = as_user(app, learner).get(urlsplit(their_link).path)
    assert page.status_code == 200 and "Siân ap Gwyn" in text_of(page)
    to_coach = next(message for message in smtp if message["To"] == coach.email)
    assert to_coach["Subject"] == "You are responsible for PMO support: Digital outpatient letters"


def test_the_two_forms_of_a_request_page_carry_their_own_csrf_tokens(
    make_app, app, waiting, admin, coach
):
    """With CSRF on (as in production): each form's token has its prefix, so the page has
    no two elements with one id, and each form's token is accepted."""
    guarded = make_app(WTF_CSRF_ENABLED=True)
    client = guarded.test_client()
    sign_in(client, admin.get_id())
    page = text_of(client.get(f"/support/{waiting.id}"))
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    token = re.search(r'name="accept-csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert 'name="decline-csrf_token"' in page

    forged = client.post(
        f"/support/{waiting.id}/accept",
        data={"accept-responsible_id": str(coach.id), "accept-starts_on": "2026-05-01"},
    )
    assert forged.status_code == 400
    accepted = client.post(
        f"/support/{waiting.id}/accept",
        data={
            "accept-csrf_token": token,
            "accept-responsible_id": str(coach.id),
            "accept-starts_on": "2026-05-01",
        },
    )
    assert accepted.status_code == 302
    db.session.refresh(waiting)
    assert waiting.status == SupportStatus.ACCEPTED
