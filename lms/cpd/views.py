"""The learner's CPD record (/cpd/): the record page; adding, changing and deleting
entries; evidence; the learner's settings; the admins' categories."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("cpd", __name__, template_folder="templates")
