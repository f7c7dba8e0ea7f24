"""What every template can use: the CSP nonce, navigation, and local-time filters."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, has_request_context, request, url_for
from flask_login import current_user

from lms.core.timezones import format_local
from lms.web.security import csp_nonce


@dataclass(frozen=True)
class NavItem:
    text: str
    endpoint: str
    section: str  # the URL prefix that marks the item current


def navigation() -> list[dict]:
    """The header links this person may use; the current section is marked."""
    if not has_request_context() or not current_user.is_authenticated:
        return []
    items = [
        NavItem("Home", "home.index", "/"),
        NavItem("Courses", "catalogue.index", "/courses"),
        NavItem("Check in", "checkin.check_in", "/check-in"),  # everyone is a learner
    ]
    if current_user.is_admin or current_user.is_trainer:
        items.append(NavItem("Cohorts", "cohort_admin.index", "/admin/cohorts"))
        items.append(NavItem("Teaching", "attendance.index", "/teach"))
    if current_user.is_admin:
        items += [
            NavItem("Course admin", "course_admin.index", "/admin/courses"),
            NavItem("People", "people.index", "/admin/users"),
            NavItem("Audit log", "audit.index", "/admin/audit"),
        ]
    items.append(NavItem("Account", "auth.change_password", "/account"))
    path = request.path
    return [
        {
            "text": item.text,
            "href": url_for(item.endpoint),
            "current": path == url_for(item.endpoint),
            "active": item.section != "/" and path.startswith(item.section),
        }
        for item in items
    ]


def _template_globals() -> dict:
    return {
        "cspNonce": csp_nonce() if has_request_context() else None,
        "service_name": current_app.config["SERVICE_NAME"],
        "organisation_name": current_app.config["ORGANISATION_NAME"],
        "navigation_items": navigation(),
    }


def init_templating(app: Flask) -> None:
    app.context_processor(_template_globals)
    app.add_template_filter(format_local, "local_datetime")
    app.add_template_filter(lambda d: format_local(d, "%-d %B %Y"), "local_date")
