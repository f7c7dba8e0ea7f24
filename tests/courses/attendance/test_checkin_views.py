"""Self check-in pages (courses/views/checkin.py): the trainer's QR screen, its JSON feed,
who may see them, and a learner checking in through /check-in?code=… as scanning does.

The views (and the home page, which offers check-in while it is open) read the clock
through `utcnow`, frozen here at NOW, five minutes before the session starts.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

import pytest
import segno
from sqlalchemy import select

from courses.attendance import checkin
from courses.attendance import checkin_views as checkin_views
from courses.models import (
    AttendanceRecord,
    AttendanceStatus,
    CohortStatus,
    DeliveryMode,
    EnrolmentStatus,
)
from lms.auth.models import Role
from lms.core.extensions import db
from lms.home import views as home
from tests.helpers import PASSWORD, log_in
from tests.helpers import events as all_events

START = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
NOW = START - timedelta(minutes=5)


def at(monkeypatch, moment: datetime) -> None:
    """Sets the clock the views (and the home page) read to `moment`."""
    monkeypatch.setattr(home, "utcnow", lambda: moment)
    monkeypatch.setattr(checkin_views, "utcnow", lambda: moment)


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    at(monkeypatch, NOW)


@pytest.fixture
def cohort(make_course, make_cohort, trainer):
    course = make_course(title="Project foundations")
    cohort = make_cohort(course, sessions=[(START, START + timedelta(hours=3))])
    cohort.trainers = [trainer]
    db.session.commit()
    return cohort


@pytest.fixture
def session(cohort):
    return cohort.sessions[0]


@pytest.fixture
def enrolled(cohort, make_enrolment, learner):
    return make_enrolment(cohort, learner, requested_at=START - timedelta(days=7))


def screen_url(session) -> str:
    return f"/teach/sessions/{session.id}/check-in"


def start(client, session) -> None:
    """The trainer starts self check-in (a POST: opening a GET page changes nothing)."""
    assert client.post(screen_url(session)).status_code == 302


def svg_for(url: str) -> str:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(
        buffer, kind="svg", xmldecl=False, svgns=True, scale=10, border=4, light="white"
    )
    return buffer.getvalue().decode()


# --- the trainer's screen ----------------------------------------------------------------


def test_the_screen_shows_a_qr_code_and_the_typed_code(client, trainer, session):
    log_in(client, trainer.email, PASSWORD)
    start(client, session)
    response = client.get(screen_url(session))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    db.session.refresh(session)
    code = checkin.code_at(session, NOW)
    assert f'id="check-in-code">{code}</p>' in page
    source = re.search(r'id="check-in-qr" src="data:image/svg\+xml;charset=utf-8,([^"]+)"', page)
    svg = unquote(source.group(1))
    assert svg.startswith("<svg") and 'xmlns="http://www.w3.org/2000/svg"' in svg
    assert svg == svg_for(f"http://localhost/check-in?code={code}")
    assert 'src="/static/js/check-in.js"' in page and 'type="module"' in page
    assert f'data-url="/teach/sessions/{session.id}/check-in.json"' in page
    assert "Nobody has checked in yet." in page
    # No inline script of ours: every script is a file, except the frame's one nonced line.
    for tag in re.findall(r"<script[^>]*>", page):
        assert " src=" in tag or " nonce=" in tag, tag


def test_starting_check_in_makes_the_secret_once(client, trainer, session):
    log_in(client, trainer.email, PASSWORD)
    page = client.get(screen_url(session)).get_data(as_text=True)
    assert "Start self check-in" in page and "check-in-qr" not in page
    assert client.get(f"{screen_url(session)}.json").get_json()["started"] is False
    db.session.refresh(session)
    assert session.check_in_secret is None  # looking changes nothing
    start(client, session)
    db.session.refresh(session)
    secret = session.check_in_secret
    assert secret and len(secret) == 64
    start(client, session)
    db.session.refresh(session)
    assert session.check_in_secret == secret


def test_the_json_feed_gives_the_code_qr_expiry_and_names(client, trainer, session, enrolled):
    log_in(client, trainer.email, PASSWORD)
    start(client, session)
    response = client.get(f"{screen_url(session)}.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    data = response.get_json()
    db.session.refresh(session)
    code = checkin.code_at(session, NOW)
    assert data["code"] == code
    # The QR code encodes exactly the address that checks in with this code.
    assert data["check_in_url"] == f"http://localhost/check-in?code={code}"
    assert data["qr_svg"] == svg_for(data["check_in_url"])
    assert data["expires_in"] == 30 and data["rotation_seconds"] == 30
    assert 'id="check-in-seconds">30</span>' in client.get(screen_url(session)).get_data(
        as_text=True
    )
    assert data["open"] is True
    assert data["checked_in"] == [] and data["expected"] == 1
    assert response.headers["Cache-Control"] == "no-store"

    record = checkin.check_in(code, enrolled.learner, NOW)
    db.session.commit()
    assert client.get(f"{screen_url(session)}.json").get_json()["checked_in"] == [
        {
            "id": record.id,
            "name": "Zoë Ashworth",
            "at": "08:55",
            "same_device": None,
            "same_address": None,
            "different_network": None,
        }
    ]
    page = client.get(screen_url(session)).get_data(as_text=True)
    assert re.search(rf'<li data-record-id="{record.id}">\s*Zoë Ashworth', page)
    assert "1 of 1 expected learners" in page


def test_the_code_follows_the_clock(client, trainer, session, monkeypatch):
    log_in(client, trainer.email, PASSWORD)
    start(client, session)
    first = client.get(f"{screen_url(session)}.json").get_json()
    at(monkeypatch, NOW + timedelta(seconds=40))
    second = client.get(f"{screen_url(session)}.json").get_json()
    assert second["code"] != first["code"] and second["expires_in"] == 20


def test_the_screen_leads_back_to_the_sessions_register(client, trainer, session):
    log_in(client, trainer.email, PASSWORD)
    page = client.get(screen_url(session)).get_data(as_text=True)
    back = re.search(
        r'<a class="nhsuk-back-link"[^>]*href="([^"]+)"[^>]*>\s*(.*?)\s*</a>', page, re.S
    )
    assert back.group(1) == f"/teach/sessions/{session.id}/register"
    assert "Back to the register" in back.group(2)
    assert client.get(back.group(1)).status_code == 200


def test_a_cancelled_session_shows_no_code(client, trainer, session):
    session.cancelled = True
    db.session.commit()
    log_in(client, trainer.email, PASSWORD)
    page = client.get(screen_url(session)).get_data(as_text=True)
    assert "This session is cancelled" in page and "check-in-qr" not in page
    assert client.get(f"{screen_url(session)}.json").get_json() == {
        "cancelled": True,
        "started": False,
        "code": None,
        "checked_in": [],
    }


# --- who may see it ----------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", ".json"])
def test_a_trainer_of_another_cohort_gets_404(client, make_user, session, suffix):
    other = make_user(roles=[Role.TRAINER])
    log_in(client, other.email, PASSWORD)
    assert client.get(screen_url(session) + suffix).status_code == 404
    db.session.refresh(session)
    assert session.check_in_secret is None


@pytest.mark.parametrize("suffix", ["", ".json"])
def test_a_learner_gets_404(client, learner, session, enrolled, suffix):
    log_in(client, learner.email, PASSWORD)
    assert client.get(screen_url(session) + suffix).status_code == 404


@pytest.mark.parametrize("suffix", ["", ".json"])
def test_an_admin_may_open_any_screen(client, admin, session, suffix):
    log_in(client, admin.email, PASSWORD)
    assert client.get(screen_url(session) + suffix).status_code == 200


def test_an_unknown_session_is_404(client, trainer):
    log_in(client, trainer.email, PASSWORD)
    assert client.get("/teach/sessions/999999/check-in").status_code == 404


def test_anonymous_visitors_are_sent_to_log_in_and_back(client, session):
    response = client.get("/check-in?code=ABC234")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert client.get(screen_url(session)).status_code == 302


# --- where check-ins came from, and undoing one -----------------------------------------


@pytest.fixture
def open_session(session):
    checkin.open_check_in(session)
    db.session.commit()
    return session


@pytest.fixture
def enrol_named(cohort, make_enrolment, make_user):
    def make(name: str):
        return make_enrolment(
            cohort, make_user(full_name=name), requested_at=START - timedelta(days=7)
        ).learner

    return make


def check_in_on(browser, learner, session) -> None:
    """The learner logs in on `browser` and checks in with the code on the screen."""
    log_in(browser, learner.email, PASSWORD)
    response = browser.post("/check-in", data={"code": checkin.code_at(session, NOW)})
    assert "You are checked in" in response.get_data(as_text=True)
    browser.post("/logout")


def test_the_check_in_page_gives_the_browser_a_lasting_device_cookie(client, learner):
    log_in(client, learner.email, PASSWORD)
    response = client.get("/check-in")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("lms_device=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/check-in" in cookie
    assert "Max-Age=34560000" in cookie
    device_id = client.get_cookie("lms_device", path="/check-in").value
    client.get("/check-in")
    assert client.get_cookie("lms_device", path="/check-in").value == device_id  # kept
    client.set_cookie("lms_device", "<script>", path="/check-in")
    client.get("/check-in")
    assert client.get_cookie("lms_device", path="/check-in").value not in ("<script>", device_id)


def test_learners_checking_in_on_one_device_are_flagged_on_the_screen(
    app, client, trainer, open_session, enrol_named
):
    zoe, bo, cal = (enrol_named(n) for n in ("Zoë Ashworth", "Bo Chan", "Cal Dee"))
    phone, other_phone = app.test_client(), app.test_client()
    check_in_on(phone, zoe, open_session)
    check_in_on(phone, bo, open_session)  # Zoë's phone, with Bo logged in
    check_in_on(other_phone, cal, open_session)
    log_in(client, trainer.email, PASSWORD)
    listed = {
        item["name"]: item
        for item in client.get(f"{screen_url(open_session)}.json").get_json()["checked_in"]
    }
    assert listed["Zoë Ashworth"]["same_device"] == "Same device as Bo Chan"
    assert listed["Bo Chan"]["same_device"] == "Same device as Zoë Ashworth"
    assert listed["Cal Dee"]["same_device"] is None
    # The test client is one address for everyone, like a trust's Wi-Fi: no flag for that.
    assert all(item["same_address"] is None for item in listed.values())
    page = client.get(screen_url(open_session)).get_data(as_text=True)
    assert '<strong class="nhsuk-u-display-block">Same device as Bo Chan</strong>' in page
    assert "A shared network address is weaker evidence" in page


def test_a_small_group_sharing_an_address_is_noted_more_quietly(
    app, client, trainer, open_session, enrol_named
):
    people = [
        enrol_named(name) for name in ("Ann Lee", "Bo Chan", "Cal Dee", "Dee Fox", "Eve Hart")
    ]
    addresses = ["10.0.0.1", "10.0.0.1", "10.0.0.1", "81.2.69.160", "81.2.69.160"]
    for person, address in zip(people, addresses, strict=True):
        phone = app.test_client()
        phone.environ_base["REMOTE_ADDR"] = address
        check_in_on(phone, person, open_session)
    log_in(client, trainer.email, PASSWORD)
    listed = {
        item["name"]: item
        for item in client.get(f"{screen_url(open_session)}.json").get_json()["checked_in"]
    }
    assert listed["Dee Fox"]["same_address"] == "Same network address as Eve Hart"
    assert listed["Ann Lee"]["same_address"] is None
    assert all(item["same_device"] is None for item in listed.values())


def in_a_room(session) -> None:
    session.cohort.venue = "Education Centre, Room 2"
    db.session.commit()


def check_in_from(app, address: str, learner, session) -> None:
    """The learner checks in on a phone of their own, from the network `address`."""
    phone = app.test_client()
    phone.environ_base["REMOTE_ADDR"] = address
    check_in_on(phone, learner, session)


def test_in_a_room_a_check_in_from_another_network_is_noted_gently(
    app, client, trainer, open_session, enrol_named
):
    in_a_room(open_session)
    people = [enrol_named(name) for name in ("Ann Lee", "Bo Chan", "Cal Dee", "Dee Fox")]
    addresses = ["10.0.0.1", "10.0.0.1", "10.0.0.1", "81.2.69.160"]
    for person, address in zip(people, addresses, strict=True):
        check_in_from(app, address, person, open_session)
    log_in(client, trainer.email, PASSWORD)
    listed = {
        item["name"]: item
        for item in client.get(f"{screen_url(open_session)}.json").get_json()["checked_in"]
    }
    assert listed["Dee Fox"]["different_network"] == (
        "Checked in from a different network to most of the room"
    )
    for name in ("Ann Lee", "Bo Chan", "Cal Dee"):
        assert listed[name]["different_network"] is None
    assert all(item["same_device"] is None for item in listed.values())
    assert all(item["same_address"] is None for item in listed.values())
    page = client.get(screen_url(open_session)).get_data(as_text=True)
    assert page.count("Checked in from a different network to most of the room") == 1
    assert re.search(
        r'<li data-record-id="\d+">\s*Dee Fox (?:(?!</li>).)*<span class="nhsuk-u-display-block '
        r'nhsuk-u-font-size-16 nhsuk-u-secondary-text-colour">Checked in from a different '
        r"network to most of the room</span>",
        page,
        re.S,
    )
    assert "Ask the learner before you undo their check-in." in page


def test_an_online_session_never_notes_a_different_network(
    app, client, trainer, open_session, enrol_named
):
    open_session.cohort.course.delivery_mode = DeliveryMode.ONLINE
    in_a_room(open_session)  # even with a venue left on the cohort
    people = [enrol_named(name) for name in ("Ann Lee", "Bo Chan", "Cal Dee", "Dee Fox")]
    addresses = ["10.0.0.1", "10.0.0.1", "10.0.0.1", "81.2.69.160"]
    for person, address in zip(people, addresses, strict=True):
        check_in_from(app, address, person, open_session)
    log_in(client, trainer.email, PASSWORD)
    data = client.get(f"{screen_url(open_session)}.json").get_json()
    assert len(data["checked_in"]) == 4
    assert all(item["different_network"] is None for item in data["checked_in"])
    page = client.get(screen_url(open_session)).get_data(as_text=True)
    assert "different network" not in page


def undo(client, session, record_id):
    """Presses the Undo button beside the learner whose record this is."""
    url = f"/teach/sessions/{session.id}/check-in/undo"
    return client.post(url, data={"record_id": str(record_id)})


def test_the_trainer_undoes_a_check_in_from_the_screen(
    client, trainer, open_session, enrolled, learner
):
    check_in_on(client, learner, open_session)
    record_id = db.session.scalar(select(AttendanceRecord.id))
    log_in(client, trainer.email, PASSWORD)
    page = client.get(screen_url(open_session)).get_data(as_text=True)
    form = re.search(r'<form method="post" action="([^"]+)" novalidate>(.*?)</form>', page, re.S)
    assert form.group(1) == f"/teach/sessions/{open_session.id}/check-in/undo"
    assert f'name="record_id" value="{record_id}"' in form.group(2)
    assert "Undo check-in" in form.group(2) and "for Zoë Ashworth</span>" in form.group(2)
    response = undo(client, open_session, record_id)
    assert response.status_code == 302
    assert response.headers["Location"] == screen_url(open_session)
    assert db.session.scalar(select(AttendanceRecord)) is None
    events = [e for e in all_events() if e.action == "attendance.check_in_undone"]
    assert len(events) == 1 and events[0].actor_id == trainer.id
    assert events[0].before["method"] == "self_check_in" and events[0].after == {"status": None}
    page = client.get(screen_url(open_session)).get_data(as_text=True)
    assert "Zoë Ashworth&#39;s check-in has been undone" in page
    assert "Nobody has checked in yet." in page and "0 of 1 expected learners" in page
    # Pressed twice (a second tab): said plainly, nothing else happens.
    undo(client, open_session, record_id)
    page = client.get(screen_url(open_session)).get_data(as_text=True)
    assert "That check-in has already been undone" in page


@pytest.mark.parametrize("record_id", ["", "abc", "-4", "0", "9" * 40])
def test_a_garbled_undo_is_refused_plainly(
    client, trainer, open_session, enrolled, learner, record_id
):
    check_in_on(client, learner, open_session)
    log_in(client, trainer.email, PASSWORD)
    response = undo(client, open_session, record_id)
    assert response.status_code == 302
    page = client.get(screen_url(open_session)).get_data(as_text=True)
    assert "That check-in could not be found. Check the list and try again" in page
    assert db.session.scalar(select(AttendanceRecord)) is not None


@pytest.mark.parametrize("who", ["other trainer", "learner", "anonymous"])
def test_only_the_sessions_trainers_and_admins_may_undo(
    client, make_user, open_session, enrolled, learner, who
):
    check_in_on(client, learner, open_session)
    record_id = db.session.scalar(select(AttendanceRecord.id))
    if who == "other trainer":
        log_in(client, make_user(roles=[Role.TRAINER]).email, PASSWORD)
    elif who == "learner":
        log_in(client, learner.email, PASSWORD)
    response = undo(client, open_session, record_id)
    if who == "anonymous":
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    else:
        assert response.status_code == 404
    assert db.session.scalar(select(AttendanceRecord)) is not None
    assert not [e for e in all_events() if e.action == "attendance.check_in_undone"]


def test_an_admin_may_undo_a_check_in(client, admin, open_session, enrolled, learner):
    check_in_on(client, learner, open_session)
    record_id = db.session.scalar(select(AttendanceRecord.id))
    log_in(client, admin.email, PASSWORD)
    assert undo(client, open_session, record_id).status_code == 302
    assert db.session.scalar(select(AttendanceRecord)) is None


def test_undo_asks_for_the_csrf_token(make_app, trainer, open_session, enrolled, learner):
    record = checkin.check_in(checkin.code_at(open_session, NOW), learner, NOW)
    db.session.commit()
    browser = make_app(WTF_CSRF_ENABLED=True).test_client()
    page = browser.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    form = {"email": trainer.email, "password": PASSWORD, "csrf_token": token}
    assert browser.post("/login", data=form).status_code == 302
    assert undo(browser, open_session, record.id).status_code == 400
    assert db.session.scalar(select(AttendanceRecord)) is not None
    screen = browser.get(screen_url(open_session)).get_data(as_text=True)
    token = re.search(
        r'novalidate>\s*<input type="hidden" name="csrf_token" value="([^"]+)"', screen
    )
    url = f"/teach/sessions/{open_session.id}/check-in/undo"
    sent = {"csrf_token": token.group(1), "record_id": str(record.id)}
    assert browser.post(url, data=sent).status_code == 302
    assert db.session.scalar(select(AttendanceRecord)) is None


def test_the_screens_json_costs_the_same_for_few_and_many_check_ins(
    app, client, trainer, open_session, enrol_named, count_queries
):
    """However many checked in, flagged or not, the feed's statements stay the same."""
    phone = app.test_client()
    log_in(client, trainer.email, PASSWORD)
    url = f"{screen_url(open_session)}.json"

    def measure() -> int:
        client.get(url)  # warm-up
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        return counter.count

    for number in range(2):
        check_in_on(phone, enrol_named(f"Few {number}"), open_session)
    few = measure()
    for number in range(12):
        check_in_on(
            app.test_client() if number % 2 else phone, enrol_named(f"More {number}"), open_session
        )
    data = client.get(url).get_json()
    assert len(data["checked_in"]) == 14 and data["checked_in"][0]["same_device"]
    assert measure() == few


