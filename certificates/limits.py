"""The public certificate pages' rate limits, per client address, shared by every route
that uses them: a visitor at the limit on one verification address is at it on all."""

from __future__ import annotations

from flask import current_app
from flask_limiter.util import get_remote_address

from lms.core.extensions import limiter

# Looking up a certificate: the verification pages and the public badge.
lookups_per_address = limiter.shared_limit(
    lambda: current_app.config["VERIFY_LIMIT_PER_IP"],
    scope="certificate-lookups",
    key_func=get_remote_address,
)
# PDFs sent to the tamper check, with or without a code.
uploads_per_address = limiter.shared_limit(
    lambda: current_app.config["VERIFY_UPLOAD_LIMIT_PER_IP"],
    scope="certificate-uploads",
    key_func=get_remote_address,
    methods=["POST"],
)
