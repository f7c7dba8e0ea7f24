"""Styled error pages; tracebacks are logged, never shown. Forms that are not UTF-8 get 400."""

from __future__ import annotations

from urllib.parse import parse_qsl

from flask import Flask, current_app, render_template, request, session
from flask import Request as FlaskRequest
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError
from werkzeug.formparser import FormDataParser

from lms.core.extensions import db

MESSAGES = {
    400: (
        "Sorry, there is a problem with that request",
        [
            "The page could not understand what was sent.",
            "If you were filling in a form, go back, reload the page and try again.",
        ],
    ),
    403: (
        "You do not have permission to see this page",
        [
            "If you think you should have access, contact the PMO team.",
        ],
    ),
    404: (
        "Page not found",
        [
            "If you typed the web address, check it is correct.",
            "If you pasted the web address, check you copied the entire address.",
        ],
    ),
    405: (
        "Sorry, that action is not allowed here",
        [
            "Go back and use the buttons on the page.",
        ],
    ),
    413: (
        "The file or form you sent is too large",
        [
            "Go back and try a smaller file.",
        ],
    ),
    429: (
        "Too many attempts",
        [
            "You have tried this too many times. Wait 15 minutes, then try again.",
        ],
    ),
    500: (
        "Sorry, there is a problem with the service",
        [
            "Try again later. Nothing you entered has been saved.",
            "If the problem continues, contact the PMO team.",
        ],
    ),
}


def render_error(status: int, paragraphs: list[str] | None = None):
    title, default_paragraphs = MESSAGES.get(status, MESSAGES[500])
    return (
        render_template(
            "errors/error.html",
            title=title,
            paragraphs=paragraphs or default_paragraphs,
            status=status,
        ),
        status,
    )


def handle_http_error(error: HTTPException):
    db.session.rollback()
    return render_error(error.code or 500)


def handle_csrf_error(error: CSRFError):
    db.session.rollback()
    return render_error(
        400,
        [
            "Your form could not be checked, perhaps because it was open for too long "
            "or you had logged out.",
            "Go back, reload the page and try again.",
        ],
    )


def handle_unexpected_error(error: Exception):
    db.session.rollback()
    # Nothing the view said went through (its change, if any, was not saved): drop the
    # messages it queued, such as "The changes have been saved."
    session.pop("_flashes", None)
    original = getattr(error, "original_exception", None) or error
    current_app.logger.error("unhandled error on %s", request.path, exc_info=original)
    return render_error(500)


class UnreadableForm(BadRequest):
    """A form body that is not UTF-8 text (our pages are UTF-8, so browsers send UTF-8)."""


class _StrictFormDataParser(FormDataParser):
    """Refuses a urlencoded body with bytes that are not UTF-8, raw or %-escaped.

    Werkzeug would otherwise answer an empty form (raw bytes: the CSRF check then fails
    with the wrong message) or keep "%FF" as literal text, saved as if it were typed.
    """

    def parse(self, stream, mimetype, content_length, options=None):
        if mimetype != "application/x-www-form-urlencoded":
            return super().parse(stream, mimetype, content_length, options)
        try:
            items = parse_qsl(stream.read().decode(), keep_blank_values=True, errors="strict")
        except UnicodeDecodeError:
            raise UnreadableForm() from None
        return stream, self.cls(items), self.cls()


class Request(FlaskRequest):
    form_data_parser_class = _StrictFormDataParser


def handle_unreadable_form(error: UnreadableForm):
    db.session.rollback()
    return render_error(
        400,
        [
            "The form you sent contained characters that could not be read: "
            "it was not sent as UTF-8 text. Nothing has been saved.",
            "Go back, reload the page and try again. If you send forms from a program, "
            "send them as UTF-8.",
        ],
    )


def init_app(app: Flask) -> None:
    # Here because an unreadable form is answered here; the class only parses more strictly.
    app.request_class = Request
    app.register_error_handler(UnreadableForm, handle_unreadable_form)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(InternalServerError, handle_unexpected_error)
    app.register_error_handler(HTTPException, handle_http_error)
