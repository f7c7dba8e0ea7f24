"""Authoring pages: a course's assessments, a quiz's or assignment's settings and a quiz's
items (/teach/assessments/<id>), and the course's question bank.

Admins and the trainers of a cohort of the course use them (`access.course_author`);
anyone else gets 404, as for a course that does not exist.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from courses.assessments import authoring, bank
from courses.assessments.access import authored_assessment, authored_question, course_author
from courses.assessments.authoring import AssessmentDetails
from courses.assessments.authoring_forms import (
    AssessmentForm,
    DrawItemForm,
    MoveForm,
    QuestionForm,
    QuestionItemForm,
)
from courses.assessments.bank import OPTION_ROWS, QuestionDetails
from courses.assessments.models import Assessment, AssessmentKind, Question, QuestionType, QuizItem
from courses.cohorts.cohorts import london_to_utc
from courses.models import Course
from lms.core.extensions import db
from lms.core.timezones import format_local, to_local
from lms.web.forms import INVALID, paginate, service_call, show_error

bp = Blueprint("assessment_authoring", __name__, url_prefix="/teach", template_folder="templates")

BANK_PAGE_SIZE = 25


# --- words the pages show --------------------------------------------------------------------


def opens_words(assessment: Assessment) -> str:
    if assessment.opens_at is not None:
        return format_local(assessment.opens_at)
    if assessment.opens_after_session:
        return f"After session {assessment.opens_after_session}"
    return "As soon as a learner's place is confirmed"


def due_words(assessment: Assessment) -> str:
    if assessment.due_at is not None:
        return format_local(assessment.due_at)
    days = assessment.due_days_after_last_session
    if days is None:
        return "No due date"
    if days == 0:
        return "The day of the last session"
    return f"{days} day{'s' if days != 1 else ''} after the last session"


# --- forms to and from the services --------------------------------------------------------


def _local(moment):
    if moment is None:
        return None, None
    local = to_local(moment)
    return local.date(), local.time().replace(second=0, microsecond=0)


def _assessment_form(kind: AssessmentKind, assessment: Assessment | None) -> AssessmentForm:
    if request.method == "POST":
        return AssessmentForm(kind=kind)
    if assessment is None:
        return AssessmentForm(
            formdata=None, kind=kind, data={"required": True, "pass_mark_percent": 80}
        )
    opens_date, opens_time = _local(assessment.opens_at)
    due_date, due_time = _local(assessment.due_at)
    data = {name: getattr(assessment, name) for name in authoring.SETTINGS}
    data.update(
        opens="date"
        if assessment.opens_at
        else "session"
        if assessment.opens_after_session
        else "now",
        opens_date=opens_date,
        opens_time=opens_time,
        due="date"
        if assessment.due_at
        else "days"
        if assessment.due_days_after_last_session is not None
        else "none",
        due_date=due_date,
        due_time=due_time,
    )
    return AssessmentForm(formdata=None, kind=kind, data=data)


def _assessment_details(form: AssessmentForm) -> AssessmentDetails:
    """Called inside service_call: a time the clocks skip is refused beside its field."""

    def value(name, default=None):
        return form[name].data if name in form else default

    opens_at = due_at = None
    if form.opens.data == "date":
        opens_at = london_to_utc(
            form.opens_date.data, form.opens_time.data, field_name="opens_time"
        )
    if form.due.data == "date":
        due_at = london_to_utc(form.due_date.data, form.due_time.data, field_name="due_time")
    return AssessmentDetails(
        kind=form.kind,
        title=form.title.data,
        instructions=form.instructions.data or "",
        required=bool(form.required.data),
        opens_at=opens_at,
        opens_after_session=form.opens_after_session.data if form.opens.data == "session" else None,
        due_at=due_at,
        due_days_after_last_session=(
            form.due_days_after_last_session.data if form.due.data == "days" else None
        ),
        pass_mark_percent=value("pass_mark_percent", 80),
        attempts_allowed=value("attempts_allowed"),
        time_limit_minutes=value("time_limit_minutes"),
        shuffle_questions=bool(value("shuffle_questions", False)),
        shuffle_options=bool(value("shuffle_options", False)),
    )


def _question_label(question: Question) -> str:
    words = question.text if len(question.text) <= 90 else question.text[:87] + "…"
    return f"{question.category}: {words}" if question.category else words


def _item_forms(
    quiz: Assessment,
    question_form: QuestionItemForm | None = None,
    draw_form: DrawItemForm | None = None,
) -> tuple[QuestionItemForm, DrawItemForm, list[tuple[str, int]]]:
    question_form = question_form or QuestionItemForm(formdata=None)
    draw_form = draw_form or DrawItemForm(formdata=None)
    question_form.question_id.choices = [SelectChoice("", "Choose a question")] + [
        SelectChoice(question.id, _question_label(question))
        for question in authoring.questions_to_add(quiz)
    ]
    categories = bank.bank_categories(quiz.course)
    draw_form.category.choices = [SelectChoice("", "Choose a category")] + [
        SelectChoice(name, f"{name} ({count} question{'s' if count != 1 else ''})")
        for name, count in categories
    ]
    return question_form, draw_form, categories


def _assessment_page(
    assessment: Assessment,
    *,
    status: int = 200,
    form: AssessmentForm | None = None,
    question_form: QuestionItemForm | None = None,
    draw_form: DrawItemForm | None = None,
):
    """The assessment's page; a form passed in is shown as posted, with its errors."""
    context = {}
    if assessment.is_quiz:
        question_form, draw_form, categories = _item_forms(assessment, question_form, draw_form)
        items = authoring.quiz_items(assessment)
        context = {
            "items": items,
            "question_form": question_form,
            "draw_form": draw_form,
            "categories": categories,
            "question_total": sum(
                1 if item.question_id is not None else item.draw_count for item in items
            ),
        }
    return render_template(
        "assessments/authoring/assessment.html",
        assessment=assessment,
        course=assessment.course,
        form=form if form is not None else _assessment_form(assessment.kind, assessment),
        opens=opens_words(assessment),
        due=due_words(assessment),
        shortfalls=[
            problem
            for problem in bank.draw_shortfalls(assessment.course_id)
            if problem.startswith(f"Quiz '{assessment.title}' ")
        ]
        if assessment.is_quiz and not assessment.archived
        else [],
        **context,
    ), status


