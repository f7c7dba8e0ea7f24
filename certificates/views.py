"""A learner's certificates (/certificates/), one certificate's page and PDF, and the PMO's
revoke and re-issue.

The PDF is served as the bytes issued (`pdf_bytes`), so it is byte-for-byte the file the
public tamper check compares with. A certificate's pages are for its learner, admins and
its cohort's trainers (`certificate_viewer`); revoking and re-issuing for admins only.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from certificates import bulk, expiry, issuing, search
from certificates.access import certificate_viewer, viewable_certificate
from certificates.forms import ReissueForm, RevokeForm
from certificates.models import Certificate, RevocationReason
from courses.cohorts.access import cohort_manager
from courses.models import Cohort
from lms.auth.access import login_required, role_required
from lms.auth.models import Role
from lms.core.db import utcnow
from lms.core.extensions import db
from lms.web.forms import INVALID, attachment, paginate, service_call

bp = Blueprint("certificates", __name__, template_folder="templates")

PAGE_SIZE = 25


@bp.url_defaults
def _stay_on_this_cohort(endpoint: str, values: dict) -> None:
    """The cohort list's pager links keep the cohort's id."""
    if endpoint == "certificates.cohort" and "cohort_id" not in values:
        here = request.view_args or {}
        if "cohort_id" in here:
            values["cohort_id"] = here["cohort_id"]


@bp.get("/certificates/")
@login_required
def index():
    page = paginate(search.of_learner(current_user.id), PAGE_SIZE)
    return render_template(
        "certificates/index.html", page=page, rows=expiry.with_standings(page.items)
    )


def _page(certificate: Certificate, *, revoke_form=None, reissue_form=None, status=200):
    return render_template(
        "certificates/certificate.html",
        certificate=certificate,
        standing=expiry.standing(certificate),
        verification_url=issuing.verification_url(certificate),
        revoke_form=revoke_form or RevokeForm(formdata=None, prefix="revoke"),
        reissue_form=reissue_form or ReissueForm(formdata=None, prefix="reissue"),
        may_change=current_user.is_admin,
        back=_back_link(certificate),
    ), status


def _back_link(certificate: Certificate) -> dict:
    """To the holder's list for the holder; to the cohort's certificates for its staff."""
    if certificate.learner_id == current_user.id:
        return {"href": url_for("certificates.index"), "text": "Back to my certificates"}
    return {
        "href": url_for("certificates.cohort", cohort_id=certificate.cohort_id),
        "text": f"Back to cohort {certificate.cohort_code}",
    }


@bp.get("/certificates/<number>")
@certificate_viewer
def show(number: str, certificate: Certificate):
    return _page(certificate)


@bp.get("/certificates/<number>.pdf")
@certificate_viewer
def download(number: str, certificate: Certificate):
    return Response(
        issuing.pdf_bytes(certificate),
        mimetype="application/pdf",
        headers={
            "Content-Disposition": attachment(f"certificate-{certificate.number}.pdf"),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


@bp.post("/certificates/<number>/revoke")
@role_required(Role.ADMIN)
def revoke(number: str):
    certificate = viewable_certificate(number)
    form = RevokeForm(prefix="revoke")
    if form.validate_on_submit():
        with service_call(form) as call:
            issuing.revoke(
                certificate, RevocationReason(form.reason.data), form.note.data, by=current_user
            )
        if call.ok:
            flash(f"Certificate {number} is revoked. Its holder has been told.", "success")
            return redirect(url_for("certificates.show", number=number))
        certificate = viewable_certificate(number)
    return _page(certificate, revoke_form=form, status=INVALID)


@bp.post("/certificates/<number>/reissue")
@role_required(Role.ADMIN)
def reissue(number: str):
    certificate = viewable_certificate(number)
    form = ReissueForm(prefix="reissue")
    if form.validate_on_submit():
        with service_call(form) as call:
            new = issuing.reissue(certificate, form.note.data, by=current_user)
        if call.ok:
            flash(
                f"Certificate {new.number} replaces {number}. Its holder has been told.", "success"
            )
            return redirect(url_for("certificates.show", number=new.number))
        certificate = viewable_certificate(number)
    return _page(certificate, reissue_form=form, status=INVALID)


# --- a cohort's certificates, for its trainers and admins ----------------------------------


@bp.get("/teach/cohorts/<int:cohort_id>/certificates")
@cohort_manager(load="cohort_id")
def cohort(cohort_id: int, cohort: Cohort):
    page = paginate(search.of_cohort(cohort.id), PAGE_SIZE)
    return render_template(
        "certificates/cohort.html",
        cohort=cohort,
        page=page,
        rows=expiry.with_standings(page.items),
    )


@bp.get("/teach/cohorts/<int:cohort_id>/certificates.zip")
@cohort_manager(load="cohort_id")
def cohort_zip(cohort_id: int, cohort: Cohort):
    """Streamed: the response starts at once and memory does not grow with the cohort."""
    pieces = bulk.stream_zip(db.engine, cohort.id, utcnow())
    return Response(
        pieces,
        mimetype="application/zip",
        headers={
            "Content-Disposition": attachment(f"{cohort.code}-certificates.zip"),
            "Cache-Control": "private, no-store",
        },
    )
