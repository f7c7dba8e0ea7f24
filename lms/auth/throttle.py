"""Throttles on password guessing: logging in, reset requests, the current-password check.

Logging in. A guesser must be slowed down wherever they guess from, and nobody else's
failures may keep an account's owner out. Only failed attempts (401) count, and an
attempt over a limit is refused (429) before its password is looked at:

- per account and address (LOGIN_LIMIT_PER_ACCOUNT_AND_IP, 10 per 15 minutes): one
  address guessing at one account. It refuses that address only; the owner logs in
  from anywhere else.
- per address (LOGIN_LIMIT_PER_IP, 50 per 15 minutes): one address guessing at many
  accounts.
- per account (LOGIN_LIMIT_PER_ACCOUNT, 100 a day): many addresses guessing at one
  account, so that a botnet's guesses are capped too.
- known browsers. A browser that has logged in to an account, or set its password
  through a mailed link, keeps a signed cookie saying so (KNOWN_BROWSER_LIFETIME). Its
  attempts at that account skip the three limits above and count on their own
  (LOGIN_LIMIT_PER_KNOWN_BROWSER). So the owner at their usual browser is never refused
  because of anyone else's failures: not behind the trust's shared NAT address, and not
  when guessers have used up the account's daily ceiling.

The trade-off. A ceiling that let correct passwords through would not slow guessing
at all (a success tells a guesser as much as a failure), so while an account is over its
ceiling, a browser it has never been used from is refused until the day is out, its
owner on a new computer included. The owner can still log in from any browser they have
used before, or reset their password, after which the browser they did it in is known.
And a known-browser cookie is as safe as the browser holding it (HttpOnly, signed, naming
accounts only by a keyed hash): whoever copies one gets the owner's own allowance.

The owner is mailed when their account collects LOGIN_WARNING_AFTER failures (10 a day),
from anywhere, once per window.

Counters live in Flask-Limiter's storage (Redis in production, shared by every app
process), keyed by a keyed hash of the typed email, so neither an email address nor a
password typed into the email box is kept there.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from flask import current_app, g, request, url_for
from flask_limiter.util import get_remote_address
from itsdangerous import BadData, URLSafeTimedSerializer
from limits import parse

from lms.core.extensions import limiter

KNOWN_BROWSER_COOKIE = "lms_known_browser"
ACCOUNTS_PER_BROWSER = 10  # a ward's shared computer is known for its last ten people
_KNOWN_BROWSER_SALT = "lms.known-browser"


def account_key(email: str | None) -> str:
    """A keyed hash of a typed email address: counted without being kept."""
    typed = (email or "").strip().lower()[:254]
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, b"account\x00" + typed.encode(), hashlib.sha256).hexdigest()[:32]


def _identifiers(scope: str, *key: str) -> list[str]:
    """What a counter of ours is stored under, beside Flask-Limiter's own."""
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or ""
    return [part for part in (prefix, scope, *key) if part]


# --- known browsers ------------------------------------------------------------------------


@dataclass(frozen=True)
class KnownBrowser:
    id: str
    accounts: tuple[str, ...]  # account_key()s, the latest first


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_KNOWN_BROWSER_SALT)


def known_browser() -> KnownBrowser | None:
    """This browser's known-browser cookie, if it carries a valid, unexpired one."""
    if "known_browser" not in g:
        g.known_browser = _read_known_browser()
    return g.known_browser


def _read_known_browser() -> KnownBrowser | None:
    raw = request.cookies.get(KNOWN_BROWSER_COOKIE)
    if not raw:
        return None
    max_age = current_app.config["KNOWN_BROWSER_LIFETIME"].total_seconds()
    try:
        data = _serializer().loads(raw, max_age=max_age)
    except BadData:
        return None
    if not isinstance(data, dict):
        return None
    browser, accounts = data.get("browser"), data.get("accounts")
    if not isinstance(browser, str) or not isinstance(accounts, list):
        return None
    return KnownBrowser(browser, tuple(item for item in accounts if isinstance(item, str)))


