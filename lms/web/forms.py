"""Shared form helpers: the base of every form, tidy text, a service's refusal by its field."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import abort, flash, request
from flask_sqlalchemy.pagination import SelectPagination
from flask_wtf import FlaskForm
from sqlalchemy import func, literal_column, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload
from werkzeug.datastructures import FileStorage
from wtforms import (
    DateField,
    PasswordField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
    ValidationError,
)
from wtforms.csrf.core import CSRFTokenField
from wtforms.validators import Optional, StopValidation
from wtforms.widgets import CheckboxInput, ListWidget

from lms.core.domain import DomainError
from lms.core.extensions import db
from lms.core.unit_of_work import refuse_changes

INVALID = 422  # the status of a page re-shown with errors


# --- text: one line means one line -------------------------------------------------------

# What str.splitlines() breaks a line at: LF, CR, VT, FF, FS, GS, RS, NEL, U+2028, U+2029.
_LINE_BREAK = re.compile(r"[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
# Characters nobody can see that still reach CSV files, PDFs, calendars and mail: C0 controls
# other than tab, LF and CR; DEL; C1 controls; the marks that reorder text (bidi overrides);
_HIDDEN = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
    # and the invisible format marks: soft hyphen, Arabic letter mark, Mongolian vowel
    # separator, zero-width space, LRM/RLM, word joiners, byte-order mark (the joiners
    # U+200C/U+200D stay: some scripts and names need them)
    r"\u00ad\u061c\u180e\u200b\u200e\u200f\u2060-\u2064\ufeff]"
)
_TERMINAL_CODE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")  # an ANSI escape such as ESC [31m
_SPACES = re.compile(r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_NEWLINE = re.compile(r"\r\n|[\r\u2028\u2029]")


def one_line(text: str) -> str:
    """`text` made fit for one line: line breaks become spaces, hidden characters go, runs
    of spaces become one and the ends are trimmed. For names, titles, venues and codes
    wherever they are written (forms, imports, calendars)."""
    if text.isprintable() and "  " not in text:
        return text.strip()
    text = _LINE_BREAK.sub(" ", text)
    text = _HIDDEN.sub("", _TERMINAL_CODE.sub("", text))
    return _SPACES.sub(" ", text).strip()


def plain_text(text: str) -> str:
    """`text` that may run over several lines, tidied: every line break becomes LF, hidden
    characters go (tabs stay) and the ends are trimmed."""
    text = _NEWLINE.sub("\n", text)
    return _HIDDEN.sub("", _TERMINAL_CODE.sub("", text)).strip()


def _tidy(clean):
    def tidy(value):
        if isinstance(value, str):
            return clean(value)
        if isinstance(value, list):  # a field holding lines (courses.forms.LinesField)
            return [clean(item) if isinstance(item, str) else item for item in value]
        return value

    return tidy


class SingleLine:
    """Refuses a one-line text field sent with a line break or a hidden character in it.

    `Form` gives every text field this rule and tidies its value with `one_line`, so the
    page shown with the message already holds the tidied text to check and send again.
    Give it yourself, first among the validators, to name the field differently in the
    messages: `SingleLine("search")` says "Enter the search on one line".
    """

    several_lines = False

    def __init__(self, name: str | None = None):
        self.name = name

    def __call__(self, form, field) -> None:
        for sent in field.raw_data or ():
            if not isinstance(sent, str):
                continue
            sent = sent.strip()
            if not self.several_lines and _LINE_BREAK.search(sent):
                raise StopValidation(f"Enter the {self._name(field)} on one line")
            if _HIDDEN.search(sent):
                raise StopValidation(
                    f"The {self._name(field)} must not contain hidden characters. "
                    "Retype any pasted text"
                )

    def _name(self, field) -> str:
        if self.name:
            return self.name
        label = re.sub(r"\s*\([^()]*\)$", "", str(field.label.text)).strip()
        label = label or field.name.replace("_", " ")
        if label[:1].isupper() and not label[1:2].isupper():  # "Job title", not "CPD hours"
            label = label[0].lower() + label[1:]
        return label


class MultiLine(SingleLine):
    """Line breaks are welcome (tidied to LF); hidden characters are refused as on one line."""

    several_lines = True


def _with_text_rules(field):
    """A text field with the house rules for text; passwords are left exactly as typed."""
    if not isinstance(field, StringField) or isinstance(field, PasswordField | CSRFTokenField):
        return field
    several = isinstance(field, TextAreaField)
    field.filters = [_tidy(plain_text if several else one_line), *field.filters]
    if not any(isinstance(rule, SingleLine) for rule in field.validators):
        field.validators = [MultiLine() if several else SingleLine(), *field.validators]
    return field


# --- plain messages for odd input --------------------------------------------------------

CHOOSE = "Choose one of the options given"
CHECK_FORMAT = "Enter this in the correct format"
RELOAD = "Your form could not be checked. Reload the page and try again"

# WTForms' and Flask-WTF's own messages, said plainly, never echoing what was sent. A field
# should still say what it is about (`invalid_choice_message="Choose a category from the
# list"`); these are the floor for any field that does not.
PLAIN_MESSAGES = {
    "Not a valid choice.": CHOOSE,
    "Invalid Choice: could not coerce.": CHOOSE,
    "Invalid choice(s): one or more data inputs could not be coerced.": CHOOSE,
    "'%(value)s' is not a valid choice for this field.": CHOOSE,
    "'%(value)s' are not valid choices for this field.": CHOOSE,
    "Invalid value, must be one of: %(values)s.": CHOOSE,
    "Invalid value, can't be any of: %(values)s.": "Enter a different answer",
    "Not a valid integer value.": "Enter a whole number, like 12",
    "Not a valid decimal value.": "Enter a number, like 3.5",
    "Not a valid float value.": "Enter a number, like 3.5",
    "Not a valid date value.": "Enter a real date, like 2026-04-01",
    "Not a valid datetime value.": "Enter a real date and time, like 2026-04-01 09:30",
    "Not a valid time value.": "Enter a 24-hour time, like 09:30",
    "Not a valid week value.": "Enter a real week, like 2026-W14",
    "Date must be at least %(min)s.": "Enter a date on or after %(min)s",
    "Date must be at most %(max)s.": "Enter a date on or before %(max)s",
    "Date must be between %(min)s and %(max)s.": "Enter a date from %(min)s to %(max)s",
    "Number must be at least %(min)s.": "Enter a number of %(min)s or more",
    "Number must be at most %(max)s.": "Enter a number of %(max)s or less",
    "Number must be between %(min)s and %(max)s.": "Enter a number from %(min)s to %(max)s",
    "Field cannot be longer than %(max)d character.": "Enter %(max)d character or fewer",
    "Field cannot be longer than %(max)d characters.": "Enter %(max)d characters or fewer",
    "Field must be at least %(min)d character long.": "Enter at least %(min)d character",
    "Field must be at least %(min)d characters long.": "Enter at least %(min)d characters",
    "Field must be exactly %(max)d character long.": "Enter exactly %(max)d character",
    "Field must be exactly %(max)d characters long.": "Enter exactly %(max)d characters",
    "Field must be between %(min)d and %(max)d characters long.": (
        "Enter between %(min)d and %(max)d characters"
    ),
    "Field must be equal to %(other_name)s.": "This must match %(other_label)s",
    "This field is required.": "Complete this part of the form",
    "Invalid input.": CHECK_FORMAT,
    "Invalid email address.": (
        "Enter an email address in the correct format, like name@example.nhs.uk"
    ),
    "Invalid URL.": "Enter a full web address, like https://www.nhs.uk",
    "Invalid IP address.": CHECK_FORMAT,
    "Invalid Mac address.": CHECK_FORMAT,
    "Invalid UUID.": CHECK_FORMAT,
    "This field cannot be edited.": "This cannot be changed",
    "This field is disabled and cannot have a value.": "This cannot be changed",
    "Invalid CSRF Token.": RELOAD,
    "CSRF token expired.": RELOAD,
    "CSRF token missing.": RELOAD,
    "CSRF failed.": RELOAD,
    "File does not have an approved extension: {extensions}": (
        "The selected file must be one of these types: {extensions}"
    ),
    "File does not have an approved extension.": "The selected file is not a type we can use",
    "File must be between {min_size} and {max_size} bytes.": (
        "The selected file must be between {min_size} and {max_size} bytes"
    ),
}


class _PlainMessages:
    """The `translations` WTForms asks for its messages (its documented i18n hook)."""

    def gettext(self, string: str) -> str:
        return PLAIN_MESSAGES.get(string, string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)


_PLAIN = _PlainMessages()


def _all_text(formdata) -> bool:
    return all(
        isinstance(value, str | FileStorage) for _, values in formdata.lists() for value in values
    )


class Form(FlaskForm):
    """The base of every form: CSRF (Flask-WTF), plain messages, and tidy, checked text.

    A subclass gets, with nothing to remember: WTForms' built-in messages in plain English
    (no message echoes what was sent); every one-line text field tidied with `one_line` and
    checked by `SingleLine`, every textarea tidied with `plain_text` and checked by
    `MultiLine` (password fields are left exactly as typed); and a 400 for a body whose
    values are not text (JSON sent to an HTML form). tests/lms/test_forms.py fails on any
    form of the app that is not built on this class.
    """

    class Meta:
        def bind_field(self, form, unbound_field, options):
            return _with_text_rules(super().bind_field(form, unbound_field, options))

        def get_translations(self, form):
            return _PLAIN

        def wrap_formdata(self, form, formdata):
            try:
                formdata = super().wrap_formdata(form, formdata)
            except (TypeError, ValueError):  # JSON that is not an object of fields
                abort(400)
            if formdata is not None and hasattr(formdata, "lists") and not _all_text(formdata):
                abort(400)
            return formdata


class MultiCheckboxField(SelectMultipleField):
    """Several choices as checkboxes (rendered with the NHS.UK checkboxes component)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def show_error(form: FlaskForm, error: DomainError | str, field: str | None = None) -> None:
    """Puts a refusal beside its field; an error listing several `problems` shows each."""
    for problem in getattr(error, "problems", None) or ():
        show_error(form, problem.message, problem.field)
    if getattr(error, "problems", None):
        return
    message = str(error)
    field = field or getattr(error, "field", None)
    if field and field in form:
        errors = form[field].errors
        if isinstance(errors, tuple):
            form[field].errors = errors = list(errors)
        errors.append(message)
    else:
        form.form_errors.append(message)


