"""Self check-in in real browsers: the trainer's rotating QR screen and a learner checking in.

The trainer and the learner each have their own browser context (their own cookies). The
session starts a few minutes from now, so its check-in window is open on the real clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from courses.attendance import checkin
from lms.core.db import utcnow
from lms.core.extensions import db
from tests.browser.helpers import assert_accessible, keep_to_the_app, log_in_through_form

CODE = re.compile(r"^[A-Z2-9]{6}$")


@pytest.fixture
def session(make_course, make_cohort, make_enrolment, trainer, learner):
    start = utcnow().replace(microsecond=0) + timedelta(minutes=5)
    cohort = make_cohort(
        make_course(title="Project foundations"), sessions=[(start, start + timedelta(hours=2))]
    )
    cohort.trainers = [trainer]
    db.session.commit()
    make_enrolment(cohort, learner, requested_at=start - timedelta(days=7))
    return cohort.sessions[0]


@pytest.fixture
def learner_page(browser: Browser) -> Iterator[Page]:
    """A second browser context: the learner's phone, which may only reach the app."""
    context = browser.new_context()
    page = context.new_page()
    keep_to_the_app(page)
    try:
        yield page
    finally:
        context.close()


def test_learner_checks_in_with_the_code_on_the_trainers_screen(
    page, live_server, log_in, trainer, learner, session, learner_page, console_messages, artifacts
):
    log_in(trainer)
    page.goto(f"{live_server}/teach/sessions/{session.id}/check-in")
    page.get_by_role("button", name="Start self check-in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Check in: {session.title}")
    qr = page.get_by_role("img", name=re.compile("QR code"))
    expect(qr).to_be_visible()
    # The image decoded: the server's SVG is a real picture, not a broken image.
    assert qr.evaluate("image => image.complete && image.naturalWidth") >= 200
    code = page.locator("#check-in-code")
    expect(code).to_have_text(CODE)
    expect(page.get_by_text("Nobody has checked in yet.")).to_be_visible()
    page.screenshot(path=artifacts / "check-in-screen.png", full_page=True)

    # The learner's home page offers check-in while it is open: no address to type.
    log_in_through_form(learner_page, live_server, learner)
    check_in_now = learner_page.get_by_role("heading", name="Check in now")
    expect(check_in_now).to_be_visible()
    learner_page.get_by_label("Check-in code").fill(code.inner_text())
    learner_page.get_by_role("button", name="Check in", exact=True).click()
    learner_page.wait_for_url(f"{live_server}/")
    expect(learner_page.locator(".nhsuk-notification-banner--success")).to_contain_text(
        f"You are checked in to Project foundations: {session.title}."
    )
    expect(check_in_now).to_have_count(0)
    learner_page.screenshot(path=artifacts / "check-in-home.png", full_page=True)

    # The trainer's list updates by itself, without reloading the page.
    page.evaluate("window.notReloaded = true")
    expect(page.locator("#check-in-list")).to_contain_text(learner.full_name, timeout=10_000)
    expect(page.get_by_text("1 of 1 expected learners")).to_be_visible()
    expect(page.get_by_text("Nobody has checked in yet.")).to_be_hidden()
    assert page.evaluate("window.notReloaded") is True

    texts = [f"{message.type}: {message.text}" for message in console_messages]
    csp = [text for text in texts if "Content Security Policy" in text and "font-src" not in text]
    assert not csp, "\n".join(texts)
    assert not [text for text in texts if text.startswith("pageerror")], "\n".join(texts)


@pytest.fixture
def short_rotation(monkeypatch):
    """Codes rotate every 4 seconds on a live server started after this fixture."""
    monkeypatch.setenv("LMS_CHECK_IN_ROTATION_SECONDS", "4")


def test_the_code_and_qr_code_rotate_without_a_reload(
    short_rotation, page, live_server, log_in, trainer, session
):
    """With a short rotation the screen shows the next code by itself."""
    log_in(trainer)
    page.goto(f"{live_server}/teach/sessions/{session.id}/check-in")
    page.get_by_role("button", name="Start self check-in").click()
    code = page.locator("#check-in-code")
    first = code.inner_text()
    qr_before = page.locator("#check-in-qr").get_attribute("src")
    page.evaluate("window.notReloaded = true")
    expect(code).not_to_have_text(first, timeout=10_000)
    assert page.locator("#check-in-qr").get_attribute("src") != qr_before
    assert page.evaluate("window.notReloaded") is True


def test_a_learner_scanning_the_qr_code_lands_on_a_filled_form(
    live_server, learner, session, learner_page, page, log_in, trainer
):
    log_in(trainer)
    page.goto(f"{live_server}/teach/sessions/{session.id}/check-in")
    page.get_by_role("button", name="Start self check-in").click()
    response = page.request.get(f"{live_server}/teach/sessions/{session.id}/check-in.json")
    address = response.json()["check_in_url"]
    log_in_through_form(learner_page, live_server, learner)
    learner_page.goto(address.replace("http://localhost", live_server))
    expect(learner_page.get_by_label("Check-in code")).to_have_value(response.json()["code"])
    learner_page.get_by_role("button", name="Check in").click()
    expect(learner_page.get_by_role("heading", level=1)).to_contain_text("You are checked in")


