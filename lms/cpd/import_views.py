"""Importing past CPD entries from a CSV file (/cpd/import)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("cpd_import", __name__, template_folder="templates")
