"""Serves the NHS.UK frontend package installed by npm at set-up (never committed)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from flask import Blueprint, Response, current_app, send_from_directory

from lms.auth.access import public
from lms.core.config import NHS_FONT_HOST

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
    folder = current_app.config["NHSUK_FRONTEND_DIR"]
    font_host = current_app.config["NHS_FONT_HOST"]
    if filename == STYLESHEET and font_host != NHS_FONT_HOST:
        css = stylesheet_with_font_host(folder / STYLESHEET, font_host)
        response = Response(css, mimetype="text/css")
        response.cache_control.public = True
        response.cache_control.max_age = ASSET_MAX_AGE
        return response
    return send_from_directory(
        current_app.config["NHSUK_FRONTEND_DIR"], filename, max_age=ASSET_MAX_AGE
    )


STYLESHEET = "nhsuk-frontend.min.css"
_FONT_FACE = re.compile(r"@font-face\s*\{[^}]*\}")


@cache
def stylesheet_with_font_host(path: Path, font_host: str) -> str:
    """The NHS stylesheet with its fonts taken from `font_host`, or without them if "".

    Without the @font-face rules the browser goes straight to the design system's
    fallback fonts, instead of waiting for a host the network cannot reach.
    """
    css = path.read_text(encoding="utf-8")
    if not font_host:
        return _FONT_FACE.sub("", css)
    return css.replace(NHS_FONT_HOST, font_host)
