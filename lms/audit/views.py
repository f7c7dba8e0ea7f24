"""The audit log page for admins: /admin/audit/."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from wtforms import DateField, SelectChoice, SelectField, StringField
from wtforms.validators import Length, Optional, ValidationError

from lms.audit import audit
from lms.auth.access import role_required
from lms.auth.models import Role
from lms.web.forms import INVALID, Form, SensibleDate, SingleLine, paginate

bp = Blueprint("audit", __name__, template_folder="templates", url_prefix="/admin/audit")


class AuditFilterForm(Form):
    class Meta:
        csrf = False  # filtering changes nothing

    actor = StringField(
        "Who (email contains)",
        validators=[
            SingleLine("email address"),
            Optional(),
            Length(max=254, message="Email address must be 254 characters or fewer"),
        ],
    )
    # Any value filters (an unknown one finds nothing), so a tampered one needs no message.
    entity_type = SelectField("What was changed", validators=[Optional()], validate_choice=False)
    date_from = DateField(
        "From date",
        validators=[Optional(), SensibleDate()],
        format="%Y-%m-%d",
        description="For example, 2026-11-01",
        invalid_value_message="Enter the from date as a real date, like 2026-11-01",
    )
    date_to = DateField(
        "To date",
        validators=[Optional(), SensibleDate()],
        format="%Y-%m-%d",
        description="For example, 2026-11-30",
        invalid_value_message="Enter the to date as a real date, like 2026-11-30",
    )

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("To date must be the same as or after the from date")


@bp.get("/")
@role_required(Role.ADMIN)
def index():
    form = AuditFilterForm(request.args)
    form.entity_type.choices = [SelectChoice("", "Anything")] + [
        SelectChoice(name) for name in audit.entity_types()
    ]
    valid = form.validate() if request.args else True
    filters = {}
    if valid:
        filters = {
            "actor": form.actor.data,
            "entity_type": form.entity_type.data or None,
            "date_from": form.date_from.data,
            "date_to": form.date_to.data,
        }
    query = audit.events(**filters)
    page = paginate(query, per_page=current_app.config["ADMIN_PAGE_SIZE"])
    return render_template("audit/index.html", form=form, page=page), 200 if valid else INVALID
