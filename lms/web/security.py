"""Security headers, the CSP nonce and caching rules applied to every response."""

from __future__ import annotations

import secrets
from functools import cache

from flask import Flask, Response, current_app, g, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask.wrappers import Request
from flask_login import current_user
from itsdangerous import URLSafeTimedSerializer

_NONCE_MARK = "\x00nonce\x00"
_NOT_PERSONAL = frozenset({"static", "assets.asset", "assets.frontend"})
_SET_HERE = frozenset(
    {
        "content-security-policy",
        "x-content-type-options",
        "referrer-policy",
        "x-frame-options",
        "cross-origin-opener-policy",
        "permissions-policy",
        "strict-transport-security",
    }
)


def csp_nonce() -> str:
    """This request's nonce, the same for its page and its Content-Security-Policy."""
    nonce = g.get("csp_nonce")
    if nonce is None:
        nonce = g.csp_nonce = secrets.token_urlsafe(18)
    return nonce


def content_security_policy(nonce: str, font_host: str = "") -> str:
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self'",
            "img-src 'self' data:",
            f"font-src 'self' {font_host}".rstrip(),  # Frutiger, the NHS typeface
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


@cache
def _fixed_headers(font_host: str, hsts: bool) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    """The policy around its nonce, and the headers that never change: built once, not
    per response (every request pays for this hook)."""
    before_nonce, after_nonce = content_security_policy(_NONCE_MARK, font_host).split(_NONCE_MARK)
    fixed = [
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("X-Frame-Options", "DENY"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    ]
    if hsts:
        fixed.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
    return before_nonce, after_nonce, tuple(fixed)


def add_security_headers(response: Response) -> Response:
    config = current_app.config
    before_nonce, after_nonce, fixed = _fixed_headers(
        config["NHS_FONT_HOST"], bool(config.get("HSTS"))
    )
    policy = ("Content-Security-Policy", f"{before_nonce}{csp_nonce()}{after_nonce}")
    headers = response.headers
    if any(name.lower() in _SET_HERE for name, _ in headers):
        for name, value in (policy, *fixed):
            headers[name] = value  # replaces what the view set
    else:
        headers.extend((policy, *fixed))  # the usual case, and cheaper than set()
    # Personal data must not sit in shared caches or the back-button cache.
    if _is_personal(response):
        headers["Cache-Control"] = "no-store"
        headers.pop("Expires", None)
    return response


def _is_personal(response: Response) -> bool:
    if request.endpoint in _NOT_PERSONAL:
        return False
    # Pages carrying a form (CSRF token) or a one-time token are personal too.
    if response.mimetype == "text/html":
        return True
    # Without a session cookie nobody is logged in (we issue no "remember me" cookie,
    # and logging in answers with a redirect, which is HTML): such requests, /healthz
    # among them, never load a user or touch the session.
    if "HTTP_COOKIE" not in request.environ:
        return False  # (without parsing an empty Cookie header)
    cookie = current_app.config["SESSION_COOKIE_NAME"]
    return cookie in request.cookies and current_user.is_authenticated


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signing serializer built once per key
    instead of twice per request (it is stateless, so sharing it is safe)."""

    _serializer: tuple[tuple, URLSafeTimedSerializer | None] = ((), None)

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and "HTTP_COOKIE" not in request.environ:
            return self.session_class()  # no cookie to parse: a new, empty session
        return super().open_session(app, request)

    def save_session(self, app: Flask, session, response: Response) -> None:
        # Nothing to write and nothing to vary on: skip the seven cookie settings.
        if session or session.modified or session.accessed:
            super().save_session(app, session, response)

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        cached_keys, serializer = self._serializer
        if cached_keys != keys:
            serializer = super().get_signing_serializer(app)
            self._serializer = (keys, serializer)
        return serializer


def init_app(app: Flask) -> None:
    app.session_interface = SessionInterface()
    app.after_request(add_security_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