def _question_form(question: Question | None) -> QuestionForm:
    if request.method == "POST":
        return QuestionForm()
    if question is None:
        return QuestionForm(formdata=None, data={"points": 1})
    data = {
        "type": question.type.value,
        "text": question.text,
        "points": question.points,
        "category": question.category,
        "feedback": question.feedback,
    }
    if question.type == QuestionType.TRUE_FALSE:
        true = next((o for o in question.options if o.text == "True"), None)
        data["true_is_correct"] = "true" if true is not None and true.correct else "false"
    else:
        for n, option in enumerate(question.options[:OPTION_ROWS], start=1):
            data[f"option_{n}_text"] = option.text
            data[f"option_{n}_correct"] = option.correct
            data[f"option_{n}_feedback"] = option.feedback
    return QuestionForm(formdata=None, data=data)


def _question_details(form: QuestionForm) -> QuestionDetails:
    return QuestionDetails(
        type=QuestionType(form.type.data),
        text=form.text.data or "",
        points=form.points.data,
        category=form.category.data or "",
        feedback=form.feedback.data or "",
        options=form.options(),
        true_is_correct={"true": True, "false": False}.get(form.true_is_correct.data),
    )


def _question_page(course: Course, question: Question | None, form: QuestionForm, status: int):
    used = question is not None and bank.has_attempts(question)
    current = None
    if question is not None and question.retired:
        current = bank.current_version(question)
    return render_template(
        "assessments/authoring/question.html",
        course=course,
        question=question,
        form=form,
        used=used,
        current=current,
    ), status


