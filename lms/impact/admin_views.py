"""The admins' pages for the course survey: the default questions
(/admin/evaluations/questions) and one course's settings and questions
(/admin/courses/<id>/evaluation).

Each change is its own form, posted to the page with an `action`: adding a question,
changing one (`?change=<key>` opens its form), moving one up or down, removing one, and a
course's settings. An answered question is never rewritten: changing it adds a new version
(lms.impact.questions).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from courses.models import Course
from lms.auth.access import role_required
from lms.auth.models import Role
from lms.core.db import utcnow
from lms.core.extensions import db
from lms.impact import questions as question_sets
from lms.impact.forms import OWN, YES, QuestionButtonForm, QuestionForm, SettingsForm
from lms.impact.models import CourseEvaluation, QuestionKind
from lms.web.forms import INVALID, RELOAD, service_call, show_error

bp = Blueprint("evaluation_admin", __name__, template_folder="templates")

QUESTION_ACTIONS = ("add", "change", "up", "down", "remove")
NOT_FOUND = "That question is no longer asked. It may have just been changed or removed"
USES_DEFAULTS = (
    "This course asks the default questions. Give it questions of its own before changing them"
)
DONE = {
    "add": "The question has been added.",
    "up": "The question has been moved up.",
    "down": "The question has been moved down.",
    "settings": "The course's survey settings have been saved.",
}


def _course(course_id: int) -> Course:
    course = db.session.get(Course, course_id)
    if course is None:
        abort(404)
    return course


def _here(course: Course | None) -> str:
    if course is None:
        return url_for("evaluation_admin.default_questions")
    return url_for("evaluation_admin.course_evaluation", course_id=course.id)


def _question_list(course: Course | None, settings: question_sets.Settings | None):
    """The questions the page lists: the defaults, or the course's own (read-only
    defaults for a course that asks them)."""
    if course is None or not settings.own_questions:
        return question_sets.default_questions()
    return question_sets.course_questions(course.id)


def _page(course: Course | None, *, status: int = 200, **forms):
    settings = question_sets.settings_of(course.id) if course is not None else None
    listed = _question_list(course, settings)
    editable = course is None or settings.own_questions
    change = forms.get("change")
    changing = None
    if change is None and editable and request.method == "GET" and request.args.get("change"):
        wanted = request.args["change"]
        changing = next((q for q in listed if question_sets.key(q) == wanted), None)
        if changing is not None:
            change = QuestionForm(formdata=None, prefix="change")
            change.question.data = wanted
            change.text.data = changing.text
            change.kind.data = changing.kind.value
    elif change is not None:
        wanted = change.question.data or ""
        changing = next((q for q in listed if question_sets.key(q) == wanted), None)
    add = forms.get("add") or QuestionForm(formdata=None, prefix="add")
    settings_form = forms.get("settings_form")
    if course is not None and settings_form is None:
        settings_form = SettingsForm(formdata=None)
        settings_form.fill_from(settings)
    buttons = forms.get("buttons")
    in_error = [
        form
        for form in (change, add, settings_form, buttons)
        if form is not None and form.is_submitted() and (form.errors or form.form_errors)
    ]
    courses = None
    if course is None:
        courses = db.session.execute(
            select(Course.id, Course.code, Course.title, CourseEvaluation.own_questions)
            .outerjoin(CourseEvaluation, CourseEvaluation.course_id == Course.id)
            .order_by(Course.code)
        ).all()
    return render_template(
        "impact/admin/questions.html",
        course=course,
        settings=settings,
        questions=listed,
        key=question_sets.key,
        editable=editable,
        add=add,
        change=change if changing is not None else None,
        changing=changing,
        settings_form=settings_form,
        buttons=buttons,
        errors=in_error,
        courses=courses,
        here=_here(course),
        kinds=QuestionKind,
    ), status


def _handle(course: Course | None):
    """One posted change; the page again (422) with the message beside the field if it
    was refused, else back to the page with a banner."""
    action = request.form.get("action", "")
    set_id = course.id if course is not None else None
    if action == "settings" and course is not None:
        form = SettingsForm()
        if form.validate_on_submit():
            with service_call(form) as call:
                question_sets.change_settings(
                    course,
                    anonymous=form.anonymous.data == YES,
                    own_questions=form.questions.data == OWN,
                    by=current_user,
                )
            if call.ok:
                flash(DONE["settings"], "success")
                return redirect(_here(course))
            course = _course(course.id)
        return _page(course, status=INVALID, settings_form=form)
    if action not in QUESTION_ACTIONS:
        abort(400)
    if action in ("add", "change"):
        form = QuestionForm(prefix=action)
        forms = {action: form}
    else:
        form = QuestionButtonForm()
        forms = {"buttons": form}
    if course is not None and not question_sets.settings_of(course.id).own_questions:
        show_error(form, USES_DEFAULTS)
        return _page(course, status=INVALID, **forms)
    if not form.validate_on_submit():
        if action not in ("add", "change"):  # a button: no field to show a message beside
            token = getattr(form, "csrf_token", None)
            stale = bool(token is not None and token.errors)
            for field in form:
                field.errors = []
            show_error(form, RELOAD if stale else NOT_FOUND)
        return _page(course, status=INVALID, **forms)
    question = None
    if action != "add":
        question = question_sets.find(form.question.data or "", set_id)
        if question is None:
            show_error(form, NOT_FOUND)
            return _page(course, status=INVALID, **forms)
    message = DONE.get(action)
    with service_call(form) as call:
        if action == "add":
            question_sets.add_question(set_id, form.kind.data, form.text.data, by=current_user)
        elif action == "change":
            now_asked = question_sets.change_question(
                question, form.kind.data, form.text.data, by=current_user, now=utcnow()
            )
            message = (
                "The question has been changed. It had been answered, so its earlier "
                "version and its answers are kept."
                if now_asked.id != question.id
                else "The question has been changed."
            )
        elif action == "remove":
            retired = question_sets.remove_question(question, by=current_user, now=utcnow())
            message = (
                "The question has been retired: it is no longer asked, and its answers are kept."
                if retired
                else "The question has been removed."
            )
        else:
            question_sets.move_question(question, action == "up", by=current_user)
    if call.ok:
        flash(message, "success")
        return redirect(_here(course))
    if course is not None:
        course = _course(course.id)
    return _page(course, status=INVALID, **forms)


@bp.route("/admin/evaluations/questions", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def default_questions():
    """The default questions, which every course without its own asks."""
    if request.method == "POST":
        return _handle(None)
    return _page(None)


@bp.route("/admin/courses/<int:course_id>/evaluation", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def course_evaluation(course_id: int):
    """A course's survey: anonymous or not, the defaults or its own questions."""
    course = _course(course_id)
    if request.method == "POST":
        return _handle(course)
    return _page(course)
