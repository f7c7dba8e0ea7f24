"""Shared form helpers: put a service's refusal next to the field it is about."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import flash, request
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError
from wtforms import SelectMultipleField, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from lms.domain import DomainError
from lms.extensions import db

INVALID = 422  # the status of a page re-shown with errors


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


def page_number(default: int = 1, highest: int = 1_000_000) -> int:
    """The `page` query value as a sane whole number, whatever was typed in the address."""
    try:
        number = int(request.args.get("page", default))
    except ValueError:
        return default
    return min(max(number, 1), highest)


def paginate(query, per_page: int):
    """One page of a listing query (a count and a page: two statements whatever the size)."""
    return db.paginate(query, page=page_number(), per_page=per_page, error_out=False, count=True)


def attachment(filename: str) -> str:
    """A Content-Disposition value safe for any cohort or course code in the name."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", filename).strip("-") or "download"
    return f'attachment; filename="{cleaned}"'


@dataclass
class Outcome:
    ok: bool = False
    error: DomainError | None = None


@contextmanager
def one_transaction(form: FlaskForm | None = None, field: str | None = None) -> Iterator[Outcome]:
    """Runs a view's service call as the request's one transaction.

    Commits when the block finishes. When a service refuses (DomainError), rolls back,
    so nothing is half-saved, and shows the reason beside its form field, or as a
    banner when there is no form. `outcome.ok` tells the view which page to answer.
    """
    outcome = Outcome()
    try:
        yield outcome
    except DomainError as error:
        _refused(outcome, error, form, field)
        return
    try:
        db.session.commit()
    except IntegrityError:  # someone saved a clashing change (a code, an email) just now
        _refused(outcome, DomainError(CLASH), form, field)
        return
    outcome.ok = True


CLASH = "Someone else has just saved a change that clashes with this one. Check and try again"


def _refused(outcome: Outcome, error: DomainError, form: FlaskForm | None, field: str | None):
    db.session.rollback()
    outcome.error = error
    if form is not None:
        show_error(form, error, field)
    else:
        flash(str(error), "error")