def test_the_check_in_pages_are_accessible(
    page, live_server, log_in, trainer, learner, session, learner_page
):
    log_in(trainer)
    page.goto(f"{live_server}/teach/sessions/{session.id}/check-in")
    page.get_by_role("button", name="Start self check-in").click()
    expect(page.locator("#check-in-qr")).to_be_visible()
    assert_accessible(page)

    log_in_through_form(learner_page, live_server, learner)
    expect(learner_page.get_by_role("heading", name="Check in now")).to_be_visible()
    assert_accessible(learner_page)  # the home page with its check-in form
    menu = learner_page.get_by_role("navigation", name="Menu")
    menu.get_by_role("link", name="Check in", exact=True).click()
    learner_page.wait_for_url(f"{live_server}/check-in")
    assert_accessible(learner_page)
    learner_page.get_by_label("Check-in code").fill("WRONG2")
    learner_page.get_by_role("button", name="Check in").click()
    expect(learner_page.get_by_role("alert").filter(has_text="There is a problem")).to_be_visible()
    assert_accessible(learner_page)
    learner_page.get_by_label("Check-in code").fill(page.locator("#check-in-code").inner_text())
    learner_page.get_by_role("button", name="Check in").click()
    expect(learner_page.get_by_role("heading", level=1)).to_contain_text("You are checked in")
    assert_accessible(learner_page)


def test_the_screen_flags_a_shared_device_keeps_focus_and_undoes_a_check_in(
    page, live_server, log_in, trainer, learner, session, learner_page, make_user, make_enrolment
):
    """Two learners check in on one phone: the trainer's screen flags both by itself; a
    third check-in arriving while the trainer is on an Undo button leaves them on it; the
    button undoes the check-in."""
    friend = make_user("friend@example.nhs.uk", full_name="Bo Chan")
    third = make_user("third@example.nhs.uk", full_name="Cal Dee")
    for person in (friend, third):
        make_enrolment(session.cohort, person, requested_at=session.starts_at - timedelta(days=7))
    log_in(trainer)
    page.goto(f"{live_server}/teach/sessions/{session.id}/check-in")
    page.get_by_role("button", name="Start self check-in").click()
    code = page.locator("#check-in-code")
    expect(code).to_have_text(CODE)
    page.evaluate("window.notReloaded = true")

    def check_in_on(phone: Page, person) -> None:
        log_in_through_form(phone, live_server, person)
        phone.get_by_label("Check-in code").fill(code.inner_text())
        phone.get_by_role("button", name="Check in", exact=True).click()
        expect(phone.locator(".nhsuk-notification-banner--success")).to_be_visible()
        phone.get_by_role("button", name="Log out").click()

    check_in_on(learner_page, learner)
    check_in_on(learner_page, friend)  # the same phone, passed to Bo
    listed = page.locator("#check-in-list")
    expect(listed.get_by_text("Same device as Bo Chan")).to_be_visible(timeout=10_000)
    expect(listed.get_by_text("Same device as Zoë Ashworth")).to_be_visible()
    undo_bo = page.get_by_role("button", name="Undo check-in for Bo Chan")
    undo_bo.focus()

    other_phone = learner_page.context.browser.new_context().new_page()
    keep_to_the_app(other_phone)
    check_in_on(other_phone, third)
    expect(listed).to_contain_text("Cal Dee", timeout=10_000)
    expect(page.get_by_text("3 of 3 expected learners")).to_be_visible()
    assert page.evaluate("window.notReloaded") is True
    expect(undo_bo).to_be_focused()
    assert_accessible(page)

    page.keyboard.press("Enter")
    expect(page.locator(".nhsuk-notification-banner--success")).to_contain_text(
        "Bo Chan's check-in has been undone"
    )
    expect(listed).not_to_contain_text("Bo Chan")
    expect(listed.get_by_text("Same device as")).to_have_count(0)
    expect(page.get_by_text("2 of 3 expected learners")).to_be_visible()
    other_phone.context.close()


def test_the_screen_notes_a_check_in_from_another_network_in_a_room(
    page, live_server, log_in, trainer, learner, session, make_user, make_enrolment
):
    """In a room, three check-ins through one network and one from elsewhere: the screen
    notes the one by itself, as the page itself renders it after a reload."""
    session.cohort.venue = "Education Centre, Room 2"
    db.session.commit()
    others = [
        make_user(f"{name.split()[0].lower()}@example.nhs.uk", full_name=name)
        for name in ("Bo Chan", "Cal Dee", "Dee Fox")
    ]
    for person in others:
        make_enrolment(session.cohort, person, requested_at=session.starts_at - timedelta(days=7))
    log_in(trainer)
    page.goto(f"{live_server}/teach/sessions/{session.id}/check-in")
    page.get_by_role("button", name="Start self check-in").click()
    expect(page.locator("#check-in-code")).to_have_text(CODE)
    page.evaluate("window.notReloaded = true")
    db.session.refresh(session)
    addresses = ["10.0.0.1", "10.0.0.1", "10.0.0.1", "81.2.69.160"]
    for number, (person, address) in enumerate(zip([learner, *others], addresses, strict=True)):
        now = utcnow()
        where = checkin.CheckInSource.of(device_id=f"phone-{number}", address=address, key="k")
        checkin.check_in(checkin.code_at(session, now), person, now, source=where)
        db.session.commit()

    listed = page.locator("#check-in-list")
    note = listed.get_by_text("Checked in from a different network to most of the room")
    expect(note).to_have_count(1, timeout=10_000)
    expect(listed.locator("li").filter(has_text="different network")).to_contain_text("Dee Fox")
    expect(page.get_by_text("4 of 4 expected learners")).to_be_visible()
    assert page.evaluate("window.notReloaded") is True
    built = re.sub(r"\s+", "", listed.inner_text())  # as check-in.js built the list
    page.reload()
    expect(note).to_have_count(1)
    assert re.sub(r"\s+", "", listed.inner_text()) == built  # as screen.html renders it