def test_the_screen_costs_the_same_in_a_room_with_check_ins_from_elsewhere(
    app, client, trainer, open_session, enrol_named, count_queries
):
    """In a room, where check-ins from other networks are noted, the feed and the page
    still cost the same however many checked in."""
    in_a_room(open_session)
    log_in(client, trainer.email, PASSWORD)
    urls = (f"{screen_url(open_session)}.json", screen_url(open_session))

    def measure() -> list[int]:
        counts = []
        for url in urls:
            client.get(url)  # warm-up
            with count_queries() as counter:
                assert client.get(url).status_code == 200
            counts.append(counter.count)
        return counts

    for number in range(2):
        check_in_from(app, "10.0.0.1", enrol_named(f"Few {number}"), open_session)
    few = measure()
    for number in range(12):
        address = "81.2.69.160" if number % 4 == 0 else "10.0.0.1"
        check_in_from(app, address, enrol_named(f"More {number}"), open_session)
    data = client.get(urls[0]).get_json()
    assert len(data["checked_in"]) == 14
    assert sum(bool(item["different_network"]) for item in data["checked_in"]) == 3
    assert measure() == few


# --- the learner's side ------------------------------------------------------------------


def test_a_learner_checks_in_by_scanning(client, trainer, session, enrolled, learner):
    log_in(client, trainer.email, PASSWORD)
    start(client, session)
    url = client.get(f"{screen_url(session)}.json").get_json()["check_in_url"]
    client.post("/logout")

    log_in(client, learner.email, PASSWORD)
    path = url.removeprefix("http://localhost")
    form = client.get(path)
    assert form.status_code == 200
    code = path.rsplit("=", 1)[1]
    page = form.get_data(as_text=True)
    assert '<label class="nhsuk-label" for="code">' in page
    assert f'value="{code}"' in page
    assert 'action="/check-in"' in page

    response = client.post("/check-in", data={"code": code})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "You are checked in to Project foundations: Session 1" in page
    assert "nhsuk-panel" in page and "recorded you as present at 08:55" in page
    record = db.session.scalar(select(AttendanceRecord))
    assert record.status == AttendanceStatus.PRESENT and record.enrolment_id == enrolled.id


