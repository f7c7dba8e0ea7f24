"""Shared form helpers: put a service's refusal next to the field it is about."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import flash
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField
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
    if "\\" in target:
        return default
    return target


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
        db.session.rollback()
        outcome.error = error
        if form is not None:
            show_error(form, error, field)
        else:
            flash(str(error), "error")
        return
    db.session.commit()
    outcome.ok = True
