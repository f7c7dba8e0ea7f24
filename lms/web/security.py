"""Security headers, the CSP nonce and caching rules applied to every response."""

from __future__ import annotations

import secrets

from flask import Flask, Response, current_app, g, request
from flask_login import current_user


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def content_security_policy(nonce: str, font_host: str = "") -> str:
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self'",
            "img-src 'self' data:",
            f"font-src 'self' {font_host}".rstrip(),  # Frutiger, the NHS typeface
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers["Content-Security-Policy"] = content_security_policy(
        csp_nonce(), current_app.config["NHS_FONT_HOST"]
    )
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    headers["X-Frame-Options"] = "DENY"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if current_app.config.get("HSTS"):
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    # Personal data must not sit in shared caches or the back-button cache.
    if _is_personal(response):
        headers["Cache-Control"] = "no-store"
        headers.pop("Expires", None)
    return response


def _is_personal(response: Response) -> bool:
    if request.endpoint in {"static", "assets.asset", "assets.frontend"}:
        return False
    if current_user and current_user.is_authenticated:
        return True
    # Pages carrying a form (CSRF token) or a one-time token are personal too.
    return response.mimetype == "text/html"


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
