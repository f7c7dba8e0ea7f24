"""The base of every form (lms/forms.py): tidy, checked text and plain messages for odd input."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import flask_wtf
import pytest
import wtforms
from werkzeug.datastructures import MultiDict
from wtforms import (
    DateField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length

import courses
import lms
from lms.web.forms import PLAIN_MESSAGES, Form, SingleLine, one_line, plain_text
from tests.helpers import PASSWORD, log_in


class Sample(Form):
    title = StringField("Title")
    note = StringField("Note for Jane (Janey) Smith (optional)")
    search = StringField("Search by anything", validators=[SingleLine("search")])
    summary = TextAreaField("Summary (optional)")
    password = PasswordField("Password")
    colour = SelectField("Colour", choices=["red", "blue"])
    tags = SelectMultipleField("Tags", choices=["a", "b"])
    count = IntegerField("Count")
    day = DateField("Day")
    code = StringField("Code", validators=[Length(max=3)])


def submit(**values) -> Sample:
    form = Sample(formdata=MultiDict({"colour": "red", **values}))
    form.validate()
    return form


@pytest.fixture
def request_context(app):
    with app.test_request_context(method="POST"):
        yield


# --- one line means one line ---------------------------------------------------------------

LINE_BREAKS = {
    "LF": "\n",
    "CR": "\r",
    "CR LF": "\r\n",
    "vertical tab": "\x0b",
    "form feed": "\x0c",
    "record separator": "\x1e",
    "next line (C1)": "\x85",
    "line separator": "\u2028",
    "paragraph separator": "\u2029",
}
HIDDEN = {
    "NUL's neighbour SOH": "\x01",
    "bell": "\x07",
    "backspace": "\x08",
    "shift out": "\x0e",
    "escape": "\x1b",
    "ANSI colour code": "\x1b[31m",
    "unit separator": "\x1f",
    "delete": "\x7f",
    "first C1 code": "\x80",
    "C1 control sequence introducer": "\x9b",
    "last C1 code": "\x9f",
    "right-to-left override": "\u202e",
    "zero-width space": "\u200b",
    "right-to-left mark": "\u200f",
    "word joiner": "\u2060",
    "byte-order mark": "\ufeff",
    "soft hyphen": "\u00ad",
    "Arabic letter mark": "\u061c",
}
ONE_LINE_MESSAGE = "Enter the title on one line"
HIDDEN_MESSAGE = "The title must not contain hidden characters. Retype any pasted text"


@pytest.mark.parametrize("character", LINE_BREAKS.values(), ids=LINE_BREAKS.keys())
def test_a_line_break_inside_a_one_line_field_is_refused(request_context, character):
    form = submit(title=f"Project{character}management")
    assert form.title.errors == [ONE_LINE_MESSAGE]
    assert form.title.data == "Project management"  # shown tidied, to check and send again


@pytest.mark.parametrize("character", HIDDEN.values(), ids=HIDDEN.keys())
def test_a_hidden_character_in_a_one_line_field_is_refused(request_context, character):
    form = submit(title=f"Project{character}management")
    assert form.title.errors == [HIDDEN_MESSAGE]
    assert form.title.data == "Projectmanagement"


@pytest.mark.parametrize("character", HIDDEN.values(), ids=HIDDEN.keys())
def test_a_hidden_character_in_a_textarea_is_refused(request_context, character):
    form = submit(summary=f"First line\r\nsecond{character} line")
    assert form.summary.errors == [
        "The summary must not contain hidden characters. Retype any pasted text"
    ]


def test_a_textarea_keeps_its_lines_and_tabs_with_line_ends_made_lf(request_context):
    form = submit(summary="  First\r\nsecond\rthird\u2028fourth\u2029\tfifth  \r\n")
    assert form.summary.errors == []
    assert form.summary.data == "First\nsecond\nthird\nfourth\n\tfifth"


def test_spaces_are_tidied_and_line_breaks_at_the_ends_dropped(request_context):
    form = submit(title="\r\n  Project \t  management\u00a0 for\u3000all \r\n")
    assert form.title.errors == []
    assert form.title.data == "Project management for all"


def test_messages_name_the_field_by_its_label_or_the_name_given(request_context):
    form = submit(note="a\nb", search="a\x1bb")
    assert form.note.errors == ["Enter the note for Jane (Janey) Smith on one line"]
    assert form.search.errors == [
        "The search must not contain hidden characters. Retype any pasted text"
    ]


def test_a_password_is_left_exactly_as_typed(request_context):
    form = submit(password="  pass\x1b\tword\n ")
    assert form.password.errors == [] and form.password.data == "  pass\x1b\tword\n "


def test_values_from_the_database_are_shown_tidied(request_context):
    class Legacy:
        title = "Old\r\ntitle\x1b[0m"
        summary = "One\r\nTwo\x07"

    form = Sample(formdata=None, obj=Legacy())
    assert form.title.data == "Old title" and form.summary.data == "One\nTwo"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Project management", "Project management"),
        ("  Leading   change  ", "Leading change"),
        ("Line one\r\nline two", "Line one line two"),
        ("Line one\u2028line two\u2029", "Line one line two"),
        ("Red\x1b[31m alert\x1b[0m", "Red alert"),
        ("Tab\tseparated", "Tab separated"),
        ("NUL\x00 and bell\x07", "NUL and bell"),
        ("C1\x80 and\x9f codes\x85here", "C1 and codes here"),
        ("\u202eevil", "evil"),
        ("Łukasz Żółć — café", "Łukasz Żółć — café"),
    ],
)
def test_one_line_puts_any_text_on_one_line(text, expected):
    assert one_line(text) == expected


def test_plain_text_keeps_lines_and_drops_hidden_characters():
    assert plain_text("a\r\nb\x1b[1m\x00\tc\rd ") == "a\nb\tc\nd"


# --- plain messages ------------------------------------------------------------------------


def test_a_tampered_choice_gets_a_plain_message_that_does_not_echo_it(request_context):
    form = submit(colour="<b>green</b>", tags=["a", "<b>purple</b>"])
    assert form.colour.errors == ["Choose one of the options given"]
    assert form.tags.errors == ["Choose one of the options given"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("count", "twelve", "Enter a whole number, like 12"),
        ("day", "31 February", "Enter a real date, like 2026-04-01"),
        ("code", "ABCD", "Enter 3 characters or fewer"),
    ],
)
def test_built_in_messages_are_plain_english(request_context, field, value, message):
    assert submit(**{field: value})[field].errors == [message]


def _built_in_messages(package) -> set[str]:
    """Every message a package passes to gettext or ngettext, read from its source."""
    found = set()
    for path in Path(package.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", getattr(node.func, "id", None))
                in ("gettext", "ngettext")
                and node.args
            ):
                found.update(
                    arg.value
                    for arg in node.args
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                )
    return found


PROGRAMMING_ERRORS = {"Choices cannot be None.", "Invalid field name '%s'."}


def test_every_built_in_message_has_a_plain_one():
    messages = _built_in_messages(wtforms) | _built_in_messages(flask_wtf)
    assert len(messages) > 30  # the source was read
    assert sorted(messages - PROGRAMMING_ERRORS - PLAIN_MESSAGES.keys()) == []


def test_no_plain_message_can_echo_what_was_sent():
    assert not [message for message in PLAIN_MESSAGES.values() if "value" in message]


# --- every form is built on lms.forms.Form -------------------------------------------------


def _subclasses(cls):
    for subclass in cls.__subclasses__():
        yield subclass
        yield from _subclasses(subclass)


def test_every_form_of_the_app_is_built_on_the_house_form():
    for package in (lms, courses):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            importlib.import_module(module.name)
    ours = {
        form
        for form in _subclasses(wtforms.form.BaseForm)
        if form.__module__.split(".")[0] in ("lms", "courses", "certificates")
    }
    assert len(ours) > 10
    assert sorted(form.__qualname__ for form in ours if not issubclass(form, Form)) == []


# --- bodies that are not forms --------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [{"code": 5, "title": ["a"], "cpd_hours": 3}, {"code": {"a": 1}}, [1, 2], "text"],
    ids=["numbers", "an object", "a list", "a string"],
)
def test_json_sent_to_a_form_is_a_bad_request(client, admin, body):
    log_in(client, admin.email, PASSWORD)
    assert client.post("/admin/courses/new", json=body).status_code == 400


def test_the_joiners_some_scripts_need_are_kept(app):
    with app.test_request_context():
        assert one_line("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645") == (
            "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"
        )