def test_a_refusal_is_shown_beside_the_field(client, session, enrolled, learner):
    checkin.open_check_in(session)
    db.session.commit()
    log_in(client, learner.email, PASSWORD)
    response = client.post("/check-in", data={"code": "ZZZZZZ"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "That code is not right or has expired. Check the screen and try again" in page
    assert "nhsuk-error-summary" in page and 'href="#code"' in page
    assert "<title>Error: Check in to a session" in page
    assert db.session.scalar(select(AttendanceRecord)) is None


def test_an_empty_code_asks_for_one(client, learner):
    log_in(client, learner.email, PASSWORD)
    response = client.post("/check-in", data={"code": ""})
    assert response.status_code == 422
    assert "Enter the check-in code from your trainer" in response.get_data(as_text=True)


def test_a_learner_without_a_place_is_told_so(client, session, make_user):
    checkin.open_check_in(session)
    db.session.commit()
    stranger = make_user()
    log_in(client, stranger.email, PASSWORD)
    response = client.post("/check-in", data={"code": checkin.code_at(session, NOW)})
    assert response.status_code == 422
    assert "You do not have a confirmed place on this course" in response.get_data(as_text=True)


@pytest.fixture
def excused_by_the_trainer(session, enrolled, trainer):
    """Check-in is open, and the trainer has already marked the learner excused."""
    checkin.open_check_in(session)
    db.session.add(
        AttendanceRecord(
            session_id=session.id,
            enrolment_id=enrolled.id,
            status=AttendanceStatus.EXCUSED,
            method="register",
            marked_by_id=trainer.id,
            marked_at=NOW,
        )
    )
    db.session.commit()


def test_a_learner_already_on_the_register_is_told_what_it_says(
    client, session, learner, excused_by_the_trainer
):
    log_in(client, learner.email, PASSWORD)
    response = client.post("/check-in", data={"code": checkin.code_at(session, NOW)})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Your trainer has already marked the register" in page and "excused" in page


# --- the learner's home page -------------------------------------------------------------


def home_page(client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("moment", "offered"),
    [
        (START - timedelta(minutes=16), False),
        (START - timedelta(minutes=15), True),
        (NOW, True),
        (START + timedelta(minutes=30), True),
        (START + timedelta(minutes=31), False),
    ],
)
def test_home_offers_check_in_only_while_the_window_is_open(
    client, session, enrolled, learner, monkeypatch, moment, offered
):
    checkin.open_check_in(session)
    db.session.commit()
    at(monkeypatch, moment)
    log_in(client, learner.email, PASSWORD)
    page = home_page(client)
    assert ("Check in now" in page) is offered
    assert ('action="/check-in"' in page) is offered
    assert ">Project foundations</a>: Session 1" in page  # upcoming, either way
    if offered:
        assert "Check-in is open for Project foundations: Session 1, 09:00 to 12:00." in page
        assert '<label class="nhsuk-label" for="code">' in page and 'name="code"' in page
        assert '<input type="hidden" name="next" value="/">' in page
        assert 'name="csrf_token"' in page


@pytest.mark.parametrize(
    "unavailable",
    [
        "session cancelled",
        "cohort cancelled",
        "cohort closed",
        "check-in not started",
        "waitlisted",
        "joined after it started",
    ],
)
def test_home_offers_no_check_in_that_would_be_refused(
    client, session, cohort, enrolled, learner, unavailable
):
    checkin.open_check_in(session)
    if unavailable == "session cancelled":
        session.cancelled = True
    elif unavailable == "cohort cancelled":
        cohort.status = CohortStatus.CANCELLED
    elif unavailable == "cohort closed":
        cohort.status = CohortStatus.CLOSED
    elif unavailable == "check-in not started":
        session.check_in_secret = None
    elif unavailable == "waitlisted":
        enrolled.status, enrolled.confirmed_at = EnrolmentStatus.WAITLISTED, None
    else:
        enrolled.confirmed_at = START + timedelta(minutes=1)
    db.session.commit()
    log_in(client, learner.email, PASSWORD)
    assert "Check in now" not in home_page(client)


def test_home_offers_no_check_in_to_sessions_of_other_peoples(
    client, make_course, make_cohort, make_enrolment, session, enrolled, learner, trainer, make_user
):
    """Another learner's session, even in another cohort of the same course, and a
    trainer's own session, are not theirs to check in to."""
    checkin.open_check_in(session)
    other = make_cohort(make_course(), sessions=[(START, START + timedelta(hours=1))])
    checkin.open_check_in(other.sessions[0])
    db.session.commit()
    someone = make_user()
    make_enrolment(other, someone, requested_at=START - timedelta(days=7))
    for person in (trainer, make_user()):
        log_in(client, person.email, PASSWORD)
        assert "Check in now" not in home_page(client)
        client.post("/logout")
    log_in(client, learner.email, PASSWORD)
    page = home_page(client)
    assert "Check-in is open for Project foundations: Session 1, 09:00" in page
    assert other.course.title not in page


def test_checking_in_from_home_returns_there_with_a_banner(client, session, enrolled, learner):
    checkin.open_check_in(session)
    db.session.commit()
    log_in(client, learner.email, PASSWORD)
    code = checkin.code_at(session, NOW)
    response = client.post("/check-in", data={"code": code, "next": "/"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = home_page(client)
    assert "nhsuk-notification-banner--success" in page
    assert (
        "You are checked in to Project foundations: Session 1. "
        "We have recorded you as present at 08:55."
    ) in page
    # Checked in: the home page says so instead of offering the form again.
    assert "Check in now" not in page and 'action="/check-in"' not in page
    assert (
        "You checked in to Project foundations: Session 1 at 08:55. "
        "The register shows you as present."
    ) in page
    assert db.session.scalar(select(AttendanceRecord)).status == AttendanceStatus.PRESENT


def test_home_says_what_the_register_already_shows(client, learner, excused_by_the_trainer):
    log_in(client, learner.email, PASSWORD)
    page = home_page(client)
    assert "Check in now" not in page
    assert (
        "Your trainer has marked the register for Project foundations: Session 1. "
        "It shows you as excused."
    ) in page


def test_a_wrong_code_from_home_keeps_the_way_back(client, session, enrolled, learner):
    checkin.open_check_in(session)
    db.session.commit()
    log_in(client, learner.email, PASSWORD)
    response = client.post("/check-in", data={"code": "ZZZZZZ", "next": "/"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "That code is not right or has expired" in page
    assert '<input type="hidden" name="next" value="/">' in page


@pytest.mark.parametrize("target", ["https://example.com/", "//example.com/", "javascript:x"])
def test_check_in_never_sends_anyone_to_another_site(client, session, enrolled, learner, target):
    checkin.open_check_in(session)
    db.session.commit()
    log_in(client, learner.email, PASSWORD)
    response = client.post(
        "/check-in", data={"code": checkin.code_at(session, NOW), "next": target}
    )
    assert response.status_code == 200  # the confirmation page, no redirect anywhere
    assert "You are checked in to Project foundations: Session 1" in response.get_data(as_text=True)


def test_offering_check_in_costs_the_home_page_no_statements(
    client, session, enrolled, learner, monkeypatch, count_queries
):
    """Whether check-in is open comes from the upcoming sessions the page loads anyway."""
    checkin.open_check_in(session)
    db.session.commit()
    log_in(client, learner.email, PASSWORD)
    counts = {}
    for moment in (START - timedelta(days=1), NOW):
        at(monkeypatch, moment)
        home_page(client)  # warm-up
        with count_queries() as counter:
            page = home_page(client)
        counts[moment] = counter.count
    assert "Check in now" in page
    assert counts[START - timedelta(days=1)] == counts[NOW], counts
