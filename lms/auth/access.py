"""Who may use each view, declared on the view itself.

Every view carries exactly one of these decorators. `check_declared` refuses, at
request time, any endpoint without one (deny by default), and the access-matrix
test walks the URL map with `undeclared_endpoints` so a missing one fails CI.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps

from flask import Flask, abort, current_app, request
from flask_login import current_user

from lms.auth.models import Role

ACCESS_ATTRIBUTE = "access_rule"
PUBLIC = "public"
LOGGED_IN = "logged in"

# Flask's own endpoint for a package's static folder is public by intent.
BUILT_IN_PUBLIC = frozenset({"static"})


def _declare(view: Callable, rule: str) -> Callable:
    setattr(view, ACCESS_ATTRIBUTE, rule)
    return view


def public(view: Callable) -> Callable:
    """Anyone, logged in or not, may use this view."""
    return _declare(view, PUBLIC)


def login_required(view: Callable) -> Callable:
    """Any active account may use this view."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        return view(*args, **kwargs)

    return _declare(wrapped, LOGGED_IN)


def role_required(*roles: Role | str) -> Callable[[Callable], Callable]:
    """Only accounts holding one of `roles` may use this view; others get 403."""
    wanted = tuple(Role(role) for role in roles)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if not current_user.has_role(*wanted):
                abort(403)
            return view(*args, **kwargs)

        return _declare(wrapped, "role: " + ", ".join(role.value for role in wanted))

    return decorator


def object_access(description: str) -> Callable[[Callable], Callable]:
    """Logged in, and the view itself checks the object (e.g. "trainer of this cohort").

    The view must call `abort(403)` (or `abort(404)`) when the check fails; the
    description documents the rule in the access matrix.
    """

    def decorator(view: Callable) -> Callable:
        guarded = login_required(view)
        return _declare(guarded, f"object: {description}")

    return decorator


def access_rule(app: Flask, endpoint: str) -> str | None:
    if endpoint in BUILT_IN_PUBLIC:
        return PUBLIC
    view = app.view_functions.get(endpoint)
    return getattr(view, ACCESS_ATTRIBUTE, None)


def undeclared_endpoints(app: Flask, endpoints: Iterable[str] | None = None) -> list[str]:
    """Endpoints that declare no access rule: the access matrix must find none."""
    names = (
        endpoints if endpoints is not None else {rule.endpoint for rule in app.url_map.iter_rules()}
    )
    return sorted(name for name in names if access_rule(app, name) is None)


def check_declared() -> None:
    """before_request: refuse any endpoint that did not declare who may use it."""
    if request.endpoint is None:
        return  # 404 and 405 are answered by Flask itself
    if access_rule(current_app, request.endpoint) is None:
        current_app.logger.error("endpoint %s declares no access rule", request.endpoint)
        abort(403)
