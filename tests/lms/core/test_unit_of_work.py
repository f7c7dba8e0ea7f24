"""One transaction per request (lms/core/unit_of_work.py, lms/web/forms.service_call).

A successful POST is committed once, when the request ends; a refused one, an answer of
400 and above, and every GET are rolled back; no view commits by itself.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from flask import flash
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from courses.cohorts import admin_views
from courses.enrolment import enrol_many
from courses.models import Enrolment, EnrolmentStatus
from lms.auth.access import login_required
from lms.auth.models import User
from lms.core.db import utcnow
from lms.core.domain import DomainError
from lms.core.extensions import db
from lms.web.forms import CLASH, service_call
from tests.helpers import ROOT, is_views, modules_under, sign_in


def commits_in_views(root: Path) -> list[str]:
    """`module:line` for every `.commit()` call written in a views module under `root`."""
    found = []
    for name, path in modules_under(root).items():
        if not is_views(name):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "commit"
            ):
                found.append(f"{name}:{node.lineno}")
    return found


def test_no_view_commits():
    assert commits_in_views(ROOT) == []


def test_the_check_finds_a_view_that_commits(tmp_path):
    views = tmp_path / "courses" / "enrolment" / "views.py"
    views.parent.mkdir(parents=True)
    views.write_text("def enrol():\n    db.session.commit()\n")
    for package in ("lms", "certificates"):
        (tmp_path / package).mkdir()
    assert commits_in_views(tmp_path) == ["courses.enrolment.views:2"]


@pytest.fixture
def routes(make_app, app):
    """A throwaway app with routes that write a person and then end in different ways."""
    throwaway = make_app()

    def add_person(email: str) -> None:
        db.session.add(User(email=email, full_name="Written by the request"))
        db.session.flush()

    @throwaway.route("/write", methods=["GET", "POST"], endpoint="write")
    @login_required
    def write():
        add_person("written@example.nhs.uk")
        return "done"

    @throwaway.post("/write-then-refuse", endpoint="write_then_refuse")
    @login_required
    def write_then_refuse():
        with service_call() as call:
            add_person("refused@example.nhs.uk")
            raise DomainError("Not today")
        return ("refused", 409) if not call.ok else "done"

    @throwaway.post("/write-then-redirect-after-refusal", endpoint="redirect_after_refusal")
    @login_required
    def redirect_after_refusal():
        with service_call():
            add_person("redirected@example.nhs.uk")
            raise DomainError("Not today")
        return "", 302, {"Location": "/"}

    @throwaway.post("/write-then-fail", endpoint="write_then_fail")
    @login_required
    def write_then_fail():
        add_person("failed@example.nhs.uk")
        return "bad", 400

    @throwaway.post("/clash", endpoint="clash")
    @login_required
    def clash():
        with service_call() as call:
            add_person(current_user.email)  # the unique email is taken: a clash at flush
        return (call.error and str(call.error)) or "done", 200 if call.ok else 409

    return throwaway


def _people(email: str) -> int:
    return db.session.scalar(select(func.count()).select_from(User).where(User.email == email))


@pytest.fixture
def signed_in(routes, learner):
    client = routes.test_client()
    sign_in(client, learner.get_id())
    return client


def test_a_successful_post_is_committed_once_it_has_answered(signed_in):
    assert signed_in.post("/write").status_code == 200
    assert _people("written@example.nhs.uk") == 1


def test_a_get_never_writes(signed_in):
    assert signed_in.get("/write").status_code == 200
    assert _people("written@example.nhs.uk") == 0


@pytest.mark.parametrize(
    ("path", "email"),
    [
        ("/write-then-refuse", "refused@example.nhs.uk"),
        ("/write-then-redirect-after-refusal", "redirected@example.nhs.uk"),
        ("/write-then-fail", "failed@example.nhs.uk"),
    ],
)
def test_a_refused_or_failed_post_leaves_nothing_behind(signed_in, path, email):
    signed_in.post(path)
    assert _people(email) == 0


def test_a_clash_on_a_unique_value_is_a_plain_message_not_a_500(signed_in, learner):
    response = signed_in.post("/clash")
    assert response.status_code == 409
    assert response.get_data(as_text=True) == CLASH


def test_bulk_enrolment_that_clashes_is_explained_and_saves_nothing(
    app, client, admin, login, make_course, make_cohort, make_user, monkeypatch
):
    """Someone enrols the same person between the check and the insert: a unique clash."""
    cohort = make_cohort(make_course())
    late = make_user("late@example.nhs.uk")
    cohort_id, late_id = cohort.id, late.id
    real_enrol_many = enrol_many

    def racing_enrol_many(target, text, *, by):
        report = real_enrol_many(target, text, by=by)
        db.session.add(
            Enrolment(
                cohort_id=cohort_id,
                learner_id=late_id,
                status=EnrolmentStatus.CONFIRMED,
                requested_at=utcnow(),
            )
        )
        return report

    monkeypatch.setattr(admin_views, "enrol_many", racing_enrol_many)  # as the view calls it
    login(admin)
    before = db.session.scalar(select(func.count()).select_from(Enrolment))

    response = client.post(f"/admin/cohorts/{cohort_id}/enrol", data={"emails": late.email})

    assert response.status_code == 422
    assert CLASH in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Enrolment)) == before


def test_when_the_commit_itself_fails_the_page_says_so_and_no_success_is_shown(
    routes, signed_in, monkeypatch
):
    @routes.post("/save", endpoint="save")
    @login_required
    def save():
        db.session.add(User(email="saved@example.nhs.uk", full_name="Saved"))
        flash("The changes have been saved.", "success")
        monkeypatch.setattr(db.session, "commit", the_database_goes_away)  # at the end
        return "", 302, {"Location": "/write"}

    def the_database_goes_away():
        raise OperationalError("COMMIT", {}, Exception("server closed the connection"))

    routes.config["PROPAGATE_EXCEPTIONS"] = False  # answer as production does: a 500 page
    response = signed_in.post("/save")
    monkeypatch.undo()

    assert response.status_code == 500
    assert "The changes have been saved." not in response.get_data(as_text=True)
    with signed_in.session_transaction() as session:
        assert "_flashes" not in session
    assert _people("saved@example.nhs.uk") == 0
