"""Public verification: /verify (type a code, or check a PDF) and /verify/<code> (what a
certificate's QR code opens), with its tamper check.

Anyone may use these pages, without logging in, so each is rate-limited per client
address; an unknown code is a plain "not found" with status 404. An uploaded PDF is read
once to hash it and is never kept; a body over 2 MB is refused before anything reads it.
"""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from certificates import codes, expiry, verification
from certificates.forms import FileCheckForm, VerifyForm
from certificates.limits import lookups_per_address, uploads_per_address
from certificates.models import Certificate
from lms.auth.access import public
from lms.core.extensions import db
from lms.web.errors import render_error
from lms.web.forms import INVALID
from lms.web.request_hooks import body_limit

bp = Blueprint("verification", __name__, template_folder="templates")

UPLOAD_LIMIT = "VERIFY_UPLOAD_MAX_BYTES"


@bp.errorhandler(413)
def _file_too_large(_error):
    """A body over the upload limit is refused before anything reads it (`body_limit`);
    the page says so beside the file field."""
    db.session.rollback()
    form = FileCheckForm(formdata=None)
    form.file.errors = [_too_large(current_app.config[UPLOAD_LIMIT])]
    found = verification.find(request.view_args.get("code", "")) if request.view_args else None
    if found is not None:
        return _verdict(found, file_form=form, status=413)
    return render_template(
        "certificates/verify.html", form=VerifyForm(formdata=None), file_form=form
    ), 413


@bp.errorhandler(429)
def _too_many_checks(_error):
    db.session.rollback()
    return render_error(
        429, ["You have checked too many certificates. Wait a minute, then try again."]
    )


@bp.route("/verify", methods=["GET", "POST"])
@public
@lookups_per_address
def start():
    form = VerifyForm()
    if form.validate_on_submit():
        code = codes.grouped(codes.normalise(form.code.data))
        return redirect(url_for("verification.certificate", code=code))
    status = INVALID if form.is_submitted() else 200
    return render_template(
        "certificates/verify.html", form=form, file_form=FileCheckForm(formdata=None)
    ), status


@bp.post("/verify/file")
@public
@lookups_per_address
@uploads_per_address
@body_limit(UPLOAD_LIMIT)
def check_any_file():
    """A PDF without its code: which certificate, if any, it is exactly."""
    content, file_form = _uploaded_pdf()
    if content is None:
        return render_template(
            "certificates/verify.html", form=VerifyForm(formdata=None), file_form=file_form
        ), INVALID
    certificate = verification.find_by_file(content)
    if certificate is None:
        return render_template("certificates/file_unknown.html"), 200
    return _verdict(certificate, file_matches=True)


@bp.route("/verify/<code>", methods=["GET", "POST"])
@public
@lookups_per_address
@uploads_per_address
@body_limit(UPLOAD_LIMIT)
def certificate(code: str):
    found = verification.find(code)
    if found is None:
        return render_template("certificates/not_found.html"), 404
    if request.method == "GET":
        return _verdict(found)
    content, file_form = _uploaded_pdf()
    if content is None:
        return _verdict(found, file_form=file_form, status=INVALID)
    return _verdict(found, file_matches=verification.is_issued_file(found, content))


def _verdict(certificate: Certificate, *, file_matches=None, file_form=None, status=200):
    return render_template(
        "certificates/verified.html",
        certificate=certificate,
        standing=expiry.standing(certificate),
        file_matches=file_matches,
        file_form=file_form or FileCheckForm(formdata=None),
    ), status


def _uploaded_pdf() -> tuple[bytes | None, FileCheckForm]:
    """The uploaded PDF's bytes, or None with the form showing what is wrong."""
    limit = current_app.config[UPLOAD_LIMIT]
    form = FileCheckForm()
    if not form.validate_on_submit():
        return None, form
    content = form.file.data.stream.read(limit + 1)
    if len(content) > limit:
        form.file.errors = [_too_large(limit)]
        return None, form
    if not verification.looks_like_pdf(content):
        form.file.errors = ["The file is not a PDF. Choose the certificate's PDF file"]
        return None, form
    return content, form


def _too_large(limit: int) -> str:
    return f"The file must be {limit // (1024 * 1024)} MB or smaller"
