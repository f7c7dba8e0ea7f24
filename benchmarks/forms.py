"""Reading a page's form and filling it as a browser would: the CSRF token and the
register's fields come from the page itself, never from the database."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlencode

STATUS_FIELD = re.compile(r"status_([0-9]+)")
# Two bodies alternated under load, so that every save changes every mark.
REGISTER_STATUSES = ("present", "late")


class _Inputs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.names: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "input":
            found = dict(attrs)
            if found.get("name"):
                self.names.append((found["name"], found.get("value") or ""))


def inputs(html: str) -> list[tuple[str, str]]:
    """(name, value) of every <input> on the page, in order."""
    parser = _Inputs()
    parser.feed(html)
    return parser.names


def csrf_token(html: str) -> str:
    for name, value in inputs(html):
        if name == "csrf_token" and value:
            return value
    raise ValueError("the page has no csrf_token input")


def register_bodies(html: str) -> tuple[list[bytes], int]:
    """Form bodies saving the whole register (everyone present, then everyone late), and
    how many learners each one marks."""
    found = inputs(html)
    ids = sorted({int(m.group(1)) for name, _ in found if (m := STATUS_FIELD.fullmatch(name))})
    if not ids:
        raise ValueError("the register page has no learners to mark")
    token = csrf_token(html)
    bodies = []
    for status in REGISTER_STATUSES:
        fields = [("csrf_token", token), ("action", "save")]
        for enrolment_id in ids:
            fields += [(f"status_{enrolment_id}", status), (f"note_{enrolment_id}", "")]
        bodies.append(urlencode(fields).encode())
    return bodies, len(ids)


FORMS = {"register": register_bodies}
