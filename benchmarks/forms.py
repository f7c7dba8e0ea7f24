"""Reading a page's form and filling it as a browser would: the CSRF token and the
register's fields come from the page itself, never from the database."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlencode

STATUS_FIELD = re.compile(r"status_([0-9]+)")


class _Inputs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.names: list[tuple[str, str]] = []
        self.checked: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        if tag == "input":
            found = dict(attrs)
            if found.get("name"):
                self.names.append((found["name"], found.get("value") or ""))
                if found.get("type") == "radio" and "checked" in found:
                    self.checked[found["name"]] = found.get("value") or ""


def _parsed(html: str) -> _Inputs:
    parser = _Inputs()
    parser.feed(html)
    return parser


def inputs(html: str) -> list[tuple[str, str]]:
    """(name, value) of every <input> on the page, in order."""
    return _parsed(html).names


def csrf_token(html: str) -> str:
    for name, value in inputs(html):
        if name == "csrf_token" and value:
            return value
    raise ValueError("the page has no csrf_token input")


def register_bodies(html: str) -> tuple[list[bytes], int]:
    """The body that saves the register as the page shows it (every learner marked
    present first, in-process, by the caller), and how many learners it marks.

    Each row carries the version the page showed, and a save from a page loaded before
    the register last changed is refused (issue #10): a body replayed under load can
    only ever save what is already there. So this measures a save's whole check —
    every row validated, every version compared — with nothing left to write.
    """
    parsed = _parsed(html)
    ids = sorted(
        {int(m.group(1)) for name, _ in parsed.names if (m := STATUS_FIELD.fullmatch(name))}
    )
    if not ids:
        raise ValueError("the register page has no learners to mark")
    hidden = dict(parsed.names)
    fields = [("csrf_token", csrf_token(html)), ("action", "save")]
    for enrolment_id in ids:
        fields += [
            (f"status_{enrolment_id}", parsed.checked.get(f"status_{enrolment_id}", "present")),
            (f"note_{enrolment_id}", ""),
            (f"version_{enrolment_id}", hidden[f"version_{enrolment_id}"]),
        ]
    return [urlencode(fields).encode()], len(ids)


FORMS = {"register": register_bodies}
