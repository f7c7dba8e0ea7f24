"""CSRF, rate limits and logins hook into every request, so their hooks are what
/healthz, and every page before its own work, pays: each is kept to the requests it has
something to do for (the limiter's pass alone cost more than a whole bare Flask
request; tests/lms/web/test_request_cost.py).

Some of these depend on private names of Flask-Limiter (`_meta_limits`,
`_blueprint_limits`, `_key_prefix`, the request attribute below) and one on Flask-Login's
`_update_remember_cookie`: check them when upgrading either.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import Flask, current_app, request
from flask.globals import request_ctx

from lms.core.extensions import csrf, limiter, login_manager

# Where Flask-Limiter keeps a request's limits, once a rate-limited view has run.
LIMITER_STATE = "_limiter_request_context"
# The setting that limits a view's request body (`body_limit`), and the room a body needs
# for its form's other fields and the multipart framing.
BODY_LIMIT = "body_limit_setting"
FORM_ALLOWANCE = 16 * 1024


def body_limit(setting: str) -> Callable[[Callable], Callable]:
    """A view whose request body must be smaller than the app's MAX_CONTENT_LENGTH: at most
    the `setting`'s bytes (and FORM_ALLOWANCE). Applied before any hook reads the body
    (CSRF's does), so a larger one is refused with 413 before it is read."""

    def decorator(view: Callable) -> Callable:
        setattr(view, BODY_LIMIT, setting)
        return view

    return decorator


def _apply_body_limit() -> None:
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    setting = getattr(view, BODY_LIMIT, None)
    if setting is not None:
        request.max_content_length = current_app.config[setting] + FORM_ALLOWANCE


def init_request_extensions(app: Flask) -> None:
    """Initialises Flask-WTF's CSRF, Flask-Limiter and Flask-Login with lean hooks, after
    the hook that applies a view's own body limit (`body_limit`), which runs first."""
    app.before_request_funcs.setdefault(None, []).insert(0, _apply_body_limit)
    csrf_hooks = _hooks_added_by(app, csrf.init_app)
    _replace_hooks(app.before_request_funcs, csrf_hooks["before"], _only_for_csrf_methods)
    # The one `limiter` serves every app made in this process (tests make many) and keeps
    # the first one's key prefix (`self._key_prefix or config[...]`): without this, an
    # app would count its limits under another app's prefix.
    limiter._key_prefix = ""
    limiter_hooks = _hooks_added_by(app, limiter.init_app)
    if not _app_wide_limits():
        _replace_hooks(app.before_request_funcs, limiter_hooks["before"], None)
    _replace_hooks(app.after_request_funcs, limiter_hooks["after"], _only_where_limited)
    _replace_hooks(app.teardown_request_funcs, limiter_hooks["teardown"], _only_where_limited)
    login_manager.init_app(app)
    # It refreshes "remember me" cookies, which we never issue (`login_user` without
    # `remember`); reading the session for it marked every session accessed, so every
    # response, static files and /healthz included, was re-saved and sent `Vary: Cookie`.
    _replace_hooks(app.after_request_funcs, [login_manager._update_remember_cookie], None)


def _hooks_added_by(app: Flask, init: Callable[[Flask], None]) -> dict[str, list[Callable]]:
    """Runs an extension's `init_app` and returns the app-wide request hooks it added."""
    registries = {
        "before": app.before_request_funcs,
        "after": app.after_request_funcs,
        "teardown": app.teardown_request_funcs,
    }
    existing = {name: list(registry.get(None, ())) for name, registry in registries.items()}
    init(app)
    return {
        name: [hook for hook in registry.get(None, ()) if hook not in existing[name]]
        for name, registry in registries.items()
    }


def _replace_hooks(
    registry: dict, hooks: list[Callable], wrap: Callable[[Callable], Callable] | None
) -> None:
    """Puts `wrap(hook)` in each hook's place, or removes the hook when `wrap` is None."""
    app_wide = registry[None]
    for hook in hooks:
        index = app_wide.index(hook)
        if wrap is None:
            del app_wide[index]
        else:
            app_wide[index] = wrap(hook)


def _only_for_csrf_methods(hook: Callable) -> Callable:
    """Flask-WTF's check works out the view's exemptions before it looks at the method,
    and then lets every GET through: this looks at the method first."""

    @wraps(hook)
    def check():
        if request.method in current_app.config["WTF_CSRF_METHODS"]:
            return hook()
        return None

    return check


def _app_wide_limits() -> bool:
    """True when a rate limit applies beyond the views it decorates.

    Flask-Limiter's before-request pass exists for those (application-wide, default,
    meta and blueprint limits). We declare none: our limits decorate the views that need
    them (logins, password resets, check-in), and a decorated view checks its limits
    itself when it is called. So the pass, which cost more than a whole bare Flask
    request, is dropped, unless such a limit is ever declared.
    """
    manager = limiter.limit_manager
    return bool(
        manager.application_limits
        or manager.default_limits
        or limiter._meta_limits
        or manager._blueprint_limits
    )


def _only_where_limited(hook: Callable) -> Callable:
    """Flask-Limiter's after-request and teardown hooks settle the limits a request met
    (deductions such as failed logins, the X-RateLimit headers). Flask-Limiter keeps that
    state on the request context, so a request without it met no limit: skip them."""

    @wraps(hook)
    def settle(value):
        if hasattr(request_ctx, LIMITER_STATE):
            return hook(value)
        return value

    return settle
