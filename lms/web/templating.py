"""What every template can use: the CSP nonce, the page chrome, and local-time filters."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from flask import Flask, current_app, has_request_context, request, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from lms.core.timezones import format_local
from lms.web.security import csp_nonce
from lms.web.urls import external_url

# Stand-ins for what differs between requests that share a header. NUL never reaches a name
# (forms and imports refuse it, PostgreSQL cannot store it), so no text can fake them.
NAME_MARKER = "\x00user-name\x00"
CSRF_MARKER = "\x00csrf\x00"


@dataclass(frozen=True)
class NavItem:
    text: str
    endpoint: str
    section: str  # the URL prefix that marks the item current


def navigation() -> tuple[tuple[str, str, bool, bool], ...]:
    """The header links this person may use, as (text, href, current, active)."""
    if not has_request_context() or not current_user.is_authenticated:
        return ()
    items = [
        NavItem("Home", "home.index", "/"),
        NavItem("Courses", "catalogue.index", "/courses"),
        NavItem("Check in", "checkin.check_in", "/check-in"),  # everyone is a learner
        NavItem("Certificates", "certificates.index", "/certificates"),
        NavItem("CPD", "cpd.index", "/cpd"),
        NavItem("Projects", "projects.index", "/projects"),
    ]
    if current_user.is_admin or current_user.is_trainer:
        items.append(NavItem("Cohorts", "cohort_admin.index", "/admin/cohorts"))
        items.append(NavItem("Teaching", "attendance.index", "/teach"))
    if current_user.is_admin:
        items += [
            NavItem("Course admin", "course_admin.index", "/admin/courses"),
            NavItem("People", "people.index", "/admin/users"),
            NavItem("Reports", "reports.dashboard", "/reports"),
            NavItem("Audit log", "audit.index", "/admin/audit"),
            NavItem("Mail", "mail.index", "/admin/mail"),
        ]
    items.append(NavItem("Account", "auth.change_password", "/account"))
    path = request.path
    links = []
    for item in items:
        href = url_for(item.endpoint)
        links.append(
            (item.text, href, path == href, item.section != "/" and path.startswith(item.section))
        )
    return tuple(links)


class Chrome:
    """The skip link, header and footer of every page (macros/chrome.html).

    The NHS.UK macros that draw them cost about 1 ms a page, and their HTML depends only on
    the navigation (the person's roles and the section they are in), the names of the
    service and organisation, and two things that change from person to person: their name
    and the CSRF token of the logout button. So each distinct frame is rendered once, with
    markers for those two, and reused; `page_header` puts the real ones in. The CSP nonce
    is not part of the frame: the base template writes it on every page.
    """

    def __init__(self, app: Flask, size: int = 256):
        self.app = app
        self._render = lru_cache(maxsize=size)(self._render_uncached)

    def render(self, macro: str, **arguments) -> Markup:
        if self.app.jinja_env.auto_reload:  # templates may change while the server runs
            return self._render_uncached(macro, *sorted(arguments.items()))
        return self._render(macro, *sorted(arguments.items()))

    def _render_uncached(self, macro: str, *arguments: tuple[str, object]) -> Markup:
        module = self.app.jinja_env.get_template("macros/chrome.html").module
        return getattr(module, macro)(**dict(arguments))


def _chrome() -> Chrome:
    return current_app.extensions["lms.chrome"]


def page_header() -> Markup:
    """The NHS.UK header with this person's navigation, name and logout button."""
    config = current_app.config
    home = url_for("home.index")
    if not current_user.is_authenticated:
        return _chrome().render(
            "header",
            service_name=config["SERVICE_NAME"],
            home=home,
            navigation=(),
            login=url_for("auth.login"),
        )
    html = _chrome().render(
        "header",
        service_name=config["SERVICE_NAME"],
        home=home,
        navigation=navigation(),
        logout=url_for("auth.logout"),
        user_name=NAME_MARKER,
        csrf_token=CSRF_MARKER,
    )
    # Markup.replace escapes what it puts in; the header macro trims the name first.
    html = html.replace(CSRF_MARKER, generate_csrf())
    return html.replace(NAME_MARKER, current_user.full_name.strip())


def page_footer() -> Markup:
    return _chrome().render(
        "footer",
        home=url_for("home.index"),
        organisation_name=current_app.config["ORGANISATION_NAME"],
        # For anyone handed a certificate: the public verification page.
        verify=url_for("verification.start"),
    )


def skip_link() -> Markup:
    return _chrome().render("skip_link")


def _template_globals() -> dict:
    return {
        "cspNonce": csp_nonce() if has_request_context() else None,
        "service_name": current_app.config["SERVICE_NAME"],
        "organisation_name": current_app.config["ORGANISATION_NAME"],
    }


def hours_number(value) -> str:
    """Hours as people write them, every digit kept: 7.5, 35, 10000.25 (not 1e+04)."""
    return f"{Decimal(str(value)).normalize():f}" if value is not None else ""


def init_templating(app: Flask) -> None:
    app.extensions["lms.chrome"] = Chrome(app)
    app.context_processor(_template_globals)
    app.jinja_env.globals.update(page_header=page_header, page_footer=page_footer)
    app.jinja_env.globals.update(skip_link=skip_link)
    app.jinja_env.globals.update(external_url=external_url)
    app.add_template_filter(format_local, "local_datetime")
    app.add_template_filter(lambda d: format_local(d, "%-d %B %Y"), "local_date")
    app.add_template_filter(hours_number, "hours_number")
