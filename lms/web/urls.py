"""Absolute links (in mail, on the check-in screen, for calendar apps) from BASE_URL.

They are never built from the request's Host header: a request sent with
`Host: evil.example` would otherwise have the service mail a genuine password link
that points to someone else's server.
"""

from __future__ import annotations

from flask import current_app
from werkzeug.routing import MapAdapter

_ADAPTER = "lms.base_url_adapter"


def external_url(endpoint: str, **values) -> str:
    """The full address of a page at the configured LMS_BASE_URL, inside a request or not."""
    return _adapter().build(endpoint, values, force_external=True)


def _adapter() -> MapAdapter:
    """The URL map bound to BASE_URL, made once per application and base address."""
    app = current_app._get_current_object()
    base_url = app.config["BASE_URL"]
    cached = app.extensions.get(_ADAPTER)
    if cached is None or cached[0] != base_url:
        scheme, _, rest = base_url.partition("://")
        host, _, path = rest.partition("/")
        adapter = app.url_map.bind(host, script_name="/" + path.strip("/"), url_scheme=scheme)
        cached = app.extensions[_ADAPTER] = (base_url, adapter)
    return cached[1]
