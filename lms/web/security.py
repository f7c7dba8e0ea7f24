"""Security headers, the CSP nonce and caching rules applied to every response; how long a
session lasts; and which proxies are believed about the client's address."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from functools import cache, wraps

from flask import Flask, Response, current_app, g, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask.wrappers import Request
from flask_login import current_user
from itsdangerous import URLSafeTimedSerializer
from werkzeug.exceptions import SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wsgi import get_host

_NONCE_MARK = "\x00nonce\x00"
LOGIN_AT = "_login_at"  # in the session: when its login happened (seconds since the epoch)
_NOT_EXTENDED = "lms.session_not_extended"
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


def start_login_clock(session) -> None:
    """Notes in a freshly logged-in session when the login happened (see SESSION_MAX_AGE)."""
    session[LOGIN_AT] = int(time.time())


def _outlived(session, max_age: float) -> bool:
    """A logged-in session older than the absolute lifetime, however active it has been.

    A login session without the time (issued before the rule) counts as outlived too.
    """
    if "_user_id" not in session:
        return False
    started = session.get(LOGIN_AT)
    return not isinstance(started, int) or time.time() - started > max_age


def does_not_extend_session(view: Callable) -> Callable:
    """For a view a page calls by itself in the background (polling): its answer does not
    re-send the session cookie, so a screen left open never keeps an idle session alive.

    The idle timeout is the cookie's signed timestamp, renewed by each answer that sends
    the cookie; this view's answers leave the browser's cookie, and its time, as it was.
    """

    @wraps(view)
    def wrapped(*args, **kwargs):
        request.environ[_NOT_EXTENDED] = True
        return view(*args, **kwargs)

    return wrapped


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signing serializer built once per key
    instead of twice per request (it is stateless, so sharing it is safe).

    Two clocks end a login: the idle timeout (PERMANENT_SESSION_LIFETIME, checked by the
    cookie's signed timestamp) and the absolute lifetime (SESSION_MAX_AGE, from the time
    of login kept in the session). Both are checked here, as the cookie is opened, so no
    page, and nothing a page calls, ever sees an ended session.
    """

    _serializer: tuple[tuple, URLSafeTimedSerializer | None] = ((), None)

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and "HTTP_COOKIE" not in request.environ:
            return self.session_class()  # no cookie to parse: a new, empty session
        session = super().open_session(app, request)
        if session and _outlived(session, app.config["SESSION_MAX_AGE"].total_seconds()):
            ended = self.session_class()
            ended.modified = True  # so the answer deletes the cookie
            return ended
        return session

    def save_session(self, app: Flask, session, response: Response) -> None:
        if not session.modified and (
            # Nothing to write and nothing to vary on: skip the seven cookie settings.
            not (session or session.accessed)
            # Nor is an unchanged session re-sent by a view that must not extend it.
            or request.environ.get(_NOT_EXTENDED)
        ):
            return
        super().save_session(app, session, response)

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        cached_keys, serializer = self._serializer
        if cached_keys != keys:
            serializer = super().get_signing_serializer(app)
            self._serializer = (keys, serializer)
        return serializer


def trust_proxies(app: Flask) -> None:
    """Behind PROXY_COUNT proxies, the client's address and scheme are those the proxies
    saw (X-Forwarded-For, X-Forwarded-Proto); with none, those headers are ignored, since
    anyone can send them. The host is never taken from X-Forwarded-Host: links come from
    BASE_URL and requests for other hosts are refused (HostCheck)."""
    count = app.config.get("PROXY_COUNT", 0)
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=0)


class HostCheck:
    """WSGI middleware: a request addressed to a host that is not ours (ALLOWED_HOSTS,
    from LMS_TRUSTED_HOSTS or LMS_BASE_URL) gets a plain 400 before the app sees it.

    Links never come from the Host header anyway (lms.web.urls); this refuses the request
    outright, so nothing is done for a page nobody should reach at that name. The health
    probes answer whatever the host: a load balancer calls them by the backend's address.
    Flask's own TRUSTED_HOSTS cannot exempt them, so it is left unset.
    """

    PROBES = frozenset({"/healthz", "/readyz"})

    def __init__(self, app: Flask):
        self.app = app
        self.wsgi_app = app.wsgi_app

    def __call__(self, environ, start_response):
        hosts = self.app.config["ALLOWED_HOSTS"]
        if hosts and environ.get("PATH_INFO") not in self.PROBES:
            try:
                get_host(environ, trusted_hosts=hosts)
            except SecurityError:
                refusal = Response(
                    "Bad request: this service does not answer to that address.\n",
                    status=400,
                    content_type="text/plain; charset=utf-8",
                    headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"},
                )
                return refusal(environ, start_response)
        return self.wsgi_app(environ, start_response)


def init_app(app: Flask) -> None:
    trust_proxies(app)
    app.wsgi_app = HostCheck(app)
    app.session_interface = SessionInterface()
    app.after_request(add_security_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
