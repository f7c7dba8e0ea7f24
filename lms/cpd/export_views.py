"""The CPD record's exports for appraisal: /cpd/export.pdf and /cpd/export.csv."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("cpd_export", __name__, template_folder="templates")
