"""The team view: line managers see their reports' CPD hours this
year against target; admins, any department's or service group's."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("cpd_team", __name__, template_folder="templates")
