"""Who may use each view, declared on the view itself.

Every view carries exactly one of these decorators. `check_declared` refuses, at
request time, any endpoint without one (deny by default), and the access-matrix
test walks the URL map with `undeclared_endpoints` so a missing one fails CI.

A view about one object (a cohort, a session, someone's enrolment) also declares, as
data (`ObjectRule`), which URL argument names its object, so the access-matrix test
can call every such route with a real object as an outsider. Managing a cohort is
declared by `courses.cohorts.access.cohort_manager`, which also enforces it; other
object rules use `object_access`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps

from flask import Flask, abort, current_app, request
from flask_login import current_user

from lms.auth.models import Role

ACCESS_ATTRIBUTE = "access_rule"
OBJECT_ATTRIBUTE = "access_object"
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


@dataclass(frozen=True)
class ObjectRule:
    """Who may use a view about one object, and which URL argument names the object.

    Everyone else gets 404, so that the object's existence is not revealed.
    """

    description: str  # e.g. "admin, or trainer of this cohort"
    argument: str  # e.g. "cohort_id"


def declare_object_rule(view: Callable, rule: ObjectRule) -> Callable:
    """Records `rule` on a view that is already guarded (logged in, and the object checked)."""
    setattr(view, OBJECT_ATTRIBUTE, rule)
    return _declare(view, f"object: {rule.description}")


def object_access(description: str, *, argument: str) -> Callable[[Callable], Callable]:
    """Logged in, and the view itself checks the object named by the URL `argument`.

    For object rules other than managing a cohort (that is
    `courses.cohorts.access.cohort_manager`, which checks for the view): e.g. "the
    learner themself, or an admin". The view must `abort(404)` when the check fails;
    the access-matrix test calls the route as outsiders to prove it does.
    """

    def decorator(view: Callable) -> Callable:
        return declare_object_rule(login_required(view), ObjectRule(description, argument))

    return decorator


def access_rule(app: Flask, endpoint: str) -> str | None:
    if endpoint in BUILT_IN_PUBLIC:
        return PUBLIC
    view = app.view_functions.get(endpoint)
    return getattr(view, ACCESS_ATTRIBUTE, None)


def object_rule(app: Flask, endpoint: str) -> ObjectRule | None:
    """The endpoint's object rule, if it is about one object."""
    return getattr(app.view_functions.get(endpoint), OBJECT_ATTRIBUTE, None)


def object_scoped_endpoints(app: Flask) -> dict[str, ObjectRule]:
    """Every endpoint about one object, with its rule: what the outsider matrix calls."""
    found = {}
    for url_rule in app.url_map.iter_rules():
        declared = object_rule(app, url_rule.endpoint)
        if declared is not None:
            found[url_rule.endpoint] = declared
    return found


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
