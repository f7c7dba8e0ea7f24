"""Shared form helpers: put a service's refusal next to the field it is about."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget

from lms.domain import DomainError

INVALID = 422  # the status of a page re-shown with errors


class MultiCheckboxField(SelectMultipleField):
    """Several choices as checkboxes (rendered with the NHS.UK checkboxes component)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def show_error(form: FlaskForm, error: DomainError | str, field: str | None = None) -> None:
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
