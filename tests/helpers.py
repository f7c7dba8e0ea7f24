"""Plain helpers shared by the tests: logging in, reading pages and mail, counting rows,
placing sessions in time, and walking the app's routes and our modules.

Fixtures live in tests/conftest.py (the app, people, mail) and tests/courses/factories.py
(courses, cohorts, enrolments); browser helpers in tests/browser/helpers.py.
"""

from __future__ import annotations

import html
import re
import shutil
import socket
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.routing import IntegerConverter, Rule

from lms.audit.audit import AuditEvent
from lms.core import tokens
from lms.core.db import utcnow
from lms.core.extensions import db
from lms.core.outbox import OutboxMessage
from lms.web.security import start_login_clock

PASSWORD = "a-long-test-passphrase"


# --- logging in ----------------------------------------------------------------------------


def log_in(client, email: str, password: str = PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


def sign_in(client, user_id: str) -> None:
    """Makes the client's session logged in as `user_id` (a User.get_id()) without the
    cost of checking a password: what a real login leaves in the session."""
    with client.session_transaction() as session:
        session["_user_id"] = user_id
        session["_fresh"] = True
        start_login_clock(session)


# --- pages ---------------------------------------------------------------------------------


def text_of(response) -> str:
    """The response body as text, with HTML entities decoded (tags kept)."""
    return html.unescape(response.get_data(as_text=True))


def field_error(page: str, field: str) -> str | None:
    """The error message shown beside a field, or None."""
    hidden = '<span class="nhsuk-u-visually-hidden">Error: </span>'
    match = re.search(rf'id="{field}-error">\s*{hidden}(.*?)\s*</span>', page, re.DOTALL)
    return html.unescape(match.group(1)) if match else None


# --- mail ----------------------------------------------------------------------------------


def as_sent(message: OutboxMessage) -> str:
    """A queued message's text as the mail sent carries it: with the secret tokens that
    its placeholders stand for (lms.core.tokens) put in."""
    return tokens.fill_placeholders(message.body_text, message.recipient)


def links_in(message) -> list[str]:
    body = message.get_body(("plain",)).get_content()
    return re.findall(r"https?://\S+", body)


def recipients() -> list[str]:
    """Who the outbox holds mail for, sorted."""
    return sorted(db.session.scalars(select(OutboxMessage.recipient)))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- rows ----------------------------------------------------------------------------------


def count(model, *where) -> int:
    """How many rows of `model` there are (that match `where`, if given)."""
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def events(action: str | None = None, entity_type: str | None = None) -> list[AuditEvent]:
    """The audit events so far, oldest first; only those of `action`/`entity_type` if given."""
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    if entity_type:
        query = query.where(AuditEvent.entity_type == entity_type)
    return list(db.session.scalars(query))


# --- real PDF clients ----------------------------------------------------------------------


def run_tool(tool: str, *arguments: str) -> subprocess.CompletedProcess:
    """Runs one of the Debian PDF tools (qpdf, pdftoppm, zbarimg); fails (never skips)
    if it is not installed."""
    path = shutil.which(tool)
    if path is None:
        pytest.fail(
            f"{tool} is not installed: run `make browser` (scripts/ensure-debian-packages "
            "installs qpdf, poppler-utils and zbar-tools)"
        )
    return subprocess.run(  # noqa: S603 (our own command line)
        [path, *arguments], capture_output=True, text=True, check=False
    )


# --- time ----------------------------------------------------------------------------------

NOW = utcnow().replace(microsecond=0)
"""When the run started, to the second: tests place sessions relative to it."""


def days(n: float) -> datetime:
    """`n` days from NOW (before it if negative)."""
    return NOW + timedelta(days=n)


MONTH_AGO = days(-30)


def span(start: datetime, hours: int = 3) -> tuple[datetime, datetime]:
    """A session's (start, end): `hours` long from `start`."""
    return (start, start + timedelta(hours=hours))


# --- routes --------------------------------------------------------------------------------


def app_routes(app: Flask) -> list[Rule]:
    """Every URL rule of the app but Flask's own `static`."""
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]


def sample_url(rule: Rule) -> str:
    """The rule's URL with every argument filled by a harmless sample value."""
    values = {}
    for argument in rule.arguments:
        converter = rule._converters[argument]
        values[argument] = 1 if isinstance(converter, IntegerConverter) else "sample"
    return rule.build(values, append_unknown=False)[1]


# --- our modules ---------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("lms", "courses", "certificates")


def modules_under(root: Path) -> dict[str, Path]:
    """Every module of our packages under `root`, by dotted name."""
    found = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def is_views(module: str) -> bool:
    last = module.rsplit(".", 1)[-1]
    return last == "views" or last.endswith("_views")


def is_forms(module: str) -> bool:
    last = module.rsplit(".", 1)[-1]
    return last == "forms" or last.endswith("_forms")


def is_models(module: str) -> bool:
    return module.rsplit(".", 1)[-1] == "models" or ".models." in module