def safe_next(target: str | None, default: str) -> str:
    """Only same-site paths are followed after login, never another site."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(char) < 0x20 or ord(char) == 0x7F for char in target):
        return default
    return target


class SensibleDate:
    """Refuses dates far outside the trust's working life (and Python's date arithmetic)."""

    def __call__(self, form, field):
        if field.data is not None and not 1900 <= field.data.year <= 2200:
            raise ValidationError("Enter a date between the years 1900 and 2200")


DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]  # what date inputs send; what people type without one
TIME_FORMATS = ["%H:%M", "%H:%M:%S", "%H.%M"]


def optional_date(label: str, what: str) -> DateField:
    """A date that may be left blank, half of a moment: `what` finishes "Enter the date
    ..." ("enrolment opens")."""
    return DateField(
        label,
        description="For example, 2026-04-01",
        format=DATE_FORMATS,
        invalid_value_message=f"Enter the date {what} as a real date, like 2026-04-01",
        validators=[Optional(), SensibleDate()],
    )


def optional_time(label: str, what: str) -> TimeField:
    """The time of day that goes with an `optional_date`, UK time."""
    return TimeField(
        label,
        description="UK time, 24-hour clock, for example 09:30",
        format=TIME_FORMATS,
        invalid_value_message=f"Enter the time {what} as a 24-hour time, like 09:30",
        validators=[Optional()],
    )


