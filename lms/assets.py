"""Serves the NHS.UK frontend package installed by npm at set-up (never committed)."""

from __future__ import annotations

from flask import Blueprint, current_app, send_from_directory

from lms.auth.access import public

bp = Blueprint("assets", __name__)

ASSET_MAX_AGE = 7 * 24 * 3600


@bp.get("/assets/<path:filename>")
@public
def asset(filename: str):
    """Images, icons and the manifest that the CSS refers to at /assets/."""
    folder = current_app.config["NHSUK_FRONTEND_DIR"] / "assets"
    return send_from_directory(folder, filename, max_age=ASSET_MAX_AGE)


@bp.get("/frontend/<path:filename>")
@public
def frontend(filename: str):
    """The compiled stylesheet and the ES module script."""
    return send_from_directory(
        current_app.config["NHSUK_FRONTEND_DIR"], filename, max_age=ASSET_MAX_AGE
    )