def remember_browser(response, email: str) -> None:
    """Marks this browser known for the account, on the answer to a login or password set.

    The cookie goes to the login form only, so the password-link page cannot read it: a
    password set there leaves the browser known for that one account.
    """
    account = account_key(email)
    browser = known_browser()
    earlier = [item for item in (browser.accounts if browser else ()) if item != account]
    value = _serializer().dumps(
        {
            "browser": browser.id if browser else secrets.token_urlsafe(16),
            "accounts": [account, *earlier][:ACCOUNTS_PER_BROWSER],
        }
    )
    config = current_app.config
    response.set_cookie(
        KNOWN_BROWSER_COOKIE,
        value,
        max_age=int(config["KNOWN_BROWSER_LIFETIME"].total_seconds()),
        path=url_for("auth.login"),  # only the login form ever reads it
        secure=config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Strict",
    )


# --- logging in ------------------------------------------------------------------------------


def _typed_account() -> str:
    return account_key(request.form.get("email"))


def _from_known_browser() -> bool:
    browser = known_browser()
    return browser is not None and _typed_account() in browser.accounts


def _from_unknown_browser() -> bool:
    return not _from_known_browser()


def _failed(response) -> bool:
    return response.status_code == 401


def _failure_limit(setting: str, key_func, scope: str, exempt_when):
    return limiter.limit(
        lambda: current_app.config[setting],
        key_func=key_func,
        methods=["POST"],
        deduct_when=_failed,
        exempt_when=exempt_when,
        scope=scope,
    )


_LOGIN_LIMITS = (
    _failure_limit(
        "LOGIN_LIMIT_PER_ACCOUNT_AND_IP",
        lambda: f"{get_remote_address()}/{_typed_account()}",
        "login-account-address",
        _from_known_browser,
    ),
    _failure_limit("LOGIN_LIMIT_PER_IP", get_remote_address, "login-address", _from_known_browser),
    _failure_limit("LOGIN_LIMIT_PER_ACCOUNT", _typed_account, "login-account", _from_known_browser),
    _failure_limit(
        "LOGIN_LIMIT_PER_KNOWN_BROWSER",
        lambda: f"{known_browser().id}/{_typed_account()}",
        "login-known-browser",
        _from_unknown_browser,
    ),
)


def login_limits(view):
    """The login view's limits (see the module's docstring)."""
    for limit in reversed(_LOGIN_LIMITS):
        view = limit(view)
    return view


def count_towards_warning(email: str) -> bool:
    """Counts a failed login to this account; True, once per LOGIN_WARNING_AFTER window,
    when the count reaches its number: then the owner is to be told."""
    item = parse(current_app.config["LOGIN_WARNING_AFTER"])
    key = item.key_for(*_identifiers("login-warning", account_key(email)))
    return limiter.storage.incr(key, item.get_expiry()) == item.amount


# --- password resets and the current-password check ---------------------------------------

reset_per_address = limiter.limit(
    lambda: current_app.config["RESET_LIMIT_PER_IP"],
    key_func=get_remote_address,
    methods=["POST"],
    scope="password-reset",
)


def reset_allowed(email: str) -> bool:
    """Counts a reset request for this email; False once over RESET_LIMIT_PER_ACCOUNT.

    The caller then sends nothing and answers as always, so the limit tells nobody
    whether the address has an account.
    """
    item = parse(current_app.config["RESET_LIMIT_PER_ACCOUNT"])
    return limiter.limiter.hit(item, *_identifiers("password-reset-account", account_key(email)))


def password_checks_left(user) -> bool:
    """Whether this person may have their current password checked again now."""
    item = parse(current_app.config["PASSWORD_CHECK_LIMIT"])
    return limiter.limiter.test(item, *_identifiers("password-check", str(user.id)))


def count_wrong_password(user) -> None:
    """Counts a wrong current password typed by this person (PASSWORD_CHECK_LIMIT)."""
    item = parse(current_app.config["PASSWORD_CHECK_LIMIT"])
    limiter.limiter.hit(item, *_identifiers("password-check", str(user.id)))