# --- a course's assessments ----------------------------------------------------------------


@bp.get("/courses/<course_code>/assessments")
@course_author(load="course_code")
def index(course_code: str, course: Course):
    assessments = authoring.assessments_to_author(course)
    counts = authoring.question_counts([a.id for a in assessments if a.is_quiz])
    return render_template(
        "assessments/authoring/index.html",
        course=course,
        assessments=assessments,
        counts=counts,
        opens={a.id: opens_words(a) for a in assessments},
        due={a.id: due_words(a) for a in assessments},
    )


@bp.route("/courses/<course_code>/assessments/new", methods=["GET", "POST"])
@course_author(load="course_code")
def create(course_code: str, course: Course):
    try:
        kind = AssessmentKind(request.args.get("kind", ""))
    except ValueError:
        abort(404)
    form = _assessment_form(kind, None)
    if form.validate_on_submit():
        with service_call(form) as call:
            assessment = authoring.create_assessment(
                course, _assessment_details(form), by=current_user
            )
        if call.ok:
            then = " Now add its questions." if kind == AssessmentKind.QUIZ else ""
            flash(f"{kind.label} '{assessment.title}' has been added.{then}", "success")
            return redirect(url_for(".show", assessment_id=assessment.id))
    status = INVALID if form.is_submitted() else 200
    return render_template(
        "assessments/authoring/new.html", course=course, form=form, kind=kind
    ), status


# --- one assessment ----------------------------------------------------------------------------


@bp.route("/assessments/<int:assessment_id>", methods=["GET", "POST"])
@course_author(load="assessment_id")
def show(assessment_id: int, assessment: Assessment):
    """The assessment's page; posting it saves the settings."""
    form = _assessment_form(assessment.kind, assessment)
    if form.validate_on_submit():
        with service_call(form) as call:
            authoring.update_assessment(assessment, _assessment_details(form), by=current_user)
        if call.ok:
            flash("The changes have been saved.", "success")
            return redirect(url_for(".show", assessment_id=assessment_id))
        assessment = authored_assessment(assessment_id)
    return _assessment_page(assessment, form=form, status=INVALID if form.is_submitted() else 200)


@bp.post("/assessments/<int:assessment_id>/archive")
@course_author(load="assessment_id")
def archive(assessment_id: int, assessment: Assessment):
    code = assessment.course.code
    with service_call() as call:
        authoring.archive_assessment(assessment, by=current_user)
    if call.ok:
        flash(
            "The assessment is archived. Learners no longer see it and it no longer counts "
            "towards completion; its results are kept.",
            "success",
        )
        return redirect(url_for(".index", course_code=code))
    return redirect(url_for(".show", assessment_id=assessment_id))


@bp.post("/assessments/<int:assessment_id>/questions")
@course_author(load="assessment_id")
def add_question(assessment_id: int, assessment: Assessment):
    form = QuestionItemForm()
    form.question_id.validate_choice = False  # the service checks it is in the bank
    if form.validate_on_submit():
        chosen = form.question_id.data
        question = None if chosen is None else db.session.get(Question, chosen)
        if question is None:
            show_error(form, "Choose a question from the bank", "question_id")
        else:
            with service_call(form) as call:
                authoring.add_question_item(assessment, question, by=current_user)
            if call.ok:
                flash("The question has been added to the quiz.", "success")
                return redirect(url_for(".show", assessment_id=assessment_id, _anchor="items"))
            assessment = authored_assessment(assessment_id)
    return _assessment_page(assessment, question_form=form, status=INVALID)


