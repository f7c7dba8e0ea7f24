"""The register's forms: a project's details, the people on it, the register's filters
and merging a duplicate. The rules are the services' (`register.details_problems`); the
forms turn what was typed into values."""

from __future__ import annotations

from collections.abc import Iterable

from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from lms.people.models import ServiceGroup
from lms.projects.models import Project, ProjectRole, ProjectStatus
from lms.projects.register import OPEN_STATUSES, ProjectDetails, RegisterFilter
from lms.web.forms import Form, SingleLine, optional_date

NOT_ON_IT = "none"
ANY = ""
YES = "yes"
NO = "no"


def _group_choices(first: str, groups: Iterable[ServiceGroup]) -> list[SelectChoice]:
    return [SelectChoice("", first)] + [SelectChoice(str(group.id), group.name) for group in groups]


class ProjectForm(Form):
    title = StringField("Project title")
    ppm_reference = StringField(
        "PPM platform reference (optional)",
        description="The project's reference on the trust's project management platform",
    )
    description = TextAreaField("What the project is for (optional)")
    service_group_id = SelectField(
        "Service group", invalid_choice_message="Choose a service group from the list"
    )
    sponsor = StringField("Sponsor or senior responsible owner (optional)")
    starts_on = optional_date("Start date (optional)", "of the start")
    planned_end_on = optional_date("Planned end date (optional)", "of the planned end")
    status = SelectField(
        "Status",
        choices=[SelectChoice(status.value, status.label) for status in OPEN_STATUSES],
        default=ProjectStatus.PROPOSED.value,
        invalid_choice_message="Choose proposed, active or on hold",
    )
    role = SelectField(
        "Your role on the project",
        choices=[SelectChoice(role.value, role.label) for role in ProjectRole],
        invalid_choice_message="Choose your role from the list",
    )

    def __init__(self, *args, service_groups=(), admin: bool = False, new: bool = True, **kw):
        super().__init__(*args, **kw)
        self.service_group_id.choices = _group_choices("Not given", service_groups)
        if not new:
            del self.role
        elif admin:
            self.role.choices = [*self.role.choices, SelectChoice(NOT_ON_IT, "I am not on it")]

    def details(self, project: Project | None = None) -> ProjectDetails:
        status = (
            project.status
            if project is not None and project.status.finished
            else ProjectStatus(self.status.data or ProjectStatus.PROPOSED.value)
        )
        return ProjectDetails(
            title=self.title.data or "",
            ppm_reference=self.ppm_reference.data or "",
            description=self.description.data or "",
            service_group_id=int(self.service_group_id.data)
            if self.service_group_id.data
            else None,
            sponsor=self.sponsor.data or "",
            starts_on=self.starts_on.data,
            planned_end_on=self.planned_end_on.data,
            status=status,
        )

    def chosen_role(self) -> ProjectRole | None:
        return None if self.role.data == NOT_ON_IT else ProjectRole(self.role.data)

    def fill_from(self, project: Project) -> None:
        self.title.data = project.title
        self.ppm_reference.data = project.ppm_reference or ""
        self.description.data = project.description
        self.service_group_id.data = str(project.service_group_id or "")
        self.sponsor.data = project.sponsor or ""
        self.starts_on.data = project.starts_on
        self.planned_end_on.data = project.planned_end_on
        self.status.data = project.status.value


class PersonForm(Form):
    """Puts someone on the project, or changes their role."""

    person = StringField(
        "Email address or staff number",
        description="Of someone with an account on this service",
        validators=[Length(max=254, message="Enter 254 characters or fewer")],
    )
    role = SelectField(
        "Role",
        choices=[SelectChoice(role.value, role.label) for role in ProjectRole],
        default=ProjectRole.MEMBER.value,
        invalid_choice_message="Choose a role from the list",
    )


class RemovePersonForm(Form):
    """Only a CSRF token and whose link: removing is a POST from the people page."""


class MergeForm(Form):
    survivor = StringField(
        "The project to keep: its number or PPM reference",
        description="The number is in the project's address, after /projects/",
        validators=[Length(max=40, message="Enter 40 characters or fewer")],
    )


class RegisterFilterForm(Form):
    """The register's filters, sent by GET."""

    class Meta:
        csrf = False

    q = StringField(
        "Search by title or PPM reference",
        validators=[
            SingleLine("search"),
            Optional(),
            Length(max=200, message="Search must be 200 characters or fewer"),
        ],
    )
    status = SelectField(
        "Status",
        choices=[SelectChoice(ANY, "Any status")]
        + [SelectChoice(status.value, status.label) for status in ProjectStatus],
        default=ANY,
        invalid_choice_message="Choose a status from the list",
    )
    service_group = SelectField(
        "Service group", default=ANY, invalid_choice_message="Choose a service group from the list"
    )
    supported = SelectField(
        "PMO support",
        choices=[
            SelectChoice(ANY, "Supported or not"),
            SelectChoice(YES, "Supported by the PMO"),
            SelectChoice(NO, "Not supported"),
        ],
        default=ANY,
        invalid_choice_message="Choose from the list",
    )
    trainee_led = SelectField(
        "Led by",
        choices=[
            SelectChoice(ANY, "Anyone"),
            SelectChoice(YES, "Someone trained here before it started"),
            SelectChoice(NO, "Someone not trained here before it started"),
        ],
        default=ANY,
        invalid_choice_message="Choose from the list",
    )
    mine = SelectField(
        "Projects",
        choices=[SelectChoice(ANY, "All projects"), SelectChoice(YES, "Projects I am on")],
        default=ANY,
        invalid_choice_message="Choose from the list",
    )

    def offer(self, service_groups: Iterable[ServiceGroup]) -> None:
        self.service_group.choices = _group_choices("Any service group", service_groups)

    def filters(self, person_id: int) -> RegisterFilter:
        """What was asked for, each filter left open when not sent or not understood."""

        def chosen(field) -> str:
            return "" if field.errors or field.data is None else str(field.data)

        def yes_no(field) -> bool | None:
            return {YES: True, NO: False}.get(chosen(field))

        group = chosen(self.service_group)
        status = chosen(self.status)
        return RegisterFilter(
            words="" if self.q.errors else (self.q.data or ""),
            status=ProjectStatus(status) if status else None,
            service_group_id=int(group) if group.isdigit() else None,
            supported=yes_no(self.supported),
            trainee_led=yes_no(self.trainee_led),
            person_id=person_id if chosen(self.mine) == YES else None,
        )