def page_number(default: int = 1, highest: int = 1_000_000) -> int:
    """The `page` query value as a sane whole number, whatever was typed in the address."""
    try:
        number = int(request.args.get("page", default))
    except ValueError:
        return default
    return min(max(number, 1), highest)


COUNT_LIMIT = 10_000


class ListPage(SelectPagination):
    """A page of a listing whose count stops at COUNT_LIMIT + 1 rows, so counting costs the
    same for a trust's 600,000 audit events as for 600; `more` says the count stopped
    (the pager then says "more than 10,000" and the filters narrow the list)."""

    def _query_count(self) -> int:
        select_ = self._query_args["select"].options(lazyload("*")).order_by(None)
        if not select_._distinct and not select_._group_by_clauses:  # rows, not groups
            # Count the rows without reading their columns.
            select_ = select_.with_only_columns(literal_column("1"), maintain_column_froms=True)
        capped = select_.limit(COUNT_LIMIT + 1).subquery()
        total = self._query_args["session"].scalar(select(func.count()).select_from(capped))
        self.more = total > COUNT_LIMIT
        return total


def paginate(query, per_page: int) -> ListPage:
    """One page of a listing query (a count and a page: two statements whatever the size)."""
    return ListPage(
        select=query,
        session=db.session(),
        page=page_number(),
        per_page=per_page,
        max_per_page=None,
        error_out=False,
        count=True,
    )


def attachment(filename: str) -> str:
    """A Content-Disposition value safe for any cohort or course code in the name."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", filename).strip("-") or "download"
    return f'attachment; filename="{cleaned}"'


@dataclass
class Call:
    """What became of a view's call to a service: `ok`, or refused with `error`."""

    ok: bool = False
    error: DomainError | None = None


CLASH = "Someone else has just saved a change that clashes with this one. Check and try again"


@contextmanager
def service_call(form: FlaskForm | None = None, field: str | None = None) -> Iterator[Call]:
    """Runs a view's call to a service inside the request's unit of work.

    The changes are flushed at the end of the block, so a clash on a unique constraint
    (someone saved the same code or email just now) is caught here, while the view can
    still say so. A refusal (a DomainError, or that clash) rolls the whole request back,
    so nothing is half-saved, and is shown beside its form field, or as a banner when
    there is no form. The commit itself happens once, when the request ends
    (`lms.core.unit_of_work`). `call.ok` tells the view which page to answer.
    """
    call = Call()
    try:
        yield call
        db.session.flush()
    except DomainError as error:
        _refused(call, error, form, field)
        return
    except IntegrityError:
        _refused(call, DomainError(CLASH), form, field)
        return
    db.session.expire_all()  # the page after a change reads what the database now holds
    call.ok = True


def _refused(call: Call, error: DomainError, form: FlaskForm | None, field: str | None):
    refuse_changes()
    call.error = error
    if form is not None:
        show_error(form, error, field)
    else:
        flash(str(error), "error")
