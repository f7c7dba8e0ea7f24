"""Login throttling: failures count per account and per address.

Only failed attempts (HTTP 401) are counted, so a person who types their password
correctly is never slowed down by others' mistakes on a shared address.
"""

from __future__ import annotations

from flask import current_app, request
from flask_limiter.util import get_remote_address

from lms.core.extensions import limiter


def _account_key() -> str:
    return "login-account:" + (request.form.get("email") or "").strip().lower()[:254]


def _counts_as_failure(response) -> bool:
    return response.status_code == 401


login_per_account = limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
    key_func=_account_key,
    methods=["POST"],
    deduct_when=_counts_as_failure,
    scope="login-account",
)

login_per_address = limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_IP"],
    key_func=get_remote_address,
    methods=["POST"],
    deduct_when=_counts_as_failure,
    scope="login-address",
)

reset_per_address = limiter.limit(
    lambda: current_app.config["RESET_LIMIT_PER_IP"],
    key_func=get_remote_address,
    methods=["POST"],
    scope="password-reset",
)
