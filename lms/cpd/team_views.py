"""The team view: line managers see their reports' CPD hours this
year against target; admins, any department's or service group's.

/cpd/team and its CSV list people (a line manager's active direct reports; for an
admin, all active staff by department, service group and name; an admin who is also a
line manager starts at their reports and may choose all staff). /cpd/team/<id> is one
person's year, with their reflections only when they share them. Anyone else gets 403
for the list and 404 for a person, the person themself included (they have /cpd/)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_login import current_user
from sqlalchemy import Select

from lms.auth.access import login_required, object_access
from lms.core.extensions import db
from lms.core.timezones import local_today
from lms.cpd import record, team
from lms.cpd.team_forms import TeamFilterForm, YearForm
from lms.cpd.years import CpdYear, chosen_year, year_of
from lms.web.forms import attachment, paginate
from lms.web.spreadsheets import safe_cell

bp = Blueprint("cpd_team", __name__, template_folder="templates")

PERSON = "their line manager, or an admin"


@bp.url_defaults
def _stay_on_this_person(endpoint: str, values: dict) -> None:
    """The pager's links on a person's page keep the person."""
    here = request.view_args or {}
    if (
        "person_id" not in values
        and "person_id" in here
        and current_app.url_map.is_endpoint_expecting(endpoint, "person_id")
    ):
        values["person_id"] = here["person_id"]


@dataclass
class Listing:
    form: TeamFilterForm
    year: CpdYear
    all_staff: bool  # False: the viewer's own reports
    query: Select


def _listing() -> Listing:
    """Who the viewer asked to see, in which year: the list page and its CSV alike."""
    manager = team.has_reports(current_user)
    admin = current_user.is_admin
    if not (manager or admin):
        abort(403)
    form = TeamFilterForm(request.args)
    year = _year_form(form)
    form.fit(
        admin=admin,
        manager=manager,
        departments=team.departments() if admin else (),
        service_groups=team.service_groups() if admin else (),
    )
    form.validate()  # a field with a mistake is shown with it, and ignored
    all_staff = form.all_staff()
    query = team.team(year, manager=None if all_staff else current_user, filters=form.filters())
    return Listing(form, year, all_staff, query)


def _year_form(form: YearForm) -> CpdYear:
    """The year the address names (`?year=2025`), or this one."""
    today = local_today()
    chosen = chosen_year(request.args.get("year"), today)
    form.offer_years(year_of(today), chosen)
    return chosen or year_of(today)


@bp.get("/cpd/team")
@login_required
def index():
    listing = _listing()
    page = paginate(listing.query, current_app.config["ADMIN_PAGE_SIZE"])
    return render_template(
        "cpd/team/index.html",
        listing=listing,
        page=page,
        rows=team.rows(page.items, record.trust_target()),
        # The CSV follows the filters (what the form understood; never the page number).
        csv_args={f.name: f.data for f in listing.form if f.data and not f.errors},
    )


@bp.get("/cpd/team.csv")
@login_required
def download():
    listing = _listing()
    rows = team.rows(db.session.scalars(listing.query).all(), record.trust_target())
    return Response(
        _csv(rows),
        mimetype="text/csv",
        headers={"Content-Disposition": attachment(f"cpd-team-{listing.year.label}.csv")},
    )


def _csv(rows: list[team.TeamRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "Name",
            "Staff number",
            "Job title",
            "Department",
            "Service group",
            "Hours",
            "Target hours",
            "% of target",
        ]
    )
    for row in rows:
        writer.writerow(
            [
                safe_cell(row.name),
                safe_cell(row.staff_number),
                safe_cell(row.job_title),
                safe_cell(row.department),
                safe_cell(row.service_group),
                row.hours_text,
                row.target_text,
                row.percent,
            ]
        )
    return out.getvalue()


@bp.get("/cpd/team/<int:person_id>")
@object_access(PERSON, argument="person_id")
def person(person_id: int):
    person = team.person(person_id)
    if person is None or not team.may_see(current_user, person):
        abort(404)
    form = YearForm(request.args)
    year = _year_form(form)
    form.validate()
    profile = record.profile_of(person.id)
    # Shared with their line manager, as the setting says: not with every admin.
    shared = (
        profile is not None
        and profile.share_reflections
        and person.line_manager_id == current_user.id
    )
    summary = record.year_summary(person.id, year, record.target_of(profile))
    page = paginate(
        team.entries(person.id, year, with_reflections=shared), current_app.config["CPD_PAGE_SIZE"]
    )
    return render_template(
        "cpd/team/person.html",
        person=person,
        form=form,
        year=year,
        summary=summary,
        percent=record.percent_of(summary.total, summary.target),
        own_target=profile is not None and profile.target_hours is not None,
        shared=shared,
        page=page,
        entries=team.entry_rows(page.items),
    )
