"""Styled error pages; tracebacks are logged, never shown."""

from __future__ import annotations

from flask import Flask, current_app, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from lms.extensions import db

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
    original = getattr(error, "original_exception", None) or error
    current_app.logger.error("unhandled error on %s", request.path, exc_info=original)
    return render_error(500)


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(InternalServerError, handle_unexpected_error)
    app.register_error_handler(HTTPException, handle_http_error)
