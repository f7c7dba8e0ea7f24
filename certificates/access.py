"""Who may see a certificate's PDF and details: the learner it was issued to, admins,
and the trainers of its cohort (`courses.cohorts.access.may_manage`). Everyone else
gets 404, as for a certificate that does not exist.

    @bp.get("/certificates/<number>.pdf")
    @certificate_viewer
    def download(number: str, certificate: Certificate): ...
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from certificates.models import Certificate
from courses.cohorts.access import may_manage
from courses.models import Cohort
from lms.auth.access import object_access
from lms.auth.models import User
from lms.core.extensions import db

VIEWER = "the learner, an admin, or a trainer of the cohort"


def may_view(user: User, certificate: Certificate) -> bool:
    return certificate.learner_id == user.id or may_manage(user, certificate.cohort)


def viewable_certificate(number: str) -> Certificate:
    """The certificate with this number, for someone who may view it; 404 otherwise."""
    certificate = db.session.scalar(
        select(Certificate)
        .where(Certificate.number == number)
        .options(
            joinedload(Certificate.cohort).selectinload(Cohort.trainers),
            joinedload(Certificate.superseded_by),
        )
    )
    if certificate is None or not may_view(current_user, certificate):
        abort(404)
    return certificate


def certificate_viewer(view: Callable) -> Callable:
    """Logs the visitor in and hands the view the certificate named by `number`, if they
    may see it (`may_view`); 404 otherwise."""

    @wraps(view)
    def wrapped(*args, number: str, **kwargs):
        return view(*args, number=number, certificate=viewable_certificate(number), **kwargs)

    return object_access(VIEWER, argument="number")(wrapped)