@bp.post("/assessments/<int:assessment_id>/draws")
@course_author(load="assessment_id")
def add_draw(assessment_id: int, assessment: Assessment):
    form = DrawItemForm()
    form.category.validate_choice = False  # the service checks the bank has it
    if form.validate_on_submit():
        with service_call(form) as call:
            authoring.add_draw_item(
                assessment, form.category.data, form.count.data, by=current_user
            )
        if call.ok:
            flash("The draw has been added to the quiz.", "success")
            return redirect(url_for(".show", assessment_id=assessment_id, _anchor="items"))
        assessment = authored_assessment(assessment_id)
    return _assessment_page(assessment, draw_form=form, status=INVALID)


def _item(assessment: Assessment, item_id: int) -> QuizItem:
    item = db.session.get(QuizItem, item_id)
    if item is None or item.assessment_id != assessment.id:
        abort(404)
    return item


@bp.post("/assessments/<int:assessment_id>/items/<int:item_id>/remove")
@course_author(load="assessment_id")
def remove_item(assessment_id: int, item_id: int, assessment: Assessment):
    item = _item(assessment, item_id)
    with service_call() as call:
        authoring.remove_item(assessment, item, by=current_user)
    if call.ok:
        flash("The item has been removed from the quiz.", "success")
    return redirect(url_for(".show", assessment_id=assessment_id, _anchor="items"))


@bp.post("/assessments/<int:assessment_id>/items/<int:item_id>/move")
@course_author(load="assessment_id")
def move_item(assessment_id: int, item_id: int, assessment: Assessment):
    item = _item(assessment, item_id)
    form = MoveForm()
    if not form.validate_on_submit():
        flash("Choose up or down.", "error")
        return redirect(url_for(".show", assessment_id=assessment_id, _anchor="items"))
    with service_call():
        authoring.move_item(assessment, item, form.direction.data, by=current_user)
    return redirect(url_for(".show", assessment_id=assessment_id, _anchor="items"))


# --- the question bank -----------------------------------------------------------------------


@bp.get("/courses/<course_code>/questions")
@course_author(load="course_code")
def questions(course_code: str, course: Course):
    categories = bank.bank_categories(course)
    category = request.args.get("category")
    if category is not None and category not in {name for name, _ in categories}:
        category = None
    page = paginate(bank.bank_questions(course, category), per_page=BANK_PAGE_SIZE)
    return render_template(
        "assessments/authoring/bank.html",
        course=course,
        page=page,
        categories=categories,
        category=category,
        used=bank.quiz_counts([question.id for question in page.items]),
    )


@bp.route("/courses/<course_code>/questions/new", methods=["GET", "POST"])
@course_author(load="course_code")
def create_question(course_code: str, course: Course):
    form = _question_form(None)
    if form.validate_on_submit():
        with service_call(form) as call:
            bank.create_question(course, _question_details(form), by=current_user)
        if call.ok:
            flash("The question has been added to the bank.", "success")
            return redirect(url_for(".questions", course_code=course.code))
    return _question_page(course, None, form, INVALID if form.is_submitted() else 200)


@bp.route("/questions/<int:question_id>", methods=["GET", "POST"])
@course_author(load="question_id")
def edit_question(question_id: int, question: Question):
    form = _question_form(question)
    if form.validate_on_submit():
        with service_call(form) as call:
            saved = bank.update_question(question, _question_details(form), by=current_user)
        if call.ok:
            if saved.id != question_id:
                flash(
                    f"Saved as version {saved.version}. Attempts already made keep the "
                    "version they were marked against; quizzes now ask the new one.",
                    "success",
                )
            else:
                flash("The question has been saved.", "success")
            return redirect(url_for(".edit_question", question_id=saved.id))
        question = authored_question(question_id)
    return _question_page(question.course, question, form, INVALID if form.is_submitted() else 200)


@bp.post("/questions/<int:question_id>/retire")
@course_author(load="question_id")
def retire_question(question_id: int, question: Question):
    code = question.course.code
    with service_call() as call:
        bank.retire_question(question, by=current_user)
    if call.ok:
        flash("The question has been taken out of the bank.", "success")
        return redirect(url_for(".questions", course_code=code))
    return redirect(url_for(".edit_question", question_id=question_id))
