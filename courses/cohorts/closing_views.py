"""Closing a cohort (/teach/cohorts/<id>/close) and reopening it (/admin/cohorts/<id>/reopen).

The close page shows, before anyone confirms, who will complete and who will not, and
why; once the cohort is closed, the same address shows who completed. Admins and the
cohort's trainers close (cohort_manager); only admins reopen.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from courses.cohorts.access import cohort_manager, managed_cohort
from courses.cohorts.closing import (
    ClosingReport,
    close_cohort,
    closing_preview,
    closing_refusal,
    reopen_cohort,
    unmarked_sessions,
)
from courses.cohorts.forms import CloseCohortForm, ReopenCohortForm
from courses.models import Cohort, CohortStatus, EnrolmentStatus
from lms.auth.access import role_required
from lms.auth.models import Role
from lms.core.db import utcnow
from lms.web.forms import INVALID, service_call

bp = Blueprint("cohort_closing", __name__, template_folder="templates")


def _page(
    cohort: Cohort,
    *,
    form: CloseCohortForm | None = None,
    reopen_form: ReopenCohortForm | None = None,
    status: int = 200,
):
    now = utcnow()
    closed = cohort.status == CohortStatus.CLOSED
    rows = [
        (
            enrolment,
            result,
            # Closed: the status closing gave; open: the status closing would give.
            enrolment.status
            if closed
            else (EnrolmentStatus.COMPLETED if result.completed else EnrolmentStatus.NOT_COMPLETED),
        )
        for enrolment, result in closing_preview(cohort, now)
    ]
    completing = sum(1 for *_, outcome in rows if outcome == EnrolmentStatus.COMPLETED)
    return render_template(
        "cohorts/close.html",
        cohort=cohort,
        closed=closed,
        rows=rows,
        completing=completing,
        not_completing=len(rows) - completing,
        refusal=closing_refusal(cohort, now),
        unmarked=[] if closed else unmarked_sessions(cohort, now),
        form=form or CloseCohortForm(formdata=None),
        reopen_form=reopen_form or ReopenCohortForm(formdata=None),
        may_reopen=closed and current_user.is_admin,
    ), status


@bp.route("/teach/cohorts/<int:cohort_id>/close", methods=["GET", "POST"])
@cohort_manager(load="cohort_id")
def close(cohort_id: int, cohort: Cohort):
    form = CloseCohortForm()
    if form.validate_on_submit():
        with service_call(form) as call:
            report = close_cohort(cohort, by=current_user, now=utcnow())
        if call.ok:
            flash(_closed_message(report), "success")
            return redirect(url_for("cohort_closing.close", cohort_id=cohort_id))
        cohort = managed_cohort(cohort_id)
    return _page(cohort, form=form, status=INVALID if form.is_submitted() else 200)


def _closed_message(report: ClosingReport) -> str:
    if report.already_closed:
        return "This cohort was already closed. Nothing has changed."
    done, not_done = len(report.completed), len(report.not_completed)
    return (
        f"The cohort is closed. {done} {'learner' if done == 1 else 'learners'} completed "
        f"and {not_done} did not."
    )


@bp.post("/admin/cohorts/<int:cohort_id>/reopen")
@role_required(Role.ADMIN)
def reopen(cohort_id: int):
    cohort = managed_cohort(cohort_id)
    form = ReopenCohortForm()
    if form.validate_on_submit():
        with service_call(form) as call:
            reopen_cohort(cohort, form.reason.data, by=current_user)
        if call.ok:
            flash(
                "The cohort is running again. Close it again to decide every learner's "
                "completion afresh.",
                "success",
            )
            return redirect(url_for("cohort_closing.close", cohort_id=cohort_id))
        cohort = managed_cohort(cohort_id)
    return _page(cohort, reopen_form=form, status=INVALID)
